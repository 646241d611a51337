#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""PyTorch's scaled_dot_product_attention on the GPU, the baseline of
scripts/gpu-check.sh: bf16 [1, heads, seq, head_dim], causal or not, timed
with CUDA events (best of --repeat after a warm-up). Prints one JSON line per
shape, naming the SDPA kernel that ran (FlashAttention-2 is forced when
available, else PyTorch picks and the line says 'auto')."""

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
    args = parser.parse_args()

    try:
        from torch.nn.attention import SDPBackend, sdpa_kernel
        flash = lambda: sdpa_kernel([SDPBackend.FLASH_ATTENTION])
        kernel = "flash"
    except ImportError:  # older PyTorch
        import contextlib
        flash = contextlib.nullcontext
        kernel = "auto"

    for seq in [int(s) for s in args.seqs.split(",")]:
        for causal in (False, True):
            shape = (1, args.heads, seq, args.head_dim)
            q, k, v = (torch.randn(shape, dtype=torch.bfloat16, device="cuda")
                       for _ in range(3))
            times = []
            with flash():
                F.scaled_dot_product_attention(q, k, v, is_causal=causal)
                for _ in range(args.repeat):
                    start = torch.cuda.Event(enable_timing=True)
                    end = torch.cuda.Event(enable_timing=True)
                    start.record()
                    F.scaled_dot_product_attention(q, k, v, is_causal=causal)
                    end.record()
                    torch.cuda.synchronize()
                    times.append(start.elapsed_time(end))
            pairs = seq * (seq + 1) / 2 if causal else seq * seq
            flops = 4 * args.heads * pairs * args.head_dim
            best = min(times)
            print(json.dumps({"seq": seq, "causal": causal, "best_ms": best,
                              "tflops": flops / best / 1e9, "kernel": kernel,
                              "torch": torch.__version__}))


if __name__ == "__main__":
    main()
