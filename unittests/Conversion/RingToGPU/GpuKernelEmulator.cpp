//===- GpuKernelEmulator.cpp - GPU kernels, run on the CPU ----------------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// The SIMT machine, the rewriting of a kernel into a host function, and the
// shared-memory bookkeeping of GpuKernelEmulator.h.
//
//===----------------------------------------------------------------------===//

#include "GpuKernelEmulator.h"

#include "RingAttn/Support/Float16.h"
#include "RingAttn/Transforms/Passes.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"

#include "llvm/Support/Regex.h"
#include "llvm/Support/TargetSelect.h"

#include "gtest/gtest.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <map>
#include <mutex>
#include <thread>
#include <tuple>
#include <unordered_map>

using namespace mlir;
using namespace mlir::ring;
using namespace mlir::ring::emulation;

namespace {

//===----------------------------------------------------------------------===//
// The SIMT machine
//===----------------------------------------------------------------------===//

/// Joins `from` into `into` (an empty clock: nothing acquired yet).
void join(VectorClock &into, const VectorClock &from) {
  if (into.empty()) {
    into = from;
    return;
  }
  for (size_t i = 0; i < from.size(); ++i)
    into[i] = std::max(into[i], from[i]);
}

/// A barrier of `count` threads. When the race check records, each thread
/// arrives with the clock it releases and leaves with the join of all of
/// them.
class Barrier {
public:
  explicit Barrier(int count) : count(count) {}
  VectorClock wait(const VectorClock &released = {}) {
    std::unique_lock<std::mutex> lock(mutex);
    int generation = this->generation;
    join(arrivals, released);
    if (++arrived == count) {
      published = std::move(arrivals);
      arrivals.clear();
      arrived = 0;
      ++this->generation;
      cv.notify_all();
      return published;
    }
    cv.wait(lock, [&] { return generation != this->generation; });
    // Not overwritten yet: the next generation needs this thread too.
    return published;
  }

private:
  std::mutex mutex;
  std::condition_variable cv;
  const int count;
  int arrived = 0;
  int generation = 0;
  VectorClock arrivals, published;
};

/// What the 32 lanes of a warp exchange in one shuffle or mma.sync.
struct WarpSlots {
  float shuffle[32];
  uint32_t a[32][4], b[32][2];
  uint32_t rows[32][4]; // ldmatrix: the 16-byte row each lane points at
  Barrier barrier{32};
};

/// An mbarrier object, known by its shared-memory offset: a phase
/// completes when `expected` arrivals have arrived and its transaction
/// count (bytes expected by arrive.expect_tx, less those asynchronous
/// copies completed on it) is back to 0; when recording, it releases the
/// join of the arrivals' and copies' clocks to the threads that wait for it.
struct MBarrier {
  int64_t expected = 0, pending = 0, phase = 0, tx = 0;
  int waiters = 0;                    // threads waiting for the current phase
  VectorClock arrivals, completed[2]; // completed: by the phase's parity
};

struct ThreadBlock {
  explicit ThreadBlock(int threads)
      : threads(threads), barrier(threads), warps((threads + 31) / 32) {}
  const int threads;
  Barrier barrier;
  std::vector<WarpSlots> warps;
  bool bf16 = true;
  std::mutex mbarrierMutex; // guards the mbarriers and the counts below
  std::condition_variable mbarrierChanged;
  std::map<int64_t, MBarrier> mbarriers;
  /// Threads waiting for an mbarrier phase to complete, and threads that
  /// have returned: when they are all of them, no phase can complete.
  int waiting = 0, finished = 0;
  bool deadlocked = false, deadlockReported = false;
  void noteIfDeadlocked() {
    if (waiting + finished == threads && waiting > 0) {
      deadlocked = true;
      mbarrierChanged.notify_all();
    }
  }
  /// The run-wide order of recorded shared-memory accesses.
  std::atomic<int64_t> sequence{0};
};

thread_local ThreadBlock *currentBlock;
thread_local int currentThread;
thread_local SharedAccessLog *currentLog; // when recording shared accesses
/// This thread's vector clock, when recording.
thread_local VectorClock currentClock;

/// A release: the clock this thread publishes, then a tick of its own.
VectorClock release() {
  if (!currentLog)
    return {};
  VectorClock released = currentClock;
  ++currentClock[currentThread];
  return released;
}

void acquire(const VectorClock &clock) {
  if (!currentLog)
    return;
  join(currentClock, clock);
  currentLog->clocks.push_back(currentClock);
}

/// A recorded access of this thread, made now.
SharedAccessLog::Touch touchNow(int32_t site, int64_t address, int64_t bytes,
                                bool write) {
  return {site,
          currentBlock->sequence++,
          int32_t(currentLog->clocks.size() - 1),
          currentClock[currentThread],
          int32_t(address),
          int32_t(bytes),
          write};
}

extern "C" void emu_barrier() {
  acquire(currentBlock->barrier.wait(release()));
}

//===----------------------------------------------------------------------===//
// mbarriers
//===----------------------------------------------------------------------===//

/// How long a thread waits for an mbarrier phase before calling it a
/// deadlock that the counts of ThreadBlock cannot see (other threads stuck
/// at a block barrier): the emulation reports it and goes on.
constexpr std::chrono::seconds kMBarrierDeadlock(120);

MBarrier *findMBarrier(int64_t address, const char *op) {
  auto it = currentBlock->mbarriers.find(address);
  if (it != currentBlock->mbarriers.end())
    return &it->second;
  ADD_FAILURE() << op << " by thread " << currentThread << " at shared byte "
                << address << ", where no mbarrier was initialized";
  return nullptr;
}

extern "C" void emu_mbarrier_init(int64_t address, int32_t arrivals) {
  std::lock_guard<std::mutex> lock(currentBlock->mbarrierMutex);
  currentBlock->mbarriers[address] = MBarrier{arrivals, arrivals};
}

/// Completes the current phase of `barrier` if nothing is outstanding.
/// The caller holds the block's mbarrier mutex.
void completePhaseIfDone(MBarrier &barrier) {
  if (barrier.pending > 0 || barrier.tx != 0)
    return;
  barrier.completed[barrier.phase % 2] = std::move(barrier.arrivals);
  barrier.arrivals.clear();
  ++barrier.phase;
  barrier.pending = barrier.expected;
  // Its waiters can run again.
  currentBlock->waiting -= barrier.waiters;
  barrier.waiters = 0;
  currentBlock->mbarrierChanged.notify_all();
}

/// mbarrier.arrive(.expect_tx): raises the transaction count by
/// `expectedBytes`, then arrives.
void arriveOn(int64_t address, int64_t expectedBytes, const char *op) {
  VectorClock released = release();
  std::lock_guard<std::mutex> lock(currentBlock->mbarrierMutex);
  MBarrier *barrier = findMBarrier(address, op);
  if (!barrier)
    return;
  join(barrier->arrivals, released);
  barrier->tx += expectedBytes;
  --barrier->pending;
  completePhaseIfDone(*barrier);
}

extern "C" void emu_mbarrier_arrive(int64_t address) {
  arriveOn(address, 0, "mbarrier.arrive");
}

extern "C" void emu_mbarrier_arrive_expect_tx(int64_t address, int32_t bytes) {
  arriveOn(address, bytes, "mbarrier.arrive.expect_tx");
}

/// mbarrier.try_wait.parity, looped until it succeeds: returns once the
/// phase of parity `parity` has completed (the current phase's parity is
/// the other one).
extern "C" void emu_mbarrier_wait_parity(int64_t address, int32_t parity) {
  std::unique_lock<std::mutex> lock(currentBlock->mbarrierMutex);
  MBarrier *barrier = findMBarrier(address, "mbarrier.try_wait.parity");
  if (!barrier)
    return;
  ThreadBlock &block = *currentBlock;
  if (barrier->phase % 2 == parity) {
    // The phase is the current one: wait for it to complete.
    const int64_t phase = barrier->phase;
    ++barrier->waiters;
    ++block.waiting;
    block.noteIfDeadlocked();
    bool woken = block.mbarrierChanged.wait_for(lock, kMBarrierDeadlock, [&] {
      return barrier->phase != phase || block.deadlocked;
    });
    if (barrier->phase == phase) {
      --barrier->waiters;
      --block.waiting;
      // The first thread reports where it is stuck; all run on
      // unsynchronized.
      block.deadlocked = true;
      block.mbarrierChanged.notify_all();
      if (std::exchange(block.deadlockReported, true))
        return;
      ADD_FAILURE() << "deadlock: thread " << currentThread
                    << " waits for the phase of parity " << parity
                    << " of the mbarrier at shared byte " << address
                    << " (phase " << phase << ", " << barrier->pending
                    << " arrivals and " << barrier->tx
                    << " transaction bytes missing)"
                    << (woken ? ", which no thread can complete"
                              : ", for longer than the limit");
      return;
    }
  }
  acquire(barrier->completed[parity]);
}

extern "C" float emu_shuffle_xor(float value, int32_t offset) {
  WarpSlots &warp = currentBlock->warps[currentThread / 32];
  int lane = currentThread % 32;
  warp.shuffle[lane] = value;
  warp.barrier.wait();
  float result = warp.shuffle[lane ^ offset];
  warp.barrier.wait();
  return result;
}

float element(uint32_t word, int half, bool bf16) {
  uint16_t bits = half ? word >> 16 : word & 0xffff;
  return bf16 ? ringattn::bfloat16ToFloat(bits) : ringattn::halfToFloat(bits);
}

/// The A element (row, k) of an m16n8k16 fragment held by a warp whose
/// lanes put their four A registers in `a` (PTX ISA, "Matrix Fragments for
/// mma.m16n8k16 with floating point type"; wgmma's register A for the
/// warp's 16 rows is the same).
float fragmentA(const uint32_t (*a)[4], int row, int k, bool bf16) {
  int holder = (row % 8) * 4 + (k % 8) / 2;
  int i = (k >= 8 ? 4 : 0) + (row >= 8 ? 2 : 0) + k % 2;
  return element(a[holder][i / 2], i % 2, bf16);
}

/// D = A B + C for m16n8k16, row-major A, column-major B (PTX ISA,
/// "Matrix Fragments for mma.m16n8k16 with floating point type"): lane
/// l = 4 g + t holds A rows g and g + 8, columns 2t, 2t + 1 (+ 8), B column
/// g, rows 2t, 2t + 1 (+ 8), and C/D rows g, g + 8, columns 2t, 2t + 1.
extern "C" void emu_mma(int32_t a0, int32_t a1, int32_t a2, int32_t a3,
                        int32_t b0, int32_t b1, float c0, float c1, float c2,
                        float c3, int64_t out) {
  WarpSlots &warp = currentBlock->warps[currentThread / 32];
  bool bf16 = currentBlock->bf16;
  int lane = currentThread % 32;
  uint32_t a[4] = {uint32_t(a0), uint32_t(a1), uint32_t(a2), uint32_t(a3)};
  std::memcpy(warp.a[lane], a, sizeof(a));
  warp.b[lane][0] = b0;
  warp.b[lane][1] = b1;
  warp.barrier.wait();
  auto bAt = [&](int k, int col) {
    int holder = col * 4 + (k % 8) / 2;
    int i = (k >= 8 ? 2 : 0) + k % 2;
    return element(warp.b[holder][i / 2], i % 2, bf16);
  };
  float c[4] = {c0, c1, c2, c3};
  float *d = reinterpret_cast<float *>(out);
  int g = lane / 4, t = lane % 4;
  for (int i = 0; i < 4; ++i) {
    int row = g + (i >= 2 ? 8 : 0), col = 2 * t + i % 2;
    float sum = c[i];
    for (int k = 0; k < 16; ++k)
      sum += fragmentA(warp.a, row, k, bf16) * bAt(k, col);
    d[i] = sum;
  }
  warp.barrier.wait();
}

/// ldmatrix.sync.aligned.m8n8.x4(.trans).b16 (PTX ISA, "Warp-level matrix
/// load instruction: ldmatrix"): lanes 8i..8i+7 give the rows of 8x8 tile
/// i, and register i of lane l = 4 g + t receives row g, columns 2t and
/// 2t + 1 of tile i, or with .trans column g, rows 2t and 2t + 1.
extern "C" void emu_ldmatrix(int32_t w0, int32_t w1, int32_t w2, int32_t w3,
                             int32_t transpose, int64_t out) {
  WarpSlots &warp = currentBlock->warps[currentThread / 32];
  int lane = currentThread % 32;
  uint32_t row[4] = {uint32_t(w0), uint32_t(w1), uint32_t(w2), uint32_t(w3)};
  std::memcpy(warp.rows[lane], row, sizeof(row));
  warp.barrier.wait();
  auto half = [&](int holder, int col) -> uint32_t {
    return (warp.rows[holder][col / 2] >> (16 * (col % 2))) & 0xffff;
  };
  int g = lane / 4, t = lane % 4;
  auto *registers = reinterpret_cast<uint32_t *>(out);
  for (int i = 0; i < 4; ++i)
    registers[i] =
        transpose ? half(8 * i + 2 * t, g) | half(8 * i + 2 * t + 1, g) << 16
                  : warp.rows[8 * i + g][t];
  warp.barrier.wait();
}

//===----------------------------------------------------------------------===//
// Shared-memory accesses
//===----------------------------------------------------------------------===//

/// The block's shared memory; kernels see its offsets as shared-window
/// addresses, the window starting at 0 (so 1024-byte aligned).
thread_local char *currentShared;

extern "C" void emu_shared_access(int64_t site, int64_t address, int64_t bytes,
                                  int64_t kind) {
  SharedAccessLog &log = *currentLog;
  if (log.executions.size() <= size_t(site))
    log.executions.resize(site + 1, 0);
  log.accesses.push_back(
      {int32_t(site), log.executions[site]++, address, bytes});
  SharedAccessLog::Touch touch = touchNow(int32_t(site), address, bytes,
                                          AccessKind(kind) != AccessKind::Read);
  if (AccessKind(kind) == AccessKind::AsyncWrite)
    log.issuedWrite = touch;
  else
    log.touches.push_back(touch);
}

//===----------------------------------------------------------------------===//
// wgmma
//===----------------------------------------------------------------------===//

/// A wgmma matrix descriptor (PTX ISA, "Matrix Descriptor Format": start
/// address, leading and stride byte offsets in 16-byte units, bits 0-13,
/// 16-29, 32-45; the swizzle mode in bits 62-63) and the addresses of the
/// 128-byte-swizzled canonical layouts it describes ("Shared Memory Matrix
/// Layout"; CUTLASS's GmmaDescriptor states the same in cute layouts).
struct MatrixDescriptor {
  explicit MatrixDescriptor(uint64_t bits)
      : start((bits & 0x3fff) << 4), leading(((bits >> 16) & 0x3fff) << 4),
        stride(((bits >> 32) & 0x3fff) << 4), swizzle(bits >> 62) {}
  /// Element (mn, k) of a K-major operand: 128-byte rows along k, 8-row
  /// groups `stride` apart (the leading offset is unused).
  int64_t kMajor(int mn, int k) const {
    return swizzled(start + (mn % 8) * 128 + (mn / 8) * stride + 2 * k);
  }
  /// Element (mn, k) of an MN-major operand: 128-byte rows of 64 mn
  /// elements, one per k; 8-row groups `stride` apart, 64-element groups
  /// along mn `leading` apart.
  int64_t mnMajor(int mn, int k) const {
    return swizzled(start + (k % 8) * 128 + (k / 8) * stride +
                    (mn / 64) * leading + 2 * (mn % 64));
  }
  /// The 128-byte swizzle: address bits 4-6 XOR bits 7-9.
  static constexpr int64_t kSwizzleBytes = 128;
  static int64_t swizzled(int64_t address) {
    return address ^ (((address >> 7) & 7) << 4);
  }
  int64_t start, leading, stride;
  uint64_t swizzle;
};

/// wgmma.mma_async m64nNk16 with f32 accumulators and B in shared memory;
/// A in shared memory too (descriptor `a`), or, when `aRegisters` is not
/// null, in the registers of the thread's warp (four each, the .rs form):
/// this thread's part of D = A B + D, done at issue (as if the group
/// completed at once). Thread t of the warpgroup holds what lane t % 32 of
/// mma.sync's C fragment would for rows 16 (t / 32) + g, + 8 of each
/// 8-column slice (PTX ISA, "Matrix Fragments for wgmma.m64nNk16"). With
/// `site` >= 0 its shared-memory reads are logged for the race check.
extern "C" void emu_wgmma(int64_t a, int64_t b, int32_t n, int32_t transposeB,
                          int64_t accumulators, int32_t site,
                          int64_t aRegisters) {
  MatrixDescriptor descA(a), descB(b);
  EXPECT_TRUE(aRegisters || descA.swizzle == 1)
      << "only 128-byte swizzled A is modelled";
  EXPECT_EQ(descB.swizzle, 1u) << "only 128-byte swizzled B is modelled";
  bool bf16 = currentBlock->bf16;
  WarpSlots &warp = currentBlock->warps[currentThread / 32];
  if (aRegisters) {
    std::memcpy(warp.a[currentThread % 32],
                reinterpret_cast<const uint32_t *>(aRegisters),
                sizeof(warp.a[0]));
    warp.barrier.wait();
  }
  auto at = [&](int64_t address) {
    uint16_t bits;
    std::memcpy(&bits, currentShared + address, 2);
    return bf16 ? ringattn::bfloat16ToFloat(bits) : ringattn::halfToFloat(bits);
  };
  auto elementOfB = [&](int col, int k) {
    return transposeB ? descB.mnMajor(col, k) : descB.kMajor(col, k);
  };
  int t = currentThread % 128, lane = t % 32;
  int g = lane / 4, q = lane % 4;
  auto rowOf = [&](int i) { return 16 * (t / 32) + g + 8 * (i % 4 / 2); };
  auto elementOfA = [&](int row, int k) {
    return aRegisters ? fragmentA(warp.a, row % 16, k, bf16)
                      : at(descA.kMajor(row, k));
  };
  auto colOf = [&](int i) { return 8 * (i / 4) + 2 * q + i % 2; };
  if (site >= 0 && currentLog) {
    auto touch = [&](int64_t address) {
      currentLog->touches.push_back(touchNow(site, address, 2, false));
    };
    for (int k = 0; k < 16; ++k) {
      for (int i = 0; i < 4 && !aRegisters; i += 2) // its two rows of A
        touch(descA.kMajor(rowOf(i), k));
      for (int i = 0; i < n / 2; i += 4) // its columns of B, 2 a slice
        for (int e = 0; e < 2; ++e)
          touch(elementOfB(colOf(i + e), k));
    }
  }
  auto *d = reinterpret_cast<float *>(accumulators);
  for (int i = 0; i < n / 2; ++i) {
    float sum = d[i];
    for (int k = 0; k < 16; ++k)
      sum += elementOfA(rowOf(i), k) * at(elementOfB(colOf(i), k));
    d[i] = sum;
  }
  if (aRegisters)
    warp.barrier.wait(); // the slots are free again
}

/// One thread's cp.async copies: issued, committed in groups, performed
/// when cp.async.wait_group lets them complete.
struct AsyncCopies {
  struct Copy {
    void *dst;
    const void *src;
    int64_t bytes;
    /// Its write, when the kernel was compiled to record shared accesses.
    std::optional<SharedAccessLog::Touch> shared;
  };
  std::vector<Copy> uncommitted;
  std::vector<std::vector<Copy>> groups; // oldest first
  bool idle() const { return uncommitted.empty() && groups.empty(); }
};

thread_local AsyncCopies *currentCopies;

extern "C" void emu_async_copy(int64_t dst, int64_t src, int64_t bytes) {
  std::optional<SharedAccessLog::Touch> shared;
  if (currentLog)
    std::swap(shared, currentLog->issuedWrite);
  currentCopies->uncommitted.push_back({reinterpret_cast<void *>(dst),
                                        reinterpret_cast<const void *>(src),
                                        bytes, shared});
}

extern "C" void emu_async_commit() {
  currentCopies->groups.push_back(std::move(currentCopies->uncommitted));
  currentCopies->uncommitted.clear();
}

/// Completes all but the newest `pending` groups.
extern "C" void emu_async_wait(int32_t pending) {
  auto &groups = currentCopies->groups;
  while (int64_t(groups.size()) > pending) {
    for (const AsyncCopies::Copy &copy : groups.front()) {
      std::memcpy(copy.dst, copy.src, copy.bytes);
      if (copy.shared) {
        SharedAccessLog::Touch touch = *copy.shared;
        touch.done = currentClock[currentThread];
        currentLog->touches.push_back(touch);
      }
    }
    groups.erase(groups.begin());
  }
}

//===----------------------------------------------------------------------===//
// TMA
//===----------------------------------------------------------------------===//

/// cp.async.bulk.tensor.Nd.shared::cluster.global.tile.mbarrier::
/// complete_tx::bytes (PTX ISA, "cp.async.bulk.tensor"; the tensor map's
/// layout: CUDA driver API, cuTensorMapEncodeTiled): the box at
/// `coordinates` (innermost first) of the tensor `map` describes, row after
/// row of box[0] elements from shared address `dst`, 128-byte swizzled by
/// address as wgmma reads it (MatrixDescriptor::swizzled), elements outside
/// the tensor zero. The copy is done at issue; its bytes then complete on
/// the mbarrier at `barrierAddress`, releasing the issuer's clock after its
/// writes (logged under `site` when >= 0).
extern "C" void emu_tma_load(int64_t dst, int64_t mapAddress, int32_t c0,
                             int32_t c1, int32_t c2, int32_t c3, int32_t c4,
                             int32_t rank, int64_t barrierAddress,
                             int32_t site) {
  const auto &map = *reinterpret_cast<const TensorMap *>(mapAddress);
  const int32_t coordinates[5] = {c0, c1, c2, c3, c4};
  const int64_t rowBytes = map.box[0] * map.elementBytes;
  EXPECT_EQ(rank, map.rank) << "coordinates for another rank of tensor";
  EXPECT_EQ(rowBytes, MatrixDescriptor::kSwizzleBytes)
      << "only boxes of 128-byte rows, swizzled 128 bytes, are modelled";
  EXPECT_EQ(dst % 128, 0) << "a swizzled box lands 128-byte aligned";
  int64_t rows = 1;
  for (int64_t d = 1; d < map.rank; ++d)
    rows *= map.box[d];
  for (int64_t r = 0; r < rows; ++r) {
    // Row r of the box, as its coordinates along dimensions 1 and up.
    const char *source = map.address;
    bool inside = true;
    for (int64_t d = 1, rest = r; d < map.rank; rest /= map.box[d], ++d) {
      int64_t i = coordinates[d] + rest % map.box[d];
      inside = inside && i >= 0 && i < map.dims[d];
      source += i * map.byteStrides[d];
    }
    for (int64_t byte = 0; byte < rowBytes; byte += map.elementBytes) {
      int64_t column = coordinates[0] + byte / map.elementBytes;
      int64_t address = MatrixDescriptor::swizzled(dst + r * rowBytes + byte);
      if (inside && column >= 0 && column < map.dims[0])
        std::memcpy(currentShared + address, source + column * map.elementBytes,
                    map.elementBytes);
      else
        std::memset(currentShared + address, 0, map.elementBytes);
    }
    if (site >= 0 && currentLog)
      for (int64_t chunk = 0; chunk < rowBytes; chunk += 16)
        currentLog->touches.push_back(touchNow(
            site, MatrixDescriptor::swizzled(dst + r * rowBytes + chunk), 16,
            /*write=*/true));
  }
  VectorClock released = release();
  std::lock_guard<std::mutex> lock(currentBlock->mbarrierMutex);
  MBarrier *barrier = findMBarrier(barrierAddress, "cp.async.bulk.tensor");
  if (!barrier)
    return;
  join(barrier->arrivals, released);
  barrier->tx -= rows * rowBytes;
  completePhaseIfDone(*barrier);
}

} // namespace

//===----------------------------------------------------------------------===//
// Shared-memory bank conflicts
//===----------------------------------------------------------------------===//

int emulation::conflictDegree(ArrayRef<LaneAccess> accesses) {
  int64_t widest = 4;
  for (const LaneAccess &access : accesses)
    widest = std::max(widest, access.bytes);
  const int phases = std::clamp<int64_t>(widest / 4, 1, 4);
  const int lanesPerPhase = 32 / phases;
  int worst = 0;
  for (int phase = 0; phase < phases; ++phase) {
    std::vector<int64_t> words;
    for (const LaneAccess &access : accesses)
      if (access.lane / lanesPerPhase == phase)
        for (int64_t w = access.address / 4;
             w <= (access.address + access.bytes - 1) / 4; ++w)
          words.push_back(w);
    llvm::sort(words);
    words.erase(std::unique(words.begin(), words.end()), words.end());
    int perBank[32] = {};
    for (int64_t w : words)
      worst = std::max(worst, ++perBank[w % 32]);
  }
  return worst;
}

/// Groups one block's accesses by (site, warp, execution), the warp-wide
/// accesses of converged warps, and adds their degrees to `sites`.
void emulation::countConflicts(ArrayRef<SharedAccessLog> logs,
                               std::vector<SharedSite> &sites) {
  std::map<std::tuple<int32_t, int, int32_t>, SmallVector<LaneAccess, 32>>
      warpAccesses;
  for (auto [thread, log] : llvm::enumerate(logs))
    for (const SharedAccessLog::Access &a : log.accesses)
      warpAccesses[{a.site, int(thread / 32), a.execution}].push_back(
          {int(thread % 32), a.address, a.bytes});
  for (const auto &[key, lanes] : warpAccesses) {
    SharedSite &site = sites[std::get<0>(key)];
    int degree = conflictDegree(lanes);
    ++site.instances;
    site.degreeSum += degree;
    site.worst = std::max(site.worst, degree);
  }
}

//===----------------------------------------------------------------------===//
// Shared-memory races
//===----------------------------------------------------------------------===//

std::vector<SharedRace> emulation::findRaces(ArrayRef<SharedAccessLog> logs) {
  struct Event {
    const SharedAccessLog::Touch *touch;
    int thread;
  };
  std::vector<Event> events;
  int64_t end = 0;
  for (auto [thread, log] : llvm::enumerate(logs))
    for (const SharedAccessLog::Touch &touch : log.touches) {
      events.push_back({&touch, int(thread)});
      end = std::max<int64_t>(end, touch.address + touch.bytes);
    }
  llvm::sort(events, [](const Event &x, const Event &y) {
    return x.touch->sequence < y.touch->sequence;
  });
  // Whether an access of `thread`, done at its clock `done`, happens
  // before `later` (or is the same thread's, in program order).
  auto before = [&](int thread, int32_t done, const Event &later) {
    return thread == later.thread ||
           done <= logs[later.thread].clocks[later.touch->seen][thread];
  };
  struct Access {
    int thread;
    int32_t done, site;
  };
  /// A byte's last write and, per thread, its latest read since.
  struct ByteState {
    std::optional<Access> write;
    SmallVector<Access, 4> reads;
    bool raced = false;
  };
  std::vector<ByteState> bytes(end);
  std::vector<SharedRace> races;
  for (const Event &event : events) {
    const SharedAccessLog::Touch &touch = *event.touch;
    Access self{event.thread, touch.done, touch.site};
    for (int64_t a = touch.address; a < touch.address + touch.bytes; ++a) {
      ByteState &byte = bytes[a];
      auto report = [&](const Access &writer, const Access &other) {
        if (!byte.raced)
          races.push_back(
              {a, writer.thread, other.thread, writer.site, other.site});
        byte.raced = true;
      };
      if (byte.write && !before(byte.write->thread, byte.write->done, event))
        report(*byte.write, self);
      if (!touch.write) {
        auto same = llvm::find_if(byte.reads, [&](const Access &read) {
          return read.thread == event.thread;
        });
        if (same == byte.reads.end())
          byte.reads.push_back(self);
        else
          *same = self; // its earlier reads happen before this one
        continue;
      }
      for (const Access &read : byte.reads)
        if (!before(read.thread, read.done, event))
          report(self, read);
      byte.reads.clear();
      byte.write = self;
    }
  }
  llvm::sort(races, [](const SharedRace &x, const SharedRace &y) {
    return x.address < y.address;
  });
  return races;
}

namespace {

//===----------------------------------------------------------------------===//
// Kernel -> host function
//===----------------------------------------------------------------------===//

MemRefType withoutMemorySpace(Type type) {
  auto memref = cast<MemRefType>(type);
  return MemRefType::get(memref.getShape(), memref.getElementType(),
                         memref.getLayout());
}

func::FuncOp declare(ModuleOp module, StringRef name, FunctionType type) {
  OpBuilder b = OpBuilder::atBlockEnd(module.getBody());
  auto func = func::FuncOp::create(b, module.getLoc(), name, type);
  func.setPrivate();
  return func;
}

bool inKeyTileLoop(Operation *op) {
  for (auto loop = op->getParentOfType<scf::ForOp>(); loop;
       loop = loop->getParentOfType<scf::ForOp>()) {
    Block *body = loop.getBody();
    if (!body->getOps<gpu::BarrierOp>().empty() ||
        !body->getOps<NVVM::MBarrierTryWaitParityOp>().empty())
      return true;
  }
  return false;
}

/// The memref, indices and per-lane width of a shared-memory access op.
struct MemoryAccess {
  Value memref;
  ValueRange indices;
  int64_t bytes;
  AccessKind kind;
};

std::optional<MemoryAccess> memoryAccessOf(Operation *op) {
  auto elementBytes = [](Value memref) {
    return cast<MemRefType>(memref.getType()).getElementTypeBitWidth() / 8;
  };
  auto vectorBytes = [&](Value memref, VectorType vector) {
    return elementBytes(memref) * vector.getNumElements();
  };
  if (auto load = dyn_cast<memref::LoadOp>(op))
    return MemoryAccess{load.getMemRef(), load.getIndices(),
                        elementBytes(load.getMemRef()), AccessKind::Read};
  if (auto store = dyn_cast<memref::StoreOp>(op))
    return MemoryAccess{store.getMemRef(), store.getIndices(),
                        elementBytes(store.getMemRef()), AccessKind::Write};
  if (auto load = dyn_cast<vector::LoadOp>(op))
    return MemoryAccess{load.getBase(), load.getIndices(),
                        vectorBytes(load.getBase(), load.getVectorType()),
                        AccessKind::Read};
  if (auto store = dyn_cast<vector::StoreOp>(op))
    return MemoryAccess{store.getBase(), store.getIndices(),
                        vectorBytes(store.getBase(), store.getVectorType()),
                        AccessKind::Write};
  // Each lane of an ldmatrix reads the 16-byte row it points at.
  if (auto ldmatrix = dyn_cast<nvgpu::LdMatrixOp>(op))
    return MemoryAccess{ldmatrix.getSrcMemref(), ldmatrix.getIndices(), 16,
                        AccessKind::Read};
  if (auto copy = dyn_cast<nvgpu::DeviceAsyncCopyOp>(op))
    return MemoryAccess{copy.getDst(), copy.getDstIndices(),
                        copy.getDstElements().getSExtValue() *
                            elementBytes(copy.getDst()),
                        AccessKind::AsyncWrite};
  return std::nullopt;
}

/// The race-check site of a wgmma or TMA op, set by
/// instrumentSharedAccesses.
constexpr StringLiteral kSiteAttr = "emu.site";

/// The wgmma form the kernels write as inline PTX (A from registers,
/// WarpgroupMmaIRBuilder::multiplyRegisterA): its N and imm-trans-b.
struct RegisterAWgmma {
  int64_t n;
  bool transposeB;
};

std::optional<RegisterAWgmma> registerAWgmma(Operation *op) {
  auto asmOp = dyn_cast<LLVM::InlineAsmOp>(op);
  if (!asmOp)
    return std::nullopt;
  StringRef text = asmOp.getAsmString();
  static const llvm::Regex form(
      "wgmma\\.mma_async\\.sync\\.aligned\\.m64n([0-9]+)k16\\.f32\\..*, p, 1, "
      "1, ([01]);");
  SmallVector<StringRef> match;
  if (!form.match(text, &match))
    return std::nullopt;
  return RegisterAWgmma{std::stoll(match[1].str()), match[2] == "1"};
}

bool isWgmma(Operation *op) {
  return isa<NVVM::WgmmaMmaAsyncOp>(op) || registerAWgmma(op);
}

/// Before every access to the kernel's shared memory (a view of `shared`), a
/// call emu_shared_access(site, byte offset in shared memory, bytes, kind);
/// the sites are numbered in walk order. Offsets stand for GPU addresses:
/// moving every address of an access by the same multiple of 4 bytes (the
/// buffer's base) moves all its words to other banks alike, so the degrees
/// stay the same.
void instrumentSharedAccesses(ImplicitLocOpBuilder &b, ModuleOp module,
                              func::FuncOp host, Value shared,
                              std::vector<SharedSite> &sites) {
  Type i64 = b.getI64Type();
  auto record = declare(module, "emu_shared_access",
                        b.getFunctionType({i64, i64, i64, i64}, {}));
  SmallVector<std::pair<Operation *, MemoryAccess>> accesses;
  host.walk([&](Operation *op) {
    std::optional<MemoryAccess> access = memoryAccessOf(op);
    auto view = access ? access->memref.getDefiningOp<memref::ViewOp>()
                       : memref::ViewOp();
    if (view && view.getSource() == shared)
      accesses.push_back({op, *access});
    else if (llvm::is_contained(op->getOperands(), shared) && !view &&
             !isa<memref::ViewOp>(op))
      ADD_FAILURE() << "no bank model for "
                    << op->getName().getStringRef().str();
  });
  // wgmma reads through its descriptors and TMA writes whole boxes: no
  // bank model (the hardware's own traffic), a site for the race check.
  host.walk([&](Operation *op) {
    bool tma = isa<NVVM::CpAsyncBulkTensorGlobalToSharedClusterOp>(op);
    if (!tma && !isWgmma(op))
      return;
    op->setAttr(kSiteAttr, b.getI32IntegerAttr(sites.size()));
    sites.push_back(tma ? SharedSite{"nvvm.cp.async.bulk.tensor", "tensor map",
                                     inKeyTileLoop(op)}
                        : SharedSite{"nvvm.wgmma.mma_async", "descriptors",
                                     inKeyTileLoop(op)});
  });
  for (auto &[op, access] : accesses) {
    auto view = access.memref.getDefiningOp<memref::ViewOp>();
    auto type = cast<MemRefType>(access.memref.getType());
    ASSERT_TRUE(type.hasStaticShape() && type.getLayout().isIdentity());

    b.setInsertionPoint(op);
    b.setLoc(op->getLoc());
    Value offset = view.getByteShift();
    int64_t stride = type.getElementTypeBitWidth() / 8;
    for (int64_t i = type.getRank() - 1; i >= 0; --i) {
      offset = arith::AddIOp::create(
          b, offset,
          arith::MulIOp::create(b, access.indices[i],
                                arith::ConstantIndexOp::create(b, stride)));
      stride *= type.getDimSize(i);
    }
    int64_t site = sites.size();
    func::CallOp::create(
        b, record,
        ValueRange{arith::ConstantIntOp::create(b, i64, site),
                   arith::IndexCastOp::create(b, i64, offset),
                   arith::ConstantIntOp::create(b, i64, access.bytes),
                   arith::ConstantIntOp::create(b, i64, int64_t(access.kind))});

    std::string buffer;
    llvm::raw_string_ostream os(buffer);
    // A pipeline stage's view sits at a run-time offset.
    if (std::optional<int64_t> shift = getConstantIntValue(view.getByteShift()))
      os << "smem+" << *shift << " ";
    else
      os << "smem+(stage) ";
    llvm::interleave(type.getShape(), os, "x");
    os << "x" << type.getElementType();
    sites.push_back({(op->getName().getStringRef() + " " +
                      std::to_string(access.bytes) + "B")
                         .str(),
                     buffer, inKeyTileLoop(op)});
  }
}

/// The address of memref[indices] as an i64, in host code.
Value elementAddress(ImplicitLocOpBuilder &b, Value memref,
                     ValueRange indices) {
  auto metadata = memref::ExtractStridedMetadataOp::create(b, memref);
  Value linear = metadata.getOffset();
  for (auto [index, stride] : llvm::zip(indices, metadata.getStrides()))
    linear = arith::AddIOp::create(b, linear,
                                   arith::MulIOp::create(b, index, stride));
  int64_t bytes =
      cast<MemRefType>(memref.getType()).getElementTypeBitWidth() / 8;
  Value address = arith::AddIOp::create(
      b, memref::ExtractAlignedPointerAsIndexOp::create(b, memref),
      arith::MulIOp::create(b, linear,
                            arith::ConstantIndexOp::create(b, bytes)));
  return arith::IndexCastOp::create(b, b.getI64Type(), address);
}

/// @emulated(kernel args..., block x, y, z, thread x, dynamic shared
/// memory); with `sites`, it also records its shared-memory accesses.
void emulateOnHost(ModuleOp module, gpu::GPUFuncOp kernel,
                   std::vector<SharedSite> *sites = nullptr) {
  MLIRContext *ctx = module.getContext();
  ImplicitLocOpBuilder b(module.getLoc(), ctx);
  Type index = b.getIndexType(), f32 = b.getF32Type(), i32 = b.getI32Type(),
       i64 = b.getI64Type();
  auto barrier = declare(module, "emu_barrier", b.getFunctionType({}, {}));
  auto shuffle =
      declare(module, "emu_shuffle_xor", b.getFunctionType({f32, i32}, {f32}));
  SmallVector<Type> mmaArgs(6, i32);
  mmaArgs.append(4, f32);
  mmaArgs.push_back(i64);
  auto mma = declare(module, "emu_mma", b.getFunctionType(mmaArgs, {}));
  auto ldmatrix =
      declare(module, "emu_ldmatrix",
              b.getFunctionType({i32, i32, i32, i32, i32, i64}, {}));
  auto asyncCopy =
      declare(module, "emu_async_copy", b.getFunctionType({i64, i64, i64}, {}));
  auto asyncCommit =
      declare(module, "emu_async_commit", b.getFunctionType({}, {}));
  auto asyncWait =
      declare(module, "emu_async_wait", b.getFunctionType({i32}, {}));
  auto wgmma =
      declare(module, "emu_wgmma",
              b.getFunctionType({i64, i64, i32, i32, i64, i32, i64}, {}));
  auto mbarrierInit =
      declare(module, "emu_mbarrier_init", b.getFunctionType({i64, i32}, {}));
  auto mbarrierArrive =
      declare(module, "emu_mbarrier_arrive", b.getFunctionType({i64}, {}));
  auto mbarrierWait = declare(module, "emu_mbarrier_wait_parity",
                              b.getFunctionType({i64, i32}, {}));
  auto mbarrierExpectTx = declare(module, "emu_mbarrier_arrive_expect_tx",
                                  b.getFunctionType({i64, i32}, {}));
  SmallVector<Type> tmaArgs = {i64, i64};
  tmaArgs.append(6, i32); // five coordinates, the rank
  tmaArgs.append({i64, i32});
  auto tmaLoad =
      declare(module, "emu_tma_load", b.getFunctionType(tmaArgs, {}));

  ASSERT_TRUE(kernel.getWorkgroupAttributions().empty())
      << "the kernels take their shared memory at launch";
  SmallVector<Type> inputs(kernel.getArgumentTypes());
  inputs.append(4, index);
  inputs.push_back(MemRefType::get({ShapedType::kDynamic}, b.getI8Type()));
  b.setInsertionPointToEnd(module.getBody());
  auto host =
      func::FuncOp::create(b, "emulated", b.getFunctionType(inputs, {}));
  host->setAttr("llvm.emit_c_interface", b.getUnitAttr());
  Block *entry = host.addEntryBlock();
  b.setInsertionPointToStart(entry);

  IRMapping mapping;
  unsigned numArgs = kernel.getNumArguments();
  for (unsigned i = 0; i < numArgs; ++i)
    mapping.map(kernel.getArgument(i), entry->getArgument(i));
  Value blockIds[3] = {entry->getArgument(numArgs),
                       entry->getArgument(numArgs + 1),
                       entry->getArgument(numArgs + 2)};
  Value threadId = entry->getArgument(numArgs + 3);
  Value shared = entry->getArgument(numArgs + 4);
  for (BlockArgument local : kernel.getPrivateAttributions())
    mapping.map(local, memref::AllocaOp::create(
                           b, withoutMemorySpace(local.getType())));
  for (Operation &op : kernel.getBody().front())
    b.clone(op, mapping);

  // Host memory has no GPU address spaces.
  host.walk([&](Operation *op) {
    if (auto dynamic = dyn_cast<gpu::DynamicSharedMemoryOp>(op)) {
      dynamic.getResult().replaceAllUsesWith(shared);
      dynamic.erase();
      return;
    }
    // The shared window starts at the emulated shared memory.
    if (auto pointer = dyn_cast<memref::ExtractAlignedPointerAsIndexOp>(op);
        pointer && pointer.getSource() == shared) {
      b.setInsertionPoint(pointer);
      pointer.getResult().replaceAllUsesWith(
          arith::ConstantIndexOp::create(b, 0).getResult());
      pointer.erase();
      return;
    }
    for (Value result : op->getResults())
      if (auto memref = dyn_cast<MemRefType>(result.getType());
          memref && memref.getMemorySpace())
        result.setType(withoutMemorySpace(memref));
  });
  if (sites)
    instrumentSharedAccesses(b, module, host, shared, *sites);

  auto pointerOf = [&](Value buffer) {
    return arith::IndexCastOp::create(
        b, i64, memref::ExtractAlignedPointerAsIndexOp::create(b, buffer));
  };
  // emu_wgmma on accumulators (and A registers) through memory; the
  // accumulator struct rebuilt from what it wrote.
  auto callWgmma = [&](Operation *op, LLVM::LLVMStructType type,
                       ValueRange accumulators, Value descA,
                       ValueRange aRegisters, Value descB,
                       bool transposeB) -> Value {
    auto spill = [&](ValueRange values, Type element) {
      Value buffer = memref::AllocaOp::create(
          b, MemRefType::get({int64_t(values.size())}, element));
      for (auto [i, value] : llvm::enumerate(values))
        memref::StoreOp::create(
            b, value, buffer, ValueRange{arith::ConstantIndexOp::create(b, i)});
      return buffer;
    };
    Value acc = spill(accumulators, f32);
    Value registers = aRegisters.empty()
                          ? Value(arith::ConstantIntOp::create(b, i64, 0))
                          : Value(pointerOf(spill(aRegisters, i32)));
    auto site = op->getAttrOfType<IntegerAttr>(kSiteAttr);
    func::CallOp::create(
        b, wgmma,
        ValueRange{
            descA, descB,
            arith::ConstantIntOp::create(b, i32, 2 * accumulators.size()),
            arith::ConstantIntOp::create(b, i32, transposeB), pointerOf(acc),
            arith::ConstantIntOp::create(b, i32, site ? site.getInt() : -1),
            registers});
    Value result = LLVM::PoisonOp::create(b, type);
    for (size_t i = 0; i < accumulators.size(); ++i)
      result = LLVM::InsertValueOp::create(
          b, result,
          memref::LoadOp::create(
              b, acc, ValueRange{arith::ConstantIndexOp::create(b, i)}),
          i);
    return result;
  };

  // An mbarrier's address: its offset in the shared window (which starts
  // at 0 here).
  auto sharedOffset = [&](Value pointer) -> Value {
    return LLVM::PtrToIntOp::create(b, i64, pointer);
  };

  SmallVector<Operation *> ops;
  host.walk([&](Operation *op) { ops.push_back(op); });
  for (Operation *op : ops) {
    b.setInsertionPoint(op);
    b.setLoc(op->getLoc());
    if (auto id = dyn_cast<gpu::BlockIdOp>(op)) {
      id.replaceAllUsesWith(blockIds[static_cast<int>(id.getDimension())]);
    } else if (auto id = dyn_cast<gpu::ThreadIdOp>(op)) {
      ASSERT_EQ(id.getDimension(), gpu::Dimension::x);
      id.replaceAllUsesWith(threadId);
    } else if (isa<gpu::BarrierOp>(op)) {
      func::CallOp::create(b, barrier, ValueRange{});
    } else if (auto shfl = dyn_cast<gpu::ShuffleOp>(op)) {
      ASSERT_EQ(shfl.getMode(), gpu::ShuffleMode::XOR);
      ASSERT_TRUE(shfl.getValid().use_empty());
      shfl.getShuffleResult().replaceAllUsesWith(
          func::CallOp::create(b, shuffle,
                               ValueRange{shfl.getValue(), shfl.getOffset()})
              .getResult(0));
    } else if (auto product = dyn_cast<NVVM::MmaOp>(op)) {
      OpBuilder::InsertionGuard guard(b);
      SmallVector<Value> args;
      for (Value operand :
           llvm::concat<Value>(product.getOperandA(), product.getOperandB())) {
        if (isa<VectorType>(operand.getType())) // f16 pairs
          operand = vector::ExtractOp::create(
              b,
              vector::BitCastOp::create(b, VectorType::get({1}, i32), operand),
              ArrayRef<int64_t>{0});
        args.push_back(operand);
      }
      llvm::append_range(args, product.getOperandC());
      Value d = memref::AllocaOp::create(b, MemRefType::get({4}, f32));
      args.push_back(pointerOf(d));
      func::CallOp::create(b, mma, args);
      for (Operation *user : llvm::make_early_inc_range(product->getUsers())) {
        auto extract = cast<LLVM::ExtractValueOp>(user);
        b.setInsertionPoint(extract);
        Value loaded =
            memref::LoadOp::create(b, d,
                                   ValueRange{arith::ConstantIndexOp::create(
                                       b, extract.getPosition()[0])});
        extract.getResult().replaceAllUsesWith(loaded);
        extract.erase();
      }
    } else if (auto load = dyn_cast<nvgpu::LdMatrixOp>(op)) {
      // The lane's row, then the warp's exchange, then the four registers
      // as the vector<4x2xT> the op returns.
      ASSERT_EQ(load.getNumTiles(), 4u);
      auto resultType = cast<VectorType>(load.getType());
      Type element = resultType.getElementType();
      Value row =
          vector::LoadOp::create(b, VectorType::get({8}, element),
                                 load.getSrcMemref(), load.getIndices());
      Value words =
          vector::BitCastOp::create(b, VectorType::get({4}, i32), row);
      SmallVector<Value> args;
      for (int64_t i = 0; i < 4; ++i)
        args.push_back(
            vector::ExtractOp::create(b, words, ArrayRef<int64_t>{i}));
      args.push_back(arith::ConstantIntOp::create(b, i32, load.getTranspose()));
      Value registers = memref::AllocaOp::create(b, MemRefType::get({4}, i32));
      args.push_back(pointerOf(registers));
      func::CallOp::create(b, ldmatrix, args);
      SmallVector<Value> elements;
      for (int64_t i = 0; i < 4; ++i) {
        Value word = memref::LoadOp::create(
            b, registers, ValueRange{arith::ConstantIndexOp::create(b, i)});
        Value pair = vector::BitCastOp::create(
            b, VectorType::get({2}, element),
            vector::FromElementsOp::create(b, VectorType::get({1}, i32), word));
        for (int64_t e = 0; e < 2; ++e)
          elements.push_back(
              vector::ExtractOp::create(b, pair, ArrayRef<int64_t>{e}));
      }
      load.getResult().replaceAllUsesWith(
          vector::FromElementsOp::create(b, resultType, elements).getResult());
    } else if (auto copy = dyn_cast<nvgpu::DeviceAsyncCopyOp>(op)) {
      ASSERT_FALSE(copy.getSrcElements()) << "no zero-filled copies";
      int64_t bytes =
          copy.getDstElements().getSExtValue() *
          cast<MemRefType>(copy.getDst().getType()).getElementTypeBitWidth() /
          8;
      func::CallOp::create(
          b, asyncCopy,
          ValueRange{elementAddress(b, copy.getDst(), copy.getDstIndices()),
                     elementAddress(b, copy.getSrc(), copy.getSrcIndices()),
                     arith::ConstantIntOp::create(b, i64, bytes)});
      op->dropAllUses(); // the groups' operands, erased below
    } else if (isa<nvgpu::DeviceAsyncCreateGroupOp>(op)) {
      func::CallOp::create(b, asyncCommit, ValueRange{});
      op->dropAllUses();
    } else if (auto wait = dyn_cast<nvgpu::DeviceAsyncWaitOp>(op)) {
      func::CallOp::create(b, asyncWait,
                           ValueRange{arith::ConstantIntOp::create(
                               b, i32, wait.getNumGroups().value_or(0))});
    } else if (auto product = dyn_cast<NVVM::WgmmaMmaAsyncOp>(op)) {
      auto type = cast<LLVM::LLVMStructType>(product.getInouts().getType());
      SmallVector<Value> acc;
      for (int64_t i = 0, n = type.getBody().size(); i < n; ++i)
        acc.push_back(LLVM::ExtractValueOp::create(b, product.getInouts(), i));
      product.getResult().replaceAllUsesWith(callWgmma(
          op, type, acc, product.getDescriptorA(), {}, product.getDescriptorB(),
          product.getLayoutB() == NVVM::MMALayout::row));
    } else if (std::optional<RegisterAWgmma> form = registerAWgmma(op)) {
      // Operands: the accumulators (tied), four A registers, B's descriptor.
      auto asmOp = cast<LLVM::InlineAsmOp>(op);
      int64_t n = form->n / 2;
      ValueRange operands = asmOp.getOperands();
      ASSERT_EQ(int64_t(operands.size()), n + 5);
      asmOp.getRes().replaceAllUsesWith(callWgmma(
          op, cast<LLVM::LLVMStructType>(asmOp.getRes().getType()),
          operands.take_front(n), arith::ConstantIntOp::create(b, i64, 0),
          operands.slice(n, 4), operands[n + 4], form->transposeB));
    } else if (auto init = dyn_cast<NVVM::MBarrierInitOp>(op)) {
      ASSERT_FALSE(init.getPredicate());
      func::CallOp::create(
          b, mbarrierInit,
          ValueRange{sharedOffset(init.getAddr()), init.getCount()});
    } else if (auto arrive = dyn_cast<NVVM::MBarrierArriveOp>(op)) {
      ASSERT_FALSE(arrive.getCount());
      ASSERT_TRUE(!arrive.getRes() || arrive.getRes().use_empty());
      func::CallOp::create(b, mbarrierArrive,
                           ValueRange{sharedOffset(arrive.getAddr())});
    } else if (auto wait = dyn_cast<NVVM::MBarrierTryWaitParityOp>(op)) {
      func::CallOp::create(
          b, mbarrierWait,
          ValueRange{sharedOffset(wait.getAddr()), wait.getPhase()});
    } else if (auto expect = dyn_cast<NVVM::MBarrierArriveExpectTxOp>(op)) {
      ASSERT_FALSE(expect.getPredicate());
      ASSERT_TRUE(!expect.getRes() || expect.getRes().use_empty());
      func::CallOp::create(
          b, mbarrierExpectTx,
          ValueRange{sharedOffset(expect.getAddr()), expect.getTxcount()});
    } else if (auto load =
                   dyn_cast<NVVM::CpAsyncBulkTensorGlobalToSharedClusterOp>(
                       op)) {
      ASSERT_TRUE(load.getIm2colOffsets().empty() && !load.getMulticastMask() &&
                  !load.getL2CacheHint() && !load.getPredicate() &&
                  load.getMode() == NVVM::TMALoadMode::TILE)
          << "only plain tiled TMA loads are modelled";
      // The destination: this block's shared window, seen as shared::cluster.
      Value dst = load.getDstMem();
      if (auto cast = dst.getDefiningOp<LLVM::AddrSpaceCastOp>())
        dst = cast.getArg();
      SmallVector<Value> args = {
          sharedOffset(dst),
          LLVM::PtrToIntOp::create(b, i64, load.getTmaDescriptor())};
      llvm::append_range(args, load.getCoordinates());
      args.resize(7, arith::ConstantIntOp::create(b, i32, 0));
      auto site = op->getAttrOfType<IntegerAttr>(kSiteAttr);
      args.append(
          {arith::ConstantIntOp::create(b, i32, load.getCoordinates().size()),
           sharedOffset(load.getMbar()),
           arith::ConstantIntOp::create(b, i32, site ? site.getInt() : -1)});
      func::CallOp::create(b, tmaLoad, args);
    } else if (isa<NVVM::WgmmaFenceAlignedOp, NVVM::WgmmaGroupSyncAlignedOp,
                   NVVM::WgmmaWaitGroupSyncOp, NVVM::FenceProxyOp,
                   NVVM::FenceMbarrierInitOp, NVVM::SetMaxRegisterOp>(op)) {
      // emu_wgmma completes at issue; one thread's memory is one proxy, and
      // one address space; a host thread has the registers it needs.
    } else if (isa<gpu::ReturnOp>(op)) {
      func::ReturnOp::create(b);
    } else {
      continue;
    }
    op->erase();
  }
}

} // namespace

void emulation::compileKernel(
    function_ref<gpu::GPUFuncOp(gpu::GPUModuleOp)> build, StringRef cpu,
    bool recordShared, EmulatedKernel &result) {
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  DialectRegistry registry;
  registry.insert<arith::ArithDialect, func::FuncDialect, gpu::GPUDialect,
                  LLVM::LLVMDialect, math::MathDialect, memref::MemRefDialect,
                  nvgpu::NVGPUDialect, NVVM::NVVMDialect, scf::SCFDialect,
                  vector::VectorDialect>();
  registerBuiltinDialectTranslation(registry);
  registerLLVMDialectTranslation(registry);
  MLIRContext ctx(registry);
  ctx.loadAllAvailableDialects();

  OpBuilder b(&ctx);
  Location loc = b.getUnknownLoc();
  OwningOpRef<ModuleOp> module = ModuleOp::create(loc);
  b.setInsertionPointToEnd(module->getBody());
  auto kernels = gpu::GPUModuleOp::create(b, loc, "kernels");
  gpu::GPUFuncOp kernel = build(kernels);
  ASSERT_TRUE(succeeded(verify(kernel)));
  result.recordsShared = recordShared;
  ASSERT_NO_FATAL_FAILURE(
      emulateOnHost(*module, kernel, recordShared ? &result.sites : nullptr));
  result.threads = (*kernel.getKnownBlockSize())[0];
  kernels.erase();
  ASSERT_TRUE(succeeded(verify(*module)));

  PassManager pm(&ctx);
  pm.addPass(createSCFToControlFlowPass());
  pm.addPass(createConvertVectorToLLVMPass());
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createFinalizeMemRefToLLVMConversionPass());
  pm.addPass(createConvertMathToLLVMPass());
  // bf16 rounding as integer arithmetic, as ring-lower-cpu does: no
  // __truncsfbf2 libcall on CPUs without AVX-512 BF16.
  arith::ArithExpandOpsPassOptions expand;
  expand.includeBf16 = true;
  pm.addPass(arith::createArithExpandOpsPass(expand));
  pm.addPass(createArithToLLVMConversionPass());
  pm.addPass(createConvertIndexToLLVMPass());
  pm.addPass(createConvertFuncToLLVMPass());
  pm.addPass(createConvertControlFlowToLLVMPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
  ring::RingSetCpuTargetOptions target;
  target.cpu = cpu == "host" ? "" : cpu.str();
  pm.addPass(ring::createRingSetCpuTarget(target));
  ASSERT_TRUE(succeeded(pm.run(*module)));
  auto engine = ExecutionEngine::create(*module);
  ASSERT_TRUE(bool(engine)) << llvm::toString(engine.takeError());
  (*engine)->registerSymbols([](llvm::orc::MangleAndInterner interner) {
    llvm::orc::SymbolMap symbols;
    auto add = [&](const char *name, void *address) {
      symbols[interner(name)] = {llvm::orc::ExecutorAddr::fromPtr(address),
                                 llvm::JITSymbolFlags::Exported};
    };
    add("emu_barrier", reinterpret_cast<void *>(&emu_barrier));
    add("emu_shuffle_xor", reinterpret_cast<void *>(&emu_shuffle_xor));
    add("emu_mma", reinterpret_cast<void *>(&emu_mma));
    add("emu_shared_access", reinterpret_cast<void *>(&emu_shared_access));
    add("emu_ldmatrix", reinterpret_cast<void *>(&emu_ldmatrix));
    add("emu_async_copy", reinterpret_cast<void *>(&emu_async_copy));
    add("emu_async_commit", reinterpret_cast<void *>(&emu_async_commit));
    add("emu_async_wait", reinterpret_cast<void *>(&emu_async_wait));
    add("emu_wgmma", reinterpret_cast<void *>(&emu_wgmma));
    add("emu_mbarrier_init", reinterpret_cast<void *>(&emu_mbarrier_init));
    add("emu_mbarrier_arrive", reinterpret_cast<void *>(&emu_mbarrier_arrive));
    add("emu_mbarrier_wait_parity",
        reinterpret_cast<void *>(&emu_mbarrier_wait_parity));
    add("emu_mbarrier_arrive_expect_tx",
        reinterpret_cast<void *>(&emu_mbarrier_arrive_expect_tx));
    add("emu_tma_load", reinterpret_cast<void *>(&emu_tma_load));
    return symbols;
  });
  auto symbol = (*engine)->lookup("_mlir_ciface_emulated");
  ASSERT_TRUE(bool(symbol)) << llvm::toString(symbol.takeError());
  result.fn = reinterpret_cast<void *>(*symbol);
  result.engine = std::move(*engine);
}

void emulation::runBlock(EmulatedKernel &kernel, bool bf16,
                         function_ref<void(int thread, Desc<1> *shared)> run) {
  int threads = kernel.threads;
  ThreadBlock block(threads);
  block.bf16 = bf16;
  std::vector<SharedAccessLog> logs(kernel.recordsShared ? threads : 0);
  std::vector<AsyncCopies> copies(threads);
  Buffer shared({kernel.sharedBytes}, 1);
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&, t] {
      currentBlock = &block;
      currentThread = t;
      currentLog = logs.empty() ? nullptr : &logs[t];
      if (currentLog) {
        currentClock.assign(threads, 0);
        currentClock[t] = 1;
        currentLog->clocks.push_back(currentClock);
      }
      currentCopies = &copies[t];
      currentShared = shared.data;
      Desc<1> sharedDesc = shared.describe<1>();
      run(t, &sharedDesc);
      std::lock_guard<std::mutex> lock(block.mbarrierMutex);
      ++block.finished;
      block.noteIfDeadlocked();
    });
  for (std::thread &thread : pool)
    thread.join();
  for (const AsyncCopies &thread : copies)
    EXPECT_TRUE(thread.idle())
        << "a thread ended with cp.async copies it never waited for";
  if (kernel.recordsShared) {
    countConflicts(logs, kernel.sites);
    llvm::append_range(kernel.races, findRaces(logs));
  }
}
