#!/usr/bin/env bash
# The main job: build RingAttn, verify the examples, then compile and run
# causal attention on this CPU and check it against the float64 reference.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
for f in examples/*.mlir; do
  echo "== ring-opt $f"
  build/bin/ring-opt "$f" > /dev/null && echo "verified"
done
echo "== ring-run examples/attention.mlir --check --repeat 3"
build/bin/ring-run examples/attention.mlir --check --repeat 3
