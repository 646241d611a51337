#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# mask-matrix.sh RING_RUN TEMPLATE DIR N [LABEL MASK...]: runs the training
# step (forward + dq, dk, dv) on N in-process ranks over 96 tokens for
# every layout, GQA, f32 and bf16, each checked against the float64
# reference (seed N), and prints each run's output under a "== case" line.
# The masks are the MASKs given (an empty one: none), named in the case
# line after LABEL; by default sliding windows (one token, smaller and
# larger than a rank's block, two-sided) and logit caps (alone and with a
# window).
set -euo pipefail
ringRun=$1 template=$2 dir=$3 n=$4
label=${5:-}
masks=("causal window_left 0" "causal window_left 5" "causal window_left 40"
  "window_left 9 window_right 4" "causal softcap 2.0"
  "window_left 30 window_right 6 softcap 0.5")
if [ $# -gt 5 ]; then masks=("${@:6}"); fi
for layout in contiguous zigzag striped; do
  for mask in "${masks[@]}"; do
    for type in f32 bf16; do
      name="$dir/n$n-$layout-${mask// /-}-$type.mlir"
      sed -e "s/@N@/$n/g" -e "s/@L@/$((96 / n))/g" -e "s/@T@/$type/g" \
        -e "s/@LAYOUT@/$layout/g" -e "s/@CAUSAL@/$mask/g" -e "s/@HKV@/2/g" \
        "$template" >"$name"
      echo "== $n ranks, $layout, $label${mask:-full}, $type"
      "$ringRun" "$name" --grad --check --seed "$n"
    done
  done
done
