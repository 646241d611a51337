#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# grad-matrix.sh RING_RUN TEMPLATE DIR N: runs the training step (forward +
# dq, dk, dv) on N in-process ranks over 96 tokens for every layout, causal
# or not, MHA (4 key/value heads) and GQA (2), f32 and bf16, each checked
# against the float64 reference gradients (seed N), and prints each run's
# output under a "== case" line.
set -euo pipefail
ringRun=$1 template=$2 dir=$3 n=$4
for layout in contiguous zigzag striped; do
  for causal in causal full; do
    for hkv in 4 2; do
      for type in f32 bf16; do
        name="$dir/n$n-$layout-$causal-hkv$hkv-$type.mlir"
        sed -e "s/@N@/$n/g" -e "s/@L@/$((96 / n))/g" -e "s/@T@/$type/g" \
          -e "s/@LAYOUT@/$layout/g" -e "s/@CAUSAL@/${causal/full/}/g" \
          -e "s/@HKV@/$hkv/g" "$template" >"$name"
        echo "== $n ranks, $layout, $causal, $hkv key/value heads, $type"
        "$ringRun" "$name" --grad --check --seed "$n"
      done
    done
  done
done
