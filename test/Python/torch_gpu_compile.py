"""The op's CUDA path up to where a GPU is needed: a configuration lowered
with ring-lower-nvvm compiles and links into this process, and its entries
are found. Loading its kernels needs a driver; without one the GPU runtime
says so (on stderr) and nothing crashes."""

import sys

import ringattn
from ringattn import _native, _op

chip = sys.argv[1]
for config in (_op.Config(1, 8, 2, 256, 128, "bf16", True, 0.125, "zigzag",
                          4),
               _op.Config(2, 4, 4, 96, 64, "f32", False, 0.3, "contiguous",
                          1)):
    _native.select_gpu(0)
    compiled = _op._Compiled(config, _op.gpu_pipeline(chip))
    print(f"{config.describe()}: forward and backward entries "
          f"{'found' if compiled.forward and compiled.backward else 'MISSING'}"
          f", compiled in this process: {not compiled.ahead_of_time}",
          flush=True)
