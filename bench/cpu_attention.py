#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""Single-device CPU attention benchmark (issue: blockwise attention on CPU).

Measures, in one run on this machine:
  * RingAttn: ring-run --json on f32 attention, 8 heads, seq in {1024, 4096,
    16384}, head_dim in {64, 128}, non-causal and causal; bf16 at seq 4096,
    d=128; one thread; kernels tiled for this machine's CPU (the default).
  * the machine's sgemm rate: OpenBLAS, one thread, for each kernel that can
    run here (SkylakeX needs AVX-512), with the kernel it ran; ratios are
    taken against the fastest;
  * a plain BLAS attention (QK^T sgemm, softmax, PV sgemm, materializing the
    seq x seq scores), same shapes, one thread;
  * peak memory of RingAttn against the sequence length (1 head, d=128,
    causal), up to seq 65536.

Writes this machine's section of docs/bench/cpu-attention.md (one section
per vector extension: AVX2, AVX-512; the others are kept) and prints it.
Usage: bench/cpu_attention.py [--quick]
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

from common import (ROOT, RING_RUN, cpu_name, replace_section, vector_isa,
                    write_module)

BLAS = os.path.join(ROOT, "build", "bench", "blas-attention")


def sh(cmd, env=None):
    return subprocess.run(cmd, check=True, capture_output=True, text=True,
                          env=env).stdout


def prepare():
    subprocess.run([os.path.join(ROOT, "scripts", "setup.sh")], check=True)
    # cblas.h alone may come from the reference BLAS (libblas-dev): ask for
    # OpenBLAS itself, the baseline the tables name.
    installed = subprocess.run(
        ["dpkg-query", "-W", "-f=${Status}", "libopenblas-dev"],
        capture_output=True, text=True).stdout
    if "install ok installed" not in installed:
        sudo = [] if os.geteuid() == 0 else ["sudo"]
        subprocess.run(sudo + ["apt-get", "install", "-y", "-q",
                               "libopenblas-dev"], check=True)
    os.makedirs(os.path.dirname(BLAS), exist_ok=True)
    subprocess.run(["c++", "-O3", "-march=native", "-o", BLAS,
                    os.path.join(ROOT, "bench", "blas_attention.cpp"),
                    "-lopenblas"], check=True)


def ring_run(tmp, heads, seq, dim, causal, repeat, dtype="f32"):
    path = os.path.join(tmp, f"a-{heads}-{seq}-{dim}-{int(causal)}-{dtype}.mlir")
    write_module(path, heads, seq, dim, causal, dtype=dtype)
    return json.loads(sh([RING_RUN, path, "--json", "--repeat", str(repeat)]))


def blas_env(coretype):
    env = dict(os.environ)
    env["OPENBLAS_NUM_THREADS"] = "1"
    env["OPENBLAS_CORETYPE"] = coretype
    return env


def blas(args, coretype):
    return json.loads(sh([BLAS] + [str(a) for a in args], env=blas_env(coretype)))


def plot_gflops(points, sgemm, isa):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(7, 4.2))
    for label, pts in points.items():
        ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o",
                linestyle="-" if label.startswith("RingAttn") else ":",
                label=label)
    ax.axhline(sgemm, color="gray", linestyle="--", label="OpenBLAS sgemm")
    ax.set_xscale("log", base=2)
    ax.set_xlabel("sequence length")
    ax.set_ylabel("GFLOP/s, one core")
    ax.set_title(f"Single-device f32 attention, 8 heads ({isa})")
    ax.legend(fontsize=7)
    ax.grid(True, alpha=0.3)
    fig.tight_layout()
    fig.savefig(os.path.join(ROOT, "docs", "bench",
                             f"cpu-attention-{isa.lower()}.png"), dpi=110)
    plt.close(fig)


ROUNDS = 3


def side_by_side(sgemm, attention):
    """Runs `sgemm` and `attention` by turns ROUNDS times; the median sgemm
    rate and the attention result of median rate."""
    rates, results = [], []
    for _ in range(ROUNDS):
        rates.append(sgemm())
        results.append(attention())
    results.sort(key=lambda r: r["gflops"])
    return sorted(rates)[ROUNDS // 2], results[ROUNDS // 2]


def sgemm_kernels(isa):
    """OpenBLAS kernels worth trying here, best first."""
    return ["SkylakeX", "Haswell"] if isa == "AVX-512" else ["Zen", "Haswell"]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true",
                        help="only seq 1024 and 4096 (no 16384, no 65536)")
    args = parser.parse_args()
    prepare()
    # Every measurement runs on one and the same CPU: on a shared virtual
    # machine the two vCPUs ran sgemm at 103 and 130 GFLOP/s side by side.
    cpu = min(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {cpu})
    isa = vector_isa()
    seqs = [1024, 4096] if args.quick else [1024, 4096, 16384]
    heads = 8
    lines = []
    out = lines.append
    with tempfile.TemporaryDirectory() as tmp:
        sgemm = {c: blas(["sgemm", 2048], c) for c in sgemm_kernels(isa)}
        best = max(sgemm, key=lambda c: sgemm[c]["gflops"])
        ref = sgemm[best]["gflops"]
        out(f"Machine: {cpu_name()} ({isa}), {os.cpu_count()} cores; one "
            f"thread, pinned to CPU {cpu}, for every number below. Command: "
            "`bench/run cpu`. "
            "RingAttn's kernels are tiled for this CPU (`ring-run`'s default "
            "target).\n")
        out("sgemm 2048^3 (OpenBLAS " + sgemm[best]["config"].split()[1]
            + ", one thread):\n")
        out("| OPENBLAS_CORETYPE | kernel it ran | GFLOP/s |\n|---|---|---|")
        for c, r in sgemm.items():
            out(f"| {c} | {r['kernel']} | {r['gflops']:.1f} |")
        out(f"\nAttention, batch 1, 8 heads. FLOPs are 4·S·S·D per head "
            "(half when causal: only visible pairs count). Each row runs the "
            f"fastest sgemm kernel above ({best}) and RingAttn by turns, "
            f"{ROUNDS} times, and gives the median of each; `/ sgemm` is "
            "their ratio: on a shared machine the rates drift within a run. "
            "The BLAS baseline uses the "
            f"{best} kernel and materializes the S×S scores.\n")
        out("| dtype | seq | head_dim | causal | RingAttn GFLOP/s | sgemm "
            "GFLOP/s | / sgemm | BLAS attention GFLOP/s | RingAttn / BLAS | "
            "RingAttn peak RSS MiB | BLAS peak RSS MiB |")
        out("|---|---|---|---|---|---|---|---|---|---|---|")
        points = {}
        shapes = [("f32", seq, dim, causal) for seq in seqs
                  for dim in (64, 128) for causal in (False, True)]
        shapes += [("bf16", 4096, 128, False), ("bf16", 4096, 128, True)]
        for dtype, seq, dim, causal in shapes:
            adjacent, r = side_by_side(
                lambda: blas(["sgemm", 2048], best)["gflops"],
                lambda: ring_run(tmp, heads, seq, dim, causal,
                                 1 if seq >= 16384 else 3, dtype))
            b = blas(["attention", 1, heads, seq, dim] +
                     (["causal"] if causal else []), best)
            out(f"| {dtype} | {seq} | {dim} | {'yes' if causal else 'no'} | "
                f"{r['gflops']:.1f} | {adjacent:.1f} | "
                f"{r['gflops'] / adjacent:.2f} | "
                f"{b['gflops']:.1f} | {r['gflops'] / b['gflops']:.2f} | "
                f"{r['peak_rss_mib']:.0f} | {b['peak_rss_mib']:.0f} |")
            print(lines[-1], flush=True)
            if dtype == "f32":
                key = f"d={dim}{' causal' if causal else ''}"
                points.setdefault(("RingAttn " + key), []).append((seq, r["gflops"]))
                points.setdefault(("BLAS attention " + key), []).append((seq, b["gflops"]))
        plot_gflops(points, ref, isa)
        out(f"\n![GFLOP/s](cpu-attention-{isa.lower()}.png)\n")
        out("\nPeak memory of RingAttn against the sequence length (1 head, "
            "d=128, f32, causal). Inputs and output alone are 4·S·128·4 "
            "bytes; the process also holds the JIT and the MLIR context.\n")
        out("| seq | peak RSS MiB | inputs + output MiB | time s |")
        out("|---|---|---|---|")
        for seq in ([4096, 16384] if args.quick else [4096, 16384, 65536]):
            r = ring_run(tmp, 1, seq, 128, True, 1)
            io = 4 * seq * 128 * 4 / 2**20
            out(f"| {seq} | {r['peak_rss_mib']:.0f} | {io:.0f} | "
                f"{r['time_ms'] / 1e3:.2f} |")
            print(lines[-1], flush=True)
    text = "\n".join(lines) + "\n"
    os.makedirs(os.path.join(ROOT, "docs", "bench"), exist_ok=True)
    replace_section(os.path.join(ROOT, "docs", "bench", "cpu-attention.md"),
                    "CPU attention benchmark", "bench/run cpu",
                    f"{isa}: {cpu_name()}", text)
    print(text)


if __name__ == "__main__":
    sys.exit(main())
