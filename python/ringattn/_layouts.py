"""Sequence layouts: which global positions each rank of the ring holds.

The same definitions as docs/Semantics.md ("Sequence layouts"), written
again here on torch tensors for sharding and unsharding; the tests check them
against the compiled ring, which uses the C++ ones.
"""

import torch

LAYOUTS = ("contiguous", "zigzag", "striped")


def check_layout(layout):
    if layout not in LAYOUTS:
        raise ValueError(f"ringattn: unknown layout {layout!r} (expected one "
                         f"of {', '.join(LAYOUTS)})")


def positions(layout, rank, size, length):
    """The global positions of rank `rank`'s `length // size` tokens."""
    check_layout(layout)
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
