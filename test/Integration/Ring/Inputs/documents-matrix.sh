#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# documents-matrix.sh RING_RUN TEMPLATE DIR N: runs the training step
# (forward + dq, dk, dv) with packed documents on N in-process ranks over 96
# positions, without a mask, causal, under a causal window, under a
# two-sided window with a logit cap, and with a padded tail (length 80:
# with 8 ranks the last holds only padding), for every layout, each checked
# against the float64 reference (seed N): six random starts (seeded), f32
# and bf16, and one fixed mix per layout in f32: one-token documents
# (contiguous), one document across every rank (zigzag), a single document
# (striped). Prints each run's output under a "== case" line.
set -euo pipefail
ringRun=$1 template=$2 dir=$3 n=$4
masks=("" "causal" "causal window_left 5"
  "window_left 9 window_right 4 softcap 0.5" "causal length 80")
declare -A fixed=([contiguous]="0,1,2,3,50,51" [zigzag]="7,89" [striped]="0")
for layout in contiguous zigzag striped; do
  for mask in "${masks[@]}"; do
    for starts in random random-bf16 "${fixed[$layout]}"; do
      type=f32 documents=()
      if [ "$starts" = random-bf16 ]; then type=bf16; fi
      if [ "${starts#random}" = "$starts" ]; then documents=(--documents "$starts"); fi
      name="$dir/n$n-$layout-${mask// /-}-${starts//,/_}.mlir"
      sed -e "s/@N@/$n/g" -e "s/@L@/$((96 / n))/g" -e "s/@T@/$type/g" \
        -e "s/@LAYOUT@/$layout/g" -e "s/@CAUSAL@/$mask/g" \
        "$template" >"$name"
      echo "== $n ranks, $layout, ${mask:-full}, documents $starts, $type"
      "$ringRun" "$name" --grad --check --seed "$n" "${documents[@]}"
    done
  done
done
