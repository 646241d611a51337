# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""What the benchmark scripts share: paths, the machine, and modules."""

import os
import platform

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RING_RUN = os.path.join(ROOT, "build", "bin", "ring-run")
OUT = os.path.join(ROOT, "docs", "bench")


def cpu_name():
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor()


def vector_isa():
    """The widest x86 vector extension of this machine: the CPU kernels and
    the BLAS baselines differ by it."""
    flags = set()
    for line in open("/proc/cpuinfo"):
        if line.startswith("flags"):
            flags = set(line.split(":", 1)[1].split())
            break
    if "avx512f" in flags:
        return "AVX-512"
    return "AVX2" if "avx2" in flags else "SSE"


def write_module(path, heads, local, dim, causal, ranks=None,
                 layout="contiguous", dtype="f32"):
    """An attention entry, batch 1: single-device when `ranks` is None,
    else ring attention over `ranks` ranks holding `local` tokens each."""
    t = f"tensor<1x{heads}x{local}x{dim}x{dtype}>"
    ring = f" ring @ring axis 0 layout {layout}" if ranks else ""
    with open(path, "w") as f:
        if ranks:
            f.write(f"shard.grid @ring(shape = {ranks})\n")
        f.write(f"func.func @attention(%q: {t}, %k: {t}, %v: {t}) -> {t} {{\n"
                f"  %o = ring.attention %q, %k, %v{' causal' if causal else ''}"
                f"{ring} : {t}, {t}, {t}\n  return %o : {t}\n}}\n")
