#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""The paper's headline on this machine: how long a sequence one layer
runs on within a fixed memory budget per rank (not a test).

The layer is examples/layer.mlir (pre-norm: RMSNorm, Q/K/V projections,
causal attention, output projection, SiLU MLP, residuals), resized to
width C, H heads of D, hidden F, and S tokens, f32. Four ways to run it:

  (a) plain       attention as written (S x S scores) and the MLP whole
  (b) blockwise attention     ring-raise-attention, the MLP whole
  (c) blockwise attention + feedforward   ring-partition-model on 1 rank
  (d) ring N      ring-partition-model on N = 2, 4, 8 ranks

Each rank is an MPI process whose address space is capped (ulimit -v) at
the budget: what the smallest run of the same pipeline needs (JIT, MPI,
code) plus BUDGET_MIB. The root process also holds the whole input and
output it scatters and gathers, and the other ranks' parts of them; its
cap is raised by exactly their size. glibc's malloc is told to map every
buffer of 64 KiB or more on its own (one arena, a fixed mmap threshold),
so the cap counts buffers, not the slack of arenas a small run reserved.
The largest S (a multiple of 64 N) that runs under the cap is found by
doubling, then bisection.

It also times the layer's forward, and its training step
(examples/layer_grad.mlir), on N = 1, 2, 4 ranks (threads backend)
against the same layer in PyTorch in one process, side by side.

Writes its sections of docs/bench/context.md.
Usage: bench/context.py [--quick] [--only memory|throughput|training]
"""

import argparse
import json
import math
import os
import re
import subprocess
import sys
import tempfile
import time

from common import OUT, ROOT, cpu_name, replace_section, vector_isa

RING_OPT = os.path.join(ROOT, "build", "bin", "ring-opt")
RING_RUN = os.path.join(ROOT, "build", "bin", "ring-run")
EXAMPLE = os.path.join(ROOT, "examples", "layer.mlir")
TRAINING_EXAMPLE = os.path.join(ROOT, "examples", "layer_grad.mlir")
# examples/layer.mlir's sizes, each a distinct number in its tensor types.
EXAMPLE_DIMS = {"S": 64, "C": 32, "H": 2, "D": 16, "F": 96}
C, H, D, F = 64, 2, 32, 256
BUDGET_MIB = 16
# glibc's malloc otherwise reserves 64 MiB arenas per thread and raises its
# mmap threshold as buffers are freed, so a large buffer could land in
# address space a small run had already reserved: one arena, and every
# buffer of 64 KiB or more its own mapping, make the cap count buffers.
EXACT_ENV = dict(os.environ, MALLOC_ARENA_MAX="1",
                 MALLOC_MMAP_THRESHOLD_="65536")
BLOCK = 256
THROUGHPUT_TOKENS = 4096

ONE_DEVICE = ["plain", "blockwise attention",
              "blockwise attention + feedforward"]
# One device: the layer without its shard annotations (tensors a grid of
# one would gather whole anyway), its ABI written out. The ring: the
# annotated layer through ring-partition-model.
PIPELINES = {
    "plain": "builtin.module()",
    "blockwise attention": "builtin.module(ring-raise-attention)",
    "blockwise attention + feedforward":
        "builtin.module(ring-raise-attention,func.func("
        f"ring-blockwise-feedforward{{block-size={BLOCK}}}))",
    "ring": f"builtin.module(ring-partition-model{{block-size={BLOCK}}})",
}

# linalg.softmax as upstream decomposes it, for the plain layer: it runs
# as written (ring-lower-cpu lowers linalg to loops, not linalg.softmax).
# In the example's sizes, resized with the rest.
SOFTMAX_EXPANDED = """\
  %re = tensor.empty() : tensor<1x2x64xf32>
  %nan = arith.constant 0xFFC00000 : f32
  %mz = linalg.fill ins(%nan : f32) outs(%re : tensor<1x2x64xf32>) -> tensor<1x2x64xf32>
  %mx = linalg.generic {indexing_maps = [#id, #rowmax], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%masked : tensor<1x2x64x64xf32>) outs(%mz : tensor<1x2x64xf32>) {
  ^bb0(%a: f32, %out: f32):
    %y = arith.maxnumf %a, %out : f32
    linalg.yield %y : f32
  } -> tensor<1x2x64xf32>
  %ex = linalg.generic {indexing_maps = [#id, #rowmax, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%masked, %mx : tensor<1x2x64x64xf32>, tensor<1x2x64xf32>) outs(%pe : tensor<1x2x64x64xf32>) {
  ^bb0(%a: f32, %m: f32, %out: f32):
    %d = arith.subf %a, %m : f32
    %y = math.exp %d : f32
    linalg.yield %y : f32
  } -> tensor<1x2x64x64xf32>
  %smz = linalg.fill ins(%zero : f32) outs(%re : tensor<1x2x64xf32>) -> tensor<1x2x64xf32>
  %sm = linalg.generic {indexing_maps = [#id, #rowmax], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%ex : tensor<1x2x64x64xf32>) outs(%smz : tensor<1x2x64xf32>) {
  ^bb0(%a: f32, %out: f32):
    %y = arith.addf %a, %out : f32
    linalg.yield %y : f32
  } -> tensor<1x2x64xf32>
  %pr = linalg.generic {indexing_maps = [#id, #rowmax, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%ex, %sm : tensor<1x2x64x64xf32>, tensor<1x2x64xf32>) outs(%pe : tensor<1x2x64x64xf32>) {
  ^bb0(%a: f32, %t: f32, %out: f32):
    %y = arith.divf %a, %t : f32
    linalg.yield %y : f32
  } -> tensor<1x2x64x64xf32>
"""


def one_device(text, tokens):
    """The layer without shard annotations, with the ring.sharded_abi that
    ring-describe-sharded-entries records for one rank."""
    text = "\n".join(line for line in text.split("\n")
                     if "shard." not in line)
    text = re.sub(r"%xs\b", "%x", text)
    text = text.replace("return %ys :", "return %y :")
    types = [f"tensor<{tokens}x{C}xf32>", f"tensor<{C}xf32>"] + \
        [f"tensor<{C}x{H}x{D}xf32>"] * 3 + [f"tensor<{H}x{D}x{C}xf32>",
                                           f"tensor<{C}xf32>",
                                           f"tensor<{C}x{F}xf32>",
                                           f"tensor<{F}x{C}xf32>"]
    abi = ("attributes {llvm.emit_c_interface, ring.sharded_abi = {"
           f"ranks = 1 : i64, arguments = [{', '.join(types)}], "
           f"argument_splits = array<i64: {', '.join(['-1'] * len(types))}>, "
           f"results = [{types[0]}], result_splits = array<i64: -1>}}}} {{")
    return re.sub(r"(func\.func @layer\([^{]*?\) -> tensor<[0-9x]+f32>) \{",
                  lambda m: m.group(1) + " " + abi, text, flags=re.S)


def resized(text, tokens):
    """An example's tensor types and constants at this size."""
    new = {"S": tokens, "C": C, "H": H, "D": D, "F": F}
    by_value = {str(v): str(new[k]) for k, v in EXAMPLE_DIMS.items()}
    by_value["1"] = "1"

    def resize(match):
        dims = match.group(1).rstrip("x").split("x")
        return "tensor<" + "x".join(by_value[d] for d in dims) + "xf32>"

    text = re.sub(r"tensor<((?:\d+x)+)f32>", resize, text)
    text = text.replace("arith.constant 0.03125 : f32",
                        f"arith.constant {1 / C!r} : f32")
    return text.replace("arith.constant 0.25 : f32",
                        f"arith.constant {1 / math.sqrt(D)!r} : f32")


def layer_text(tokens, ranks, expand_softmax):
    """examples/layer.mlir at this size, on `ranks` ranks (annotated), or
    on one device (not)."""
    text = open(EXAMPLE).read()
    if expand_softmax:
        softmax = re.search(r"^  %pr = linalg\.softmax.*\n", text, re.M)
        text = (text[:softmax.start()] + SOFTMAX_EXPANDED
                + text[softmax.end():])
        text = text.replace(
            "#id = ", "#rowmax = affine_map<(b, h, i, j) -> (b, h, i)>\n#id = ")
    text = resized(text, tokens).replace("shape = 2)", f"shape = {ranks})")
    return text if ranks > 1 else one_device(text, tokens)


def compile_layer(tmp, way, tokens, ranks):
    source = os.path.join(tmp, "layer.mlir")
    with open(source, "w") as f:
        f.write(layer_text(tokens, ranks, way == "plain"))
    ring = os.path.join(tmp, f"{way.replace(' ', '-')}-{ranks}.mlir")
    pipeline = PIPELINES["ring" if ranks > 1 else way]
    subprocess.run([RING_OPT, source, f"--pass-pipeline={pipeline}",
                    "-o", ring], check=True)
    return ring


def host_staging_kib(tokens, ranks):
    """What ring-run's root holds beyond its own rank's operands: the whole
    arguments and result it reads, scatters and gathers, and the other
    ranks' parts of them (x and the result split, the weights whole)."""
    weights = C + 3 * C * H * D + H * D * C + C + C * F + F * C
    whole = 2 * tokens * C + weights
    others = (ranks - 1) * (2 * tokens // ranks * C + weights)
    return 4 * (whole + others) // 1024 + 1


def runs_within(tmp, way, tokens, ranks, cap_kib):
    """Whether the layer on `tokens` runs on `ranks` MPI processes, each
    capped at `cap_kib` of address space (the root more, by its host
    staging)."""
    ring = compile_layer(tmp, way, tokens, ranks)
    script = ('cap=$1; [ "$OMPI_COMM_WORLD_RANK" = 0 ] && cap=$((cap + $2)); '
              'ulimit -v $cap && exec "$3" "$4" --backend mpi --seed 1 '
              '--timeout-s 600')
    cmd = ["mpirun", "--oversubscribe", "-np", str(ranks), "sh", "-c",
           script, "cap", str(cap_kib), str(host_staging_kib(tokens, ranks)),
           RING_RUN, ring]
    result = subprocess.run(cmd, capture_output=True, text=True, env=EXACT_ENV)
    return result.returncode == 0


def smallest_cap(tmp, way, ranks):
    """The address space (KiB) the smallest run of `way` needs: JIT, MPI
    and code, what every size pays."""
    lo, hi = 64 * 1024, 4 * 1024 * 1024
    while hi - lo > 4 * 1024:
        mid = (lo + hi) // 2
        if runs_within(tmp, way, 64 * ranks, ranks, mid):
            hi = mid
        else:
            lo = mid
    return hi


def longest(tmp, way, ranks, cap_kib):
    step = 64 * ranks
    good = step
    bad = None
    while bad is None:
        if runs_within(tmp, way, 2 * good, ranks, cap_kib):
            good *= 2
        else:
            bad = 2 * good
    while bad - good > step:
        mid = (good + bad) // 2 // step * step
        if mid in (good, bad):
            break
        if runs_within(tmp, way, mid, ranks, cap_kib):
            good = mid
        else:
            bad = mid
    return good


def plot(path, rows):
    """The longest sequence of each way, the ring's against N."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(6.4, 4.0))
    ring = [(ranks, tokens) for way, ranks, _, tokens in rows
            if way.startswith("ring")]
    one = rows[2][3]
    ax.plot([1] + [r for r, _ in ring], [one] + [t for _, t in ring],
            marker="o", label="blockwise attention + feedforward, ring of N")
    ax.plot([1] + [r for r, _ in ring], [one * r for r in [1] +
                                         [r for r, _ in ring]],
            linestyle="--", color="gray", label="linear in N")
    for (way, _, _, tokens), marker in zip(rows[:2], "sv"):
        ax.plot([1], [tokens], marker=marker, linestyle="", label=way)
    ax.set_xscale("log", base=2)
    ax.set_yscale("log", base=2)
    ax.set_title(f"Longest sequence, {BUDGET_MIB} MiB per rank")
    ax.set_xlabel("ranks")
    ax.set_ylabel("tokens")
    ax.grid(True, alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def memory_section(quick):
    """The longest sequence of each way within the budget."""
    ring_sizes = [2, 4] if quick else [2, 4, 8]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for way in ONE_DEVICE:
            base = smallest_cap(tmp, way, 1)
            cap = base + BUDGET_MIB * 1024
            rows.append((way, 1, base, longest(tmp, way, 1, cap)))
            print(rows[-1], flush=True)
        for ranks in ring_sizes:
            way = f"ring of {ranks}"
            base = smallest_cap(tmp, way, ranks)
            cap = base + BUDGET_MIB * 1024
            rows.append((way, ranks, base, longest(tmp, way, ranks, cap)))
            print(rows[-1], flush=True)
    plain, one = rows[0][3], rows[2][3]
    ring = [(ranks, tokens) for way, ranks, _, tokens in rows[3:]]
    per_rank = ", ".join(f"{tokens // ranks}" for ranks, tokens in ring)
    body = (f"CPU: {cpu_name()}. The layer of examples/layer.mlir at width "
            f"{C}, {H} heads of {D}, hidden {F}, f32, causal; blocks of "
            f"{BLOCK} tokens for the feedforward. Budget per rank: "
            f"{BUDGET_MIB} MiB of address space beyond what the smallest "
            "run of the same pipeline needs (its baseline, below), enforced "
            "with `ulimit -v` on every MPI process (the root's cap is "
            "raised by exactly what ring-run stages on it: the whole input, "
            "weights and output it scatters and gathers, and the other "
            "ranks' parts of them), with glibc's malloc mapping every "
            "buffer of 64 KiB or more on its own (`MALLOC_ARENA_MAX=1 "
            "MALLOC_MMAP_THRESHOLD_=65536`). Longest sequence: doubling, "
            "then bisection, in steps of 64 tokens per rank.\n\n"
            "| way | ranks | baseline (MiB) | longest sequence | vs plain |\n"
            "|---|---:|---:|---:|---:|\n")
    for way, ranks, base, tokens in rows:
        body += (f"| {way} | {ranks} | {base / 1024:.0f} | {tokens} | "
                 f"{tokens / plain:.1f}x |\n")
    body += (f"\nBlockwise attention and feedforward hold {one / plain:.1f}x "
             "the plain layer's sequence (target: 4x); blockwise attention "
             f"alone {rows[1][3] / plain:.1f}x, the MLP's `seq x {F}` hidden "
             "activation then being the largest buffer. On the ring each "
             f"rank holds {per_rank} tokens of the sequence for N = "
             f"{', '.join(str(r) for r, _ in ring)}: the longest sequence "
             "grows with N, about linearly from N = 2, but a rank of the "
             "ring holds fewer tokens than one device alone: it also keeps "
             "the key/value blocks in flight (two receive buffers of K and "
             f"V, {2 * 2 * H * D * 4} bytes per local token here).\n")
    plot(os.path.join(OUT, "context.png"), rows)
    return body + "\n![context](context.png)\n"


def speed_table(time_column, error_column, tokens, torch_ms, torch_err,
                rows):
    """PyTorch's row, then RingAttn's (ranks, ms, error) rows."""
    table = (f"| run | {time_column} | tokens/s | vs PyTorch | "
             f"{error_column} |\n|---|---:|---:|---:|---:|\n"
             f"| PyTorch, one process | {torch_ms:.1f} | "
             f"{tokens / torch_ms * 1e3:.0f} | 1.00x | {torch_err:.1e} |\n")
    for ranks, ms, err in rows:
        table += (f"| RingAttn, {ranks} rank{'s' if ranks > 1 else ''} | "
                  f"{ms:.1f} | {tokens / ms * 1e3:.0f} | "
                  f"{torch_ms / ms:.2f}x | {err:.1e} |\n")
    return table


def torch_layer(torch, x, g1, wq, wk, wv, wo, g2, w1, w2):
    """The layer in PyTorch, as examples/layer.mlir writes it."""
    functional = torch.nn.functional

    def rmsnorm(t, gain):
        return t * torch.rsqrt((t * t).mean(-1, keepdim=True) + 1e-5) * gain

    h = rmsnorm(x, g1)
    q, k, v = (torch.einsum("sc,chd->hsd", h, w)[None] for w in (wq, wk, wv))
    attended = functional.scaled_dot_product_attention(q, k, v, is_causal=True)
    x1 = x + torch.einsum("hsd,hdc->sc", attended[0], wo)
    return x1 + functional.silu(rmsnorm(x1, g2) @ w1) @ w2


def throughput_section(quick):
    """The layer's forward on N ranks (threads backend) against the same
    layer in PyTorch in one process, side by side, each checked against
    PyTorch in float64 on the same arguments."""
    import numpy
    import torch
    tokens = 1024 if quick else THROUGHPUT_TOKENS
    arguments = draw_layer_arguments(numpy, tokens)
    with torch.no_grad():
        expected = torch_layer(torch, *(torch.from_numpy(a).double()
                                        for a in arguments)).float().numpy()
        torch.set_num_threads(os.cpu_count())
        inputs = [torch.from_numpy(a) for a in arguments]
        torch_layer(torch, *inputs)  # warm-up
        times = []
        for _ in range(5):
            start = time.perf_counter()
            out = torch_layer(torch, *inputs)
            times.append(time.perf_counter() - start)
        torch_ms = 1e3 * sorted(times)[2]
        torch_err = float(numpy.linalg.norm(out.numpy() - expected) /
                          numpy.linalg.norm(expected))
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for i, a in enumerate(arguments):
            paths.append(os.path.join(tmp, f"arg{i}.npy"))
            numpy.save(paths[-1], a)
        numpy.save(os.path.join(tmp, "expected.npy"), expected)
        for ranks in (1, 2, 4):
            way = "blockwise attention + feedforward" if ranks == 1 else "ring"
            ring = compile_layer(tmp, way, tokens, ranks)
            result = subprocess.run(
                [RING_RUN, ring, "--json", "--repeat", "5", "--arguments",
                 ",".join(paths), "--expected",
                 os.path.join(tmp, "expected.npy"), "--check"],
                capture_output=True, text=True, check=True)
            report = json.loads(result.stdout.strip().splitlines()[-1])
            rows.append((ranks, report["time_ms"],
                         report["result #0_rel_err"]))
            print(rows[-1], flush=True)
    body = (f"The same layer at {tokens} tokens (width {C}, {H} heads of {D}, "
            f"hidden {F}, f32, causal), forward only, median of 5 runs each, "
            f"side by side in one run on {os.cpu_count()} cores. RingAttn: "
            "ring-run's threads backend, one thread per rank (one rank "
            "uses one core); the "
            "attention is RingAttn's CPU flash kernel, the projections, "
            "norms and MLP are linalg lowered to plain loops (no tuned "
            "kernels yet). PyTorch " + torch.__version__ + ": one process, "
            f"{torch.get_num_threads()} threads, its CPU GEMMs and "
            "`scaled_dot_product_attention` (its CPU flash kernel). Each "
            "output is checked against PyTorch in float64 on the same "
            "arguments (rel_err).\n\n")
    return body + speed_table("ms per layer", "rel_err", tokens, torch_ms,
                              torch_err, rows)


def draw_layer_arguments(numpy, tokens):
    """x, g1, wq, wk, wv, wo, g2, w1, w2 as the throughput section draws
    them (float32)."""
    rng = numpy.random.default_rng(0)
    shapes = [(tokens, C), (C,), (C, H, D), (C, H, D), (C, H, D), (H, D, C),
              (C,), (C, F), (F, C)]
    scales = [1, 0.1, C ** -0.5, C ** -0.5, C ** -0.5, C ** -0.5, 0.1,
              C ** -0.5, F ** -0.5]
    return [((1.0 if len(shape) == 1 else 0.0) +
             scale * rng.uniform(-1, 1, shape)).astype(numpy.float32)
            for shape, scale in zip(shapes, scales)]


def torch_training_step(torch, arguments, dy):
    """y and the gradients of sum(y * dy) by PyTorch's autograd."""
    weights = [a.clone().requires_grad_() for a in arguments]
    y = torch_layer(torch, *weights)
    y.backward(dy)
    return [y.detach()] + [w.grad for w in weights]


def training_section(quick):
    """The layer's training step (examples/layer_grad.mlir: forward, then
    backward) on N ranks against PyTorch's autograd in one process, side
    by side, every result checked against PyTorch in float64."""
    import numpy
    import torch
    tokens = 1024 if quick else THROUGHPUT_TOKENS
    arguments = draw_layer_arguments(numpy, tokens)
    dy = numpy.random.default_rng(1).uniform(
        -1, 1, (tokens, C)).astype(numpy.float32)
    expected = [t.float().numpy() for t in torch_training_step(
        torch, [torch.from_numpy(a).double() for a in arguments],
        torch.from_numpy(dy).double())]
    torch.set_num_threads(os.cpu_count())
    inputs = [torch.from_numpy(a) for a in arguments]
    torch_dy = torch.from_numpy(dy)
    torch_training_step(torch, inputs, torch_dy)  # warm-up
    times = []
    for _ in range(5):
        start = time.perf_counter()
        got = torch_training_step(torch, inputs, torch_dy)
        times.append(time.perf_counter() - start)
    torch_ms = 1e3 * sorted(times)[2]
    torch_err = max(float(numpy.linalg.norm(g.numpy() - e) /
                          numpy.linalg.norm(e))
                    for g, e in zip(got, expected))
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        paths, expected_paths = [], []
        for i, a in enumerate(arguments + [dy]):
            paths.append(os.path.join(tmp, f"arg{i}.npy"))
            numpy.save(paths[-1], a)
        for i, e in enumerate(expected):
            expected_paths.append(os.path.join(tmp, f"expected{i}.npy"))
            numpy.save(expected_paths[-1], e)
        for ranks in (1, 2, 4):
            source = os.path.join(tmp, f"layer_grad{ranks}.mlir")
            with open(source, "w") as f:
                f.write(resized(open(TRAINING_EXAMPLE).read(), tokens)
                        .replace("shape = 2)", f"shape = {ranks})"))
            ring = source.replace(".mlir", ".ring.mlir")
            subprocess.run([RING_OPT, source,
                            f"--pass-pipeline={PIPELINES['ring']}",
                            "-o", ring], check=True)
            result = subprocess.run(
                [RING_RUN, ring, "--json", "--repeat", "5", "--arguments",
                 ",".join(paths), "--expected", ",".join(expected_paths),
                 "--check"], capture_output=True, text=True, check=True)
            report = json.loads(result.stdout.strip().splitlines()[-1])
            worst = max(report[f"result #{i}_rel_err"]
                        for i in range(len(expected)))
            rows.append((ranks, report["time_ms"], worst))
            print(rows[-1], flush=True)
    body = (f"The same layer's training step at {tokens} tokens: "
            "examples/layer_grad.mlir (the forward, then the backward from "
            "dy, as a frontend's joint graph) resized as above, through "
            "ring-partition-model, which raises attention and its backward "
            "to ring.attention and ring.attention_grad and sums the "
            "weights' gradients with ring all-reduces. Median of 5 runs "
            "each, side by side in one run on "
            f"{os.cpu_count()} cores; RingAttn on ring-run's threads "
            "backend, one thread per rank, the token-wise ops and their "
            "backward as linalg lowered to plain loops. PyTorch "
            + torch.__version__ + ": one process, "
            f"{torch.get_num_threads()} threads, autograd through its "
            "GEMMs and `scaled_dot_product_attention`. rel_err is the "
            "worst of y, dx and the eight weights' gradients against "
            "PyTorch's autograd in float64.\n\n")
    return body + speed_table("ms per step", "worst rel_err", tokens,
                              torch_ms, torch_err, rows)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", choices=["memory", "throughput",
                                           "training"])
    args = parser.parse_args()
    sections = {"memory": ("one layer", memory_section),
                "throughput": ("the layer's speed", throughput_section),
                "training": ("the layer's training step", training_section)}
    for key, (heading, section) in sections.items():
        if args.only and args.only != key:
            continue
        body = section(args.quick)
        replace_section(os.path.join(OUT, "context.md"),
                        "Context length within a memory budget per rank",
                        "bench/run context", f"{vector_isa()}: {heading}",
                        body)
        print(body)


if __name__ == "__main__":
    sys.exit(main())
