# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""A float64 reference for examples/layer_grad.mlir, a training step of the
pre-norm layer (layer_reference.py says what the forward computes), in
plain Python sharing no code with the compiler.

  layer_grad_reference.py DIR SEED
      writes DIR/arg0.npy ... DIR/arg9.npy (float32: x, g1, wq, wk, wv, wo,
      g2, w1, w2, dy, in the entry's order) and DIR/expected0.npy ...
      expected9.npy: y, then the gradients of sum(y * dy) with respect to
      x, g1, wq, wk, wv, wo, g2, w1 and w2, in float64 from those values.

  layer_grad_reference.py --finite-differences
      checks those gradient formulas against central differences of
      sum(y * dy) on a tiny layer, in float64, and fails if one is off.
"""
import math
import os
import random
import sys

from layer_reference import EPS, matmul, rmsnorm

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "..", "..", "Inputs"))
from float32_npy import to_f32, write_npy  # noqa: E402

SIZES = dict(S=64, C=32, H=2, D=16, F=96)


def sigmoid(v):
    return 1 / (1 + math.exp(-v))


def rmsnorm_backward(rows, gain, grad):
    """The gradients of rmsnorm(rows) * gain: rows' and gain's."""
    cols = len(gain)
    dgain = [0.0] * cols
    drows = []
    for row, g in zip(rows, grad):
        r = 1.0 / math.sqrt(sum(a * a for a in row) / cols + EPS)
        n = [a * r for a in row]
        for c in range(cols):
            dgain[c] += g[c] * n[c]
        dn = [gc * w for gc, w in zip(g, gain)]
        mean = sum(a * b for a, b in zip(dn, n)) / cols
        drows.append([r * (a - b * mean) for a, b in zip(dn, n)])
    return drows, dgain


def outer(a, b):
    """sum_s a[s][i] * b[s][j], flat [i][j]."""
    return [sum(ra[i] * rb[j] for ra, rb in zip(a, b))
            for i in range(len(a[0])) for j in range(len(b[0]))]


def times_transposed(rows, w, cols):
    """rows [n][m] times the transpose of w (flat [k][m]): [n][k]."""
    m = len(rows[0])
    return [[sum(row[i] * w[k * m + i] for i in range(m))
             for k in range(cols)] for row in rows]


def training_step(sizes, args):
    """y and the gradients, as lists of floats, for flat float lists."""
    S, C, H, D, F = (sizes[n] for n in "SCHDF")
    x, g1, wq, wk, wv, wo, g2, w1, w2, dy = args
    xs = [x[s * C:(s + 1) * C] for s in range(S)]
    dys = [dy[s * C:(s + 1) * C] for s in range(S)]
    scale = 1 / math.sqrt(D)

    h1 = rmsnorm(xs, g1)
    q, k, v = (matmul(h1, w, H * D) for w in (wq, wk, wv))
    attended = [[0.0] * (H * D) for _ in range(S)]
    probs = []
    for head in range(H):
        lo = head * D
        p = []
        for i in range(S):
            scores = [scale * sum(q[i][lo + d] * k[j][lo + d]
                                  for d in range(D)) for j in range(i + 1)]
            top = max(scores)
            weights = [math.exp(t - top) for t in scores]
            total = sum(weights)
            p.append([w / total for w in weights])
            for d in range(D):
                attended[i][lo + d] = sum(
                    w * v[j][lo + d] for j, w in enumerate(p[i]))
        probs.append(p)
    x1 = [[a + b for a, b in zip(r, p)]
          for r, p in zip(xs, matmul(attended, wo, C))]
    h2 = rmsnorm(x1, g2)
    up = matmul(h2, w1, F)
    act = [[u * sigmoid(u) for u in row] for row in up]
    y = [[a + b for a, b in zip(r, p)] for r, p in zip(x1, matmul(act, w2, C))]

    # The MLP and its RMSNorm.
    dw2 = outer(act, dys)
    dact = times_transposed(dys, w2, F)
    dup = [[g * sigmoid(u) * (1 + u * (1 - sigmoid(u)))
            for g, u in zip(gr, ur)] for gr, ur in zip(dact, up)]
    dw1 = outer(h2, dup)
    dh2 = times_transposed(dup, w1, C)
    dx1n, dg2 = rmsnorm_backward(x1, g2, dh2)
    dx1 = [[a + b for a, b in zip(r, t)] for r, t in zip(dys, dx1n)]
    # The output projection, then attention, head by head.
    dwo = outer(attended, dx1)
    dat = times_transposed(dx1, wo, H * D)
    dq = [[0.0] * (H * D) for _ in range(S)]
    dk = [[0.0] * (H * D) for _ in range(S)]
    dv = [[0.0] * (H * D) for _ in range(S)]
    for head in range(H):
        lo, p = head * D, probs[head]
        for i in range(S):
            dp = [sum(dat[i][lo + d] * v[j][lo + d] for d in range(D))
                  for j in range(i + 1)]
            mean = sum(a * b for a, b in zip(p[i], dp))
            for j in range(i + 1):
                ds = p[i][j] * (dp[j] - mean) * scale
                for d in range(D):
                    dv[j][lo + d] += p[i][j] * dat[i][lo + d]
                    dq[i][lo + d] += ds * k[j][lo + d]
                    dk[j][lo + d] += ds * q[i][lo + d]
    dwq, dwk, dwv = outer(h1, dq), outer(h1, dk), outer(h1, dv)
    dh1 = [[a + b + c for a, b, c in zip(ra, rb, rc)]
           for ra, rb, rc in zip(times_transposed(dq, wq, C),
                                 times_transposed(dk, wk, C),
                                 times_transposed(dv, wv, C))]
    dxn, dg1 = rmsnorm_backward(xs, g1, dh1)
    dx = [a + b for r, t in zip(dx1, dxn) for a, b in zip(r, t)]
    flat_y = [a for row in y for a in row]
    return [flat_y, dx, dg1, dwq, dwk, dwv, dwo, dg2, dw1, dw2]


def shapes(sizes):
    S, C, H, D, F = (sizes[n] for n in "SCHDF")
    return [[S, C], [C], [C, H, D], [C, H, D], [C, H, D], [H, D, C], [C],
            [C, F], [F, C], [S, C]]


def draw(sizes, rng):
    S, C, H, D, F = (sizes[n] for n in "SCHDF")
    scales = [(1.0, 0.0), (0.1, 1.0)] + [(1 / math.sqrt(C), 0.0)] * 4 + \
        [(0.1, 1.0), (1 / math.sqrt(C), 0.0), (1 / math.sqrt(F), 0.0),
         (1.0, 0.0)]
    return [to_f32([offset + scale * rng.uniform(-1, 1)
                    for _ in range(math.prod(shape))])
            for shape, (scale, offset) in zip(shapes(sizes), scales)]


def finite_differences():
    sizes = dict(S=4, C=4, H=2, D=2, F=6)
    args = draw(sizes, random.Random(1))

    def loss():
        y = training_step(sizes, args)[0]
        return sum(a * b for a, b in zip(y, args[9]))

    gradients = training_step(sizes, args)[1:]
    eps, worst = 1e-6, 0.0
    for which, analytic in enumerate(gradients):
        values = args[which]
        for i, value in enumerate(values):
            values[i] = value + eps
            up = loss()
            values[i] = value - eps
            down = loss()
            values[i] = value
            worst = max(worst, abs((up - down) / (2 * eps) - analytic[i]))
    print("finite differences: max_abs_err=%.1e" % worst)
    if worst > 1e-6:
        sys.exit("the reference's gradients disagree with finite differences")


def main():
    if sys.argv[1:] == ["--finite-differences"]:
        return finite_differences()
    out_dir, seed = sys.argv[1], int(sys.argv[2])
    args = draw(SIZES, random.Random(seed))
    for i, (shape, values) in enumerate(zip(shapes(SIZES), args)):
        write_npy("%s/arg%d.npy" % (out_dir, i), shape, values)
    result_shapes = [shapes(SIZES)[0]] + shapes(SIZES)[:9]
    for i, (shape, values) in enumerate(
            zip(result_shapes, training_step(SIZES, args))):
        write_npy("%s/expected%d.npy" % (out_dir, i), shape, values)


if __name__ == "__main__":
    main()
