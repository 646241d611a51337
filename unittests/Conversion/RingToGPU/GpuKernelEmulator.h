//===- GpuKernelEmulator.h - GPU kernels, run on the CPU --------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// Runs the gpu.func kernels of ring-lower-block-attention-gpu without a GPU:
// a kernel is rewritten into a host function of (its arguments, block id,
// thread id, dynamic shared memory), JIT-compiled, and run with one OS thread
// per GPU thread, one block at a time. gpu.barrier, gpu.shuffle,
// nvvm.mma.sync, nvgpu.ldmatrix, nvvm.wgmma.mma_async, the mbarrier ops,
// the cp.async ops and TMA's cp.async.bulk.tensor become calls into a small
// SIMT machine, whose mma.sync and ldmatrix implement the fragment layouts
// as the PTX ISA states them, whose wgmma reads its operands through their
// matrix descriptors (128-byte swizzle, K- or MN-major), whose mbarriers
// complete phases by arrival counts and transaction bytes (and report a
// deadlock rather than hang), whose cp.async copies land only when a
// wait_group says so (a kernel that reads a tile before waiting for it
// reads stale data here, as it could on a GPU), and whose TMA copies a box
// through a tensor map (TensorMap below), swizzled by shared-memory address
// and zero-filled past the tensor's end, completing on an mbarrier. The
// machine can also record every shared-memory access, to count the bank
// conflicts of each warp-wide access and to find accesses that race: a
// write and another thread's access with no happens-before between them,
// from block barriers and mbarrier phases (vector clocks). What only a GPU
// can test (the real instructions, timing) is scripts/gpu-check.sh's.
//
//===----------------------------------------------------------------------===//

#ifndef RINGATTN_UNITTESTS_CONVERSION_RINGTOGPU_GPUKERNELEMULATOR_H
#define RINGATTN_UNITTESTS_CONVERSION_RINGTOGPU_GPUKERNELEMULATOR_H

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/ExecutionEngine/CRunnerUtils.h"
#include "mlir/ExecutionEngine/ExecutionEngine.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace mlir {
namespace ring {
namespace emulation {

//===----------------------------------------------------------------------===//
// Shared-memory accesses, bank conflicts and races
//===----------------------------------------------------------------------===//

/// How an instrumented op touches shared memory (emu_shared_access's kind).
enum class AccessKind : int64_t { Read = 0, Write = 1, AsyncWrite = 2 };

/// A vector clock: per thread of the block, the last of its own clock ticks
/// (releases) this thread has acquired.
using VectorClock = std::vector<int32_t>;

/// The shared-memory accesses of one emulated thread, in program order: for
/// bank conflicts, and for races, with what the thread had synchronized
/// with when it made them.
struct SharedAccessLog {
  struct Access {
    int32_t site, execution; // the n-th execution of the site by the thread
    int64_t address, bytes;  // byte offset in shared memory, access width
  };
  std::vector<Access> accesses;
  std::vector<int32_t> executions; // per site, so far

  /// An access for the race check. Happens-before comes from vector
  /// clocks: a thread ticks its own clock at each release (a block
  /// barrier's arrival, an mbarrier arrive) and joins the releaser's clock
  /// at each acquire (leaving a block barrier, an mbarrier wait). Access x
  /// of thread X happens before access y of another thread iff
  /// x.done <= clocks[y.seen][X] in y's log.
  struct Touch {
    int32_t site;
    /// Where the access was issued in one run-wide order of all threads'
    /// accesses (a linearization of happens-before).
    int64_t sequence;
    /// The thread's vector clock at issue: an index into `clocks`.
    int32_t seen;
    /// The thread's own clock once the access is done: at issue, or, for a
    /// cp.async write, when the copy completes (it may land any time in
    /// between).
    int32_t done;
    int32_t address, bytes;
    bool write;
  };
  std::vector<Touch> touches;
  /// The thread's vector clock at its start and after each acquire.
  std::vector<VectorClock> clocks;
  /// The write of the cp.async being issued, until emu_async_copy takes it.
  std::optional<Touch> issuedWrite;
};

/// One lane's part of a warp-wide shared-memory access.
struct LaneAccess {
  int lane;
  int64_t address, bytes;
};

/// The bank-conflict degree of one warp-wide shared-memory access: the most
/// distinct 4-byte words any one bank serves, over the access's phases (1:
/// conflict-free, 32: fully serialized; 0: no lane accessed). The model of
/// compute capability 5.x and later (CUDA C++ Programming Guide, "Shared
/// Memory" of each compute capability): 32 banks of 4-byte words, word w in
/// bank w % 32; lanes accessing the same word are served together
/// (broadcast, or one write), so only distinct words in one bank serialize.
/// A warp moves at most 128 bytes per phase, so wider accesses are split:
/// 8-byte ones into two half-warps (lanes 0-15, 16-31), 16-byte ones into
/// four quarter-warps (lanes 0-7, ...), and lanes conflict only within their
/// phase (as Nsight Compute counts LDS.128 and STS.128: four wavefronts when
/// conflict-free; NVIDIA forums, "Unexpected shared memory bank conflict").
int conflictDegree(ArrayRef<LaneAccess> accesses);

/// A shared-memory access op of a kernel and its conflict degrees over every
/// warp-wide execution the emulation saw.
struct SharedSite {
  std::string kind;   // "vector.load 4B"
  std::string buffer; // "smem+34816 64x136xbf16"
  /// Nested in a key-tile loop: an scf.for whose body holds a gpu.barrier
  /// or an mbarrier wait itself (the only such loops of the kernels; they
  /// stream K and V tiles).
  bool hotLoop;
  int64_t instances = 0, degreeSum = 0;
  int worst = 0;
  double average() const {
    return instances ? double(degreeSum) / instances : 0.0;
  }
};

/// Groups one block's accesses by (site, warp, execution), the warp-wide
/// accesses of converged warps, and adds their degrees to `sites`.
void countConflicts(ArrayRef<SharedAccessLog> logs,
                    std::vector<SharedSite> &sites);

/// A byte of shared memory that one thread writes (or its cp.async may
/// land in) and another accesses with neither access happening before the
/// other: what a missing barrier, mbarrier wait or cp.async wait looks
/// like. Found from the logs by replaying them in their run-wide order
/// (FastTrack's check: each access against the byte's last write and the
/// reads since), so it holds for every order of the threads, not only the
/// one the emulation ran: at most one race a byte is reported.
struct SharedRace {
  int64_t address;
  int writer, other; // `other` reads, or writes too
  int32_t writeSite, otherSite;
};

std::vector<SharedRace> findRaces(ArrayRef<SharedAccessLog> logs);

//===----------------------------------------------------------------------===//
// Kernels on the host
//===----------------------------------------------------------------------===//

template <int N> using Desc = StridedMemRefType<char, N>;

/// What a kernel's tensor-map argument (an !llvm.ptr) points to here: what
/// cuTensorMapEncodeTiled encodes, innermost dimension first, for the only
/// modes the kernels use (128-byte swizzle, zero fill, no interleave). The
/// emulated cp.async.bulk.tensor reads it.
struct TensorMap {
  const char *address;
  int64_t rank, elementBytes;
  int64_t dims[5], byteStrides[5], box[5]; // byteStrides[0]: elementBytes
};

/// The tensor map of `desc` (elements of `elementBytes`) for boxes of
/// `box` elements, given in memref order, as
/// mgpuTensorMapEncodeTiledMemref makes it: at the memref's offset.
template <int N>
TensorMap tensorMapOf(const Desc<N> &desc, int64_t elementBytes,
                      ArrayRef<int64_t> box) {
  TensorMap map = {desc.data + desc.offset * elementBytes, N, elementBytes};
  for (int d = 0; d < N; ++d) {
    map.dims[d] = desc.sizes[N - 1 - d];
    map.byteStrides[d] = desc.strides[N - 1 - d] * elementBytes;
    map.box[d] = box[N - 1 - d];
  }
  return map;
}

/// A C-ordered buffer, 64-byte aligned as the kernels' vector loads need.
struct Buffer {
  Buffer(std::vector<int64_t> shape, int64_t bytesPerElement)
      : shape(std::move(shape)), bytesPerElement(bytesPerElement) {
    int64_t n = 1;
    for (int64_t s : this->shape)
      n *= s;
    size_t bytes = std::max<int64_t>(64, (n * bytesPerElement + 63) / 64 * 64);
    data = static_cast<char *>(std::aligned_alloc(64, bytes));
    std::memset(data, 0, bytes);
  }
  ~Buffer() { std::free(data); }
  template <int N> Desc<N> describe() {
    Desc<N> d;
    d.basePtr = d.data = data;
    d.offset = 0;
    int64_t stride = 1;
    for (int i = N - 1; i >= 0; --i) {
      d.sizes[i] = shape[i];
      d.strides[i] = stride;
      stride *= shape[i];
    }
    return d;
  }
  std::vector<int64_t> shape;
  int64_t bytesPerElement;
  char *data;
};

/// A kernel rewritten for the host and JIT-compiled. `fn` is
/// _mlir_ciface_emulated: the kernel's arguments (memrefs as descriptor
/// pointers), then block x, y, z, thread x and the shared memory (a
/// Desc<1> *).
struct EmulatedKernel {
  std::unique_ptr<ExecutionEngine> engine;
  void *fn = nullptr;
  int threads = 0;
  /// The dynamic shared memory a block gets; the caller sets it from the
  /// kernel's configuration.
  int64_t sharedBytes = 0;
  /// The shared-memory access sites, when compiled to record them.
  std::vector<SharedSite> sites;
  bool recordsShared = false;
  /// The races of every block run so far, when recording.
  std::vector<SharedRace> races;
};

/// Builds a kernel with `build` into a fresh gpu.module and compiles it for
/// `cpu` ("host" or an x86-64 level such as "x86-64-v3"), recording its
/// shared-memory accesses when `recordShared`.
void compileKernel(function_ref<gpu::GPUFuncOp(gpu::GPUModuleOp)> build,
                   StringRef cpu, bool recordShared, EmulatedKernel &result);

/// Runs one thread block: kernel.threads OS threads, each calling
/// `run(thread, shared)` with the SIMT machine set up for it (`bf16`: the
/// element type mma.sync multiplies; f16 otherwise). Afterwards every
/// thread must have waited for its cp.async copies; a recording kernel adds
/// the block's conflicts to its sites and its races to its races.
void runBlock(EmulatedKernel &kernel, bool bf16,
              function_ref<void(int thread, Desc<1> *shared)> run);

} // namespace emulation
} // namespace ring
} // namespace mlir

#endif // RINGATTN_UNITTESTS_CONVERSION_RINGTOGPU_GPUKERNELEMULATOR_H
