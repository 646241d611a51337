#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# padding-matrix.sh RING_RUN TEMPLATE DIR N: runs the training step (forward +
# dq, dk, dv) on N in-process ranks for sequence lengths T around multiples
# of N (1, N-1, N, N+1, 2N+1, 3N+1) that the shards do not divide: each rank
# holds L = ceil(T / N) positions (even for zigzag), the op's `length T`
# masks the padding, and ring-run passes and checks tensors of T tokens. For
# every layout, causal or not, f32 (and bf16 causal), each checked against
# the float64 reference (seed N + T); prints each run under a "== case" line.
set -euo pipefail
ringRun=$1 template=$2 dir=$3 n=$4
lengths=$(printf '%s\n' 1 $((n - 1)) "$n" $((n + 1)) $((2 * n + 1)) \
  $((3 * n + 1)) | awk '$1 >= 1' | sort -n -u)
for t in $lengths; do
  for layout in contiguous zigzag striped; do
    local=$(((t + n - 1) / n))
    if [ "$layout" = zigzag ]; then local=$(((local + 1) / 2 * 2)); fi
    for mask in "causal" "full" "causal bf16"; do
      type=f32
      if [ "$mask" = "causal bf16" ]; then type=bf16; fi
      name="$dir/n$n-t$t-$layout-${mask// /-}.mlir"
      sed -e "s/@N@/$n/g" -e "s/@L@/$local/g" -e "s/@T@/$type/g" \
        -e "s/@LAYOUT@/$layout/g" -e "s/@HKV@/2/g" \
        -e "s/@CAUSAL@/${mask%% *} length $t/g" -e "s/full length/length/g" \
        "$template" >"$name"
      echo "== $n ranks, $t tokens in $((n * local)) positions, $layout, $mask"
      "$ringRun" "$name" --grad --check --seed $((n + t))
    done
  done
done
