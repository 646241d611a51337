"""A causal transformer block trained with RingAttn under torchrun.

    torchrun --standalone --nproc-per-node 4 examples/torch/train_block.py

Each of the N processes holds 1/N of every sequence (zigzag layout, so the
causal work is balanced) and the block's weights (replicated); attention is
ringattn.attention over the default process group (gloo on CPU), so no
process ever holds the whole sequence's keys and values. After each backward
the weight gradients are summed over the processes, as data-parallel
training sums them over batches.

Rank 0 also trains the same block on the whole sequence in one process with
torch's scaled_dot_product_attention, from the same weights and data, and
prints both loss curves and how far the first step's weight gradients are
apart.
"""

import argparse
import copy
import math
import os
import sys

import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F

import ringattn


class RMSNorm(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + 1e-6) * \
            self.weight


class Block(nn.Module):
    """Pre-norm: x + attn(norm(x)), then + mlp(norm(.)); grouped-query."""

    def __init__(self, dim, heads, kv_heads, hidden):
        super().__init__()
        self.heads, self.kv_heads = heads, kv_heads
        self.head_dim = dim // heads
        self.norm1, self.norm2 = RMSNorm(dim), RMSNorm(dim)
        self.q = nn.Linear(dim, dim, bias=False)
        self.kv = nn.Linear(dim, 2 * kv_heads * self.head_dim, bias=False)
        self.o = nn.Linear(dim, dim, bias=False)
        self.up = nn.Linear(dim, hidden, bias=False)
        self.down = nn.Linear(hidden, dim, bias=False)

    def forward(self, x, attention):
        b, s, _ = x.shape
        h = self.norm1(x)
        q = self.q(h).view(b, s, self.heads, self.head_dim).transpose(1, 2)
        k, v = self.kv(h).view(b, s, 2, self.kv_heads,
                               self.head_dim).permute(2, 0, 3, 1, 4)
        a = attention(q, k, v).transpose(1, 2).reshape(b, s, -1)
        x = x + self.o(a)
        return x + self.down(F.gelu(self.up(self.norm2(x))))


def sdpa(q, k, v):
    group = q.shape[1] // k.shape[1]
    return F.scaled_dot_product_attention(
        q, k.repeat_interleave(group, 1), v.repeat_interleave(group, 1),
        is_causal=True)


def ring(q, k, v):
    return ringattn.attention(q, k, v, causal=True, layout="zigzag")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=8)
    parser.add_argument("--seq", type=int, default=512)
    parser.add_argument("--dim", type=int, default=128)
    args = parser.parse_args()

    dist.init_process_group("gloo")
    rank, size = dist.get_rank(), dist.get_world_size()
    torch.manual_seed(0)  # the same weights and data on every process
    model = Block(args.dim, heads=4, kv_heads=2, hidden=4 * args.dim)
    reference = copy.deepcopy(model)
    x = torch.randn(2, args.seq, args.dim)
    target = torch.randn(2, args.seq, args.dim)
    tokens = x.shape[0] * x.shape[1]

    def shard(t):
        return ringattn.shard(t, "zigzag", rank, size, dim=1)

    x_local, target_local = shard(x), shard(target)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    ref_optimizer = torch.optim.AdamW(reference.parameters(), lr=1e-3)
    losses, ref_losses, gradient_error = [], [], None
    for step in range(args.steps):
        # The loss over the whole sequence is the sum of the shards' sums.
        loss = (model(x_local, ring) - target_local).pow(2).sum() / tokens
        optimizer.zero_grad()
        loss.backward()
        for p in model.parameters():
            dist.all_reduce(p.grad)
        dist.all_reduce(loss.detach_())
        optimizer.step()
        losses.append(loss.item())
        if rank == 0:
            ref_loss = (reference(x, sdpa) - target).pow(2).sum() / tokens
            ref_optimizer.zero_grad()
            ref_loss.backward()
            if step == 0:
                gradient_error = max(
                    ((p.grad - r.grad).abs().max() /
                     r.grad.abs().max()).item()
                    for p, r in zip(model.parameters(),
                                    reference.parameters()))
            ref_optimizer.step()
            ref_losses.append(ref_loss.item())

    if rank == 0:
        print(f"causal block, dim {args.dim}, 4 heads over 2 key/value "
              f"heads, sequence {args.seq} on {size} processes (zigzag)")
        print("step  ring attention  one process (SDPA)  difference")
        for step, (a, b) in enumerate(zip(losses, ref_losses)):
            print(f"{step:4d}  {a:14.6f}  {b:18.6f}  {abs(a - b):10.2e}")
        worst = max(abs(a - b) / abs(b) for a, b in zip(losses, ref_losses))
        ok = worst < 1e-4 and gradient_error < 1e-4
        print(f"first step's weight gradients: max relative difference "
              f"{gradient_error:.1e}")
        print(f"losses {'match' if ok else 'DIFFER'}: max relative "
              f"difference {worst:.1e}")
    dist.destroy_process_group()


# torch keeps the default group alive past destroy_process_group once a
# custom op's first call has imported its compiler stack, so the group's
# gloo worker threads run on into interpreter shutdown, where one that frees
# a finished collective's tensor aborts the process ("terminate called
# without an active exception", about 1 exit in 15 here; docs/Torch.md).
# End without that shutdown.
if __name__ == "__main__":
    main()
    sys.stdout.flush()
    os._exit(0)
