# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""A float64 reference for attention written in linalg, without NumPy and
sharing no code with the compiler, so a raised program is checked against
what its source computes, not against ring.attention's own reference.

  sdpa_reference.py inputs DIR SEED HQ HKV SEQ D
      writes DIR/q.npy ([1, HQ, SEQ, D]), DIR/k.npy and DIR/v.npy
      ([1, HKV, SEQ, D]): float32, uniform in [-2, 2)
  sdpa_reference.py check DIR OUT.npy SCALE [causal]
      computes softmax(scale * Q K^T, masked where key > query if causal) V
      with K and V repeated to Q's heads as torch's repeat_interleave does
      (query head h reads head h // (HQ / HKV)); compares OUT.npy with it
"""
import math
import os
import random
import sys


sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "..", "..", "Inputs"))
from float32_npy import read_npy, write_npy  # noqa: E402


def make_inputs(directory, seed, hq, hkv, seq, d):
    rng = random.Random(seed)
    for name, heads in (("q", hq), ("k", hkv), ("v", hkv)):
        shape = (1, heads, seq, d)
        values = [rng.uniform(-2.0, 2.0) for _ in range(math.prod(shape))]
        write_npy(os.path.join(directory, name + ".npy"), shape, values)


def rows(shape, values):
    """values as [head][position] -> list of head_dim floats."""
    _, heads, seq, d = shape
    return [[values[(h * seq + i) * d:(h * seq + i + 1) * d]
             for i in range(seq)] for h in range(heads)]


def attention(q, k, v, scale, causal):
    groups = len(q) // len(k)
    out = []
    for h, queries in enumerate(q):
        keys, vals = k[h // groups], v[h // groups]
        for i, query in enumerate(queries):
            visible = range(i + 1) if causal else range(len(keys))
            scores = [scale * sum(a * b for a, b in zip(query, keys[j]))
                      for j in visible]
            top = max(scores)
            weights = [math.exp(s - top) for s in scores]
            total = sum(weights)
            out.append([sum(w * vals[j][c] for w, j in zip(weights, visible))
                        / total for c in range(len(query))])
    return out


def check(directory, output, scale, causal):
    shapes = {}
    tensors = {}
    for name in ("q", "k", "v"):
        shape, values = read_npy(os.path.join(directory, name + ".npy"))
        shapes[name], tensors[name] = shape, rows(shape, values)
    expected = attention(tensors["q"], tensors["k"], tensors["v"], scale,
                         causal)
    shape, got = read_npy(output)
    if tuple(shape) != tuple(shapes["q"]):
        sys.exit(f"{output}: shape {shape}, expected {shapes['q']}")
    d = shape[3]
    pairs = [(got[r * d + c], row[c]) for r, row in enumerate(expected)
             for c in range(d)]
    error = max(abs(a - b) for a, b in pairs)
    # ||out - ref|| / ||ref||, f32's bound as ring-run --check uses it.
    relative = math.sqrt(sum((a - b) ** 2 for a, b in pairs) /
                         sum(b * b for _, b in pairs))
    passed = relative <= 1e-5
    print(f"reference: max_abs_err={error:.3e} rel_err={relative:.3e} "
          f"tolerance=1.0e-05 {'PASS' if passed else 'FAIL'}")
    return passed


if __name__ == "__main__":
    if sys.argv[1] == "inputs":
        make_inputs(sys.argv[2], *map(int, sys.argv[3:8]))
    elif sys.argv[1] == "check":
        ok = check(sys.argv[2], sys.argv[3], float(sys.argv[4]),
                   len(sys.argv) > 5 and sys.argv[5] == "causal")
        sys.exit(0 if ok else 1)
    else:
        sys.exit(__doc__)
