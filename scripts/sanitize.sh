#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# Builds the runtime and its unit tests twice, with AddressSanitizer +
# UndefinedBehaviorSanitizer and with ThreadSanitizer, runs both, and fails if
# a test fails or a sanitizer reports anything. Both builds are the project's
# own CMake build with LLVM's sanitizer option (LLVM_USE_SANITIZER), limited
# to the runtime's test targets: no second description of what the runtime
# is made of.
set -euo pipefail
cd "$(dirname "$0")/.."

out=build-sanitize
# The runtime's tests (unittests/Runtime/CMakeLists.txt): the threads backend
# and the GPU runtime, which builds and runs without CUDA against the test
# doubles of the driver and NCCL. The MPI backend runs under mpirun and is
# tested there.
targets=(RingAttnRuntimeTests RingAttnGpuLoadingTests RingAttnGpuNoDriverTests
  RingAttnFakeGpuTests)

# build NAME SANITIZERS: configures $out/NAME (once) and builds the targets.
# LLVM_UBSAN_FLAGS is LLVM's build-tree default, which an installed LLVM does
# not export (without it "Undefined" adds nothing).
build() {
  local name=$1 sanitizers=$2
  echo "== building $out/$name ($sanitizers)"
  if [ ! -f "$out/$name/build.ninja" ]; then
    cmake -G Ninja -S . -B "$out/$name" -DCMAKE_BUILD_TYPE=Release \
      -DCMAKE_CXX_FLAGS_RELEASE="-O1 -g -DNDEBUG" \
      -DCMAKE_C_FLAGS_RELEASE="-O1 -g -DNDEBUG" \
      -DLLVM_USE_SANITIZER="$sanitizers" \
      -DLLVM_UBSAN_FLAGS="-fsanitize=undefined -fno-sanitize-recover=all" \
      -DLLVM_EXTERNAL_LIT=/usr/lib/llvm-22/bin/lit >/dev/null
  fi
  flock /tmp/ringattn-build.lock ninja -C "$out/$name" -j2 "${targets[@]}"
}

# check NAME: runs it; halt_on_error makes a report fail the run, and the log
# is searched too in case a report does not change the exit status.
check() {
  local name=$1 log="$out/$1.log"
  echo "== running $out/$name"
  if ! "$out/$name" 2>&1 | tee "$log"; then
    echo "FAILED: $name (see $log)" >&2
    return 1
  fi
  if grep -qE 'Sanitizer|runtime error:' "$log"; then
    echo "FAILED: $name printed a sanitizer report (see $log)" >&2
    return 1
  fi
}

build asan "Address;Undefined"
build tsan Thread

for test in RingAttnRuntimeTests RingAttnGpuLoadingTests \
  RingAttnGpuNoDriverTests RingAttnFakeGpuTests; do
  ASAN_OPTIONS=halt_on_error=1:detect_leaks=1 \
    UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    check "asan/unittests/Runtime/$test"
  TSAN_OPTIONS=halt_on_error=1 check "tsan/unittests/Runtime/$test"
done
echo "== sanitizers clean"
