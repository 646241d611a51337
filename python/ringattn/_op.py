"""ringattn.attention: a torch.library custom op over the caller's group.

Each configuration (shapes, dtype, mask, scale, layout, ring size) is
compiled once per process and device kind into a forward entry, which
returns the output and its log-sum-exp, and a backward entry
(ring.attention_grad): for CPU tensors with ring-lower-cpu, for CUDA tensors
with ring-lower-nvvm for the device's chip; or loaded from a module built
ahead of time (ringattn.aot). Entries run through one embedding context per
process group, device and stream; on a GPU, the caller's current stream.
"""

import contextlib
import dataclasses
import math
import os
import sys
import time

import torch
import torch.distributed as dist

from . import _layouts, _native, _prebuilt
from ._transport import ProcessGroupTransport, host_moves, uses_nccl

_ELEMENT_TYPES = {torch.float32: "f32", torch.bfloat16: "bf16"}
ELEMENT_TYPE_NAMES = set(_ELEMENT_TYPES.values())


@dataclasses.dataclass(frozen=True)
class Config:
    """What a compiled module is specialized to."""
    batch: int
    query_heads: int
    kv_heads: int
    length: int  # this rank's tokens
    head_dim: int
    element_type: str
    causal: bool
    scale: float
    layout: str
    ranks: int
    # A sliding window in tokens (-1: unbounded) and a logit cap (0: none).
    window_left: int = -1
    window_right: int = -1
    softcap: float = 0.0
    # Attention sinks: one f32 logit per query head, an operand.
    sinks: bool = False
    # Packed documents: how many start positions the documents operand
    # holds (run-time values), 0 for none.
    documents: int = 0
    # A block placement: how many blocks the placement operand lists
    # (run-time values) in place of the layout, 0 for none.
    placement: int = 0

    def mask_attributes(self):
        """The mask as ring.attention spells it: " causal window_left 4"."""
        words = " causal" if self.causal else ""
        if self.window_left >= 0:
            words += f" window_left {self.window_left}"
        if self.window_right >= 0:
            words += f" window_right {self.window_right}"
        if self.softcap > 0:
            # MLIR float literals need a decimal point: 1e-05 would not parse.
            words += f" softcap {self.softcap:.17e}"
        return words

    def describe(self):
        mask = self.mask_attributes().strip() or "full"
        if self.sinks:
            mask += " sinks"
        if self.documents:
            mask += f" documents {self.documents}"
        layout = (f"placement of {self.placement} blocks" if self.placement
                  else self.layout)
        return (f"{self.element_type} b={self.batch} hq={self.query_heads} "
                f"hkv={self.kv_heads} local seq={self.length} "
                f"d={self.head_dim} {mask} scale={self.scale:g} "
                f"{layout} x {self.ranks} ranks")


def module_source(c):
    """The ring-level module of configuration `c`: @forward and @backward."""
    t = c.element_type
    q = f"tensor<{c.batch}x{c.query_heads}x{c.length}x{c.head_dim}x{t}>"
    kv = f"tensor<{c.batch}x{c.kv_heads}x{c.length}x{c.head_dim}x{t}>"
    lse = f"tensor<{c.batch}x{c.query_heads}x{c.length}xf32>"
    # With sinks: the forward's fourth argument, the backward's last and its
    # gradient the backward's last result.
    s = f"tensor<{c.query_heads}xf32>"
    d = f"tensor<{c.documents}xi32>"
    p = f"tensor<{c.placement}xi32>"
    # Sinks, documents, then a placement: the inputs after v (and after
    # dout).
    extra_args = (f", %sinks: {s}" if c.sinks else "") + (
        f", %starts: {d}" if c.documents else "") + (
        f", %blocks: {p}" if c.placement else "")
    sinks_ret = (f", {s}", ", %ds") if c.sinks else ("", "")
    extra_ops = (f" sinks(%sinks : {s})" if c.sinks else "") + (
        f" documents(%starts : {d})" if c.documents else "") + (
        f" placement(%blocks : {p})" if c.placement else "")
    attrs = extra_ops + c.mask_attributes() + f" scale {c.scale:.17e}"
    grid = ""
    # A placement lays out even a ring of one (its blocks may be reordered).
    if c.ranks > 1 or c.placement:
        attrs += " ring @ring axis 0" + (
            "" if c.placement else f" layout {c.layout}")
        grid = f"shard.grid @ring(shape = {c.ranks})\n"
    cinterface = "attributes {llvm.emit_c_interface}"
    return f"""{grid}
func.func @forward(%q: {q}, %k: {kv}, %v: {kv}{extra_args}) -> ({q}, {lse})
    {cinterface} {{
  %o, %lse = ring.attention %q, %k, %v{attrs} : {q}, {kv}, {kv} -> {lse}
  return %o, %lse : {q}, {lse}
}}
func.func @backward(%q: {q}, %k: {kv}, %v: {kv}, %o: {q}, %lse: {lse},
                    %do: {q}{extra_args}) -> ({q}, {kv}, {kv}{sinks_ret[0]})
    {cinterface} {{
  %dq, %dk, %dv{sinks_ret[1]} = ring.attention_grad %q, %k, %v, %o, %lse, %do{attrs}
      : {q}, {kv}, {kv}, {lse}{" -> " + s if c.sinks else ""}
  return %dq, %dk, %dv{sinks_ret[1]} : {q}, {kv}, {kv}{sinks_ret[0]}
}}
"""


def cpu_pipeline(cpu=""):
    """ring-lower-cpu, for `cpu` (an LLVM CPU such as x86-64-v3: code another
    machine runs, or a narrower vector width tested here) or the host."""
    return f"ring-lower-cpu{{target-cpu={cpu}}}" if cpu else "ring-lower-cpu"


def gpu_pipeline(chip):
    """ring-lower-nvvm for `chip` (sm_90 for the H100 and H200)."""
    return f"ring-lower-nvvm{{chip={chip}}}"


def _pipeline(device):
    """The pipeline for tensors on `device`: the GPU's chip, or the CPU
    $RINGATTN_TARGET_CPU names if set."""
    if device.type == "cuda":
        major, minor = torch.cuda.get_device_capability(device)
        return gpu_pipeline(f"sm_{major}{minor}")
    return cpu_pipeline(os.environ.get("RINGATTN_TARGET_CPU", ""))


class _Compiled:
    def __init__(self, config, pipeline):
        source = module_source(config)
        self.module = _prebuilt.find(source, pipeline)
        self.ahead_of_time = self.module is not None
        if not self.ahead_of_time:
            self.module = _native.CompiledModule(source, pipeline)
        self.forward = self.module.entry("forward")
        self.backward = self.module.entry("backward")


_compiled = {}    # (Config, pipeline, device) -> _Compiled
_contexts = {}    # (group name, device, stream) -> (Context, transport)
_agreed = set()   # (group name, Config) every rank was seen to call
_announced = False


def compiled_configurations():
    """The configurations compiled in this process so far, with the
    pipeline that lowered each and the device they run on."""
    return list(_compiled)


def _select(device):
    """Makes a CUDA `device` the GPU runtime's (modules load and run there)."""
    if device.type == "cuda":
        _native.select_gpu(device.index if device.index is not None else
                           torch.cuda.current_device())


def _compile(config, device):
    global _announced
    key = (config, _pipeline(device), device)
    if key not in _compiled:
        begin = time.perf_counter()
        _select(device)
        compiled = _Compiled(config, key[1])
        _compiled[key] = compiled
        if not _announced:
            _announced = True
            how = (f" (built ahead of time: {compiled.module.path})"
                   if compiled.ahead_of_time else "")
            print(f"ringattn: {'loaded' if how else 'compiled'} "
                  f"{config.describe()} with {key[1]}{how} in "
                  f"{time.perf_counter() - begin:.2f} s; each configuration "
                  "compiles once per process", file=sys.stderr)
    return _compiled[key]


def _group(name):
    return dist.distributed_c10d._resolve_process_group(name)


def _stream(device):
    """The caller's current CUDA stream on `device` (its address), or None."""
    if device.type != "cuda":
        return None
    return torch.cuda.current_stream(device).cuda_stream


def _context(group_name, timeout, device):
    key = (group_name, device, _stream(device))
    if key not in _contexts:
        stream = key[2]
        if not group_name:
            _contexts[key] = (_native.Context(0, 1, stream=stream), None)
        else:
            group = _group(group_name)
            if not (device.type == "cuda" and uses_nccl(group)) and \
                    not host_moves(group):
                raise ValueError(
                    f"ringattn: the group's backend "
                    f"({dist.get_backend(group)}) cannot move "
                    f"{device.type} tensors: use gloo for CPU tensors, nccl "
                    "(or gloo, through host memory) for CUDA")
            transport = ProcessGroupTransport(group_name, device)
            context = _native.Context(dist.get_rank(group),
                                      dist.get_world_size(group), transport,
                                      timeout, stream)
            _contexts[key] = (context, transport)
    return _contexts[key][0]


def _check_ranks_agree(group_name, config):
    """Every rank of the group must call with the same configuration."""
    if not group_name or (group_name, config) in _agreed:
        return
    group = _group(group_name)
    configs = [None] * dist.get_world_size(group)
    dist.all_gather_object(configs, config, group=group)
    differing = [r for r, c in enumerate(configs) if c != config]
    if differing:
        me = dist.get_rank(group)
        raise ValueError(
            "ringattn: the ranks of the group call attention with different "
            f"shapes or attributes: rank {me} has {config.describe()}, rank "
            f"{differing[0]} has {configs[differing[0]].describe()}")
    _agreed.add((group_name, config))


def _config_of(q, k, mask, scale, layout, ranks, sinks=None, documents=None,
               placement=None):
    """`mask`: (causal, window_left, window_right, softcap) as the ops take
    them; `sinks`, `documents`, `placement`: their tensors or None."""
    if layout == "zigzag" and ranks > 1 and q.shape[2] % 2:
        raise ValueError(f"ringattn: the zigzag layout needs an even number "
                         f"of tokens per rank (got {q.shape[2]})")
    causal, window_left, window_right, softcap = mask
    return Config(q.shape[0], q.shape[1], k.shape[1], q.shape[2], q.shape[3],
                  _ELEMENT_TYPES[q.dtype], causal, float(scale), layout, ranks,
                  window_left, window_right, float(softcap),
                  sinks is not None,
                  0 if documents is None else documents.shape[0],
                  0 if placement is None else placement.shape[0])


def _ranks(group_name):
    return dist.get_world_size(_group(group_name)) if group_name else 1


def _invoke(group_name, timeout, config, entry_name, tensors):
    device = tensors[0].device
    # NCCL collectives run on the current device.
    with (torch.cuda.device(device) if device.type == "cuda" else
          contextlib.nullcontext()):
        _check_ranks_agree(group_name, config)
        entry = getattr(_compile(config, device), entry_name)
        descriptors = [_native.memref_descriptor(t) for t in tensors]
        context = _context(group_name, timeout, device)
        _select(device)
        context.invoke(entry, descriptors)


def _given(*optional):
    """The optional operands that are given (sinks, documents, placement),
    in order."""
    return [t.contiguous() for t in optional if t is not None]


@torch.library.custom_op("ringattn::attention_forward", mutates_args=())
def attention_forward(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor,
                      sinks: torch.Tensor | None,
                      documents: torch.Tensor | None,
                      placement: torch.Tensor | None, causal: bool,
                      window_left: int, window_right: int, softcap: float,
                      scale: float, layout: str, group_name: str,
                      timeout: float) -> tuple[torch.Tensor, torch.Tensor]:
    q, k, v = q.contiguous(), k.contiguous(), v.contiguous()
    config = _config_of(q, k, (causal, window_left, window_right, softcap),
                        scale, layout, _ranks(group_name), sinks, documents,
                        placement)
    out = torch.empty_like(q)
    lse = q.new_empty(q.shape[:3], dtype=torch.float32)
    _invoke(group_name, timeout, config, "forward",
            [q, k, v] + _given(sinks, documents, placement) + [out, lse])
    return out, lse


@attention_forward.register_fake
def _(q, k, v, sinks, documents, placement, causal, window_left, window_right,
      softcap, scale, layout, group_name, timeout):
    return (torch.empty_like(q, memory_format=torch.contiguous_format),
            q.new_empty(q.shape[:3], dtype=torch.float32))


def _sinks_gradient(sinks):
    """Where the backward writes the sinks' gradient: [heads] f32, or an
    empty tensor without sinks (an op returns tensors, not None)."""
    return torch.empty_like(sinks) if sinks is not None else torch.empty(0)


@torch.library.custom_op("ringattn::attention_backward", mutates_args=())
def attention_backward(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor,
                       out: torch.Tensor, lse: torch.Tensor,
                       dout: torch.Tensor, sinks: torch.Tensor | None,
                       documents: torch.Tensor | None,
                       placement: torch.Tensor | None, causal: bool,
                       window_left: int, window_right: int, softcap: float,
                       scale: float, layout: str, group_name: str,
                       timeout: float
                       ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor,
                                  torch.Tensor]:
    q, k, v = q.contiguous(), k.contiguous(), v.contiguous()
    out, lse, dout = out.contiguous(), lse.contiguous(), dout.contiguous()
    config = _config_of(q, k, (causal, window_left, window_right, softcap),
                        scale, layout, _ranks(group_name), sinks, documents,
                        placement)
    dq, dk, dv = torch.empty_like(q), torch.empty_like(k), torch.empty_like(v)
    dsinks = _sinks_gradient(sinks)
    operands = ([q, k, v, out, lse, dout] +
                _given(sinks, documents, placement) + [dq, dk, dv])
    if sinks is not None:
        operands.append(dsinks)
    _invoke(group_name, timeout, config, "backward", operands)
    return dq, dk, dv, dsinks


@attention_backward.register_fake
def _(q, k, v, out, lse, dout, sinks, documents, placement, causal,
      window_left, window_right, softcap, scale, layout, group_name, timeout):
    return (torch.empty_like(q, memory_format=torch.contiguous_format),
            torch.empty_like(k, memory_format=torch.contiguous_format),
            torch.empty_like(v, memory_format=torch.contiguous_format),
            _sinks_gradient(sinks))


def _setup_context(ctx, inputs, output):
    q, k, v, sinks, documents, placement = inputs[:6]
    out, lse = output
    ctx.save_for_backward(q, k, v, out, lse, sinks, documents, placement)
    ctx.attributes = inputs[6:]


def _backward(ctx, dout, _dlse):
    q, k, v, out, lse, sinks, documents, placement = ctx.saved_tensors
    dq, dk, dv, dsinks = attention_backward(q, k, v, out, lse,
                                            dout.to(q.dtype), sinks,
                                            documents, placement,
                                            *ctx.attributes)
    # The sinks' gradient over this rank's rows (docs/Torch.md); none for
    # the document starts, the placement and the attributes.
    return (dq, dk, dv, dsinks if sinks is not None else None, None, None) + \
        (None,) * len(ctx.attributes)


attention_forward.register_autograd(_backward, setup_context=_setup_context)


def _check_operands(q, k, v):
    for name, t in (("q", q), ("k", k), ("v", v)):
        if t.device.type not in ("cpu", "cuda"):
            raise ValueError(
                f"ringattn: {name} is on {t.device}; the op runs on CPU and "
                "CUDA tensors")
        if t.device != q.device:
            raise ValueError(f"ringattn: q is on {q.device} but {name} is on "
                             f"{t.device}")
        if t.dtype not in _ELEMENT_TYPES:
            raise TypeError(
                f"ringattn: {name} is {t.dtype}; the op takes float32 or "
                "bfloat16")
        if t.dim() != 4:
            raise ValueError(
                f"ringattn: {name} has shape {tuple(t.shape)}; the op takes "
                "[batch, heads, sequence, head_dim] tensors")
    if not (q.dtype == k.dtype == v.dtype):
        raise TypeError(f"ringattn: q, k and v have different dtypes "
                        f"({q.dtype}, {k.dtype}, {v.dtype})")
    if k.shape != v.shape:
        raise ValueError(f"ringattn: k has shape {tuple(k.shape)} but v has "
                         f"{tuple(v.shape)}")
    b, hq, s, d = q.shape
    if (k.shape[0], k.shape[2], k.shape[3]) != (b, s, d):
        raise ValueError(
            f"ringattn: q has shape {tuple(q.shape)} and k {tuple(k.shape)}; "
            "they must agree in batch, sequence and head_dim")
    if k.shape[1] == 0 or hq % k.shape[1]:
        raise ValueError(f"ringattn: {hq} query heads do not divide into "
                         f"{k.shape[1]} key/value heads")


def check_sinks(sinks, q):
    """The sinks as the op takes them: float32 on q's device (a differentiable
    conversion), one per query head; or None."""
    if sinks is None:
        return None
    if not isinstance(sinks, torch.Tensor) or not sinks.is_floating_point():
        got = sinks.dtype if isinstance(sinks, torch.Tensor) else type(sinks)
        raise TypeError(f"ringattn: sinks must be a floating-point tensor of "
                        f"one logit per query head (got {got})")
    if sinks.shape != (q.shape[1],):
        raise ValueError(f"ringattn: sinks has shape {tuple(sinks.shape)}; "
                         f"q has {q.shape[1]} heads, so it must be "
                         f"({q.shape[1]},)")
    if sinks.device != q.device:
        raise ValueError(f"ringattn: q is on {q.device} but sinks is on "
                         f"{sinks.device}")
    return sinks.to(torch.float32)


def check_documents(documents, q):
    """The document starts as the op takes them: int32 on q's device; or
    None."""
    if documents is None:
        return None
    if not isinstance(documents, torch.Tensor) or documents.dim() != 1 or \
            documents.is_floating_point() or documents.is_complex() or \
            documents.dtype == torch.bool or documents.numel() == 0:
        got = (f"{documents.dtype} of shape {tuple(documents.shape)}"
               if isinstance(documents, torch.Tensor) else type(documents))
        raise TypeError(f"ringattn: documents must be a non-empty 1-D "
                        f"integer tensor of start positions (got {got})")
    if documents.device != q.device:
        raise ValueError(f"ringattn: q is on {q.device} but documents is on "
                         f"{documents.device}")
    return documents.to(torch.int32)


def check_mask(causal, window_left, window_right, softcap):
    """The mask as the op passes it: -1 for no window bound, 0 for no cap."""
    bounds = []
    for name, tokens in (("window_left", window_left),
                         ("window_right", window_right)):
        if tokens is not None and (not isinstance(tokens, int) or tokens < 0):
            raise ValueError(f"ringattn: {name} must be a non-negative "
                             f"number of tokens (got {tokens!r})")
        bounds.append(-1 if tokens is None else tokens)
    if causal and window_right is not None:
        raise ValueError("ringattn: window_right does not apply to causal "
                         "attention, whose keys already end at the query")
    if softcap is not None and not (math.isfinite(softcap) and softcap > 0):
        raise ValueError(f"ringattn: softcap must be positive and finite "
                         f"(got {softcap!r})")
    return (bool(causal), bounds[0], bounds[1],
            0.0 if softcap is None else float(softcap))


def attention(q, k, v, *, causal=False, window_left=None, window_right=None,
              softcap=None, sinks=None, documents=None, scale=None,
              layout="contiguous", group=None, timeout=60.0):
    """Exact attention over the sequence sharded across `group`'s ranks.

    q: [batch, heads, local_seq, head_dim]; k, v: [batch, kv_heads,
    local_seq, head_dim] with heads a multiple of kv_heads: this rank's shard
    of the global sequence in `layout` (see ringattn.shard). Every rank of
    `group` (default: the default group when torch.distributed is
    initialized; otherwise one device) calls it with the same shapes and
    attributes. Returns this rank's shard of the output; differentiable.

    Masks, on global positions (docs/Semantics.md): `causal`; a sliding
    window of `window_left` tokens back and, without causal, `window_right`
    ahead (the ring then sends key/value blocks only as far as the window
    reaches, with the contiguous layout); `softcap` c turns each score s
    into c * tanh(s / c). Windows and caps run on CPU tensors; the GPU
    kernels refuse them for now.

    `sinks`: one learnable logit per query head ([heads], as gpt-oss has)
    added to every row's softmax denominator, the same tensor on every rank.
    Its gradient is this rank's rows' share, as for any weight applied to a
    shard of the sequence: sum it over the group (all_reduce, or a data
    parallel wrapper that spans the group) for the gradient of the whole
    sequence's loss.

    `documents`: packed documents, the global positions at which they start
    (cu_seqlens as it is), an integer tensor, the same on every rank; a
    query sees only the keys of its document. They are run-time data: a
    module is compiled per number of starts, not per mix.

    `layout`: a name of ringattn.LAYOUTS, or a block placement, an integer
    tensor of blocks the same on every rank (ringattn.balanced_placement
    makes one that balances a document mix over the ranks); shard the
    sequence by the same layout. A placement is run-time data too.
    """
    _check_operands(q, k, v)
    _layouts.check_layout(layout)
    mask = check_mask(causal, window_left, window_right, softcap)
    sinks = check_sinks(sinks, q)
    documents = check_documents(documents, q)
    group_name = ""
    if dist.is_available() and dist.is_initialized():
        group = group if group is not None else dist.group.WORLD
        group_name = group.group_name
    elif group is not None:
        raise ValueError("ringattn: a group was given but torch.distributed "
                         "is not initialized")
    if scale is None:
        scale = 1.0 / math.sqrt(q.shape[3])
    placement = None
    if _layouts.is_placement(layout):
        ranks = _ranks(group_name)
        _layouts.check_length(layout, ranks, q.shape[2] * ranks)
        placement, layout = layout.to(q.device, torch.int32), "contiguous"
    out, _ = attention_forward(q, k, v, sinks, documents, placement, *mask,
                               float(scale), layout, group_name,
                               float(timeout))
    return out
