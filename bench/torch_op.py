"""The PyTorch op, measured (docs/bench/torch.md); not a test.

    torchrun --standalone --nproc-per-node 4 bench/torch_op.py \
        --output docs/bench/torch.md        (bench/run torch does this)

1. Workspace: for one forward call on each rank, a fresh embedding context
   per call (every call allocates its ring buffers and scratch and faults
   their pages in, as a runtime without a persistent workspace does) against
   the op's persistent context: minor page faults, blocks taken from the
   system and time per call, medians over the calls after the first.
2. Step time: forward + backward of ringattn.attention on the N processes
   (each holding 1/N of the sequence) against torch SDPA's forward +
   backward on the whole sequence in one process, in the same run.
   ring-flash-attention is not measured: it calls flash-attn's CUDA kernels
   and has no CPU path.
"""

import argparse
import os
import platform
import resource
import statistics
import sys
import time

import torch
import torch.distributed as dist
import torch.nn.functional as F

import ringattn
from ringattn import _op


def median_ms(times):
    return 1e3 * statistics.median(times)


def workspace_rows(calls):
    rank = dist.get_rank()
    torch.manual_seed(rank)
    b, hq, hkv, s, d = 1, 8, 2, 1024, 128
    q = torch.randn(b, hq, s, d)
    k, v = torch.randn(b, hkv, s, d), torch.randn(b, hkv, s, d)

    def measure(fresh, count):
        faults, times, held = [], [], []
        for _ in range(count):
            if fresh:
                _op._contexts.clear()
            dist.barrier()
            before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
            begin = time.perf_counter()
            ringattn.attention(q, k, v, causal=True, layout="zigzag")
            times.append(time.perf_counter() - begin)
            faults.append(resource.getrusage(resource.RUSAGE_SELF).ru_minflt
                          - before)
            context = _op._contexts[(dist.group.WORLD.group_name,
                                   torch.device("cpu"), None)][0]
            held.append(context.workspace())
        return faults, times, held

    measure(False, 2)  # compile, warm up
    lines = [f"`ringattn.attention` f32 causal zigzag, b={b} hq={hq} "
             f"hkv={hkv} d={d}, {s} tokens per rank, "
             f"{dist.get_world_size()} ranks (gloo); rank 0, {calls} calls "
             "each:", "",
             "| context | minor page faults per call | workspace held | "
             "blocks allocated per call | ms per call |",
             "|---|---|---|---|---|"]
    for fresh in (True, False):
        faults, times, held = measure(fresh, calls)
        later = held[1:]
        allocated = ([h[1] for h in later] if fresh else
                     [later[i][1] - later[i - 1][1]
                      for i in range(1, len(later))])
        name = "fresh per call" if fresh else "persistent (the op's)"
        lines.append(f"| {name} | {statistics.median(faults[1:]):.0f} | "
                     f"{held[-1][0] / 2**20:.1f} MiB | "
                     f"{statistics.median(allocated):.0f} | "
                     f"{median_ms(times[1:]):.1f} |")
    return lines


def step_rows(shapes, repeats):
    rank, size = dist.get_rank(), dist.get_world_size()
    lines = ["| global seq | mask | ring, {} processes (ms) | SDPA, one "
             "process, {} threads (ms) | ring / SDPA | max rel. difference "
             "(out, dq, dk, dv) |".format(size, os.cpu_count()),
             "|---|---|---|---|---|---|"]
    for seq, causal in shapes:
        generator = torch.Generator().manual_seed(seq)
        h, d = 4, 128
        q, k, v, dout = (torch.randn(1, h, seq, d, generator=generator)
                         for _ in range(4))
        local = [ringattn.shard(t, "zigzag", rank, size)
                 for t in (q, k, v, dout)]
        times = []
        for _ in range(repeats + 1):
            operands = [t.clone().requires_grad_() for t in local[:3]]
            dist.barrier()
            begin = time.perf_counter()
            out = ringattn.attention(*operands, causal=causal,
                                     layout="zigzag")
            grads = torch.autograd.grad(out, operands, local[3])
            dist.barrier()
            times.append(time.perf_counter() - begin)
        ring_ms = median_ms(times[1:])
        got = [out.detach()] + list(grads)
        gathered = []
        for t in got:
            parts = [torch.empty_like(t) for _ in range(size)]
            dist.all_gather(parts, t.contiguous())
            gathered.append(ringattn.unshard(parts, "zigzag"))
        if rank == 0:
            torch.set_num_threads(os.cpu_count())
            sdpa_times = []
            for _ in range(repeats + 1):
                operands = [t.clone().requires_grad_() for t in (q, k, v)]
                begin = time.perf_counter()
                ref = F.scaled_dot_product_attention(*operands,
                                                     is_causal=causal)
                ref_grads = torch.autograd.grad(ref, operands, dout)
                sdpa_times.append(time.perf_counter() - begin)
            torch.set_num_threads(1)
            sdpa_ms = median_ms(sdpa_times[1:])
            errors = [((a - b).abs().max() / b.abs().max()).item()
                      for a, b in zip(gathered, [ref.detach()] +
                                      list(ref_grads))]
            lines.append(f"| {seq} | {'causal' if causal else 'full'} | "
                         f"{ring_ms:.0f} | {sdpa_ms:.0f} | "
                         f"{ring_ms / sdpa_ms:.2f} | "
                         f"{max(errors):.1e} |")
        dist.barrier()
    return lines


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--output")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    dist.init_process_group("gloo")
    torch.set_num_threads(1)
    shapes = [(2048, False), (2048, True)] if args.quick else [
        (2048, False), (2048, True), (4096, False), (4096, True)]
    workspace = workspace_rows(4 if args.quick else 8)
    steps = step_rows(shapes, 2 if args.quick else 3)
    if dist.get_rank() == 0:
        cpu = platform.processor() or platform.machine()
        try:
            with open("/proc/cpuinfo") as info:
                cpu = next(l.split(":", 1)[1].strip() for l in info
                           if l.startswith("model name"))
        except (OSError, StopIteration):
            pass
        page = ["# The PyTorch op", "",
                f"`bench/run torch` on {cpu}, {os.cpu_count()} CPUs, PyTorch "
                f"{torch.__version__}; {dist.get_world_size()} processes "
                "under torchrun share them. Generated by bench/torch_op.py.",
                "", "## Workspace", ""] + workspace + [
                "", "## Forward + backward step", "",
                "f32, 4 heads, head_dim 128, zigzag layout; medians of "
                f"{2 if args.quick else 3} steps after one warm-up. "
                "ring-flash-attention is not measured: it runs flash-attn's "
                "CUDA kernels and has no CPU path.", ""] + steps
        text = "\n".join(page) + "\n"
        print(text)
        if args.output:
            with open(args.output, "w") as out:
                out.write(text)
    dist.destroy_process_group()
    return 0


# torch keeps the default group alive past destroy_process_group once a
# custom op's first call has imported its compiler stack, so the group's
# gloo worker threads run on into interpreter shutdown, where one that frees
# a finished collective's tensor aborts the process ("terminate called
# without an active exception", about 1 exit in 15 here; docs/Torch.md).
# End without that shutdown.
if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    os._exit(code)
