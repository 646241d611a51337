#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# The PyTorch example: installs and builds what is missing (scripts/setup.sh),
# PyTorch and the ringattn package into .venv-torch (scripts/torch-env.sh),
# then trains a causal transformer block with ringattn.attention on 4
# processes under torchrun (gloo) beside the same block on one process with
# torch SDPA, and prints both loss curves (examples/torch/train_block.py).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/torch-env.sh
if ! .venv-torch/bin/python -c "import torch, ringattn" 2>/dev/null; then
  echo "torch-example: PyTorch is not installed (see above)" >&2
  exit 1
fi
OMP_NUM_THREADS=1 .venv-torch/bin/python -m torch.distributed.run \
  --standalone --nproc-per-node "${RINGATTN_TORCH_RANKS:-4}" \
  examples/torch/train_block.py "$@"
