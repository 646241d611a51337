"""The C libraries RingAttn builds, through ctypes.

libRingAttnCompiler.so compiles ring-level modules into this process
(include/RingAttn-c/Compiler.h), loaded at the first compile: a process
that only loads modules compiled ahead of time (ringattn.aot) needs no LLVM.
libRingAttnRuntime.so runs their entries through an embedding context
(include/RingAttn/Runtime/Embedding.h), and libRingAttnRuntimeGPU.so adds
what entries compiled for the GPU call. The runtimes are loaded with their
symbols global, so that compiled modules resolve their calls there. All are
found in $RINGATTN_LIBRARY_DIR (an installed prefix's lib/), else in the
build tree of the checkout this package was installed from (pip install -e
python), else by the loader.
"""

import ctypes
import functools
import os
from pathlib import Path

_ERROR_SIZE = 2048


class RingAttnError(RuntimeError):
    """A RingAttn call failed; the message says what and where."""


def _library_dirs():
    if os.environ.get("RINGATTN_LIBRARY_DIR"):
        yield Path(os.environ["RINGATTN_LIBRARY_DIR"])
    here = Path(__file__).resolve().parent
    yield here / "_lib"
    build = here.parent.parent / "build" / "lib"
    yield build / "Runtime"
    yield build / "Runtime" / "GPU"
    yield build / "CAPI"


def _load(name, mode=ctypes.DEFAULT_MODE):
    tried = []
    for directory in _library_dirs():
        path = directory / name
        tried.append(str(path))
        if path.exists():
            return ctypes.CDLL(str(path), mode=mode)
    try:
        return ctypes.CDLL(name, mode=mode)
    except OSError as error:
        raise RingAttnError(
            f"cannot load {name} (looked in {', '.join(tried)} and the "
            f"loader's path: {error}); build RingAttn (scripts/run-example.sh) "
            "or set RINGATTN_LIBRARY_DIR to the folder holding it") from None


# int start(user, src, dst, bytes, to, from, seq, request*, error, size)
TRANSPORT_START = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p,
    ctypes.c_int64, ctypes.c_int64, ctypes.c_int64, ctypes.c_int64,
    ctypes.POINTER(ctypes.c_void_p), ctypes.c_void_p, ctypes.c_size_t)
# int wait(user, request, timeout_seconds, error, size)
TRANSPORT_WAIT = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_double,
    ctypes.c_void_p, ctypes.c_size_t)


class Transport(ctypes.Structure):
    _fields_ = [("user", ctypes.c_void_p), ("start", TRANSPORT_START),
                ("wait", TRANSPORT_WAIT)]


class ContextOptions(ctypes.Structure):
    _fields_ = [("rank", ctypes.c_int64), ("size", ctypes.c_int64),
                ("transport", ctypes.POINTER(Transport)),
                ("timeout_seconds", ctypes.c_double),
                ("stream", ctypes.c_void_p)]


class WorkspaceStats(ctypes.Structure):
    _fields_ = [("bytes_held", ctypes.c_uint64),
                ("system_allocations", ctypes.c_uint64),
                ("device_bytes_held", ctypes.c_uint64),
                ("device_allocations", ctypes.c_uint64)]


STATUS_NAMES = {1: "invalid argument", 2: "transport failed",
                3: "call failed"}

_runtime = _load("libRingAttnRuntime.so", ctypes.RTLD_GLOBAL)

_runtime.ringattn_context_create.restype = ctypes.c_int
_runtime.ringattn_context_create.argtypes = [
    ctypes.POINTER(ContextOptions), ctypes.POINTER(ctypes.c_void_p),
    ctypes.c_char_p, ctypes.c_size_t]
_runtime.ringattn_context_destroy.argtypes = [ctypes.c_void_p]
_runtime.ringattn_context_invoke.restype = ctypes.c_int
_runtime.ringattn_context_invoke.argtypes = [
    ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int64,
    ctypes.POINTER(ctypes.c_void_p)]
_runtime.ringattn_context_error.restype = ctypes.c_char_p
_runtime.ringattn_context_error.argtypes = [ctypes.c_void_p]
_runtime.ringattn_context_workspace.restype = WorkspaceStats
_runtime.ringattn_context_workspace.argtypes = [ctypes.c_void_p]


class PlacementMask(ctypes.Structure):
    """ringattn_placement_mask (include/RingAttn/Runtime/Placement.h)."""
    _fields_ = [("causal", ctypes.c_int), ("window_left", ctypes.c_int64),
                ("window_right", ctypes.c_int64), ("length", ctypes.c_int64),
                ("starts", ctypes.POINTER(ctypes.c_int32)),
                ("num_starts", ctypes.c_int64)]


_INT32S = ctypes.POINTER(ctypes.c_int32)
_runtime.ringattn_check_placement.restype = ctypes.c_int
_runtime.ringattn_check_placement.argtypes = [
    _INT32S, ctypes.c_int64, ctypes.c_int64, ctypes.c_int64, ctypes.c_char_p,
    ctypes.c_size_t]
_runtime.ringattn_balanced_placement.restype = ctypes.c_int
_runtime.ringattn_balanced_placement.argtypes = [
    ctypes.POINTER(PlacementMask), ctypes.c_int64, ctypes.c_int64,
    ctypes.c_int64, _INT32S, ctypes.c_char_p, ctypes.c_size_t]


def _int32s(values):
    values = list(values)
    return (ctypes.c_int32 * max(len(values), 1))(*values), len(values)


def placement_error(blocks, ranks, local_length):
    """What is wrong with `blocks` (ints) as a placement of `ranks` ranks of
    `local_length` tokens, or None (lib/Support's placementError)."""
    array, count = _int32s(blocks)
    error = ctypes.create_string_buffer(_ERROR_SIZE)
    if _runtime.ringattn_check_placement(array, count, ranks, local_length,
                                         error, _ERROR_SIZE):
        return error.value.decode()
    return None


def balanced_placement(causal, window_left, window_right, length, starts,
                       ranks, local_length, blocks_per_rank):
    """The blocks (ints) of the placement that balances the mask's work
    (lib/Support's balancedPlacement); -1 for no window bound or length."""
    starts_array, num_starts = _int32s(starts)
    mask = PlacementMask(int(causal), window_left, window_right, length,
                         starts_array, num_starts)
    blocks = (ctypes.c_int32 * (ranks * blocks_per_rank))()
    error = ctypes.create_string_buffer(_ERROR_SIZE)
    if _runtime.ringattn_balanced_placement(
            ctypes.byref(mask), ranks, local_length, blocks_per_rank, blocks,
            error, _ERROR_SIZE):
        raise ValueError(f"ringattn: no balanced placement: "
                         f"{error.value.decode()}")
    return list(blocks)


@functools.lru_cache(maxsize=None)
def _compiler():
    compiler = _load("libRingAttnCompiler.so")
    compiler.ringattnCompileModule.restype = ctypes.c_void_p
    compiler.ringattnCompileModule.argtypes = [
        ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_size_t]
    compiler.ringattnCompiledModuleLookup.restype = ctypes.c_void_p
    compiler.ringattnCompiledModuleLookup.argtypes = [
        ctypes.c_void_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_size_t]
    compiler.ringattnCompiledModuleDestroy.argtypes = [ctypes.c_void_p]
    return compiler


@functools.lru_cache(maxsize=None)
def _gpu_runtime():
    gpu = _load("libRingAttnRuntimeGPU.so", ctypes.RTLD_GLOBAL)
    gpu.mgpuSetDefaultDevice.argtypes = [ctypes.c_int32]
    return gpu


def select_gpu(ordinal):
    """Makes CUDA device `ordinal` the one the GPU runtime uses: modules load
    on it, and its context is current when their entries run."""
    _gpu_runtime().mgpuSetDefaultDevice(ordinal)


def write_error(buffer, size, message):
    """Writes `message` into a C error buffer of `size` bytes."""
    data = message.encode("utf-8", "replace")[: max(size - 1, 0)] + b"\0"
    ctypes.memmove(buffer, data, len(data))


class CompiledModule:
    """A ring-level module compiled and linked into this process."""

    def __init__(self, source, pipeline=""):
        """Lowers `source` with `pipeline` (textual; "": ring-lower-cpu)."""
        error = ctypes.create_string_buffer(_ERROR_SIZE)
        self._compiler = _compiler()  # outlives the handle
        self._handle = self._compiler.ringattnCompileModule(
            source.encode(), pipeline.encode(), error, _ERROR_SIZE)
        if not self._handle:
            raise RingAttnError("compiling the attention module failed: " +
                                error.value.decode())

    def entry(self, name):
        error = ctypes.create_string_buffer(_ERROR_SIZE)
        address = self._compiler.ringattnCompiledModuleLookup(
            self._handle, ("_mlir_ciface_" + name).encode(), error,
            _ERROR_SIZE)
        if not address:
            raise RingAttnError(error.value.decode())
        return address

    def __del__(self):
        if getattr(self, "_handle", None):
            self._compiler.ringattnCompiledModuleDestroy(self._handle)


class LoadedModule:
    """A module compiled ahead of time into a shared object (ringattn.aot),
    loaded into this process; it calls the runtimes loaded here."""

    def __init__(self, path):
        try:
            self._library = ctypes.CDLL(str(path))
        except OSError as error:
            raise RingAttnError(f"loading {path} failed: {error}") from None
        self.path = path

    def entry(self, name):
        symbol = "_mlir_ciface_" + name
        try:
            function = getattr(self._library, symbol)
        except AttributeError:
            raise RingAttnError(f"{self.path} has no {symbol}") from None
        return ctypes.cast(function, ctypes.c_void_p).value


class Context:
    """An embedding context: this process's rank of a ring and its transport."""

    def __init__(self, rank, size, transport=None, timeout_seconds=60.0,
                 stream=None):
        """`stream`: the CUDA stream (its address) GPU entries queue on."""
        self._transport = transport  # keeps the callbacks alive
        self._struct = transport.struct() if transport else None
        options = ContextOptions(
            rank, size,
            ctypes.pointer(self._struct) if self._struct else None,
            timeout_seconds, stream)
        handle = ctypes.c_void_p()
        error = ctypes.create_string_buffer(_ERROR_SIZE)
        status = _runtime.ringattn_context_create(
            ctypes.byref(options), ctypes.byref(handle), error, _ERROR_SIZE)
        if status != 0:
            raise RingAttnError("ringattn: " + error.value.decode())
        self._handle = handle.value

    def invoke(self, entry, descriptors):
        """Calls `entry` with memref descriptors (ctypes structures)."""
        pointers = (ctypes.c_void_p * len(descriptors))(
            *[ctypes.cast(ctypes.byref(d), ctypes.c_void_p)
              for d in descriptors])
        if self._transport is not None:
            self._transport.begin_call()
        status = _runtime.ringattn_context_invoke(
            self._handle, entry, len(descriptors), pointers)
        if self._transport is not None:
            self._transport.end_call()
        if status != 0:
            message = _runtime.ringattn_context_error(self._handle).decode()
            raise RingAttnError(
                f"ringattn: {message} ({STATUS_NAMES.get(status, status)})")

    def workspace(self):
        """(host bytes held, host system allocations, device bytes held,
        device allocations)."""
        stats = _runtime.ringattn_context_workspace(self._handle)
        return (stats.bytes_held, stats.system_allocations,
                stats.device_bytes_held, stats.device_allocations)

    def __del__(self):
        if getattr(self, "_handle", None):
            _runtime.ringattn_context_destroy(self._handle)


@functools.lru_cache(maxsize=None)
def _descriptor_type(rank):
    """MLIR's ranked memref descriptor of `rank` dimensions."""

    class Descriptor(ctypes.Structure):
        _fields_ = [("allocated", ctypes.c_void_p),
                    ("aligned", ctypes.c_void_p),
                    ("offset", ctypes.c_int64),
                    ("sizes", ctypes.c_int64 * rank),
                    ("strides", ctypes.c_int64 * rank)]

    return Descriptor


def memref_descriptor(tensor):
    """The memref descriptor of a tensor (sizes and strides in elements; a
    CUDA tensor's pointers are device addresses)."""
    rank = tensor.dim()
    return _descriptor_type(rank)(tensor.data_ptr(), tensor.data_ptr(), 0,
                      (ctypes.c_int64 * rank)(*tensor.shape),
                      (ctypes.c_int64 * rank)(*tensor.stride()))
