# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""Operands of sharded-entries.mlir's @scale in plain Python: writes
DIR/x.npy ([8, 4]), DIR/w.npy ([4]), DIR/y.npy (x * w, each product of
two float32 values rounded to float32, as the entry computes it) and
DIR/wrong.npy (y with one element changed)."""
import os
import random
import sys


sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "..", "..", "Inputs"))
from float32_npy import to_f32, write_npy  # noqa: E402


out_dir = sys.argv[1]
rng = random.Random(int(sys.argv[2]))
x = to_f32([rng.uniform(-1, 1) for _ in range(32)])
w = to_f32([rng.uniform(-1, 1) for _ in range(4)])
y = to_f32([x[i] * w[i % 4] for i in range(32)])
write_npy(out_dir + "/x.npy", [8, 4], x)
write_npy(out_dir + "/w.npy", [4], w)
write_npy(out_dir + "/y.npy", [8, 4], y)
write_npy(out_dir + "/wrong.npy", [8, 4], y[:5] + [y[5] + 1.0] + y[6:])
