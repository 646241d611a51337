#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# placement-matrix.sh RING_RUN TEMPLATE DIR N: runs the training step
# (forward + dq, dk, dv, dsinks) on N in-process ranks over 96 positions
# laid out by a block placement of 4 blocks a rank, with sinks and packed
# documents, without a mask, causal, under a causal window, under a
# two-sided window with a logit cap, and with a padded tail (length 80),
# each checked against the float64 reference (seed N): the balanced
# placement of six random starts (seeded) in f32 and bf16, and in f32 the
# blocks in reverse order with one document. Prints each run's output
# under a "== case" line.
set -euo pipefail
ringRun=$1 template=$2 dir=$3 n=$4
blocks=$((4 * n))
reversed=$(seq -s, $((blocks - 1)) -1 0)
masks=("" "causal" "causal window_left 5"
  "window_left 9 window_right 4 softcap 0.5" "causal length 80")
for mask in "${masks[@]}"; do
  for placement in balanced balanced-bf16 reversed; do
    type=f32 options=()
    if [ "$placement" = balanced-bf16 ]; then type=bf16; fi
    if [ "$placement" = reversed ]; then
      options=(--placement "$reversed" --documents 0)
    fi
    name="$dir/n$n-${mask// /-}-$placement.mlir"
    sed -e "s/@N@/$n/g" -e "s/@L@/$((96 / n))/g" -e "s/@T@/$type/g" \
      -e "s/@P@/$blocks/g" -e "s/@CAUSAL@/$mask/g" "$template" >"$name"
    echo "== $n ranks, ${mask:-full}, $placement placement, $type"
    "$ringRun" "$name" --grad --check --seed "$n" "${options[@]}"
  done
done
