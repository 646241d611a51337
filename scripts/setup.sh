#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# Installs what RingAttn needs on Debian 12 (only what is missing), then
# configures and builds it into build/. Safe to run again: the second run
# installs nothing and rebuilds incrementally.
set -euo pipefail
cd "$(dirname "$0")/.."

# clang-22 and its sanitizer/libFuzzer runtimes: scripts/fuzz.sh.
packages=(cmake ninja-build g++ python3 llvm-22-dev llvm-22-tools
          libmlir-22-dev mlir-22-tools libgtest-dev libgmock-dev
          libopenmpi-dev openmpi-bin clang-22 libclang-rt-22-dev)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" \
    || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

jobs="${RINGATTN_JOBS:-2}"
if [ ! -f build/build.ninja ]; then
  cmake -G Ninja -S . -B build -DCMAKE_BUILD_TYPE=Release \
    -DLLVM_EXTERNAL_LIT=/usr/lib/llvm-22/bin/lit \
    -DRINGATTN_WERROR="${RINGATTN_WERROR:-OFF}"
fi
ninja -C build -j"$jobs" "$@"
