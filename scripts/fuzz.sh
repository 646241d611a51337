#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# Builds RingAttn with clang-22 and AddressSanitizer + UndefinedBehaviorSanitizer
# on the whole project (compiler libraries, runtime, lib/Support, ring-opt,
# ring-run) in build-fuzz/, then:
#   1. runs the unit tests of lib/Support and ring-run's HostTensor,
#   2. runs lit tests end to end with the sanitized ring-opt and ring-run,
#   3. runs every saved crash input (fuzz/crashes/<target>/*) once: fixed
#      bugs stay fixed; fuzz/pending/<target>/* (reported, not yet fixed) are
#      run too and listed, without failing the script,
#   4. fuzzes each target for RINGATTN_FUZZ_SECONDS (default 60) from a seed
#      corpus made from the tests (fuzz/make-corpus.py) plus what earlier
#      runs found (build-fuzz/corpus/<target>-found).
# Fails if a test fails, a sanitizer reports, or a fuzzer finds a crash
# (saved under build-fuzz/artifacts/<target>/). docs/Testing.md has more.
#
# RINGATTN_JOBS: build jobs (2). RINGATTN_BUILD_LOCK: a file to flock while
# compiling, for machines where several builds share the cores.
set -euo pipefail
cd "$(dirname "$0")/.."

out=build-fuzz
jobs=${RINGATTN_JOBS:-2}
seconds=${RINGATTN_FUZZ_SECONDS:-60}
targets=(ring-npy-fuzzer ring-ir-fuzzer ring-run-options-fuzzer)

locked() {
  if [ -n "${RINGATTN_BUILD_LOCK:-}" ]; then
    flock "$RINGATTN_BUILD_LOCK" "$@"
  else
    "$@"
  fi
}

# LLVM's own sanitizer options: they instrument every target (and leave
# -z defs off, which instrumented shared libraries need); coverage
# instrumentation everywhere, libFuzzer linked into the fuzzers only.
# LLVM_UBSAN_FLAGS is LLVM's build-tree default, which an installed LLVM
# does not export (without it "Undefined" adds nothing); vptr needs RTTI and
# function signatures, which JIT-compiled callees lack.
# -Wno-c++11-narrowing: clang rejects braced initializers that g++ accepts.
if [ ! -f "$out/build.ninja" ]; then
  cmake -G Ninja -S . -B "$out" -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_C_COMPILER=clang-22 -DCMAKE_CXX_COMPILER=clang++-22 \
    -DCMAKE_CXX_FLAGS="-Wno-c++11-narrowing" \
    -DCMAKE_C_FLAGS_RELEASE="-O1 -DNDEBUG" \
    -DCMAKE_CXX_FLAGS_RELEASE="-O1 -DNDEBUG" \
    -DLLVM_USE_SANITIZER="Address;Undefined" -DLLVM_USE_SANITIZE_COVERAGE=ON \
    -DLLVM_UBSAN_FLAGS="-fsanitize=undefined -fno-sanitize=vptr,function -fno-sanitize-recover=all" \
    -DRINGATTN_BUILD_FUZZERS=ON \
    -DLLVM_EXTERNAL_LIT=/usr/lib/llvm-22/bin/lit
fi
start=$SECONDS
locked ninja -C "$out" -j"$jobs" "${targets[@]}" ring-opt ring-run \
  RingAttnFakeCuda RingAttnUnitTests
echo "== build: $((SECONDS - start)) s"

# Every report fails the run; huge allocations are errors ring-run reports
# (HostTensor::allocate), so the allocator returns null instead of aborting.
# allow_user_poisoning=0: LLVM's BumpPtrAllocator poisons its slabs in our
# instrumented inline copies but not in Debian's uninstrumented libMLIR.so,
# whose writes into them would be reported (a false use-after-poison).
export ASAN_OPTIONS=halt_on_error=1:detect_leaks=1:allocator_may_return_null=1:allow_user_poisoning=0
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
failed=0

start=$SECONDS
"$out/unittests/RingAttnUnitTests" --gtest_brief=1 || failed=1
# The compiler on the round-trip, verifier and lowering tests; ring-run end
# to end on its own tests and on CPU modules (a ring of 4 included). Not the
# tests that cap memory with `ulimit -v`: ASan reserves terabytes of shadow
# address space at startup and cannot run under such a cap.
/usr/lib/llvm-22/bin/lit -sv --filter-out 'out-of-memory|too-many-threads' \
  "$out/test/Dialect" "$out/test/Transforms" "$out/test/Pipelines" \
  "$out/test/Conversion" "$out/test/Tools/ring-run" \
  "$out/test/Integration/CPU/f32-mha.mlir" \
  "$out/test/Integration/CPU/bf16-gqa.mlir" \
  "$out/test/Integration/CPU/f16-gqa-causal-d80.mlir" || failed=1
# A ring of 4 (the ring-matrix test's 12 cases for one ring size).
matrix=$(mktemp -d)
passed=$(test/Integration/Ring/Inputs/ring-matrix.sh "$out/bin/ring-run" \
  test/Integration/Ring/Inputs/ring.mlir.in "$matrix" 4 | grep -c 'PASS$') ||
  true
rm -rf "$matrix"
[ "$passed" = 12 ] || { echo "FAILED: sanitized ring of 4 ($passed/12 passed)"; failed=1; }
# The training step on a ring of 4: the grad-matrix test's 24 cases (every
# layout, causal or not, MHA and GQA, f32 and bf16), gradients checked.
matrix=$(mktemp -d)
passed=$(test/Integration/Ring/Inputs/grad-matrix.sh "$out/bin/ring-run" \
  test/Integration/Ring/Inputs/train.mlir.in "$matrix" 4 |
  grep -c '^check dv: .* PASS$') || true
rm -rf "$matrix"
[ "$passed" = 24 ] || { echo "FAILED: sanitized training step on a ring of 4 ($passed/24 passed)"; failed=1; }
echo "== sanitized tests: $((SECONDS - start)) s"

python3 fuzz/make-corpus.py "$out/corpus" > /dev/null
corpusOf() {
  case $1 in
    ring-npy-fuzzer) echo npy ;;
    ring-ir-fuzzer) echo ir ;;
    ring-run-options-fuzzer) echo options ;;
  esac
}

for target in "${targets[@]}"; do
  binary=$out/fuzz/$target
  # Saved crashes: each must now run clean.
  shopt -s nullglob
  crashes=(fuzz/crashes/"$target"/*)
  pending=(fuzz/pending/"$target"/*)
  shopt -u nullglob
  if [ ${#crashes[@]} -gt 0 ]; then
    echo "== $target: ${#crashes[@]} saved crash inputs"
    "$binary" -timeout=60 "${crashes[@]}" > "$out/$target-crashes.log" 2>&1 || {
      echo "FAILED: a saved crash of $target crashes again" \
           "(see $out/$target-crashes.log)" >&2
      failed=1
    }
  fi
  for input in "${pending[@]}"; do
    if "$binary" -timeout=60 "$input" > /dev/null 2>&1; then
      echo "== $target: $input no longer fails: move it to fuzz/crashes/$target/"
    else
      echo "== $target: $input still fails (pending, reported)"
    fi
  done

  mkdir -p "$out/corpus/$target-found" "$out/artifacts/$target"
  # A pending input is a known, reported bug: not a seed (seeds are named by
  # their SHA-1), or every run would stop on it at once.
  for input in "${pending[@]}"; do
    sha=$(sha1sum < "$input" | cut -d' ' -f1)
    rm -f "$out/corpus/$(corpusOf "$target")/$sha" "$out/corpus/$target-found/$sha"
  done
  echo "== fuzzing $target for $seconds s"
  if ! "$binary" -max_total_time="$seconds" -timeout=60 -rss_limit_mb=4096 \
      -print_final_stats=1 -artifact_prefix="$out/artifacts/$target/" \
      "$out/corpus/$target-found" "$out/corpus/$(corpusOf "$target")" \
      > "$out/$target.log" 2>&1; then
    echo "FAILED: $target found a crash: $(ls "$out/artifacts/$target")" \
         "(log: $out/$target.log)" >&2
    tail -n 40 "$out/$target.log" >&2
    failed=1
  fi
  grep -E '^stat::number_of_executed_units|^stat::peak_rss_mb' \
    "$out/$target.log" | sed "s/^/   /" || true
done

[ $failed -eq 0 ] && echo "== fuzzers and sanitizers clean"
exit $failed
