#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""RingAttn's training step against its peers' backward, side by side (not
tests; issue 15).

For each shape, on the same random f32 q, k, v and output gradient dout, in
one run, one training step (forward and backward: out, dq, dk, dv):
  * RingAttn: ring-run --grad on N in-process ranks (threads backend),
    contiguous layout like the JAX peer (and zigzag when causal);
  * the paper authors' JAX ring attention (`ringattention` on PyPI)
    differentiated with jax.vjp, on N CPU host devices, shard_map over the
    sequence (its backward is their ring backward);
  * PyTorch scaled_dot_product_attention, forward and .backward(dout), on
    the whole sequence (one device).
Each row gives the step's time, RingAttn's time over the peer's, and the
relative difference ||peer - RingAttn|| / ||RingAttn|| of dq, dk and dv, so
every comparison is also a check of the gradients against code written
elsewhere.

Run through bench/run (which makes the virtual environment); writes
docs/bench/peers-training.md. A peer that cannot be imported is reported as
such.
"""

import json
import os
import subprocess
import sys
import tempfile

import numpy as np

from common import RING_RUN, cpu_name
from peers import (REPEAT, best_of, jax_ring_setup, parse_peer_args, peer,
                   rel_diff, ring_module_and_inputs, to_jax_layout,
                   write_page)


def ringattn_step(tmp, q, k, v, dout, ranks, causal, layout):
    """One training step of ring-run: (best seconds, (dq, dk, dv))."""
    path, inputs = ring_module_and_inputs(tmp, q, k, v, ranks, causal, layout)
    np.save(os.path.join(tmp, "dout.npy"), dout)
    grads = [os.path.join(tmp, n) for n in ("dq.npy", "dk.npy", "dv.npy")]
    stdout = subprocess.run(
        [RING_RUN, path, "--grad", "--inputs", inputs,
         "--dout", os.path.join(tmp, "dout.npy"),
         "--grad-outputs", ",".join(grads), "--json",
         "--repeat", str(REPEAT + 1)],
        check=True, capture_output=True, text=True).stdout
    result = json.loads(stdout.strip().splitlines()[-1])
    return result["best_ms"] / 1e3, tuple(np.load(g) for g in grads)


def jax_ring_step(q, k, v, dout, ranks, causal):
    """The authors' ring attention and its vjp at dout, jitted together."""
    import jax
    attend, (qj, kj, vj) = jax_ring_setup(q, k, v, ranks, causal)
    (doutj,) = to_jax_layout((dout,), qj.sharding)

    @jax.jit
    def step(q, k, v, dout):
        out, vjp = jax.vjp(attend, q, k, v)
        return out, vjp(dout)

    seconds, (_, grads) = best_of(
        lambda: jax.block_until_ready(step(qj, kj, vj, doutj)))
    return seconds, tuple(np.swapaxes(np.asarray(g), 1, 2) for g in grads)


def torch_sdpa_step(q, k, v, dout, causal):
    import torch
    tdout = torch.from_numpy(dout)

    def step():
        tq, tk, tv = (torch.from_numpy(x).requires_grad_() for x in (q, k, v))
        out = torch.nn.functional.scaled_dot_product_attention(
            tq, tk, tv, is_causal=causal)
        out.backward(tdout)
        return tq.grad, tk.grad, tv.grad

    seconds, grads = best_of(step)
    return seconds, tuple(g.numpy() for g in grads)


def main():
    args = parse_peer_args()
    ranks = args.ranks
    shapes = [(2048, 64)] if args.quick else [(2048, 64), (4096, 128)]
    heads = 4
    lines = ["# RingAttn's training step against its peers\n",
             f"Machine: {cpu_name()}, {os.cpu_count()} cores. Command: "
             f"`bench/run peers-training`. f32, batch 1, {heads} heads, one "
             "training step (forward and backward: out, dq, dk, dv from q, "
             f"k, v and dout), N = {ranks} ranks for the ring implementations "
             "(RingAttn: threads backend, `ring-run --grad`; JAX: host "
             "devices, `jax.vjp` of the authors' `ringattention`), one device "
             "for PyTorch (`scaled_dot_product_attention` and `.backward`). "
             f"Times are the best of {REPEAT} runs after a warm-up (which "
             "compiles). `vs RingAttn` is RingAttn's time over the peer's "
             "(below 1: RingAttn is faster); `rel diff dq, dk, dv` is "
             "||peer - RingAttn|| / ||RingAttn|| of each gradient on the same "
             "inputs.\n",
             "PyTorch: its own CPU kernels, all cores. The JAX peer is "
             "`ringattention` 0.1.2 on jax 0.4.31; its non-causal runs use "
             "one causal block spanning the sequence, as in "
             "[peers.md](peers.md).\n"]
    notes = set()
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as tmp:
        for causal in (False, True):
            lines.append(f"## {'Causal' if causal else 'Non-causal'}\n")
            lines.append("| seq | head_dim | implementation | time ms | "
                         "vs RingAttn | rel diff dq, dk, dv |")
            lines.append("|---|---|---|---|---|---|")
            for seq, dim in shapes:
                q, k, v, dout = (
                    rng.uniform(-1, 1, (1, heads, seq, dim)).astype(np.float32)
                    for _ in range(4))
                base_s, base = ringattn_step(tmp, q, k, v, dout, ranks, causal,
                                             "contiguous")
                rows = [("RingAttn (contiguous)", base_s, base)]
                if causal:
                    rows.append(("RingAttn (zigzag)", *ringattn_step(
                        tmp, q, k, v, dout, ranks, causal, "zigzag")))
                for name, fn, fargs in (
                        ("JAX ringattention (jax.vjp)", jax_ring_step,
                         (q, k, v, dout, ranks, causal)),
                        ("PyTorch SDPA backward", torch_sdpa_step,
                         (q, k, v, dout, causal))):
                    result, why = peer(name, fn, *fargs)
                    if why:
                        notes.add(why)
                        continue
                    rows.append((name, *result))
                for name, s, grads in rows:
                    diffs = ", ".join(f"{rel_diff(g, b):.1e}"
                                      for g, b in zip(grads, base))
                    lines.append(f"| {seq} | {dim} | {name} | {s * 1e3:.1f} | "
                                 f"{base_s / s:.2f} | {diffs} |")
                    print(lines[-1], flush=True)
            lines.append("")
    write_page("peers-training.md", lines, notes)


if __name__ == "__main__":
    sys.exit(main())
