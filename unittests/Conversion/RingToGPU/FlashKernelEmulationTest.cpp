//===- FlashKernelEmulationTest.cpp - GPU kernels, run on the CPU ---------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// The flash-attention kernels of ring-lower-block-attention-gpu, run without
// a GPU: each kernel is rewritten into a host function of (its arguments,
// block id, thread id, dynamic shared memory), JIT-compiled, and run with one
// OS thread per GPU thread, block after block. gpu.barrier, gpu.shuffle,
// nvvm.mma.sync, nvgpu.ldmatrix and the cp.async ops become calls into a
// small SIMT machine below, whose mma.sync and ldmatrix implement the
// fragment layouts as the PTX ISA states them and whose cp.async copies
// land only when a wait_group says so (a kernel that reads a tile before
// waiting for it reads stale data here, as it could on a GPU). The
// outputs are compared with a float64 reference on random inputs, so the
// kernels' indexing, masks, online softmax and fragment bookkeeping are
// tested here; what only a GPU can test (the real instructions, timing) is
// scripts/gpu-check.sh's. The same machine can record every shared-memory
// access, count the bank conflicts of each warp-wide access
// (FlashKernelBankConflicts below) and find reads that race with another
// thread's write between the same two barriers (FlashKernelSharedRaces).
//
//===----------------------------------------------------------------------===//

#include "FlashAttentionKernel.h"

#include "RingAttn/Support/Float16.h"
#include "RingAttn/Transforms/Passes.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/ExecutionEngine/CRunnerUtils.h"
#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"

#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/TargetSelect.h"

#include "gtest/gtest.h"

#include <algorithm>
#include <cmath>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <thread>
#include <tuple>
#include <unordered_map>

using namespace mlir;

namespace {

//===----------------------------------------------------------------------===//
// The SIMT machine
//===----------------------------------------------------------------------===//

class Barrier {
public:
  explicit Barrier(int count) : count(count) {}
  void wait() {
    std::unique_lock<std::mutex> lock(mutex);
    int generation = this->generation;
    if (++arrived == count) {
      arrived = 0;
      ++this->generation;
      cv.notify_all();
      return;
    }
    cv.wait(lock, [&] { return generation != this->generation; });
  }

private:
  std::mutex mutex;
  std::condition_variable cv;
  const int count;
  int arrived = 0;
  int generation = 0;
};

/// What the 32 lanes of a warp exchange in one shuffle or mma.sync.
struct WarpSlots {
  float shuffle[32];
  uint32_t a[32][4], b[32][2];
  uint32_t rows[32][4]; // ldmatrix: the 16-byte row each lane points at
  Barrier barrier{32};
};

struct ThreadBlock {
  explicit ThreadBlock(int threads)
      : barrier(threads), warps((threads + 31) / 32) {}
  Barrier barrier;
  std::vector<WarpSlots> warps;
  bool bf16 = true;
};

thread_local ThreadBlock *currentBlock;
thread_local int currentThread;
/// Barriers this thread has passed: the epoch its shared accesses fall in.
thread_local int32_t currentEpoch;

extern "C" void emu_barrier() {
  currentBlock->barrier.wait();
  ++currentEpoch;
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
  auto aAt = [&](int row, int k) { // a_i, i = 0..7, in register i / 2
    int holder = (row % 8) * 4 + (k % 8) / 2;
    int i = (k >= 8 ? 4 : 0) + (row >= 8 ? 2 : 0) + k % 2;
    return element(warp.a[holder][i / 2], i % 2, bf16);
  };
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
      sum += aAt(row, k) * bAt(k, col);
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

/// How an instrumented op touches shared memory (emu_shared_access's kind).
enum class AccessKind : int64_t { Read = 0, Write = 1, AsyncWrite = 2 };

/// The shared-memory accesses of one emulated thread, in program order: for
/// bank conflicts, and for races, with the barrier epochs they fall in.
struct SharedAccessLog {
  struct Access {
    int32_t site, execution; // the n-th execution of the site by the thread
    int64_t address, bytes;  // byte offset in shared memory, access width
  };
  std::vector<Access> accesses;
  std::vector<int32_t> executions; // per site, so far

  /// An access for the race check: a cp.async write may land at any time
  /// from its issue to the wait that completes it, so it spans the epochs
  /// (barriers passed) in between.
  struct Touch {
    int32_t site, firstEpoch, lastEpoch;
    int64_t address, bytes;
    bool write;
  };
  std::vector<Touch> touches;
  /// The write of the cp.async being issued, until emu_async_copy takes it.
  std::optional<Touch> issuedWrite;
};

thread_local SharedAccessLog *currentLog; // when recording shared accesses

extern "C" void emu_shared_access(int64_t site, int64_t address, int64_t bytes,
                                  int64_t kind) {
  SharedAccessLog &log = *currentLog;
  if (log.executions.size() <= size_t(site))
    log.executions.resize(site + 1, 0);
  log.accesses.push_back(
      {int32_t(site), log.executions[site]++, address, bytes});
  SharedAccessLog::Touch touch{
      int32_t(site), currentEpoch, currentEpoch,
      address,       bytes,        AccessKind(kind) != AccessKind::Read};
  if (AccessKind(kind) == AccessKind::AsyncWrite)
    log.issuedWrite = touch;
  else
    log.touches.push_back(touch);
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
        touch.lastEpoch = currentEpoch;
        currentLog->touches.push_back(touch);
      }
    }
    groups.erase(groups.begin());
  }
}

//===----------------------------------------------------------------------===//
// Shared-memory bank conflicts
//===----------------------------------------------------------------------===//

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
int conflictDegree(ArrayRef<LaneAccess> accesses) {
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

/// A shared-memory access op of a kernel and its conflict degrees over every
/// warp-wide execution the emulation saw.
struct SharedSite {
  std::string kind;   // "vector.load 4B"
  std::string buffer; // "smem+34816 64x136xbf16"
  /// Nested in the key-tile loop: an scf.for whose body holds a gpu.barrier
  /// itself (the only such loop of the kernels; it streams K and V tiles).
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

/// A byte of shared memory that one thread reads in a barrier epoch in
/// which another thread writes it (or its cp.async may land there): what a
/// missing barrier or cp.async wait looks like. Found from the logs alone,
/// whatever order the emulated threads happened to run in.
struct SharedRace {
  int32_t epoch;
  int64_t address;
  int writer, reader;
  int32_t writeSite, readSite;
};

std::vector<SharedRace> findRaces(ArrayRef<SharedAccessLog> logs) {
  /// The first two distinct threads that write, and that read, a byte.
  struct ByteUse {
    int writers[2] = {-1, -1}, readers[2] = {-1, -1};
    int32_t writeSite = -1, readSite = -1;
  };
  std::unordered_map<uint64_t, ByteUse> uses; // epoch << 40 | byte
  for (auto [thread, log] : llvm::enumerate(logs))
    for (const SharedAccessLog::Touch &touch : log.touches)
      for (int32_t epoch = touch.firstEpoch; epoch <= touch.lastEpoch; ++epoch)
        for (int64_t a = touch.address; a < touch.address + touch.bytes; ++a) {
          ByteUse &use = uses[uint64_t(epoch) << 40 | uint64_t(a)];
          int *who = touch.write ? use.writers : use.readers;
          if (who[0] < 0) {
            who[0] = int(thread);
            (touch.write ? use.writeSite : use.readSite) = touch.site;
          } else if (who[0] != int(thread) && who[1] < 0) {
            who[1] = int(thread);
          }
        }
  std::vector<SharedRace> races;
  for (const auto &[key, use] : uses) {
    if (use.writers[0] < 0 || use.readers[0] < 0)
      continue;
    // A writer and a reader that are different threads, if any.
    int writer = use.writers[0], reader = use.readers[0];
    if (writer == reader)
      reader = use.readers[1] >= 0 ? use.readers[1] : reader;
    if (writer == reader)
      writer = use.writers[1] >= 0 ? use.writers[1] : writer;
    if (writer != reader)
      races.push_back({int32_t(key >> 40), int64_t(key & ((1ull << 40) - 1)),
                       writer, reader, use.writeSite, use.readSite});
  }
  llvm::sort(races, [](const SharedRace &x, const SharedRace &y) {
    return std::tie(x.epoch, x.address) < std::tie(y.epoch, y.address);
  });
  return races;
}

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
       loop = loop->getParentOfType<scf::ForOp>())
    if (!loop.getBody()->getOps<gpu::BarrierOp>().empty())
      return true;
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
    os << "smem+" << *getConstantIntValue(view.getByteShift()) << " ";
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
    } else if (isa<gpu::ReturnOp>(op)) {
      func::ReturnOp::create(b);
    } else {
      continue;
    }
    op->erase();
  }
}

//===----------------------------------------------------------------------===//
// The test
//===----------------------------------------------------------------------===//

struct Case {
  const char *name;
  const char *elementType; // f32, f16, bf16
  int64_t batch, queryHeads, kvHeads, queryLen, keyLen, headDim;
  bool causal, tensorCores;
  int64_t queryOffset, queryStride, keyOffset, keyStride;
  double tolerance;
  /// out in the element type, rounded by the kernel (a lone block's final
  /// output); otherwise f32.
  bool finalOutput = false;
};

void PrintTo(const Case &c, std::ostream *os) { *os << c.name; }

template <int N> using Desc = StridedMemRefType<char, N>;

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

using KernelFn = void (*)(Desc<4> *, Desc<4> *, Desc<4> *, Desc<4> *, Desc<3> *,
                          float, int64_t, int64_t, int64_t, int64_t, int64_t,
                          int64_t, int64_t, int64_t, Desc<1> *);

/// The kernel of a case, rewritten for the host and JIT-compiled.
struct EmulatedKernel {
  std::unique_ptr<ExecutionEngine> engine;
  KernelFn fn = nullptr;
  int threads = 0;
  int64_t queryTile = 0, sharedBytes = 0;
  /// The shared-memory access sites, when compiled to record them.
  std::vector<SharedSite> sites;
  bool recordsShared = false;
  /// The races of every block run so far, when recording.
  std::vector<SharedRace> races;
};

/// Compiles the kernel of `c` for `cpu` ("host" or an x86-64 level).
void compileKernel(const Case &c, StringRef cpu, bool recordShared,
                   EmulatedKernel &result) {
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
  Type element = StringRef(c.elementType) == "f32"   ? b.getF32Type()
                 : StringRef(c.elementType) == "f16" ? b.getF16Type()
                                                     : b.getBF16Type();
  ring::FlashKernelConfig config{element, c.headDim, c.causal, c.tensorCores,
                                 c.finalOutput};
  gpu::GPUFuncOp kernel = ring::getOrCreateFlashKernel(kernels, config);
  ASSERT_TRUE(succeeded(verify(kernel)));
  result.recordsShared = recordShared;
  ASSERT_NO_FATAL_FAILURE(
      emulateOnHost(*module, kernel, recordShared ? &result.sites : nullptr));
  result.threads = (*kernel.getKnownBlockSize())[0];
  result.queryTile = config.queryTile();
  result.sharedBytes = config.sharedMemoryBytes();
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
    return symbols;
  });
  auto symbol = (*engine)->lookup("_mlir_ciface_emulated");
  ASSERT_TRUE(bool(symbol)) << llvm::toString(symbol.takeError());
  result.fn = reinterpret_cast<KernelFn>(*symbol);
  result.engine = std::move(*engine);
}

/// Random inputs of a case, rounded to its element type, and the rounded
/// values the reference sees; the outputs.
struct Inputs {
  explicit Inputs(const Case &c)
      : bf16(StringRef(c.elementType) == "bf16"),
        bytes(StringRef(c.elementType) == "f32" ? 4 : 2),
        q({c.batch, c.queryHeads, c.queryLen, c.headDim}, bytes),
        k({c.batch, c.kvHeads, c.keyLen, c.headDim}, bytes),
        v({c.batch, c.kvHeads, c.keyLen, c.headDim}, bytes),
        out({c.batch, c.queryHeads, c.queryLen, c.headDim},
            c.finalOutput ? bytes : 4),
        lse({c.batch, c.queryHeads, c.queryLen}, 4) {
    std::mt19937_64 rng(c.queryLen * 131 + c.headDim);
    qv = fill(q, rng);
    kv = fill(k, rng);
    vv = fill(v, rng);
  }
  /// Element i of out, as the kernel wrote it.
  double output(int64_t i) const {
    if (out.bytesPerElement == 4)
      return reinterpret_cast<const float *>(out.data)[i];
    uint16_t bits = reinterpret_cast<const uint16_t *>(out.data)[i];
    return bf16 ? ringattn::bfloat16ToFloat(bits) : ringattn::halfToFloat(bits);
  }
  std::vector<double> fill(Buffer &buffer, std::mt19937_64 &rng) {
    std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
    int64_t n = 1;
    for (int64_t s : buffer.shape)
      n *= s;
    std::vector<double> values(n);
    for (int64_t i = 0; i < n; ++i) {
      float x = uniform(rng);
      if (bytes == 4) {
        reinterpret_cast<float *>(buffer.data)[i] = x;
        values[i] = x;
      } else {
        uint16_t bits =
            bf16 ? ringattn::floatToBFloat16(x) : ringattn::floatToHalf(x);
        reinterpret_cast<uint16_t *>(buffer.data)[i] = bits;
        values[i] = bf16 ? ringattn::bfloat16ToFloat(bits)
                         : ringattn::halfToFloat(bits);
      }
    }
    return values;
  }
  bool bf16;
  int64_t bytes;
  Buffer q, k, v, out, lse;
  std::vector<double> qv, kv, vv;
};

/// Runs the whole grid of `c`, block after block; a kernel compiled to
/// record its shared-memory accesses adds each block's conflicts to its
/// sites and its races to its races.
void launch(EmulatedKernel &kernel, const Case &c, Inputs &in) {
  const double scale = 1.0 / std::sqrt(double(c.headDim));
  Desc<4> qd = in.q.describe<4>(), kd = in.k.describe<4>(),
          vd = in.v.describe<4>(), od = in.out.describe<4>();
  Desc<3> ld = in.lse.describe<3>();
  int64_t gridX = (c.queryLen + kernel.queryTile - 1) / kernel.queryTile;
  int threads = kernel.threads;
  for (int64_t bz = 0; bz < c.batch; ++bz)
    for (int64_t by = 0; by < c.queryHeads; ++by)
      for (int64_t bx = 0; bx < gridX; ++bx) {
        ThreadBlock block(threads);
        block.bf16 = in.bf16;
        std::vector<SharedAccessLog> logs(kernel.recordsShared ? threads : 0);
        std::vector<AsyncCopies> copies(threads);
        Buffer shared({kernel.sharedBytes}, 1);
        Desc<1> sharedDesc = shared.describe<1>();
        std::vector<std::thread> pool;
        for (int t = 0; t < threads; ++t)
          pool.emplace_back([&, t] {
            currentBlock = &block;
            currentThread = t;
            currentLog = logs.empty() ? nullptr : &logs[t];
            currentEpoch = 0;
            currentCopies = &copies[t];
            Desc<4> q2 = qd, k2 = kd, v2 = vd, o2 = od;
            Desc<3> l2 = ld;
            Desc<1> s2 = sharedDesc;
            kernel.fn(&q2, &k2, &v2, &o2, &l2,
                      float(scale * 1.4426950408889634), c.queryOffset,
                      c.queryStride, c.keyOffset, c.keyStride, bx, by, bz, t,
                      &s2);
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
}

/// A kernel case, and the CPU the emulation is compiled for: the host, and
/// x86-64-v3 (AVX2) so that an AVX-512 machine runs the AVX2 code too.
using EmulationParam = std::tuple<Case, const char *>;

class FlashKernelEmulation : public ::testing::TestWithParam<EmulationParam> {};

TEST_P(FlashKernelEmulation, MatchesFloat64Reference) {
  const Case &c = std::get<0>(GetParam());
  EmulatedKernel kernel;
  ASSERT_NO_FATAL_FAILURE(compileKernel(c, std::get<1>(GetParam()),
                                        /*recordShared=*/false, kernel));
  Inputs in(c);
  launch(kernel, c, in);
  const std::vector<double> &qv = in.qv, &kv = in.kv, &vv = in.vv;
  const double scale = 1.0 / std::sqrt(double(c.headDim));

  // float64 reference of out and lse, with the affine positions.
  const float *l = reinterpret_cast<const float *>(in.lse.data);
  double errSq = 0, refSq = 0, lseErr = 0;
  int64_t group = c.queryHeads / c.kvHeads, d = c.headDim;
  for (int64_t n = 0; n < c.batch; ++n)
    for (int64_t h = 0; h < c.queryHeads; ++h)
      for (int64_t i = 0; i < c.queryLen; ++i) {
        int64_t kh = h / group;
        const double *qi = &qv[((n * c.queryHeads + h) * c.queryLen + i) * d];
        std::vector<double> s(c.keyLen, -INFINITY);
        double max = -INFINITY;
        for (int64_t j = 0; j < c.keyLen; ++j) {
          if (c.causal &&
              c.keyOffset + c.keyStride * j > c.queryOffset + c.queryStride * i)
            continue;
          const double *kj = &kv[((n * c.kvHeads + kh) * c.keyLen + j) * d];
          double dot = 0;
          for (int64_t e = 0; e < d; ++e)
            dot += qi[e] * kj[e];
          s[j] = dot * scale;
          max = std::max(max, s[j]);
        }
        double sum = 0;
        std::vector<double> acc(d, 0.0);
        for (int64_t j = 0; j < c.keyLen && max > -INFINITY; ++j) {
          double p = std::exp(s[j] - max);
          sum += p;
          const double *vj = &vv[((n * c.kvHeads + kh) * c.keyLen + j) * d];
          for (int64_t e = 0; e < d; ++e)
            acc[e] += p * vj[e];
        }
        int64_t row = (n * c.queryHeads + h) * c.queryLen + i;
        for (int64_t e = 0; e < d; ++e) {
          double expected = sum > 0 ? acc[e] / sum : 0.0;
          errSq += std::pow(in.output(row * d + e) - expected, 2);
          refSq += expected * expected;
        }
        double expectedLse = sum > 0 ? max + std::log(sum) : -INFINITY;
        if (std::isinf(expectedLse))
          EXPECT_TRUE(std::isinf(l[row]) && l[row] < 0) << "row " << row;
        else
          lseErr = std::max(lseErr, std::abs(l[row] - expectedLse));
      }
  double relative = std::sqrt(errSq / std::max(refSq, 1e-300));
  EXPECT_LE(relative, c.tolerance) << c.name;
  EXPECT_LE(lseErr, 1e-3) << c.name;
  EXPECT_GT(refSq, 0.0) << "the reference must not be all zeros";
}

// Shapes cover: ragged query and key tiles, GQA, a causal mask with the
// positions of a zigzag/striped chunk (offsets, stride 2), fully masked rows
// (keys after some queries), a query block whose rows see no key at all (the
// key loop never runs), key tiles that
// every row of a warp sees whole (the unmasked path) next to tiles on the
// diagonal and past the end, two query blocks, head_dim 64, 128 (two m-tiles
// a warp) and 256 (one) on tensor cores, head_dim 7 and 72 on the SIMT path.
INSTANTIATE_TEST_SUITE_P(
    Kernels, FlashKernelEmulation,
    ::testing::Combine(
        ::testing::Values(Case{"bf16_mma_causal_gqa_strided", "bf16", 1, 4, 2,
                               70, 80, 64, true, true, 10, 2, 3, 2, 2e-2},
                          Case{"f16_mma_full_ragged", "f16", 1, 2, 2, 40, 72,
                               128, false, true, 0, 1, 0, 1, 4e-3},
                          Case{"bf16_mma_masked_rows", "bf16", 1, 1, 1, 64, 32,
                               32, true, true, 0, 1, 40, 1, 2e-2},
                          Case{"bf16_mma_block_sees_no_key", "bf16", 1, 1, 1,
                               200, 40, 64, true, true, 0, 1, 150, 1, 2e-2},
                          Case{"bf16_mma_d128_causal_two_blocks", "bf16", 1, 2,
                               1, 200, 190, 128, true, true, 0, 1, 0, 1, 2e-2},
                          Case{"bf16_mma_d256_full", "bf16", 1, 1, 1, 70, 130,
                               256, false, true, 0, 1, 0, 1, 2e-2},
                          Case{"f16_mma_final_output", "f16", 1, 2, 1, 50, 90,
                               64, true, true, 0, 1, 0, 1, 4e-3, true},
                          Case{"bf16_simt_final_output", "bf16", 1, 1, 1, 30,
                               40, 24, false, false, 0, 1, 0, 1, 1e-2, true},
                          Case{"f32_simt_causal_d7", "f32", 2, 2, 1, 33, 33, 7,
                               true, false, 0, 1, 0, 1, 1e-5},
                          Case{"bf16_simt_d72", "bf16", 1, 2, 1, 20, 50, 72,
                               false, false, 0, 1, 0, 1, 1e-2}),
        ::testing::Values("host", "x86-64-v3")),
    [](const ::testing::TestParamInfo<EmulationParam> &info) {
      std::string cpu = std::get<1>(info.param);
      std::replace(cpu.begin(), cpu.end(), '-', '_');
      return std::string(std::get<0>(info.param).name) + "_" + cpu;
    });

//===----------------------------------------------------------------------===//
// Bank conflicts
//===----------------------------------------------------------------------===//

/// A warp whose lane l accesses `bytes` at `address(l)`, for lanes in
/// [0, lanes).
int degreeOf(int64_t bytes, function_ref<int64_t(int)> address,
             int lanes = 32) {
  SmallVector<LaneAccess> accesses;
  for (int lane = 0; lane < lanes; ++lane)
    accesses.push_back({lane, address(lane), bytes});
  return conflictDegree(accesses);
}

TEST(SharedMemoryBankModel, ConflictDegree) {
  EXPECT_EQ(degreeOf(4, [](int) { return 0; }), 1) << "broadcast";
  EXPECT_EQ(degreeOf(4, [](int l) { return 4 * l; }), 1);
  EXPECT_EQ(degreeOf(4, [](int l) { return 8 * l; }), 2);
  EXPECT_EQ(degreeOf(4, [](int l) { return 128 * l; }), 32);
  EXPECT_EQ(degreeOf(
                4, [](int l) { return 128 * l; }, 16),
            16)
      << "inactive lanes do not count";
  EXPECT_EQ(degreeOf(4, [](int l) { return 4 * (l % 8); }), 1)
      << "repeated words are broadcast";
  EXPECT_EQ(degreeOf(2, [](int l) { return 2 * l; }), 1)
      << "halves of one word";
  // The transposed V tile store: lanes 0-15 at rows 8 apart of a 144-byte
  // row pitch (1152 bytes, a multiple of 128), lanes 16-31 the other halves
  // of the same words.
  EXPECT_EQ(degreeOf(2, [](int l) { return 1152 * (l % 16) + 2 * (l / 16); }),
            16);
  // 8-byte accesses: two phases of 16 lanes.
  EXPECT_EQ(degreeOf(8, [](int l) { return 8 * l; }), 1);
  EXPECT_EQ(degreeOf(8, [](int) { return 0; }), 1);
  EXPECT_EQ(degreeOf(8, [](int l) { return 16 * l; }), 2);
  // 16-byte accesses: four phases of 8 lanes.
  EXPECT_EQ(degreeOf(16, [](int l) { return 16 * l; }), 1);
  EXPECT_EQ(degreeOf(16, [](int l) { return 32 * l; }), 2);
  EXPECT_EQ(degreeOf(16, [](int l) { return 128 * l; }), 8);
  EXPECT_EQ(degreeOf(16, [](int l) { return 144 * l; }), 1)
      << "16-byte padded rows";
  EXPECT_EQ(conflictDegree({}), 0);
}

/// Sites of one kernel with the same op, buffer, hot-loop flag and degrees,
/// consecutive in walk order (the unrolled fragment loads of one loop).
struct SiteGroup {
  int64_t first, count;
  SharedSite site; // the first; instances summed over the group
};

std::vector<SiteGroup> groupSites(ArrayRef<SharedSite> sites) {
  std::vector<SiteGroup> groups;
  for (auto [i, site] : llvm::enumerate(sites)) {
    if (!groups.empty()) {
      SharedSite &last = groups.back().site;
      if (last.kind == site.kind && last.buffer == site.buffer &&
          last.hotLoop == site.hotLoop && last.worst == site.worst &&
          last.degreeSum * site.instances == site.degreeSum * last.instances) {
        ++groups.back().count;
        last.instances += site.instances;
        last.degreeSum += site.degreeSum;
        continue;
      }
    }
    groups.push_back({int64_t(i), 1, site});
  }
  return groups;
}

/// docs/GPU.md's table rows of a kernel's sites, one per group, each
/// starting with `kernel` (its element type and head_dim columns).
std::string siteTable(ArrayRef<SharedSite> sites, StringRef kernel) {
  std::string text;
  llvm::raw_string_ostream os(text);
  for (const SiteGroup &g : groupSites(sites)) {
    os << "| " << kernel << " | " << g.first;
    if (g.count > 1)
      os << "-" << g.first + g.count - 1;
    os << " | `" << g.site.kind << "` | " << g.site.buffer << " | "
       << (g.site.hotLoop ? "key tiles" : "outside") << " | "
       << g.site.instances << " | " << g.site.worst << " | "
       << llvm::format("%.2f", g.site.average()) << " |\n";
  }
  return text;
}

/// A tensor-core kernel's bank conflicts: one block of 64 query rows (four
/// full warps) against two key tiles. Prints the table rows.
class FlashKernelBankConflicts
    : public ::testing::TestWithParam<std::tuple<std::string, int64_t>> {
protected:
  void measure() {
    auto [type, headDim] = GetParam();
    MLIRContext ctx;
    Type element = StringRef(type) == "f16" ? Type(Float16Type::get(&ctx))
                                            : Type(BFloat16Type::get(&ctx));
    ring::FlashKernelConfig config{element, headDim, false, true};
    int64_t keys = 2 * config.keyTile();
    Case c{"bank_conflicts",
           type.c_str(),
           1,
           1,
           1,
           config.queryTile(),
           keys,
           headDim,
           false,
           true,
           0,
           1,
           0,
           1,
           0.0};
    ASSERT_NO_FATAL_FAILURE(
        compileKernel(c, "host", /*recordShared=*/true, kernel));
    Inputs in(c);
    launch(kernel, c, in);
    table = siteTable(kernel.sites,
                      (llvm::Twine(type) + " | " + llvm::Twine(headDim)).str());
    llvm::outs() << table;
    llvm::outs().flush();
  }
  EmulatedKernel kernel;
  std::string table;
};

/// Issue 14's bound: no shared-memory access in the key-tile loop more than
/// 2-way conflicted.
TEST_P(FlashKernelBankConflicts, HotLoopAtMostTwoWay) {
  ASSERT_NO_FATAL_FAILURE(measure());
  ASSERT_FALSE(kernel.sites.empty());
  for (auto [i, site] : llvm::enumerate(kernel.sites)) {
    if (site.hotLoop) {
      EXPECT_LE(site.worst, 2) << "site " << i << ": " << site.kind << " "
                               << site.buffer << ", average " << site.average();
    }
  }
}

/// What the kernel's shared-memory traffic is made of: 16-byte cp.async
/// stores of whole rows and ldmatrix reads of 16-byte rows, each executed
/// conflict-free (one wavefront a phase), in and outside the key loop.
TEST_P(FlashKernelBankConflicts, OnlyConflictFreeCopiesAndLdmatrix) {
  ASSERT_NO_FATAL_FAILURE(measure());
  int64_t copies = 0, ldmatrices = 0;
  for (auto [i, site] : llvm::enumerate(kernel.sites)) {
    copies += site.kind == "nvgpu.device_async_copy 16B";
    ldmatrices += site.kind == "nvgpu.ldmatrix 16B";
    EXPECT_TRUE(site.kind == "nvgpu.device_async_copy 16B" ||
                site.kind == "nvgpu.ldmatrix 16B")
        << "site " << i << ": " << site.kind;
    EXPECT_GT(site.instances, 0) << "site " << i << " never ran";
    EXPECT_EQ(site.worst, 1)
        << "site " << i << ": " << site.kind << " " << site.buffer;
  }
  EXPECT_GT(copies, 0);
  EXPECT_GT(ldmatrices, 0);
}

INSTANTIATE_TEST_SUITE_P(
    TensorCoreKernels, FlashKernelBankConflicts,
    ::testing::Combine(
        ::testing::Values(std::string("bf16"), std::string("f16")),
        ::testing::Values(int64_t(64), int64_t(128), int64_t(256))),
    [](const auto &info) {
      return std::get<0>(info.param) + "_d" +
             std::to_string(std::get<1>(info.param));
    });

//===----------------------------------------------------------------------===//
// Races
//===----------------------------------------------------------------------===//

/// A log of one thread's touches, each (first epoch, last epoch, byte
/// offset, bytes, write).
SharedAccessLog touches(
    std::initializer_list<std::tuple<int32_t, int32_t, int64_t, int64_t, bool>>
        list) {
  SharedAccessLog log;
  for (auto [first, last, address, bytes, write] : list)
    log.touches.push_back({0, first, last, address, bytes, write});
  return log;
}

TEST(SharedMemoryRaceModel, FindsReadsOfAnotherThreadsWrite) {
  auto racesOf = [](std::vector<SharedAccessLog> logs) {
    return findRaces(logs).size();
  };
  EXPECT_EQ(
      racesOf({touches({{0, 0, 0, 4, true}}), touches({{0, 0, 2, 4, false}})}),
      2u)
      << "bytes 2 and 3, in the same epoch";
  EXPECT_EQ(
      racesOf({touches({{0, 0, 0, 4, true}}), touches({{1, 1, 0, 4, false}})}),
      0u)
      << "a barrier between";
  EXPECT_EQ(racesOf({touches({{0, 0, 0, 4, true}, {0, 0, 0, 4, false}})}), 0u)
      << "a thread reads its own write";
  EXPECT_EQ(
      racesOf({touches({{0, 0, 0, 4, false}}), touches({{0, 0, 0, 4, false}})}),
      0u)
      << "two readers";
  EXPECT_EQ(
      racesOf({touches({{0, 0, 0, 2, true}}), touches({{0, 0, 2, 2, false}})}),
      0u)
      << "the two halves of one word";
  EXPECT_EQ(
      racesOf({touches({{0, 2, 0, 16, true}}), touches({{1, 1, 8, 1, false}})}),
      1u)
      << "a cp.async issued in epoch 0 and waited for in epoch 2 may land "
         "during epoch 1";
  EXPECT_EQ(
      racesOf({touches({{0, 0, 0, 4, true}}), touches({{0, 0, 0, 4, true}}),
               touches({{0, 0, 0, 4, true}, {0, 0, 0, 4, false}})}),
      4u)
      << "the third thread reads what the first two write";
}

/// Every tensor-core kernel and the SIMT kernel, on two query blocks and
/// three key tiles with a causal mask (every path of the pipeline: the
/// prologue, prefetches of the next K, the last tile without one, masked
/// and unmasked tiles): no thread reads shared memory that another thread
/// writes in the same barrier epoch.
class FlashKernelSharedRaces
    : public ::testing::TestWithParam<std::tuple<const char *, int64_t, bool>> {
};

TEST_P(FlashKernelSharedRaces, NoReadOverlapsAnotherThreadsWrite) {
  auto [type, headDim, tensorCores] = GetParam();
  MLIRContext ctx;
  Type element = StringRef(type) == "f16"    ? Type(Float16Type::get(&ctx))
                 : StringRef(type) == "bf16" ? Type(BFloat16Type::get(&ctx))
                                             : Type(Float32Type::get(&ctx));
  ring::FlashKernelConfig config{element, headDim, true, tensorCores};
  Case c{"races",
         type,
         1,
         1,
         1,
         config.queryTile() + 8,
         3 * config.keyTile() - 5,
         headDim,
         true,
         tensorCores,
         config.keyTile(),
         1,
         0,
         1,
         0.0};
  EmulatedKernel kernel;
  ASSERT_NO_FATAL_FAILURE(
      compileKernel(c, "host", /*recordShared=*/true, kernel));
  Inputs in(c);
  launch(kernel, c, in);
  ASSERT_FALSE(kernel.sites.empty());
  EXPECT_TRUE(kernel.races.empty())
      << kernel.races.size() << " racing bytes; the first: epoch "
      << kernel.races[0].epoch << ", byte " << kernel.races[0].address
      << ", thread " << kernel.races[0].writer << " writes (site "
      << kernel.races[0].writeSite << ": "
      << kernel.sites[kernel.races[0].writeSite].kind << "), thread "
      << kernel.races[0].reader << " reads (site " << kernel.races[0].readSite
      << ": " << kernel.sites[kernel.races[0].readSite].kind << ")";
}

INSTANTIATE_TEST_SUITE_P(
    Kernels, FlashKernelSharedRaces,
    ::testing::Values(std::make_tuple("bf16", int64_t(64), true),
                      std::make_tuple("f16", int64_t(128), true),
                      std::make_tuple("bf16", int64_t(256), true),
                      std::make_tuple("f32", int64_t(24), false)),
    [](const auto &info) {
      return std::string(std::get<0>(info.param)) + "_d" +
             std::to_string(std::get<1>(info.param)) +
             (std::get<2>(info.param) ? "_mma" : "_simt");
    });

} // namespace
