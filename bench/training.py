#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""Training-step benchmark (issue 15: the backward over the ring).

Measures, in one run on this machine, side by side:
  * one device, f32, head_dim 128, 4 heads, seq in {1024, 4096}, causal or
    not: the forward (ring-run --json) and the training step (ring-run
    --grad --json) of the same module; the backward is the step less the
    forward. Reports backward / forward time (the backward does 2.5 times
    the forward's multiply-adds) and the backward's GFLOP/s over this
    machine's single-thread sgemm (OpenBLAS, fastest kernel that runs here,
    named);
  * 4 in-process ranks (threads), causal zigzag, bf16, global seq 4096:
    forward and training step wall time and peak RSS, with the gradients
    checked against the float64 reference;
  * the overlap of the training step at N=2 under the link model against
    the same run with memory copies for transfers, across block sizes;
  * memory per rank of the training step against the global length, N=1,
    2 and 4.

Writes this machine's section of docs/bench/training.md and
docs/bench/training-<isa>.png, and prints the section.
Usage: bench/training.py [--quick]
"""

import argparse
import json
import os
import subprocess
import tempfile

from common import (OUT, RING_RUN, cpu_name, replace_section, vector_isa,
                    write_module)
from cpu_attention import blas, prepare, sgemm_kernels
from ring_benchmarks import LINK_GBPS
from ring_benchmarks import run as ring_bench_run

HEADS, DIM = 4, 128


def ring_run(path, *flags):
    out = subprocess.run([RING_RUN, path, "--json", *flags], check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def forward_flops(seq, causal):
    pairs = 0.5 * seq * (seq + 1) if causal else seq * seq
    return 4.0 * HEADS * pairs * DIM


def plot(rows, isa):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    labels = [f"{r['seq']}{' causal' if r['causal'] else ''}" for r in rows]
    x = range(len(rows))
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.bar([i - 0.2 for i in x], [r["forward_ms"] for r in rows], 0.4,
           label="forward")
    ax.bar([i + 0.2 for i in x], [r["backward_ms"] for r in rows], 0.4,
           label="backward")
    for i, r in enumerate(rows):
        ax.annotate(f"{r['ratio']:.2f}x", (i + 0.2, r["backward_ms"]),
                    ha="center", va="bottom", fontsize=8)
    ax.set_xticks(list(x))
    ax.set_xticklabels(labels)
    ax.set_ylabel("ms, one core")
    ax.set_title(f"Forward and backward, f32, {HEADS} heads, d={DIM} ({isa})")
    ax.legend()
    ax.grid(True, axis="y", alpha=0.3)
    fig.tight_layout()
    fig.savefig(os.path.join(OUT, f"training-{isa.lower()}.png"), dpi=110)
    plt.close(fig)


def backward_overlap(tmp, quick, out):
    """The training step on N=2 ranks under the link model against the same
    run whose transfers are plain memory copies: the K/V blocks and the
    dK/dV partial sums must travel while the ranks compute. (Not against
    --no-communication as the forward's page does: there the partial sums
    are never written, and adding the uninitialized buffers made the
    training step 10-30% slower than with communication.)"""
    heads, dim = 4, 128
    link = ["--grad", "--link-gbps", str(LINK_GBPS)]
    # The training step's rate on one rank (3.5 forward FLOPs per pair).
    f = ring_bench_run(tmp, 1, 2048, heads, dim,
                       extra=["--grad"])["gflops"] * 1e9
    b = LINK_GBPS * 1e9 / 8
    out(f"\nOverlap of the training step: N=2 ranks, f32, {heads} heads, "
        f"d={dim}, non-causal, link model {LINK_GBPS:g} Gbit/s. Each step "
        "sends K and V and receives the dK/dV partial sums of the block "
        "before (f32): 16·c·d·heads bytes, twice the forward's. One rank's "
        f"training step runs at {f / 1e9:.1f} GFLOP/s here. The baseline "
        "is the same run without the link model, its transfers plain memory "
        "copies; `overhead` is what the modelled link adds to it. Best of 9 "
        "runs of each (noise only adds time).\n")
    out("| block c | comm per step (model) ms | compute per step ms (at that "
        "rate) | training step ms | with memory copies ms | overhead |")
    out("|---|---|---|---|---|---|")
    for c in ([128, 512] if quick else [128, 256, 512, 1024, 2048]):
        ring = ring_bench_run(tmp, 2, c, heads, dim, extra=link, repeat=9)
        copies = ring_bench_run(tmp, 2, c, heads, dim, extra=["--grad"],
                                repeat=9)
        comm_ms = 16 * c * dim * heads / b * 1e3
        compute_ms = 3.5 * 4 * dim * c * c * heads / f * 1e3
        over = ring["best_ms"] / copies["best_ms"] - 1
        out(f"| {c} | {comm_ms:.3f} | {compute_ms:.3f} | "
            f"{ring['best_ms']:.3f} | {copies['best_ms']:.3f} | "
            f"{100 * over:+.1f}% |")
        print(f"backward overlap c={c}: {100 * over:+.1f}%", flush=True)


def training_memory(tmp, quick, out):
    """Memory per rank of the training step against the global length."""
    lengths = [4096, 8192] if quick else [4096, 8192, 16384, 32768]
    out("\nMemory per rank of the training step against the global length: "
        "f32, 1 head, d=128, causal, zigzag. `run MiB` is what the process "
        "allocated while the ranks ran (peak RSS after minus RSS before), "
        "divided by N; `operands MiB` is each rank's share of q, k, v, dout, "
        "out, dq, dk and dv. Both should follow seq/N.\n")
    out("| N | global seq | run MiB per rank | operands MiB per rank | "
        "total per rank |")
    out("|---|---|---|---|---|")
    for ranks in (1, 2, 4):
        for seq in lengths:
            r = ring_bench_run(tmp, ranks, seq // ranks, 1, 128, True,
                               "zigzag", extra=["--grad"], repeat=1)
            operands = 8 * (seq // ranks) * 128 * 4 / 2**20
            run_mib = r["run_rss_mib"] / ranks
            out(f"| {ranks} | {seq} | {run_mib:.1f} | {operands:.1f} | "
                f"{run_mib + operands:.1f} |")
            print(f"training memory N={ranks} seq={seq}: "
                  f"{run_mib + operands:.1f} MiB", flush=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true",
                        help="seq 1024 only, one repeat")
    args = parser.parse_args()
    prepare()
    isa = vector_isa()
    repeat = "1" if args.quick else "3"
    seqs = [1024] if args.quick else [1024, 4096]
    lines = []
    out = lines.append
    sgemm = {c: blas(["sgemm", 2048], c) for c in sgemm_kernels(isa)}
    best = max(sgemm, key=lambda c: sgemm[c]["gflops"])
    ref = sgemm[best]["gflops"]
    out(f"{cpu_name()}, {os.cpu_count()} cores. sgemm 2048^3, one thread: "
        f"{ref:.1f} GFLOP/s (OpenBLAS {best} kernel, the fastest of "
        f"{', '.join(sgemm)}).\n")
    out("One device, f32, batch 1, " f"{HEADS} heads, head_dim {DIM}, one "
        "thread, kernels tiled for this CPU. Median of "
        f"{repeat} runs each; the backward is the training step less the "
        "forward; its GFLOP/s count 2.5 times the forward's FLOPs (five "
        "products against two).\n")
    out("| seq | causal | forward ms | training step ms | backward ms | "
        "backward / forward | backward GFLOP/s | / sgemm |")
    out("|---|---|---|---|---|---|---|---|")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for seq in seqs:
            for causal in (False, True):
                path = os.path.join(tmp, f"one-{seq}-{int(causal)}.mlir")
                write_module(path, HEADS, seq, DIM, causal)
                fwd = ring_run(path, "--repeat", repeat)["time_ms"]
                step = ring_run(path, "--grad", "--repeat", repeat)["time_ms"]
                bwd = step - fwd
                gflops = 2.5 * forward_flops(seq, causal) / (bwd * 1e-3) * 1e-9
                row = dict(seq=seq, causal=causal, forward_ms=fwd,
                           backward_ms=bwd, ratio=bwd / fwd)
                rows.append(row)
                out(f"| {seq} | {'yes' if causal else 'no'} | {fwd:.1f} | "
                    f"{step:.1f} | {bwd:.1f} | {bwd / fwd:.2f} | "
                    f"{gflops:.1f} | {gflops / ref:.2f} |")
        out("\nFour in-process ranks (threads, sharing this machine's cores), "
            "causal zigzag, bf16, 8 query heads over 2 key/value heads, "
            "head_dim 128, global seq 4096 (1024 per rank), `--check` "
            "against float64:\n")
        out("| run | wall ms | peak RSS MiB | rel err (out, dq, dk, dv) |")
        out("|---|---|---|---|")
        path = os.path.join(tmp, "ring.mlir")
        q, kv = "tensor<1x8x1024x128xbf16>", "tensor<1x2x1024x128xbf16>"
        with open(path, "w") as f:
            f.write("shard.grid @ring(shape = 4)\n"
                    f"func.func @attention(%q: {q}, %k: {kv}, %v: {kv}) -> "
                    f"{q} {{\n  %o = ring.attention %q, %k, %v causal ring "
                    f"@ring axis 0 layout zigzag : {q}, {kv}, {kv}\n"
                    f"  return %o : {q}\n}}\n")
        for name, flags in (("forward", []), ("training step", ["--grad"])):
            r = ring_run(path, "--check", "--repeat", repeat, *flags)
            errs = [r["rel_err"]] + [r.get(f"{g}_rel_err", 0)
                                     for g in ("dq", "dk", "dv")
                                     if f"{g}_rel_err" in r]
            out(f"| {name} | {r['time_ms']:.1f} | {r['peak_rss_mib']:.1f} | "
                f"{', '.join(f'{e:.2e}' for e in errs)} |")
        backward_overlap(tmp, args.quick, out)
        training_memory(tmp, args.quick, out)
    plot(rows, isa)
    out(f"\n![forward and backward](training-{isa.lower()}.png)\n")
    body = "\n".join(lines) + "\n"
    replace_section(os.path.join(OUT, "training.md"),
                    "Training-step benchmark", "bench/run training",
                    f"{isa} ({cpu_name()})", body)
    print(body)


if __name__ == "__main__":
    main()
