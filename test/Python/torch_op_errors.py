"""What ringattn.attention refuses, in one process: each line is the error
a bad call raised (FileCheck'd by torch-op-errors.test)."""

import os

import torch

import ringattn


def attempt(name, call):
    try:
        call()
    except (ValueError, TypeError, ringattn.RingAttnError) as error:
        print(f"{name}: {type(error).__name__}: {error}")
        return
    print(f"{name}: no error")


q = torch.randn(1, 4, 8, 16)
kv = torch.randn(1, 2, 8, 16)
attempt("meta device", lambda: ringattn.attention(
    q.to("meta"), kv.to("meta"), kv.to("meta")))
attempt("float64", lambda: ringattn.attention(q.double(), kv.double(),
                                              kv.double()))
attempt("3-D", lambda: ringattn.attention(q[0], kv[0], kv[0]))
attempt("mixed dtypes", lambda: ringattn.attention(q, kv.bfloat16(), kv))
attempt("k and v differ", lambda: ringattn.attention(q, kv, kv[:, :1]))
attempt("sequence differs", lambda: ringattn.attention(q, kv[:, :, :4],
                                                       kv[:, :, :4]))
attempt("heads do not divide", lambda: ringattn.attention(
    q[:, :3], kv, kv))
attempt("unknown layout", lambda: ringattn.attention(q, kv, kv,
                                                     layout="diagonal"))
attempt("group without torch.distributed", lambda: ringattn.attention(
    q, kv, kv, group=object()))
attempt("negative window", lambda: ringattn.attention(
    q, kv, kv, causal=True, window_left=-2))
attempt("right window with causal", lambda: ringattn.attention(
    q, kv, kv, causal=True, window_right=2))
attempt("zero softcap", lambda: ringattn.attention(q, kv, kv, softcap=0.0))
attempt("sinks not per head", lambda: ringattn.attention(
    q, kv, kv, sinks=torch.zeros(3)))
attempt("integer sinks", lambda: ringattn.attention(
    q, kv, kv, sinks=torch.zeros(4, dtype=torch.int32)))
attempt("sinks on another device", lambda: ringattn.attention(
    q, kv, kv, sinks=torch.zeros(4, device="meta")))
attempt("float documents", lambda: ringattn.attention(
    q, kv, kv, documents=torch.zeros(3)))
attempt("documents on another device", lambda: ringattn.attention(
    q, kv, kv, documents=torch.zeros(3, dtype=torch.int64, device="meta")))
attempt("shard a length that does not split", lambda: ringattn.shard(
    q, "zigzag", 0, 3))
attempt("float placement", lambda: ringattn.attention(
    q, kv, kv, layout=torch.zeros(4)))
attempt("block placed twice", lambda: ringattn.attention(
    q, kv, kv, layout=torch.tensor([0, 0, 1, 2])))
attempt("blocks that do not divide", lambda: ringattn.attention(
    q, kv, kv, layout=torch.tensor([0, 2, 1])))
attempt("shard by a placement that does not fit", lambda: ringattn.shard(
    q, torch.tensor([0, 1, 2, 3]), 0, 3))
attempt("no balanced placement", lambda: ringattn.balanced_placement(
    8, 2, 3, causal=True))
# A CPU the code cannot be compiled for (RINGATTN_TARGET_CPU).
os.environ["RINGATTN_TARGET_CPU"] = "pdp11"
attempt("unknown target CPU", lambda: ringattn.attention(q[:, :2], kv, kv))
del os.environ["RINGATTN_TARGET_CPU"]
# A strided (transposed) operand is not an error: the op makes it
# contiguous.
out = ringattn.attention(q.transpose(2, 3).contiguous().transpose(2, 3), kv,
                         kv, causal=True)
want = ringattn.attention(q.contiguous(), kv, kv, causal=True)
print("strided operand:", "same output" if torch.equal(out, want) else
      "DIFFERENT output")
