#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# Runs every test: installs and builds what is missing (PyTorch in
# .venv-torch for the PyTorch op), then ctest runs the
# lit suite (round-trip, verifier, lowering and integration tests) and the
# GoogleTest unit tests, the runtime is rebuilt and tested under ASan+UBSan
# and TSan, and the whole project is rebuilt with clang under ASan+UBSan for
# sanitized end-to-end tests and a short run of each fuzzer
# (docs/Testing.md).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/torch-env.sh   # PyTorch for the op's tests (test/Python)
ctest --test-dir build --output-on-failure -j"${RINGATTN_JOBS:-2}"
scripts/sanitize.sh
scripts/fuzz.sh
