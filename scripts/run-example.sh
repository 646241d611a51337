#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# The main job: build RingAttn, then compile causal zigzag ring attention for
# 4 in-process devices (threads), run it, and check the gathered result
# against the float64 reference over the whole sequence; then the same as a
# training step (forward + dq, dk, dv over the ring), each gradient checked
# against float64 reference gradients.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
for f in examples/*.mlir; do
  build/bin/ring-opt "$f" > /dev/null
done
echo "verified examples/*.mlir"
echo "== single device: ring-run examples/attention.mlir --check"
build/bin/ring-run examples/attention.mlir --check
echo "== 4 devices: ring-run examples/ring-attention.mlir --ranks 4 --backend threads --check"
build/bin/ring-run examples/ring-attention.mlir --ranks 4 --backend threads --check
echo "== training step on 4 devices: ring-run examples/ring-attention.mlir --ranks 4 --backend threads --grad --check"
build/bin/ring-run examples/ring-attention.mlir --ranks 4 --backend threads --grad --check
