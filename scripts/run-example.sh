#!/usr/bin/env bash
# The main job: build RingAttn, then verify and print every example module.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
for f in examples/*.mlir; do
  echo "== $f"
  build/bin/ring-opt "$f"
done
