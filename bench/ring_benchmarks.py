#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""Ring attention benchmarks on the threads backend (not tests).

  overlap   N=2 (one rank per core), f32, 4 heads, d=128, non-causal, a link
            of LINK_GBPS: ring time over the same schedule with communication
            removed (--no-communication), across block sizes c below and above
            the predicted threshold c* = 2 F / B (f32 K and V: 8 c d bytes per
            head and step against 4 d c^2 FLOPs), with F measured here.
  balance   N=4, causal, f32: busy CPU time per rank, max/mean, for each
            layout, and the ring time against contiguous.
  mpi       ring overhead at N=2 on MPI (two processes) against the threads
            backend and against no communication, same shapes.
  memory    peak memory per rank against the global length for N in
            {1, 2, 4}: what the ranks allocate during the run, per rank, plus
            each rank's share of the operands.

Writes docs/bench/ring.md and PNG plots into docs/bench/.
Usage: bench/ring_benchmarks.py [--quick]
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

from common import OUT, RING_RUN, ROOT, cpu_name, write_module

LINK_GBPS = 8.0


def run(tmp, ranks, local, heads=4, dim=128, causal=False, layout="contiguous",
        extra=(), repeat=3, launcher=()):
    path = os.path.join(tmp, f"r{ranks}-{local}-{heads}-{dim}-{int(causal)}-{layout}.mlir")
    write_module(path, heads, local, dim, causal, ranks, layout)
    out = subprocess.run(list(launcher) + [RING_RUN, path, "--json", "--repeat",
                                           str(repeat)] + list(extra),
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def mpirun(ranks):
    cmd = ["mpirun", "--oversubscribe", "-np", str(ranks)]
    if os.geteuid() == 0:
        cmd.append("--allow-run-as-root")
    return cmd


def plot(path, title, xlabel, ylabel, series, logx=False, vline=None, hline=None):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(6.4, 4.0))
    for label, xs, ys in series:
        ax.plot(xs, ys, marker="o", label=label)
    if logx:
        ax.set_xscale("log", base=2)
    if vline:
        ax.axvline(vline[0], color="gray", linestyle="--", label=vline[1])
    if hline:
        ax.axhline(hline[0], color="gray", linestyle=":", label=hline[1])
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(True, alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def overlap(tmp, quick, out):
    heads, dim = 4, 128
    # F: this machine's block-attention rate on one rank.
    f = run(tmp, 1, 2048, heads, dim)["gflops"] * 1e9
    b = LINK_GBPS * 1e9 / 8
    threshold = 2 * f / b
    sizes = [64, 128, 256, 512, 1024] if quick else [64, 128, 256, 384, 512, 768, 1024, 2048]
    link = ["--link-gbps", str(LINK_GBPS)]
    out("## Overlap: N=2, one rank per core\n")
    out(f"Link model: {LINK_GBPS:g} Gbit/s. F (one rank, seq 2048) = "
        f"{f / 1e9:.1f} GFLOP/s, so the predicted threshold is "
        f"c* = 2F/B = {threshold:.0f} tokens per block (f32 K and V, "
        f"{heads} heads, d={dim}, non-causal).\n")
    out("Times are the best of 9 runs of each (the machine's two cores also "
        "run the copy engines, and noise only adds time).\n")
    out("| block c | comm time per step (model) ms | compute per step ms (at F) | ring ms | no-communication ms | overhead |")
    out("|---|---|---|---|---|---|")
    xs, overheads = [], []
    for c in sizes:
        # Best of 9: the two cores are shared, and noise only adds time.
        ring = run(tmp, 2, c, heads, dim, extra=link, repeat=9)
        none = run(tmp, 2, c, heads, dim, extra=link + ["--no-communication"],
                   repeat=9)
        comm_ms = 8 * c * dim * heads / b * 1e3
        compute_ms = 4 * dim * c * c * heads / f * 1e3
        over = ring["best_ms"] / none["best_ms"] - 1
        xs.append(c)
        overheads.append(100 * over)
        out(f"| {c} | {comm_ms:.3f} | {compute_ms:.3f} | {ring['best_ms']:.3f} | "
            f"{none['best_ms']:.3f} | {100 * over:+.1f}% |")
        print(f"overlap c={c}: {100 * over:+.1f}%", flush=True)
    plot(os.path.join(OUT, "ring-overlap.png"),
         f"Ring overhead at N=2, link {LINK_GBPS:g} Gbit/s",
         "block size c (tokens per rank)", "ring time / no-communication - 1 (%)",
         [("measured", xs, overheads)], logx=True,
         vline=(threshold, f"predicted c* = {threshold:.0f}"),
         hline=(5, "5% target"))
    out("\n![overlap](ring-overlap.png)\n")


def balance(tmp, quick, out):
    local = 512 if quick else 1024
    out("## Causal load balance: N=4\n")
    out(f"f32, 4 heads, d=128, {local} tokens per rank ({4 * local} in all), "
        "causal. Busy time is each rank's thread CPU time inside its compute "
        "spans (4 ranks share 2 cores, so wall time would count waiting for "
        "a core).\n")
    out("| layout | busy CPU ms per rank | max/mean | critical-path speedup over contiguous | ring ms on 2 cores |")
    out("|---|---|---|---|---|")
    results = {}
    for layout in ("contiguous", "zigzag", "striped"):
        results[layout] = run(tmp, 4, local, 4, 128, True, layout)
    base = max(results["contiguous"]["busy_cpu_ms"])
    series = []
    for layout, r in results.items():
        busy = ", ".join(f"{x:.1f}" for x in r["busy_cpu_ms"])
        out(f"| {layout} | {busy} | {r['imbalance']:.3f} | "
            f"{base / max(r['busy_cpu_ms']):.2f}x | {r['time_ms']:.2f} |")
        series.append((layout, list(range(4)), r["busy_cpu_ms"]))
    out("\nThe critical-path speedup is the contiguous layout's busiest rank "
        "over this layout's busiest rank: the speedup with one core per rank. "
        "On this 2-core machine the 4 ranks share the cores, so the wall time "
        "follows the total work instead.")
    plot(os.path.join(OUT, "ring-balance.png"), "Causal ring, N=4: work per rank",
         "rank", "busy CPU ms", series)
    out("\n![balance](ring-balance.png)\n")


def mpi(tmp, quick, out):
    out("## MPI: N=2 processes\n")
    if shutil.which("mpirun") is None:
        out("Not measured: no mpirun on this machine.\n")
        return
    out("f32, 4 heads, d=128, non-causal, two ranks on the two cores. MPI "
        "moves the blocks with MPI_Isend/MPI_Irecv between processes (OpenMPI "
        "shared memory); threads with the copy engines at memcpy speed (no "
        "link model); no-communication is the threads schedule with nothing "
        "moved. Best of 9 runs each.\n")
    out("| block c | MPI ms | threads ms | no-communication ms | MPI / no-comm | threads / no-comm | busy CPU ms per rank, MPI / threads |")
    out("|---|---|---|---|---|---|---|")
    for c in ([256, 1024] if quick else [256, 512, 1024, 2048]):
        m = run(tmp, 2, c, extra=["--backend", "mpi"], repeat=9,
                launcher=mpirun(2))
        t = run(tmp, 2, c, repeat=9)
        n = run(tmp, 2, c, extra=["--no-communication"], repeat=9)
        out(f"| {c} | {m['best_ms']:.3f} | {t['best_ms']:.3f} | "
            f"{n['best_ms']:.3f} | {m['best_ms'] / n['best_ms']:.3f} | "
            f"{t['best_ms'] / n['best_ms']:.3f} | "
            f"{max(m['busy_cpu_ms']):.1f} / {max(t['busy_cpu_ms']):.1f} |")
        print(f"mpi c={c}: {m['best_ms']:.3f} vs {n['best_ms']:.3f}", flush=True)
    out("\nThe last column separates the two costs of MPI here: the compute "
        "itself runs a few percent slower in the MPI processes (they share "
        "the two cores with mpirun and OpenMPI's progress), and the rest is "
        "transfer time the progress thread did not hide.\n")


def memory(tmp, quick, out):
    lengths = [4096, 8192, 16384] if quick else [4096, 8192, 16384, 32768]
    out("## Memory per rank against the global length\n")
    out("f32, 1 head, d=128, causal, zigzag. `run MiB` is what the process "
        "allocated while the ranks ran (peak RSS after minus RSS before), "
        "divided by N; `operands MiB` is each rank's share of q, k, v and "
        "out. Both follow seq/N.\n")
    out("| N | global seq | run MiB per rank | operands MiB per rank | total per rank |")
    out("|---|---|---|---|---|")
    series = []
    for ranks in (1, 2, 4):
        xs, ys = [], []
        for seq in lengths:
            r = run(tmp, ranks, seq // ranks, 1, 128, True, "zigzag", repeat=1)
            operands = 4 * (seq // ranks) * 128 * 4 / 2**20
            per_rank = r["run_rss_mib"] / ranks + operands
            xs.append(seq)
            ys.append(per_rank)
            out(f"| {ranks} | {seq} | {r['run_rss_mib'] / ranks:.1f} | "
                f"{operands:.1f} | {per_rank:.1f} |")
            print(f"memory N={ranks} seq={seq}: {per_rank:.1f} MiB", flush=True)
        series.append((f"N={ranks}", xs, ys))
    plot(os.path.join(OUT, "ring-memory.png"), "Memory per rank",
         "global sequence length", "MiB per rank", series, logx=True)
    out("\n![memory](ring-memory.png)\n")


def trace(tmp, quick, out):
    """A 4-rank run with a slow link, drawn from its Chrome trace."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    path = os.path.join(tmp, "trace.json")
    local = 256 if quick else 512
    r = run(tmp, 4, local, 4, 128, True, "zigzag",
            extra=["--link-gbps", "4", "--trace", path], repeat=1)
    events = [e for e in json.load(open(path))["traceEvents"] if e["ph"] == "X"]
    fig, ax = plt.subplots(figsize=(8, 3.4))
    for e in events:
        compute = e["tid"] < 1000
        rank = e["tid"] if compute else e["tid"] - 1000
        row = 2 * rank + (0 if compute else 1)
        ax.broken_barh([(e["ts"] / 1e3, e["dur"] / 1e3)], (row - 0.4, 0.8),
                       color="tab:blue" if compute else "tab:orange")
    ax.set_yticks(range(8))
    ax.set_yticklabels([f"rank {r // 2} " + ("compute" if r % 2 == 0 else "send")
                        for r in range(8)])
    ax.invert_yaxis()
    ax.set_xlabel("ms")
    ax.set_title(f"4 ranks, causal zigzag, {local} tokens per rank, link 4 Gbit/s")
    fig.tight_layout()
    fig.savefig(os.path.join(OUT, "ring-trace.png"), dpi=110)
    plt.close(fig)
    out("## A 4-rank trace\n")
    out(f"`ring-run --ranks 4 --link-gbps 4 --trace trace.json` (f32, 4 heads, "
        f"d=128, {local} tokens per rank, causal, zigzag), drawn from the Chrome "
        f"trace: each rank's sends (its copy engine) run while it computes. "
        f"Ring time {r['time_ms']:.1f} ms. Open such a file in Perfetto for the "
        "interactive view.\n")
    out("![trace](ring-trace.png)\n")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", choices=["overlap", "balance", "mpi",
                                           "memory", "trace"])
    args = parser.parse_args()
    subprocess.run([os.path.join(ROOT, "scripts", "setup.sh")], check=True)
    os.makedirs(OUT, exist_ok=True)
    lines = []

    def out(line):
        lines.append(line)

    out("# Ring attention benchmarks (threads backend)\n")
    out(f"Machine: {cpu_name()}, {os.cpu_count()} cores. Command: "
        "`bench/run ring` (or `bench/ring_benchmarks.py`). Kernels: RingAttn's "
        "own CPU block kernel (ring-lower-cpu); transfers by the runtime's "
        "copy engines under the link model.\n")
    with tempfile.TemporaryDirectory() as tmp:
        for name, section in (("overlap", overlap), ("balance", balance),
                              ("mpi", mpi), ("memory", memory),
                              ("trace", trace)):
            if args.only in (None, name):
                section(tmp, args.quick, out)
    text = "\n".join(lines) + "\n"
    # A single section is printed, not written over the full page.
    if args.only is None:
        with open(os.path.join(OUT, "ring.md"), "w") as f:
            f.write(text)
    print(text)


if __name__ == "__main__":
    sys.exit(main())
