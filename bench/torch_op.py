"""The PyTorch op's workspace, measured (docs/bench/torch.md).

Run under torchrun: `torchrun --standalone --nproc-per-node 2
bench/torch_op.py`. For one forward call on each rank, compares
 - a fresh embedding context per call (what a runtime without a persistent
   workspace does: every call allocates its ring buffers and scratch and
   faults their pages in), and
 - the op's persistent context (its workspace keeps what a call freed);
reporting, per call, the minor page faults, the blocks taken from the
system and the time, as medians over the calls after the first.
"""

import resource
import statistics
import sys
import time

import torch
import torch.distributed as dist

import ringattn
from ringattn import _op


def measure(fresh, q, k, v, calls):
    faults, times, allocations = [], [], []
    for _ in range(calls):
        if fresh:
            _op._contexts.clear()
        dist.barrier()
        before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        begin = time.perf_counter()
        ringattn.attention(q, k, v, causal=True, layout="zigzag")
        times.append(time.perf_counter() - begin)
        faults.append(resource.getrusage(resource.RUSAGE_SELF).ru_minflt -
                      before)
        context = _op._contexts[dist.group.WORLD.group_name][0]
        allocations.append(context.workspace())
    return faults, times, allocations


def main():
    dist.init_process_group("gloo")
    rank, size = dist.get_rank(), dist.get_world_size()
    torch.manual_seed(rank)
    b, hq, hkv, s, d = 1, 8, 2, 1024, 128
    q = torch.randn(b, hq, s, d)
    k, v = torch.randn(b, hkv, s, d), torch.randn(b, hkv, s, d)
    calls = 8
    measure(False, q, k, v, 2)  # compile, warm up
    rows = []
    for fresh in (True, False):
        faults, times, held = measure(fresh, q, k, v, calls)
        rows.append((fresh, faults, times, held))
    if rank == 0:
        print(f"ringattn.attention f32 causal zigzag b={b} hq={hq} hkv={hkv} "
              f"local seq={s} d={d}, {size} ranks (gloo), rank 0, "
              f"{calls} calls each")
        print("| context | minor faults per call | bytes held | blocks "
              "allocated per call | ms per call |")
        print("|---|---|---|---|---|")
        for fresh, faults, times, held in rows:
            later = held[1:]
            per_call = ([b[1] for b in later] if fresh else
                        [later[i][1] - later[i - 1][1]
                         for i in range(1, len(later))])
            print(f"| {'fresh per call' if fresh else 'persistent (the op)'} "
                  f"| {statistics.median(faults[1:]):.0f} "
                  f"| {held[-1][0] / 2**20:.1f} MiB "
                  f"| {statistics.median(per_call):.0f} "
                  f"| {1e3 * statistics.median(times[1:]):.1f} |")
    dist.destroy_process_group()
    return 0


if __name__ == "__main__":
    sys.exit(main())
