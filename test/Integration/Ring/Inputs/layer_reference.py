# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""A float64 reference for examples/layer.mlir's pre-norm transformer
layer, in plain Python (no NumPy on a fresh machine) and sharing no code
with the compiler, so the layer that ring-run runs sharded is checked
against what its source says, not against the compiler's own pieces.

  layer_reference.py DIR SEED
      writes DIR/arg0.npy ... DIR/arg8.npy (float32: x, g1, wq, wk, wv,
      wo, g2, w1, w2, in the entry's order) and DIR/expected.npy, the
      layer's output computed in float64 from those float32 values:

      h  = rmsnorm(x) * g1
      q, k, v = h Wq, h Wk, h Wv            per head
      a  = softmax(q k^T / sqrt(D), causal) v
      x1 = x + a Wo
      y  = x1 + silu(rmsnorm(x1) * g2 W1) W2
"""
import math
import os
import random
import sys

S, C, H, D, F = 64, 32, 2, 16, 96
EPS = 1.0e-5


sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "..", "..", "Inputs"))
from float32_npy import to_f32, write_npy  # noqa: E402


def rmsnorm(rows, gain):
    out = []
    for row in rows:
        r = 1.0 / math.sqrt(sum(a * a for a in row) / len(row) + EPS)
        out.append([a * r * g for a, g in zip(row, gain)])
    return out


def matmul(rows, w, cols):
    """rows [n][k] times w (flat [k][cols])."""
    return [[sum(row[i] * w[i * cols + j] for i in range(len(row)))
             for j in range(cols)] for row in rows]


def main():
    out_dir, seed = sys.argv[1], int(sys.argv[2])
    rng = random.Random(seed)

    def draw(shape, scale, offset=0.0):
        n = math.prod(shape)
        return shape, to_f32([offset + scale * rng.uniform(-1, 1)
                              for _ in range(n)])

    args = [draw([S, C], 1.0), draw([C], 0.1, 1.0),
            draw([C, H, D], 1 / math.sqrt(C)), draw([C, H, D], 1 / math.sqrt(C)),
            draw([C, H, D], 1 / math.sqrt(C)), draw([H, D, C], 1 / math.sqrt(C)),
            draw([C], 0.1, 1.0), draw([C, F], 1 / math.sqrt(C)),
            draw([F, C], 1 / math.sqrt(F))]
    for i, (shape, values) in enumerate(args):
        write_npy("%s/arg%d.npy" % (out_dir, i), shape, values)
    (_, x), (_, g1), (_, wq), (_, wk), (_, wv), (_, wo), (_, g2), (_, w1), \
        (_, w2) = args
    xs = [x[s * C:(s + 1) * C] for s in range(S)]

    h = rmsnorm(xs, g1)
    q, k, v = (matmul(h, w, H * D) for w in (wq, wk, wv))  # [S][H*D]
    attended = [[0.0] * (H * D) for _ in range(S)]
    scale = 1 / math.sqrt(D)
    for head in range(H):
        lo = head * D
        for i in range(S):
            scores = [scale * sum(q[i][lo + d] * k[j][lo + d]
                                  for d in range(D)) for j in range(i + 1)]
            top = max(scores)
            weights = [math.exp(s - top) for s in scores]
            total = sum(weights)
            for d in range(D):
                attended[i][lo + d] = sum(
                    w * v[j][lo + d] for j, w in enumerate(weights)) / total
    projected = matmul(attended, wo, C)
    x1 = [[a + b for a, b in zip(r, p)] for r, p in zip(xs, projected)]
    up = matmul(rmsnorm(x1, g2), w1, F)
    act = [[u / (1 + math.exp(-u)) for u in row] for row in up]
    down = matmul(act, w2, C)
    y = [a + b for r, p in zip(x1, down) for a, b in zip(r, p)]
    write_npy("%s/expected.npy" % out_dir, [S, C], y)


if __name__ == "__main__":
    main()
