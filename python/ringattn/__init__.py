"""RingAttn from PyTorch: exact ring attention over a process group.

    import ringattn
    out = ringattn.attention(q, k, v, causal=True, layout="zigzag")

q, k, v are this rank's shard of the sequence (ringattn.shard cuts one);
the op is a torch.library custom op with a fake kernel (torch.compile
traces it whole) and an autograd formula (the backward runs over the ring
too). See docs/Torch.md.
"""

from ._layouts import LAYOUTS, balanced_placement, positions, shard, unshard
from ._native import RingAttnError
from ._op import attention, compiled_configurations

__all__ = ["attention", "shard", "unshard", "positions", "LAYOUTS",
           "balanced_placement", "RingAttnError", "compiled_configurations"]
