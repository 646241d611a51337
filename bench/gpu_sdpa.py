#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""PyTorch's scaled_dot_product_attention on the GPU, the baseline of
scripts/gpu-check.sh: bf16 [1, heads, seq, head_dim], causal or not, timed
with CUDA events (best of --repeat after a warm-up). Prints one JSON line per
shape, naming the SDPA kernel that ran (FlashAttention-2 is forced when
available, else PyTorch picks and the line says 'auto'). With --grad-seqs,
also a training step (forward, then backward from a random dout) at those
lengths, causal, lines marked "training": true."""

import argparse
import json

import torch
import torch.nn.functional as F


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seqs", default="8192,16384,32768")
    parser.add_argument("--heads", type=int, default=16)
    parser.add_argument("--head-dim", type=int, default=128)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--grad-seqs", default="")
    args = parser.parse_args()

    try:
        from torch.nn.attention import SDPBackend, sdpa_kernel
        flash = lambda: sdpa_kernel([SDPBackend.FLASH_ATTENTION])
        kernel = "flash"
    except ImportError:  # older PyTorch
        import contextlib
        flash = contextlib.nullcontext
        kernel = "auto"

    def best_ms(step):
        """The best of --repeat CUDA-event timings of step(), after one warm-up."""
        times = []
        with flash():
            step()
            for _ in range(args.repeat):
                start = torch.cuda.Event(enable_timing=True)
                end = torch.cuda.Event(enable_timing=True)
                start.record()
                step()
                end.record()
                torch.cuda.synchronize()
                times.append(start.elapsed_time(end))
        return min(times)

    def report(seq, causal, best, training):
        pairs = seq * (seq + 1) / 2 if causal else seq * seq
        # Forward 2 products; a training step 2 + 5 (FlashAttention-2's count).
        flops = (14 if training else 4) * args.heads * pairs * args.head_dim
        print(json.dumps({"seq": seq, "causal": causal, "best_ms": best,
                          "tflops": flops / best / 1e9, "kernel": kernel,
                          "training": training, "torch": torch.__version__}))

    def tensors(seq, grad=False):
        shape = (1, args.heads, seq, args.head_dim)
        return [torch.randn(shape, dtype=torch.bfloat16, device="cuda",
                            requires_grad=grad) for _ in range(3)]

    for seq in [int(s) for s in args.seqs.split(",") if s]:
        for causal in (False, True):
            q, k, v = tensors(seq)
            best = best_ms(lambda: F.scaled_dot_product_attention(
                q, k, v, is_causal=causal))
            report(seq, causal, best, training=False)
    for seq in [int(s) for s in args.grad_seqs.split(",") if s]:
        q, k, v = tensors(seq, grad=True)
        dout = torch.randn_like(q)
        def step():
            out = F.scaled_dot_product_attention(q, k, v, is_causal=True)
            torch.autograd.grad(out, (q, k, v), dout)
        report(seq, True, best_ms(step), training=True)

if __name__ == "__main__":
    main()
