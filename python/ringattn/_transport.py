"""The ring's shifts through the caller's torch.distributed process group.

The runtime calls `start` and `wait` from the thread running the compiled
entry (the caller's, inside ringattn_context_invoke); each posts or completes
c10d point-to-point operations on the group's communicator: gloo on CPU. A
failure or a timeout becomes the runtime's error for the shift, which names
this rank, the shift and the peers.
"""

import ctypes
import datetime

import torch
import torch.distributed as dist

from . import _native


def _bytes_at(address, count):
    """A uint8 tensor over `count` bytes at `address` (no copy)."""
    if count == 0:
        return torch.empty(0, dtype=torch.uint8)
    buffer = (ctypes.c_uint8 * count).from_address(address)
    return torch.frombuffer(buffer, dtype=torch.uint8)


class ProcessGroupTransport:
    """A ringattn_transport over `group` (ranks are the group's ranks)."""

    def __init__(self, group):
        self._group = group
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

    def _global(self, rank):
        return dist.get_global_rank(self._group, rank)

    def _start_shift(self, user, src, dst, count, to, from_, seq, request,
                     error, error_size):
        try:
            receive = dist.irecv(_bytes_at(dst, count), src=self._global(from_),
                                 group=self._group)
            send = dist.isend(_bytes_at(src, count), dst=self._global(to),
                              group=self._group)
            handle = self._next
            self._next += 1
            self._requests[handle] = (send, receive)
            request[0] = handle
            return 0
        except Exception as exception:  # reported as the shift's error
            _native.write_error(error, error_size, _describe(exception))
            return 1

    def _wait_shift(self, user, request, timeout_seconds, error, error_size):
        try:
            send, receive = self._requests.pop(request)
            timeout = datetime.timedelta(seconds=timeout_seconds)
            receive.wait(timeout)
            send.wait(timeout)
            return 0
        except Exception as exception:
            _native.write_error(error, error_size, _describe(exception))
            return 1


def _describe(exception):
    text = " ".join(str(exception).split())
    return f"{type(exception).__name__}: {text[:800]}"
