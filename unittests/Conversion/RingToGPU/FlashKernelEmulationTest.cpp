//===- FlashKernelEmulationTest.cpp - GPU kernels, run on the CPU ---------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// The flash-attention kernels of ring-lower-block-attention-gpu, run without
// a GPU: each kernel is rewritten into a host function of (its arguments,
// block id, thread id, shared buffers), JIT-compiled, and run with one OS
// thread per GPU thread, block after block. gpu.barrier, gpu.shuffle and
// nvvm.mma.sync become calls into a small SIMT machine below, whose mma.sync
// implements the m16n8k16 fragment layouts as the PTX ISA states them. The
// outputs are compared with a float64 reference on random inputs, so the
// kernels' indexing, masks, online softmax and fragment bookkeeping are
// tested here; what only a GPU can test (the real instructions, timing) is
// scripts/gpu-check.sh's.
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

#include "llvm/Support/TargetSelect.h"

#include "gtest/gtest.h"

#include <algorithm>
#include <cmath>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <random>
#include <thread>

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

extern "C" void emu_barrier() { currentBlock->barrier.wait(); }

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

/// @emulated(kernel args..., block x, y, z, thread x, shared buffers...).
void emulateOnHost(ModuleOp module, gpu::GPUFuncOp kernel) {
  MLIRContext *ctx = module.getContext();
  ImplicitLocOpBuilder b(module.getLoc(), ctx);
  Type index = b.getIndexType(), f32 = b.getF32Type(), i32 = b.getI32Type();
  auto barrier = declare(module, "emu_barrier", b.getFunctionType({}, {}));
  auto shuffle =
      declare(module, "emu_shuffle_xor", b.getFunctionType({f32, i32}, {f32}));
  SmallVector<Type> mmaArgs(6, i32);
  mmaArgs.append(4, f32);
  mmaArgs.push_back(b.getI64Type());
  auto mma = declare(module, "emu_mma", b.getFunctionType(mmaArgs, {}));

  SmallVector<Type> inputs(kernel.getArgumentTypes());
  inputs.append(4, index);
  for (BlockArgument shared : kernel.getWorkgroupAttributions())
    inputs.push_back(withoutMemorySpace(shared.getType()));
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
  for (auto [i, shared] : llvm::enumerate(kernel.getWorkgroupAttributions()))
    mapping.map(shared, entry->getArgument(numArgs + 4 + i));
  for (BlockArgument local : kernel.getPrivateAttributions())
    mapping.map(local, memref::AllocaOp::create(
                           b, withoutMemorySpace(local.getType())));
  for (Operation &op : kernel.getBody().front())
    b.clone(op, mapping);

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
      args.push_back(arith::IndexCastOp::create(
          b, b.getI64Type(),
          memref::ExtractAlignedPointerAsIndexOp::create(b, d)));
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

/// A kernel case, and the CPU the emulation is compiled for: the host, and
/// x86-64-v3 (AVX2) so that an AVX-512 machine runs the AVX2 code too.
using EmulationParam = std::tuple<Case, const char *>;

class FlashKernelEmulation : public ::testing::TestWithParam<EmulationParam> {};

TEST_P(FlashKernelEmulation, MatchesFloat64Reference) {
  const Case &c = std::get<0>(GetParam());
  const std::string cpu = std::get<1>(GetParam());
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  DialectRegistry registry;
  registry.insert<arith::ArithDialect, func::FuncDialect, gpu::GPUDialect,
                  LLVM::LLVMDialect, math::MathDialect, memref::MemRefDialect,
                  NVVM::NVVMDialect, scf::SCFDialect, vector::VectorDialect>();
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
  ring::FlashKernelConfig config{element, c.headDim, c.causal, c.tensorCores};
  gpu::GPUFuncOp kernel = ring::getOrCreateFlashKernel(kernels, config);
  ASSERT_TRUE(succeeded(verify(kernel)));
  emulateOnHost(*module, kernel);
  SmallVector<int64_t> sharedShapes[2];
  for (auto [i, shared] : llvm::enumerate(kernel.getWorkgroupAttributions()))
    sharedShapes[i] =
        llvm::to_vector(cast<MemRefType>(shared.getType()).getShape());
  int threads = (*kernel.getKnownBlockSize())[0];
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
  target.cpu = cpu == "host" ? "" : cpu;
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
    return symbols;
  });
  auto symbol = (*engine)->lookup("_mlir_ciface_emulated");
  ASSERT_TRUE(bool(symbol)) << llvm::toString(symbol.takeError());
  using Fn = void (*)(Desc<4> *, Desc<4> *, Desc<4> *, Desc<4> *, Desc<3> *,
                      float, int64_t, int64_t, int64_t, int64_t, int64_t,
                      int64_t, int64_t, int64_t, Desc<2> *, Desc<2> *);
  auto fn = reinterpret_cast<Fn>(*symbol);

  // Random inputs, rounded to the element type; the reference sees the
  // rounded values.
  int64_t bytes = element.getIntOrFloatBitWidth() / 8;
  Buffer q({c.batch, c.queryHeads, c.queryLen, c.headDim}, bytes);
  Buffer k({c.batch, c.kvHeads, c.keyLen, c.headDim}, bytes);
  Buffer v({c.batch, c.kvHeads, c.keyLen, c.headDim}, bytes);
  Buffer out({c.batch, c.queryHeads, c.queryLen, c.headDim}, 4);
  Buffer lse({c.batch, c.queryHeads, c.queryLen}, 4);
  std::mt19937_64 rng(c.queryLen * 131 + c.headDim);
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  auto fill = [&](Buffer &buffer) {
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
        uint16_t bits = element.isBF16() ? ringattn::floatToBFloat16(x)
                                         : ringattn::floatToHalf(x);
        reinterpret_cast<uint16_t *>(buffer.data)[i] = bits;
        values[i] = element.isBF16() ? ringattn::bfloat16ToFloat(bits)
                                     : ringattn::halfToFloat(bits);
      }
    }
    return values;
  };
  std::vector<double> qv = fill(q), kv = fill(k), vv = fill(v);
  const double scale = 1.0 / std::sqrt(double(c.headDim));

  Desc<4> qd = q.describe<4>(), kd = k.describe<4>(), vd = v.describe<4>(),
          od = out.describe<4>();
  Desc<3> ld = lse.describe<3>();
  int64_t gridX = (c.queryLen + ring::FlashKernelConfig::kQueryTile - 1) /
                  ring::FlashKernelConfig::kQueryTile;
  for (int64_t bz = 0; bz < c.batch; ++bz)
    for (int64_t by = 0; by < c.queryHeads; ++by)
      for (int64_t bx = 0; bx < gridX; ++bx) {
        ThreadBlock block(threads);
        block.bf16 = element.isBF16();
        Buffer shared0(std::vector<int64_t>(sharedShapes[0].begin(),
                                            sharedShapes[0].end()),
                       c.tensorCores ? bytes : 4);
        Buffer shared1(std::vector<int64_t>(sharedShapes[1].begin(),
                                            sharedShapes[1].end()),
                       c.tensorCores ? bytes : 4);
        Desc<2> s0 = shared0.describe<2>(), s1 = shared1.describe<2>();
        std::vector<std::thread> pool;
        for (int t = 0; t < threads; ++t)
          pool.emplace_back([&, t] {
            currentBlock = &block;
            currentThread = t;
            Desc<4> q2 = qd, k2 = kd, v2 = vd, o2 = od;
            Desc<3> l2 = ld;
            Desc<2> a = s0, bb = s1;
            fn(&q2, &k2, &v2, &o2, &l2, float(scale * 1.4426950408889634),
               c.queryOffset, c.queryStride, c.keyOffset, c.keyStride, bx, by,
               bz, t, &a, &bb);
          });
        for (std::thread &thread : pool)
          thread.join();
      }

  // float64 reference of out and lse, with the affine positions.
  const float *o = reinterpret_cast<const float *>(out.data);
  const float *l = reinterpret_cast<const float *>(lse.data);
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
          errSq += std::pow(o[row * d + e] - expected, 2);
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
// (keys after every query), head_dim 7 and 72 on the SIMT path.
INSTANTIATE_TEST_SUITE_P(
    Kernels, FlashKernelEmulation,
    ::testing::Combine(
        ::testing::Values(Case{"bf16_mma_causal_gqa_strided", "bf16", 1, 4, 2,
                               70, 80, 64, true, true, 10, 2, 3, 2, 2e-2},
                          Case{"f16_mma_full_ragged", "f16", 1, 2, 2, 40, 72,
                               128, false, true, 0, 1, 0, 1, 4e-3},
                          Case{"bf16_mma_masked_rows", "bf16", 1, 1, 1, 64, 32,
                               32, true, true, 0, 1, 40, 1, 2e-2},
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

} // namespace
