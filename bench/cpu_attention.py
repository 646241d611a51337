#!/usr/bin/env python3
"""Single-device CPU attention benchmark (issue: blockwise attention on CPU).

Measures, in one run on this machine:
  * RingAttn: ring-run --json on f32 attention, 8 heads, seq in {1024, 4096,
    16384}, head_dim in {64, 128}, non-causal and causal; one thread.
  * the machine's sgemm rate: OpenBLAS, one thread, with the kernel it ran;
  * a plain BLAS attention (QK^T sgemm, softmax, PV sgemm, materializing the
    seq x seq scores), same shapes, one thread;
  * peak memory of RingAttn against the sequence length (1 head, d=128,
    causal), up to seq 65536.

Writes docs/bench/cpu-attention.md and prints the table.
Usage: bench/cpu_attention.py [--quick]
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

from common import ROOT, RING_RUN, cpu_name, write_module

BLAS = os.path.join(ROOT, "build", "bench", "blas-attention")


def sh(cmd, env=None):
    return subprocess.run(cmd, check=True, capture_output=True, text=True,
                          env=env).stdout


def prepare():
    subprocess.run([os.path.join(ROOT, "scripts", "setup.sh")], check=True)
    if not os.path.exists("/usr/include/x86_64-linux-gnu/cblas.h") and \
            not os.path.exists("/usr/include/cblas.h"):
        sudo = [] if os.geteuid() == 0 else ["sudo"]
        subprocess.run(sudo + ["apt-get", "install", "-y", "-q",
                               "libopenblas-dev"], check=True)
    os.makedirs(os.path.dirname(BLAS), exist_ok=True)
    subprocess.run(["c++", "-O3", "-march=native", "-o", BLAS,
                    os.path.join(ROOT, "bench", "blas_attention.cpp"),
                    "-lopenblas"], check=True)


def ring_run(tmp, heads, seq, dim, causal, repeat):
    path = os.path.join(tmp, f"a-{heads}-{seq}-{dim}-{int(causal)}.mlir")
    write_module(path, heads, seq, dim, causal)
    return json.loads(sh([RING_RUN, path, "--json", "--repeat", str(repeat)]))


def blas_env(coretype):
    env = dict(os.environ)
    env["OPENBLAS_NUM_THREADS"] = "1"
    env["OPENBLAS_CORETYPE"] = coretype
    return env


def blas(args, coretype):
    return json.loads(sh([BLAS] + [str(a) for a in args], env=blas_env(coretype)))


def plot_gflops(points, sgemm):
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
    ax.set_title("Single-device f32 attention, 8 heads")
    ax.legend(fontsize=7)
    ax.grid(True, alpha=0.3)
    fig.tight_layout()
    fig.savefig(os.path.join(ROOT, "docs", "bench", "cpu-attention.png"), dpi=110)
    plt.close(fig)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true",
                        help="only seq 1024 and 4096 (no 16384, no 65536)")
    args = parser.parse_args()
    prepare()
    seqs = [1024, 4096] if args.quick else [1024, 4096, 16384]
    heads = 8
    lines = []
    out = lines.append
    with tempfile.TemporaryDirectory() as tmp:
        sgemm = {c: blas(["sgemm", 2048], c) for c in ("SkylakeX", "Haswell")}
        out("# CPU attention benchmark\n")
        out(f"Machine: {cpu_name()}, {os.cpu_count()} cores; one thread for "
            "every number below. Command: `bench/run cpu`.\n")
        out("sgemm 2048^3 (OpenBLAS " + sgemm["SkylakeX"]["config"].split()[1]
            + ", one thread):\n")
        out("| OPENBLAS_CORETYPE | kernel it ran | GFLOP/s |\n|---|---|---|")
        for c, r in sgemm.items():
            out(f"| {c} | {r['kernel']} | {r['gflops']:.1f} |")
        ref = sgemm["SkylakeX"]["gflops"]
        out("\nAttention, f32, batch 1, 8 heads. FLOPs are 4·S·S·D per head "
            "(half when causal: only visible pairs count). The BLAS baseline "
            "uses the SkylakeX kernel and materializes the S×S scores.\n")
        out("| seq | head_dim | causal | RingAttn GFLOP/s | / sgemm | "
            "BLAS attention GFLOP/s | RingAttn / BLAS | RingAttn peak RSS MiB "
            "| BLAS peak RSS MiB |")
        out("|---|---|---|---|---|---|---|---|---|")
        points = {}
        for seq in seqs:
            for dim in (64, 128):
                for causal in (False, True):
                    repeat = 1 if seq >= 16384 else 3
                    r = ring_run(tmp, heads, seq, dim, causal, repeat)
                    b = blas(["attention", 1, heads, seq, dim] +
                             (["causal"] if causal else []), "SkylakeX")
                    out(f"| {seq} | {dim} | {'yes' if causal else 'no'} | "
                        f"{r['gflops']:.1f} | {r['gflops'] / ref:.2f} | "
                        f"{b['gflops']:.1f} | {r['gflops'] / b['gflops']:.2f} | "
                        f"{r['peak_rss_mib']:.0f} | {b['peak_rss_mib']:.0f} |")
                    print(lines[-1], flush=True)
                    key = f"d={dim}{' causal' if causal else ''}"
                    points.setdefault(("RingAttn " + key), []).append((seq, r["gflops"]))
                    points.setdefault(("BLAS attention " + key), []).append((seq, b["gflops"]))
        plot_gflops(points, ref)
        out("\n![GFLOP/s](cpu-attention.png)\n")
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
    with open(os.path.join(ROOT, "docs", "bench", "cpu-attention.md"), "w") as f:
        f.write(text)
    print(text)


if __name__ == "__main__":
    sys.exit(main())
