"""The op's CUDA path up to where a GPU is needed: a configuration lowered
with ring-lower-nvvm compiles and links into this process, or is loaded
from a module built ahead of time (with a folder argument,
$RINGATTN_AOT_DIR's), and its entries are found. Loading its kernels needs
a driver; without one the GPU runtime says so (on stderr) and nothing
crashes.

    torch_gpu_compile.py CHIP [PREBUILT_FOLDER]
"""

import math
import os
import sys

from ringattn import _native, _op

chip = sys.argv[1]
configs = [_op.Config(1, 8, 2, 256, 128, "bf16", True, 1 / math.sqrt(128),
                      "zigzag", 4),
           _op.Config(2, 4, 4, 96, 64, "f32", False, 0.3, "contiguous", 1)]
if len(sys.argv) > 2:
    os.environ["RINGATTN_AOT_DIR"] = sys.argv[2]
    configs = configs[:1]  # the one torch-gpu-compile.test built
for config in configs:
    _native.select_gpu(0)
    compiled = _op._Compiled(config, _op.gpu_pipeline(chip))
    how = "loaded ahead of time" if compiled.ahead_of_time else "compiled"
    found = compiled.forward and compiled.backward
    print(f"{config.describe()}: {how}, forward and backward entries "
          f"{'found' if found else 'MISSING'}", flush=True)
