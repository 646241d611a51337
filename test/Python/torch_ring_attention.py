"""One rank of the ringattn.attention tests; run under torchrun with gloo.

Every rank draws the same global q, k, v and dO from a seed, runs the op on
its shard, and the gathered outputs and gradients are compared with torch
SDPA computed in float64 on the whole sequence (plain attention, no ring and
no code shared with RingAttn). Rank 0 prints one line per case.

    torchrun --nproc-per-node 3 torch_ring_attention.py \
        [matrix|masks|placement|compile|deterministic|disagree|fault-hang|
         fault-exit|aot]
        [--device cuda]
    python torch_ring_attention.py prebuild OUT CHIP RANKS RING_OPT

With --device cuda every rank runs on its GPU (LOCAL_RANK): NCCL moves the
shifts, or gloo through host memory when several ranks share one GPU.
"""

import datetime
import os
import sys
import time

import torch
import torch.distributed as dist
import torch.nn.functional as F

import ringattn

TOLERANCE = {torch.float32: 1e-5, torch.bfloat16: 2e-2}
DEVICE = torch.device("cpu")


def say(line):
    """Prints `line` in one write: the ranks share stdout, and under
    torchrun (unbuffered) print() writes a line and its newline apart, so
    two ranks' lines could run together."""
    os.write(1, (line + "\n").encode())


def reference(q, k, v, dout, causal, scale):
    """Attention and its gradients in float64, on the whole sequence."""
    q, k, v = (t.detach().double().requires_grad_() for t in (q, k, v))
    group = q.shape[1] // k.shape[1]
    out = F.scaled_dot_product_attention(
        q, k.repeat_interleave(group, 1), v.repeat_interleave(group, 1),
        is_causal=causal, scale=scale)
    grads = torch.autograd.grad(out, (q, k, v), dout.double())
    return (out.detach(),) + grads


def masked_reference(q, k, v, dout, scale, causal=False, window_left=None,
                     window_right=None, softcap=None, sinks=None,
                     documents=None):
    """Attention under a window, a logit cap, sinks and packed documents
    (their start positions), and its gradients (the sinks' last), in
    float64 on the whole sequence, written out (SDPA has neither a cap nor
    sinks)."""
    q, k, v = (t.detach().double().requires_grad_() for t in (q, k, v))
    inputs = (q, k, v)
    group = q.shape[1] // k.shape[1]
    keys, values = k.repeat_interleave(group, 1), v.repeat_interleave(group, 1)
    scores = scale * q @ keys.transpose(2, 3)
    if softcap is not None:
        scores = softcap * torch.tanh(scores / softcap)
    i = torch.arange(q.shape[2]).view(-1, 1)
    j = torch.arange(q.shape[2]).view(1, -1)
    seen = torch.ones(q.shape[2], q.shape[2], dtype=torch.bool)
    if causal:
        seen &= j <= i
    if window_left is not None:
        seen &= j >= i - window_left
    if window_right is not None:
        seen &= j <= i + window_right
    if documents is not None:
        # A position's document: how many starts are at or before it.
        document = torch.searchsorted(torch.tensor(documents),
                                      torch.arange(q.shape[2]), right=True)
        seen &= document.view(-1, 1) == document.view(1, -1)
    scores = scores.masked_fill(~seen, float("-inf"))
    if sinks is None:
        weights = torch.softmax(scores, -1)
    else:
        # A sink is a key column of its head's logit with no value.
        sinks = sinks.detach().double().requires_grad_()
        inputs += (sinks,)
        column = sinks.view(1, -1, 1, 1).expand(*scores.shape[:3], 1)
        weights = torch.softmax(torch.cat([scores, column], -1), -1)[..., :-1]
    out = weights @ values
    grads = torch.autograd.grad(out, inputs, dout.double())
    return (out.detach(),) + grads


def gather(shard, layout):
    parts = [torch.empty_like(shard) for _ in range(dist.get_world_size())]
    dist.all_gather(parts, shard.contiguous())
    return ringattn.unshard(parts, layout)


def relative_error(got, want):
    return ((got.double() - want).abs().max() /
            want.abs().max().clamp_min(1e-30)).item()


def run_case(seed, dtype, layout, causal, heads, kv_heads, seq, dim, op,
             **masks):
    """One case against float64: SDPA, or under `masks` (window_left,
    window_right, softcap; sinks=True for random sinks, whose gradient is
    summed over the ranks) the written-out reference."""
    rank, size = dist.get_rank(), dist.get_world_size()
    generator = torch.Generator().manual_seed(seed)
    q, dout = (torch.randn(2, heads, seq, dim, generator=generator)
               for _ in range(2))
    k, v = (torch.randn(2, kv_heads, seq, dim, generator=generator)
            for _ in range(2))
    q, k, v, dout = (t.to(dtype) for t in (q, k, v, dout))
    scale = 0.3
    local = [ringattn.shard(t, layout, rank, size).to(DEVICE)
             .requires_grad_() for t in (q, k, v)]
    attributes, weights = dict(masks), []
    if masks.get("sinks"):
        # Logits in [-1, 3): a row's sink takes a fair share of its weight.
        masks["sinks"] = torch.rand(heads, generator=generator) * 4 - 1
        weights = [masks["sinks"].to(DEVICE).requires_grad_()]
        attributes["sinks"] = weights[0]
    if "documents" in masks:
        attributes["documents"] = torch.tensor(masks["documents"],
                                               device=DEVICE)
    out = op(*local, causal=causal, scale=scale, layout=layout, **attributes)
    grads = torch.autograd.grad(
        out, local + weights,
        ringattn.shard(dout, layout, rank, size).to(DEVICE))
    got = [gather(t, layout).cpu() for t in (out,) + grads[:3]]
    for dsinks in grads[3:]:  # each rank's rows' share
        dist.all_reduce(dsinks)
        got.append(dsinks.cpu())
    want = (masked_reference(q, k, v, dout, scale, causal, **masks) if masks
            else reference(q, k, v, dout, causal, scale))
    errors = [relative_error(g, w) for g, w in zip(got, want)]
    ok = max(errors) <= TOLERANCE[dtype]
    if rank == 0:
        words = " ".join(
            key if key == "sinks" else
            f"{key} {','.join(map(str, value))}" if key == "documents" else
            f"{key} {value}" for key, value in masks.items())
        where = (layout if isinstance(layout, str) else
                 f"placement {','.join(map(str, layout.tolist()))}")
        name = (f"{str(dtype).split('.')[-1]} {where} "
                f"{'causal' if causal else 'full'}{' ' + words if words else ''}"
                f" hq={heads} hkv={kv_heads}")
        say(f"{'PASS' if ok else 'FAIL'} N={size} {name}: rel err out "
            f"{errors[0]:.1e} dq {errors[1]:.1e} dk {errors[2]:.1e} "
            f"dv {errors[3]:.1e}" +
            (f" dsinks {errors[4]:.1e}" if len(errors) > 4 else ""))
    return ok


def matrix_cases():
    """(seed, dtype, layout, causal, heads, kv_heads) of the matrix; batch
    2, 8 tokens per rank, head_dim 32, scale 0.3."""
    seed = 0
    for dtype in (torch.float32, torch.bfloat16):
        for layout in ringattn.LAYOUTS:
            for causal in (False, True):
                for heads, kv_heads in ((4, 4), (4, 2)):
                    seed += 1
                    yield seed, dtype, layout, causal, heads, kv_heads


def matrix():
    size = dist.get_world_size()
    ok = True
    for case in matrix_cases():
        ok &= run_case(*case, 8 * size, 32, ringattn.attention)
    return ok


def masks():
    """Sliding windows (within and beyond a rank's shard, two-sided), a
    logit cap, sinks (alone and with a causal window) and packed documents
    (causal, and with sinks), every layout, f32 and bf16, against the
    written-out float64 reference: 42 cases."""
    size = dist.get_world_size()
    ok, seed = True, 100
    for dtype in (torch.float32, torch.bfloat16):
        for layout in ringattn.LAYOUTS:
            for causal, masks in ((True, {"window_left": 5}),
                                  (False, {"window_left": 11,
                                           "window_right": 3}),
                                  (True, {"softcap": 1.5,
                                          "window_left": 9}),
                                  (False, {"sinks": True}),
                                  (True, {"window_left": 5, "sinks": True}),
                                  (True, {"documents": [0, 3, 4, 11]}),
                                  (False, {"documents": [5, 13],
                                           "sinks": True})):
                seed += 1
                ok &= run_case(seed, dtype, layout, causal, 4, 2, 8 * size, 32,
                               ringattn.attention, **masks)
    return ok


def placement():
    """A block placement as the layout, 4 blocks a rank: the balanced one
    of packed documents (causal, and with sinks) and the blocks in reverse
    order under a two-sided window, f32 and bf16, against the written-out
    float64 reference: 6 cases."""
    size = dist.get_world_size()
    seq, blocks = 8 * size, 4 * size
    reverse = torch.arange(blocks - 1, -1, -1, dtype=torch.int32)
    ok, seed = True, 200
    for dtype in (torch.float32, torch.bfloat16):
        for causal, masks in ((True, {"documents": [0, 3, 4, 11]}),
                              (False, {"window_left": 5, "window_right": 2}),
                              (True, {"documents": [5, 13], "sinks": True})):
            layout = reverse if "documents" not in masks else \
                ringattn.balanced_placement(seq, size, 4, causal=causal,
                                            documents=masks["documents"])
            seed += 1
            ok &= run_case(seed, dtype, layout, causal, 4, 2, seq, 32,
                           ringattn.attention, **masks)
    return ok


def prebuild(out, chip, ranks, ring_opt):
    """Builds the matrix's modules for CUDA on `ranks` ranks ahead of time
    with `ring_opt` (scripts/gpu-check.sh prepare), for a GPU machine
    without LLVM."""
    from ringattn import _op, _prebuilt
    for _, dtype, layout, causal, heads, kv_heads in matrix_cases():
        config = _op.Config(2, heads, kv_heads, 8, 32,
                            _op._ELEMENT_TYPES[dtype], causal, 0.3, layout,
                            ranks)
        _prebuilt.build(_op.module_source(config), _op.gpu_pipeline(chip),
                        out, ring_opt)
    print(f"built the matrix's {len(list(matrix_cases()))} configurations "
          f"for {chip} on {ranks} ranks in {out}")


def compiled():
    """torch.compile(fullgraph=True) traces the op without a graph break,
    with and without sinks (an optional tensor operand with a gradient)."""

    def op(q, k, v, **attributes):
        return ringattn.attention(q, k, v, **attributes) * 2.0

    compiled_op = torch.compile(op, fullgraph=True, backend="aot_eager")

    def halved(*args, **kwargs):
        return compiled_op(*args, **kwargs) / 2.0

    size = dist.get_world_size()
    return (run_case(99, torch.float32, "zigzag", True, 4, 2, 8 * size, 32,
                     halved) &
            run_case(98, torch.float32, "striped", True, 4, 2, 8 * size, 32,
                     halved, sinks=True))


def ahead_of_time():
    """The module of a configuration built beforehand (python -m
    ringattn.aot, $RINGATTN_AOT_DIR) is loaded, not compiled: the compiler
    library is never loaded, and the results are checked as always."""
    ok = run_case(7, torch.float32, "zigzag", True, 4, 2,
                  8 * dist.get_world_size(), 32, ringattn.attention)
    loaded = [c.ahead_of_time for c in ringattn._op._compiled.values()]
    compiler_loaded = ringattn._native._compiler.cache_info().currsize > 0
    say(f"rank {dist.get_rank()}: {sum(loaded)} of {len(loaded)} "
        f"configurations loaded ahead of time; compiler library "
        f"{'loaded' if compiler_loaded else 'not loaded'}")
    return ok and all(loaded) and not compiler_loaded


def fault(how):
    """The last rank stops before the call (`hang`: stays alive but never
    calls; `exit`: its process ends); the others must fail with the
    runtime's message within the timeout. After that the group is broken
    (gloo closes its pairs), so no rank uses it again."""
    rank, size = dist.get_rank(), dist.get_world_size()
    q = torch.randn(1, 2, 16, 16)
    config = ringattn._op._config_of(
        q, q, ringattn._op.check_mask(False, None, None, None), 0.25,
        "contiguous", size)
    if rank == size - 1:
        # Agree on the configuration, then stop as a failed rank would.
        ringattn._op._check_ranks_agree(dist.group.WORLD.group_name, config)
        if how == "exit":
            os._exit(0)
        time.sleep(4)
        os._exit(0)
    # Compile first, so the time below is the ring's wait alone: on a loaded
    # machine compiling alone can take seconds.
    ringattn._op._compile(config, q.device)
    begin = time.monotonic()
    try:
        ringattn.attention(q, q, q, scale=0.25, timeout=2.0)
    except ringattn.RingAttnError as error:
        say(f"rank {rank} raised after {time.monotonic() - begin:.0f} s: "
            f"{error}")
        os._exit(0)
    say(f"rank {rank}: the call returned although a rank never called")
    os._exit(1)


def deterministic():
    """The same inputs give bit-identical outputs and gradients, call after
    call (the ring's partial sums are added in a fixed order)."""
    rank, size = dist.get_rank(), dist.get_world_size()
    generator = torch.Generator().manual_seed(7)
    q, k, v, dout = (torch.randn(1, 4, 8 * size, 32, generator=generator)
                     for _ in range(4))
    local = [ringattn.shard(t, "striped", rank, size) for t in (q, k, v)]
    dout = ringattn.shard(dout, "striped", rank, size)
    results = []
    for _ in range(3):
        operands = [t.clone().requires_grad_() for t in local]
        out = ringattn.attention(*operands, causal=True, layout="striped")
        results.append([out] + list(torch.autograd.grad(out, operands, dout)))
    same = all(torch.equal(a, b) for r in results[1:]
               for a, b in zip(results[0], r))
    say(f"rank {rank}: {'bit-identical' if same else 'DIFFERENT'} over 3 "
        "calls")
    return same


def disagree():
    """Ranks that call with different shapes, and a zigzag shard of odd
    length, are refused on every rank before anything is sent."""
    rank = dist.get_rank()
    q = torch.randn(1, 2, 16 if rank == 1 else 8, 16)
    for name, call in (
            ("shapes differ", lambda: ringattn.attention(q, q, q)),
            ("odd zigzag shard", lambda: ringattn.attention(
                q[:, :, :7], q[:, :, :7], q[:, :, :7], layout="zigzag"))):
        try:
            call()
            say(f"rank {rank} {name}: no error")
        except ValueError as error:
            say(f"rank {rank} {name}: {error}")
        dist.barrier()
    return True


def init(device):
    """gloo on CPU; on GPUs, NCCL when every rank has its own, else gloo."""
    global DEVICE
    backend = "gloo"
    if device == "cuda":
        local = int(os.environ.get("LOCAL_RANK", "0"))
        local_ranks = int(os.environ.get("LOCAL_WORLD_SIZE", "1"))
        DEVICE = torch.device("cuda", local % torch.cuda.device_count())
        torch.cuda.set_device(DEVICE)
        if local_ranks <= torch.cuda.device_count():
            backend = "nccl"
    dist.init_process_group(backend, timeout=datetime.timedelta(seconds=60),
                            device_id=DEVICE if backend == "nccl" else None)
    if dist.get_rank() == 0 and device == "cuda":
        say(f"{dist.get_world_size()} ranks on {torch.cuda.device_count()} "
            f"GPU(s) ({torch.cuda.get_device_name(DEVICE)}), {backend}")


def main():
    if sys.argv[1:2] == ["prebuild"]:  # prebuild OUT CHIP RANKS RING_OPT
        return prebuild(sys.argv[2], sys.argv[3], int(sys.argv[4]),
                        sys.argv[5])
    device = "cpu"
    if "--device" in sys.argv:
        at = sys.argv.index("--device")
        device = sys.argv[at + 1]
        del sys.argv[at:at + 2]
    init(device)
    test = sys.argv[1] if len(sys.argv) > 1 else "matrix"
    if test.startswith("fault-"):
        fault(test[len("fault-"):])
    ok = {"matrix": matrix, "masks": masks, "placement": placement,
          "compile": compiled,
          "deterministic": deterministic, "disagree": disagree,
          "aot": ahead_of_time}[test]()
    flags = torch.tensor([0 if ok else 1], device=DEVICE)
    dist.all_reduce(flags)
    if dist.get_rank() == 0:
        say("ALL PASS" if flags.item() == 0 else
            f"{flags.item()} RANKS FAILED")
    code = 0 if flags.item() == 0 else 1
    dist.destroy_process_group()
    return code


# torch keeps the default group alive past destroy_process_group once a
# custom op's first call has imported its compiler stack, so the group's
# gloo worker threads run on into interpreter shutdown, where one that frees
# a finished collective's tensor aborts the process ("terminate called
# without an active exception", about 1 exit in 15 here; docs/Torch.md).
# End without that shutdown.
if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    os._exit(code or 0)
