#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
#
# Runs the integration matrix with two ring-run binaries and compares their
# outputs byte for byte: a refactoring of the compiler must not change a
# single bit of the results.
#
#   scripts/compare-outputs.sh OLD/ring-run NEW/ring-run
#
# The matrix: ring sizes 1, 2, 3, 4 and 8; every layout; causal or not; MHA
# and GQA (test/Integration/Ring/Inputs/ring.mlir.in), a bf16 GQA ring, and
# every single-device test of test/Integration/CPU.
set -euo pipefail
old=$1 new=$2
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

compare() { # name module
  "$old" "$2" --seed 11 --output "$work/old.npy" >/dev/null
  "$new" "$2" --seed 11 --output "$work/new.npy" >/dev/null
  if cmp -s "$work/old.npy" "$work/new.npy"; then
    echo "same: $1"
  else
    echo "DIFFERENT: $1"
    status=1
  fi
}

status=0
for n in 1 2 3 4 8; do
  for layout in contiguous zigzag striped; do
    for causal in causal ""; do
      for hkv in 4 2; do
        name="n$n-$layout-${causal:-full}-hkv$hkv"
        sed -e "s/@N@/$n/g" -e "s/@LAYOUT@/$layout/g" -e "s/@CAUSAL@/$causal/g" \
          -e "s/@HKV@/$hkv/g" "$root/test/Integration/Ring/Inputs/ring.mlir.in" \
          >"$work/$name.mlir"
        compare "$name" "$work/$name.mlir"
      done
    done
  done
done
sed -e 's/f32/bf16/g' -e "s/@N@/4/g" -e "s/@LAYOUT@/zigzag/g" \
  -e "s/@CAUSAL@/causal/g" -e "s/@HKV@/2/g" \
  "$root/test/Integration/Ring/Inputs/ring.mlir.in" >"$work/bf16.mlir"
compare n4-zigzag-causal-gqa-bf16 "$work/bf16.mlir"
for test in "$root"/test/Integration/CPU/*.mlir; do
  grep -q "ring-run %s" "$test" || continue
  compare "cpu/$(basename "$test")" "$test"
done
exit $status
