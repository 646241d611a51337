"""Sequence layouts: which global positions each rank of the ring holds.

A layout is one of LAYOUTS by name, or a block placement: a 1-D integer
tensor of P blocks (docs/Semantics.md, "Balanced placement"), where rank r's
local block j of length/P tokens is global block placement[r * P/size + j].
The same definitions as docs/Semantics.md ("Sequence layouts"), written
again here on torch tensors for sharding and unsharding; the tests check them
against the compiled ring, which uses the C++ ones. Placements are checked
and balanced by the C++ (lib/Support/BlockPlacement.cpp, through the
runtime library).
"""

import torch

from . import _native

LAYOUTS = ("contiguous", "zigzag", "striped")


def is_placement(layout):
    return isinstance(layout, torch.Tensor)


def check_layout(layout):
    if is_placement(layout):
        if layout.dim() != 1 or layout.numel() == 0 or \
                layout.is_floating_point() or layout.is_complex() or \
                layout.dtype == torch.bool:
            raise TypeError(f"ringattn: a placement must be a non-empty 1-D "
                            f"integer tensor of blocks (got {layout.dtype} "
                            f"of shape {tuple(layout.shape)})")
        return
    if layout not in LAYOUTS:
        raise ValueError(f"ringattn: unknown layout {layout!r} (expected one "
                         f"of {', '.join(LAYOUTS)}, or a placement tensor)")


def positions(layout, rank, size, length):
    """The global positions of rank `rank`'s `length // size` tokens."""
    check_layout(layout)
    if is_placement(layout):
        blocks = layout.detach().cpu().long()
        per_rank, block = blocks.numel() // size, length // blocks.numel()
        mine = blocks[rank * per_rank:(rank + 1) * per_rank]
        return (mine.view(-1, 1) * block + torch.arange(block)).reshape(-1)
    local = length // size
    if layout == "contiguous":
        return torch.arange(rank * local, (rank + 1) * local)
    if layout == "striped":
        return torch.arange(local) * size + rank
    half = local // 2
    return torch.cat([torch.arange(rank * half, (rank + 1) * half),
                      torch.arange((2 * size - 1 - rank) * half,
                                   (2 * size - rank) * half)])


def check_length(layout, size, length):
    """Raises when `layout` cannot split `length` tokens over `size` ranks."""
    check_layout(layout)
    if is_placement(layout):
        error = (_native.placement_error(layout.tolist(), size, length // size)
                 if length % size == 0 else
                 f"{length} tokens do not split over {size} ranks")
        if error:
            raise ValueError(f"ringattn: the placement does not lay out "
                             f"{length} tokens over {size} ranks: {error}")
        return
    parts = 2 * size if layout == "zigzag" else size
    if length % parts:
        raise ValueError(
            f"ringattn: a sequence of {length} tokens does not split over "
            f"{size} ranks in the {layout} layout (needs a multiple of "
            f"{parts})")


def shard(x, layout, rank, size, dim=2):
    """Rank `rank`'s shard of the global sequence `x` (sequence on `dim`)."""
    check_length(layout, size, x.shape[dim])
    index = positions(layout, rank, size, x.shape[dim]).to(x.device)
    return x.index_select(dim, index).contiguous()


def unshard(shards, layout, dim=2):
    """The global sequence from every rank's shard, in rank order."""
    size = len(shards)
    length = shards[0].shape[dim] * size
    check_length(layout, size, length)
    shape = list(shards[0].shape)
    shape[dim] = length
    out = shards[0].new_empty(shape)
    for rank, part in enumerate(shards):
        index = positions(layout, rank, size, length).to(part.device)
        out.index_copy_(dim, index, part)
    return out


def balanced_placement(length, size, blocks_per_rank, *, causal=False,
                       window_left=None, window_right=None, documents=None):
    """The placement (an int32 tensor of size * blocks_per_rank blocks) that
    balances over `size` ranks the work a mask leaves of a sequence of
    `length` tokens: `causal`, a sliding window and packed `documents` (their
    start positions), as ringattn.attention takes them. Pass it as the
    layout of ringattn.shard, ringattn.attention and ringattn.unshard; every
    rank computes the same one. docs/Torch.md, "Balanced placement"."""
    if documents is not None:
        documents = [int(start) for start in torch.as_tensor(documents)
                     .reshape(-1).tolist()]
    if size < 1 or length % size:
        raise ValueError(f"ringattn: {length} tokens do not split over "
                         f"{size} ranks")
    blocks = _native.balanced_placement(
        causal, -1 if window_left is None else window_left,
        -1 if window_right is None else window_right, -1, documents or [],
        size, length // size, blocks_per_rank)
    return torch.tensor(blocks, dtype=torch.int32)
