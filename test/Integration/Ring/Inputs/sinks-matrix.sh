#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# sinks-matrix.sh RING_RUN TEMPLATE DIR N: runs the training step (forward +
# dq, dk, dv and the sinks' gradient) with attention sinks on N in-process
# ranks over 96 positions, without a mask, causal, under a causal window,
# under a two-sided window with a logit cap, and with 6 positions of
# padding (length 90), for every layout, GQA, f32 and bf16, each checked
# against the float64 reference (seed N), and prints each run's output
# under a "== case" line.
set -euo pipefail
ringRun=$1 template=$2 dir=$3 n=$4
masks=("" "causal" "causal window_left 5"
  "window_left 9 window_right 4 softcap 0.5" "causal length 90")
for layout in contiguous zigzag striped; do
  for mask in "${masks[@]}"; do
    for type in f32 bf16; do
      name="$dir/n$n-$layout-${mask// /-}-$type.mlir"
      sed -e "s/@N@/$n/g" -e "s/@L@/$((96 / n))/g" -e "s/@T@/$type/g" \
        -e "s/@LAYOUT@/$layout/g" -e "s/@CAUSAL@/$mask/g" -e "s/@HKV@/2/g" \
        "$template" >"$name"
      echo "== $n ranks, $layout, sinks ${mask:-full}, $type"
      "$ringRun" "$name" --grad --check --seed "$n"
    done
  done
done
