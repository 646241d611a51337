#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# Makes .venv-torch/: a virtual environment with PyTorch (from PyPI) and the
# ringattn package installed editable from python/, which finds the
# libraries in build/ (docs/Torch.md). The lit tests under test/Python run
# with it (feature `torch`). Where PyTorch cannot be installed (no network)
# it says so, and those tests report UNSUPPORTED instead of failing.
set -uo pipefail
cd "$(dirname "$0")/.."
venv=.venv-torch
if [ -x "$venv/bin/python" ] && "$venv/bin/python" -c "import torch, ringattn" 2>/dev/null; then
  exit 0
fi
if ! python3 -m venv "$venv" >/dev/null 2>&1; then
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get install -y -q python3-venv >/dev/null && python3 -m venv "$venv"
fi
if ! "$venv/bin/pip" install -q torch numpy || ! "$venv/bin/pip" install -q -e python; then
  echo "torch-env: could not install PyTorch into $venv; the PyTorch op's tests (test/Python) are skipped" >&2
  exit 0
fi
"$venv/bin/python" -c "import torch; print('torch-env: PyTorch', torch.__version__, 'in $venv')"
