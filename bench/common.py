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
                 layout="contiguous", dtype="f32", window_left=None,
                 documents=None, placement=None):
    """An attention entry, batch 1: single-device when `ranks` is None,
    else ring attention over `ranks` ranks holding `local` tokens each; with
    `window_left`, a sliding window of that many tokens back; with
    `documents`, packed documents of up to that many starts (run-time
    data, ring-run --documents); with `placement`, a block placement of
    that many blocks instead of `layout` (ring-run --placement)."""
    t = f"tensor<1x{heads}x{local}x{dim}x{dtype}>"
    ring = f" ring @ring axis 0 layout {layout}" if ranks else ""
    starts = f"tensor<{documents}xi32>" if documents else ""
    blocks = f"tensor<{placement}xi32>" if placement else ""
    if placement:
        ring = " ring @ring axis 0"
    mask = (f" documents(%d : {starts})" if documents else "") + (
        f" placement(%p : {blocks})" if placement else "") + (
        " causal" if causal else "") + (
        f" window_left {window_left}" if window_left is not None else "")
    argument = (f", %d: {starts}" if documents else "") + (
        f", %p: {blocks}" if placement else "")
    with open(path, "w") as f:
        if ranks:
            f.write(f"shard.grid @ring(shape = {ranks})\n")
        f.write(f"func.func @attention(%q: {t}, %k: {t}, %v: {t}{argument})"
                f" -> {t} {{\n"
                f"  %o = ring.attention %q, %k, %v{mask}"
                f"{ring} : {t}, {t}, {t}\n  return %o : {t}\n}}\n")


def replace_section(path, title, command, heading, body):
    """A benchmark page keeps one section per machine kind (vector
    extension): this run rewrites its own `heading` and keeps the others."""
    sections = {}
    if os.path.exists(path):
        text = open(path).read()
        for part in text.split("\n## ")[1:]:
            name = part.split("\n", 1)[0]
            sections[name] = "## " + part.rstrip() + "\n"
    sections[heading] = f"## {heading}\n\n" + body
    order = sorted(sections, key=lambda n: (not n.startswith("AVX2"), n))
    with open(path, "w") as f:
        f.write(f"# {title}\n\nOne section per machine kind, each from one "
                f"run of `{command}` on it. Ratios are taken within a "
                "section.\n\n")
        f.write("\n".join(sections[n] for n in order))
