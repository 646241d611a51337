#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""RingAttn against the systems users already know, side by side (not tests).

For each shape, on the same random f32 inputs and in one run:
  * RingAttn: ring-run on N in-process ranks (threads backend), contiguous
    layout like the peer (and zigzag when causal);
  * the paper authors' JAX ring attention (`ringattention` on PyPI) on N CPU
    host devices (XLA_FLAGS=--xla_force_host_platform_device_count=N),
    shard_map over the sequence;
  * PyTorch scaled_dot_product_attention on the whole sequence (one device);
  * a plain BLAS attention in NumPy (QK^T, softmax, PV; OpenBLAS).
Each row gives the time, RingAttn's time over the peer's, and the relative
difference ||peer - RingAttn|| / ||RingAttn|| of the outputs, so every
comparison is also a correctness check against code written elsewhere.

Run through bench/run (which makes the virtual environment); writes
docs/bench/peers.md. A peer that cannot be imported is reported as such.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

from common import OUT, RING_RUN, cpu_name, write_module

REPEAT = 3


def best_of(fn, repeat=REPEAT):
    """Runs fn once to warm up (compile), then returns (best seconds, result)."""
    result = fn()
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def rel_diff(a, b):
    return float(np.linalg.norm(a.astype(np.float64) - b.astype(np.float64)) /
                 np.linalg.norm(b.astype(np.float64)))


def ring_module_and_inputs(tmp, q, k, v, ranks, causal, layout):
    """A ring-attention module for q's shape and q, k, v saved as .npy in
    `tmp`: the module's path and ring-run's --inputs value."""
    _, h, s, d = q.shape
    path = os.path.join(tmp, f"ring-{ranks}-{s}-{d}-{int(causal)}-{layout}.mlir")
    write_module(path, h, s // ranks, d, causal, ranks, layout)
    names = [os.path.join(tmp, n) for n in ("q.npy", "k.npy", "v.npy")]
    for name, x in zip(names, (q, k, v)):
        np.save(name, x)
    return path, ",".join(names)


def ringattn(tmp, q, k, v, ranks, causal, layout):
    path, inputs = ring_module_and_inputs(tmp, q, k, v, ranks, causal, layout)
    out = os.path.join(tmp, "ringattn-out.npy")
    result = json.loads(subprocess.run(
        [RING_RUN, path, "--inputs", inputs, "--output", out,
         "--json", "--repeat", str(REPEAT + 1)],
        check=True, capture_output=True, text=True).stdout)
    return result["best_ms"] / 1e3, np.load(out)


def jax_ring_setup(q, k, v, ranks, causal):
    """The authors' implementation, as their README wires it up: the ring
    function over [batch, seq, heads, dim] (not jitted, so callers can
    differentiate it), and q, k, v in that layout, sharded over seq."""
    import jax
    import jax.numpy as jnp
    from functools import partial
    from jax.experimental.shard_map import shard_map
    from jax.sharding import Mesh, NamedSharding, PartitionSpec as PS
    from ringattention import ringattention_jax

    local = q.shape[2] // ranks
    chunk = min(512, local)
    mesh = Mesh(np.array(jax.devices()[:ranks]), ("sp",))
    ring = partial(ringattention_jax, axis_name="sp", float32_logits=True,
                   cache_idx=None,
                   blockwise_kwargs=dict(
                       # Non-causal as one causal block spanning the whole
                       # sequence: with None, this jax fails to partition the
                       # unused axis_index ("PartitionId ... not supported").
                       causal_block_size=1 if causal else q.shape[2],
                       deterministic=True, dropout_rng=None, attn_pdrop=0.0,
                       query_chunk_size=chunk, key_chunk_size=chunk,
                       dtype=jnp.float32,
                       policy=jax.checkpoint_policies.nothing_saveable,
                       precision=None, prevent_cse=True))
    # No bias and no segment ids: closed over, not sharded.
    spec = PS(None, "sp", None, None)
    attend = shard_map(lambda q, k, v: ring(q, k, v, None, None),
                       mesh=mesh, in_specs=(spec,) * 3, out_specs=spec,
                       check_rep=False)
    return attend, to_jax_layout((q, k, v), NamedSharding(mesh, spec))


def to_jax_layout(arrays, sharding):
    """[batch, heads, seq, dim] arrays as the authors' [batch, seq, heads,
    dim], sharded over seq."""
    import jax
    return tuple(jax.device_put(np.ascontiguousarray(np.swapaxes(x, 1, 2)),
                                sharding) for x in arrays)


def jax_ring(q, k, v, ranks, causal):
    import jax
    attend, (qj, kj, vj) = jax_ring_setup(q, k, v, ranks, causal)
    run = jax.jit(attend)
    seconds, out = best_of(lambda: run(qj, kj, vj).block_until_ready())
    return seconds, np.swapaxes(np.asarray(out), 1, 2)


def torch_sdpa(q, k, v, causal):
    import torch
    tq, tk, tv = (torch.from_numpy(x) for x in (q, k, v))
    with torch.no_grad():
        seconds, out = best_of(lambda: torch.nn.functional.scaled_dot_product_attention(
            tq, tk, tv, is_causal=causal))
    return seconds, out.numpy()


def numpy_blas(q, k, v, causal):
    def attend():
        d = q.shape[-1]
        s = np.matmul(q, np.swapaxes(k, -1, -2)) / np.float32(np.sqrt(d))
        if causal:
            n = s.shape[-1]
            s = np.where(np.tril(np.ones((n, n), dtype=bool)), s, -np.inf)
        s = np.exp(s - s.max(axis=-1, keepdims=True))
        s /= s.sum(axis=-1, keepdims=True)
        return np.matmul(s, v)
    return best_of(attend)


def blas_kernel():
    try:
        from threadpoolctl import threadpool_info
        return "; ".join(f"{i.get('internal_api')} {i.get('version')} "
                         f"({i.get('architecture')}, {i.get('num_threads')} threads)"
                         for i in threadpool_info() if i.get("user_api") == "blas")
    except ImportError:
        return "unknown (threadpoolctl missing)"


def plot_ratios(ratios):
    """One panel per mask: RingAttn's time over each peer's, per shape."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    names = sorted({name for (_, name) in ratios} - {"RingAttn (contiguous)"})
    colors = {name: f"C{i}" for i, name in enumerate(names)}
    width = 0.8 / max(1, len(names))
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8), sharey=True)
    for ax, causal in zip(axes, (False, True)):
        for i, name in enumerate(names):
            vals = ratios.get((causal, name), [])
            if not vals:
                continue
            ax.bar([j + i * width for j in range(len(vals))],
                   [v for _, v in vals], width, color=colors[name], label=name)
            ax.set_xticks([j + 0.4 - width / 2 for j in range(len(vals))])
            ax.set_xticklabels([shape for shape, _ in vals])
        ax.axhline(1.0, color="gray", linestyle="--")
        ax.set_title("causal" if causal else "non-causal")
        ax.set_xlabel("seq / head_dim")
        ax.legend(fontsize=7)
    axes[0].set_ylabel("RingAttn (contiguous) time / other time")
    fig.tight_layout()
    fig.savefig(os.path.join(OUT, "peers.png"), dpi=110)
    plt.close(fig)


def peer(name, fn, *args):
    try:
        return fn(*args), None
    except ImportError as e:
        return None, f"{name} is not installed here ({e})"


def parse_peer_args():
    """--quick and --ranks N; the JAX peer gets its N host devices (they
    must be set before JAX starts)."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--ranks", type=int, default=4)
    args = parser.parse_args()
    os.environ["XLA_FLAGS"] = (
        os.environ.get("XLA_FLAGS", "") +
        f" --xla_force_host_platform_device_count={args.ranks}")
    return args


def main():
    args = parse_peer_args()
    ranks = args.ranks
    shapes = [(2048, 64), (4096, 128)] if args.quick else \
        [(2048, 64), (4096, 64), (4096, 128), (8192, 128)]
    heads = 4
    lines = ["# RingAttn against its peers\n",
             f"Machine: {cpu_name()}, {os.cpu_count()} cores. Command: "
             f"`bench/run peers`. f32, batch 1, {heads} heads, N = {ranks} "
             "ranks for the ring implementations (RingAttn: threads backend; "
             "JAX: host devices), one device for PyTorch and NumPy. Times are "
             f"the best of {REPEAT} runs after a warm-up (which compiles). "
             "`vs RingAttn` is RingAttn's time over the peer's (below 1: "
             "RingAttn is faster); `rel diff` is ||peer - RingAttn|| / "
             "||RingAttn|| on the same inputs.\n",
             f"NumPy's BLAS: {blas_kernel()}. PyTorch: its own CPU "
             "kernels, all cores. The JAX peer is `ringattention` 0.1.2 on "
             "jax 0.4.31 (the newest its code runs on); its non-causal runs "
             "use one causal block spanning the sequence, since "
             "`causal_block_size=None` fails to compile on this jax.\n"]
    ratios = {}
    notes = set()
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as tmp:
        for causal in (False, True):
            lines.append(f"## {'Causal' if causal else 'Non-causal'}\n")
            lines.append("| seq | head_dim | implementation | time ms | vs RingAttn | rel diff |")
            lines.append("|---|---|---|---|---|---|")
            for seq, dim in shapes:
                q, k, v = (rng.uniform(-1, 1, (1, heads, seq, dim)).astype(np.float32)
                           for _ in range(3))
                base_s, base = ringattn(tmp, q, k, v, ranks, causal, "contiguous")
                rows = [("RingAttn (contiguous)", base_s, base)]
                if causal:
                    s, out = ringattn(tmp, q, k, v, ranks, causal, "zigzag")
                    rows.append(("RingAttn (zigzag)", s, out))
                for name, fn, fargs in (
                        ("JAX ringattention", jax_ring, (q, k, v, ranks, causal)),
                        ("PyTorch SDPA", torch_sdpa, (q, k, v, causal)),
                        ("NumPy BLAS attention", numpy_blas, (q, k, v, causal))):
                    result, why = peer(name, fn, *fargs)
                    if why:
                        notes.add(why)
                        continue
                    rows.append((name, *result))
                for name, s, out in rows:
                    lines.append(f"| {seq} | {dim} | {name} | {s * 1e3:.1f} | "
                                 f"{base_s / s:.2f} | {rel_diff(out, base):.1e} |")
                    ratios.setdefault((causal, name), []).append(
                        (f"{seq}/{dim}", base_s / s))
                    print(lines[-1], flush=True)
            lines.append("")
    plot_ratios(ratios)
    lines.append("![peers](peers.png)\n")
    write_page("peers.md", lines, notes)


def write_page(name, lines, notes):
    """Writes docs/bench/`name`: `lines`, then the peers that did not run."""
    if notes:
        lines.append("## Peers that did not run\n")
        lines.extend(f"- {n}" for n in sorted(notes))
        lines.append("")
    text = "\n".join(lines) + "\n"
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, name), "w") as f:
        f.write(text)
    print(text)


if __name__ == "__main__":
    sys.exit(main())
