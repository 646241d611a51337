#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# Regenerates the ODS reference pages and copies them into docs/.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh mlir-doc
cp build/docs/Dialects/RingDialect.md docs/Dialects/RingDialect.md
cp build/docs/Passes/RingPasses.md docs/Passes/RingPasses.md
cp build/docs/Passes/RingConversionPasses.md docs/Passes/RingConversionPasses.md
