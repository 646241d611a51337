#!/usr/bin/env bash
# Builds the runtime and its unit tests twice, with AddressSanitizer +
# UndefinedBehaviorSanitizer and with ThreadSanitizer, runs both, and fails if
# a test fails or a sanitizer reports anything. Plain g++ (no CMake, no
# MLIR), so it needs only g++ and libgtest-dev.
set -euo pipefail
cd "$(dirname "$0")/.."

out=build-sanitize
mkdir -p "$out"
# The threads runtime and its tests (the MPI backend runs under mpirun and
# is tested there).
sources=(unittests/Runtime/ThreadsBackendTest.cpp)
for f in lib/Runtime/*.cpp; do
  [ "$(basename "$f")" = MpiBackend.cpp ] || sources+=("$f")
done

# build NAME FLAGS...: one binary with the runtime linked in statically.
build() {
  local name=$1
  shift
  echo "== building $out/$name"
  g++ -std=c++17 -O1 -g -fno-omit-frame-pointer "$@" -Iinclude \
    "${sources[@]}" -o "$out/$name" -lgtest -lgtest_main -pthread
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

ASAN_OPTIONS=halt_on_error=1:detect_leaks=1 \
  UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
  check runtime-tests-asan
TSAN_OPTIONS=halt_on_error=1 check runtime-tests-tsan
echo "== sanitizers clean"
