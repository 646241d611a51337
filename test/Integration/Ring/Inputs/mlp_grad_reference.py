# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""A float64 reference for mlp-grad.mlir, the backward of the layer's MLP
y = silu(x W1) W2, in plain Python (no NumPy on a fresh machine), sharing
no code with the compiler.

  mlp_grad_reference.py DIR SEED
      writes DIR/arg0.npy ... DIR/arg3.npy (float32: x, W1, W2, dy) and
      DIR/expected0.npy ... expected3.npy (dx, dW1, dW2 and the loss
      sum(y * dy) itself), computed in float64 from those float32 values.

  mlp_grad_reference.py --finite-differences
      checks the gradient formulas themselves against central differences
      of sum(y * dy) on a tiny case, in float64, and fails if one is off.
"""
import math
import os
import random
import sys

S, C, F = 48, 32, 96

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "..", "..", "Inputs"))
from float32_npy import to_f32, write_npy  # noqa: E402


def matmul(a, b):
    """a [n][k] times b [k][m]."""
    return [[sum(row[i] * b[i][j] for i in range(len(row)))
             for j in range(len(b[0]))] for row in a]


def transpose(a):
    return [list(col) for col in zip(*a)]


def sigmoid(v):
    return 1 / (1 + math.exp(-v))


def forward(x, w1, w2):
    h = matmul(x, w1)
    return matmul([[v * sigmoid(v) for v in row] for row in h], w2)


def gradients(x, w1, w2, dy):
    """dx, dW1, dW2 of sum(forward(x, w1, w2) * dy)."""
    h = matmul(x, w1)
    act = [[v * sigmoid(v) for v in row] for row in h]
    slope = [[sigmoid(v) * (1 + v * (1 - sigmoid(v))) for v in row]
             for row in h]
    dw2 = matmul(transpose(act), dy)
    da = matmul(dy, transpose(w2))
    dh = [[g * d for g, d in zip(gr, dr)] for gr, dr in zip(da, slope)]
    return matmul(dh, transpose(w1)), matmul(transpose(x), dh), dw2


def finite_differences():
    rng = random.Random(1)

    def draw(rows, cols):
        return [[rng.uniform(-1, 1) for _ in range(cols)] for _ in range(rows)]

    s, c, f, eps = 3, 2, 4, 1e-6
    operands = [draw(s, c), draw(c, f), draw(f, c)]
    dy = draw(s, c)

    def loss():
        y = forward(*operands)
        return sum(a * b for r, g in zip(y, dy) for a, b in zip(r, g))

    worst = 0.0
    for which, analytic in enumerate(gradients(*operands, dy)):
        tensor = operands[which]
        for i, row in enumerate(tensor):
            for j, value in enumerate(row):
                row[j] = value + eps
                up = loss()
                row[j] = value - eps
                down = loss()
                row[j] = value
                numeric = (up - down) / (2 * eps)
                worst = max(worst, abs(numeric - analytic[i][j]))
    print("finite differences: max_abs_err=%.1e" % worst)
    if worst > 1e-7:
        sys.exit("the reference's gradients disagree with finite differences")


def main():
    if sys.argv[1:] == ["--finite-differences"]:
        return finite_differences()
    out_dir, seed = sys.argv[1], int(sys.argv[2])
    rng = random.Random(seed)

    def draw(rows, cols, scale):
        values = to_f32([scale * rng.uniform(-1, 1)
                         for _ in range(rows * cols)])
        return [values[r * cols:(r + 1) * cols] for r in range(rows)]

    args = [draw(S, C, 1.0), draw(C, F, 1 / math.sqrt(C)),
            draw(F, C, 1 / math.sqrt(F)), draw(S, C, 1.0)]
    for i, rows in enumerate(args):
        write_npy("%s/arg%d.npy" % (out_dir, i), [len(rows), len(rows[0])],
                  [v for row in rows for v in row])
    for i, rows in enumerate(gradients(*args)):
        write_npy("%s/expected%d.npy" % (out_dir, i),
                  [len(rows), len(rows[0])], [v for row in rows for v in row])
    y = forward(*args[:3])
    loss = sum(a * b for r, g in zip(y, args[3]) for a, b in zip(r, g))
    write_npy("%s/expected3.npy" % out_dir, [], [loss])


if __name__ == "__main__":
    main()
