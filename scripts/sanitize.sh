#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# Builds the runtime and its unit tests twice, with AddressSanitizer +
# UndefinedBehaviorSanitizer and with ThreadSanitizer, runs both, and fails if
# a test fails or a sanitizer reports anything. Plain g++ (no CMake, no
# MLIR), so it needs only g++ and libgtest-dev (with googlemock).
set -euo pipefail
cd "$(dirname "$0")/.."

out=build-sanitize
mkdir -p "$out"
# The runtime, the GPU runtime (it builds and runs without CUDA) and their
# tests; the MPI backend runs under mpirun and is tested there, and the
# signature checks need CUDA's headers and hold no code.
runtime=()
for f in lib/Runtime/*.cpp; do
  [ "$(basename "$f")" = MpiBackend.cpp ] || runtime+=("$f")
done
gpuRuntime=("${runtime[@]}")
for f in lib/Runtime/GPU/*.cpp; do
  case "$f" in *SignatureCheck.cpp) ;; *) gpuRuntime+=("$f") ;; esac
done

# build NAME FLAGS...: the threads backend's tests and the three GPU runtime
# test binaries (see unittests/Runtime/CMakeLists.txt), with the runtime
# linked in statically and the test doubles of the CUDA driver and NCCL as
# shared libraries, all built with FLAGS.
build() {
  local name=$1
  shift
  local flags=(-std=c++17 -O1 -g -fno-omit-frame-pointer "$@")
  local fakeCuda=$PWD/$out/libfakecuda-$name.so fakeNccl=$PWD/$out/libfakenccl-$name.so
  echo "== building $out/$name"
  g++ "${flags[@]}" -Iinclude "${runtime[@]}" \
    unittests/Runtime/ThreadsBackendTest.cpp -o "$out/$name" \
    -lgtest -lgtest_main -pthread
  g++ "${flags[@]}" -shared -fPIC -Ilib/Runtime/GPU \
    unittests/Runtime/FakeCudaDriver.cpp -o "$fakeCuda"
  g++ "${flags[@]}" -shared -fPIC -Ilib/Runtime/GPU \
    unittests/Runtime/FakeNccl.cpp -o "$fakeNccl"
  local gpu=("${flags[@]}" -Iinclude -Ilib/Runtime -Ilib/Runtime/GPU
    -DRINGATTN_FAKE_CUDA_PATH=\""$fakeCuda"\"
    -DRINGATTN_FAKE_NCCL_PATH=\""$fakeNccl"\")
  local libs=(-lgmock -lgtest -ldl -pthread)
  g++ "${gpu[@]}" "${gpuRuntime[@]}" unittests/Runtime/GpuTestMain.cpp \
    unittests/Runtime/GpuLoadingTest.cpp -o "$out/$name-gpu-loading" "${libs[@]}"
  g++ "${gpu[@]}" -DRINGATTN_TEST_CUDA_DRIVER=\"/nonexistent/libcuda.so.1\" \
    -DRINGATTN_TEST_NCCL_LIBRARY=\"/nonexistent/libnccl.so.2\" \
    "${gpuRuntime[@]}" unittests/Runtime/GpuTestMain.cpp \
    unittests/Runtime/GpuNoDriverTest.cpp -o "$out/$name-gpu-nodriver" \
    "${libs[@]}"
  g++ "${gpu[@]}" -DRINGATTN_TEST_CUDA_DRIVER=\""$fakeCuda"\" \
    -DRINGATTN_TEST_NCCL_LIBRARY=\""$fakeNccl"\" \
    "${gpuRuntime[@]}" unittests/Runtime/GpuTestMain.cpp \
    unittests/Runtime/GpuRuntimeWrappersTest.cpp \
    unittests/Runtime/NcclBackendTest.cpp \
    unittests/Runtime/NcclBootstrapTest.cpp \
    unittests/Runtime/OneGpuBackendTest.cpp -o "$out/$name-gpu-fake" \
    "${libs[@]}"
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

build runtime-tests-asan -fsanitize=address,undefined
build runtime-tests-tsan -fsanitize=thread

for test in "" -gpu-loading -gpu-nodriver -gpu-fake; do
  ASAN_OPTIONS=halt_on_error=1:detect_leaks=1 \
    UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    check "runtime-tests-asan$test"
  TSAN_OPTIONS=halt_on_error=1 check "runtime-tests-tsan$test"
done
echo "== sanitizers clean"
