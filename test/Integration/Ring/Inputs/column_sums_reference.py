# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""column_sums_reference.py DIR SEED: writes DIR/x.npy (64 x 24 float32,
all positive, so the sums do not cancel) and DIR/sums.npy, its column
sums in float64 (Inputs/column-sums.mlir's result), in plain Python."""
import os
import random
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "..", "..", "Inputs"))
from float32_npy import to_f32, write_npy  # noqa: E402

S, C = 64, 24

out_dir, seed = sys.argv[1], int(sys.argv[2])
rng = random.Random(seed)
x = to_f32([rng.uniform(0.5, 1.5) for _ in range(S * C)])
write_npy(os.path.join(out_dir, "x.npy"), [S, C], x)
write_npy(os.path.join(out_dir, "sums.npy"), [C],
          [sum(x[s * C + c] for s in range(S)) for c in range(C)])
