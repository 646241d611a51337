"""The ring's shifts through the caller's torch.distributed process group.

The runtime calls `start` and `wait` from the thread running the compiled
entry (the caller's, inside ringattn_context_invoke); each posts or completes
c10d point-to-point operations on the group's communicator, the send and the
receive of a shift as one batch (NCCL groups them, so a ring of any size
cannot deadlock). A failure or a timeout becomes the runtime's error for the
shift, which names this rank, the shift and the peers.

For an entry compiled for the GPU the bytes are device memory: with NCCL
they travel as they are, on NCCL's stream ordered after the caller's (the
compiled code has finished the work before a shift when it starts it, and
queues what follows a wait after it); a group without a CUDA backend (gloo)
gets them staged through host memory.
"""

import ctypes
import datetime

import torch
import torch.distributed as dist

from . import _native


class _DeviceBytes:
    """`count` bytes of device memory at `address`, as torch.as_tensor takes
    them (the CUDA array interface; no stream to synchronize with)."""

    def __init__(self, address, count):
        self.__cuda_array_interface__ = {
            "shape": (count,), "typestr": "|u1", "data": (address, False),
            "version": 3, "strides": None}


def _bytes_at(address, count, device):
    """A uint8 tensor over `count` bytes at `address` on `device` (no copy)."""
    if count == 0:
        return torch.empty(0, dtype=torch.uint8, device=device)
    if device.type == "cuda":
        return torch.as_tensor(_DeviceBytes(address, count), device=device)
    buffer = (ctypes.c_uint8 * count).from_address(address)
    return torch.frombuffer(buffer, dtype=torch.uint8)


def uses_nccl(group):
    """Whether `group` moves CUDA tensors with NCCL."""
    return "nccl" in str(dist.get_backend(group))


def host_moves(group):
    """Whether `group` has a backend for host tensors."""
    try:
        group._get_backend(torch.device("cpu"))
        return True
    except RuntimeError:
        return False


def _group(name):
    return dist.distributed_c10d._resolve_process_group(name)


class ProcessGroupTransport:
    """A ringattn_transport over the group named `group_name` (ranks are the
    group's ranks) for buffers on `device`.

    It holds the group's name, not the group: a context lives as long as
    the process and must not keep the group alive past
    destroy_process_group."""

    def __init__(self, group_name, device):
        self._group_name = group_name
        self._device = device
        # Device bytes through a group without NCCL go through host memory.
        self._staged = device.type == "cuda" and not uses_nccl(
            _group(group_name))
        self._requests = {}
        self._next = 1
        self._start = _native.TRANSPORT_START(self._start_shift)
        self._wait = _native.TRANSPORT_WAIT(self._wait_shift)

    def struct(self):
        return _native.Transport(None, self._start, self._wait)

    def begin_call(self):
        self._requests.clear()

    def end_call(self):
        # A stopped call leaves requests nobody will wait for.
        self._requests.clear()


    def _start_shift(self, user, src, dst, count, to, from_, seq, request,
                     error, error_size):
        try:
            source = _bytes_at(src, count, self._device)
            destination = _bytes_at(dst, count, self._device)
            received = destination
            if self._staged:
                source = source.cpu()
                received = torch.empty(count, dtype=torch.uint8)
            group = _group(self._group_name)
            works = dist.batch_isend_irecv([
                dist.P2POp(dist.irecv, received,
                           dist.get_global_rank(group, from_), group),
                dist.P2POp(dist.isend, source,
                           dist.get_global_rank(group, to), group)])
            handle = self._next
            self._next += 1
            # The tensors live until the wait: the works use them.
            self._requests[handle] = (works, source, received, destination)
            request[0] = handle
            return 0
        except Exception as exception:  # reported as the shift's error
            _native.write_error(error, error_size, _describe(exception))
            return 1

    def _wait_shift(self, user, request, timeout_seconds, error, error_size):
        try:
            works, _, received, destination = self._requests.pop(request)
            timeout = datetime.timedelta(seconds=timeout_seconds)
            for work in works:
                work.wait(timeout)
            if received is not destination:
                destination.copy_(received)
            return 0
        except Exception as exception:
            _native.write_error(error, error_size, _describe(exception))
            return 1


def _describe(exception):
    text = " ".join(str(exception).split())
    return f"{type(exception).__name__}: {text[:800]}"
