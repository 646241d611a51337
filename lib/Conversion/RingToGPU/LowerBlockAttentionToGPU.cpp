//===- LowerBlockAttentionToGPU.cpp - block_attention as kernel launches --===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// Replaces each ring.block_attention on buffers with a launch of the
// flash-attention kernel that fits its element type, head dimension and
// mask, and each ring.block_attention_grad with launches of the two
// gradient kernels (FlashAttentionGradKernel.h), each built once per module
// in the gpu.module @ring_kernels. It runs after bufferization and buffer
// deallocation (which cannot see what a gpu.launch_func does to its
// operands): the kernels read the operands' buffers and write the
// destinations, which bufferization allocated.
//
//===----------------------------------------------------------------------===//

#include "FlashAttentionGradKernel.h"
#include "FlashAttentionKernel.h"
#include "GpuKernelIRBuilder.h"
#include "KernelModule.h"

#include "RingAttn/Conversion/Passes.h"
#include "RingAttn/Conversion/RingToGPU.h"
#include "RingAttn/Dialect/Ring/IR/RingOps.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include "llvm/Support/MathExtras.h"

namespace mlir {
namespace ring {
#define GEN_PASS_DEF_RINGLOWERBLOCKATTENTIONGPU
#include "RingAttn/Conversion/Passes.h.inc"
} // namespace ring
} // namespace mlir

using namespace mlir;
using namespace mlir::ring;

namespace {

/// Static shared memory a kernel may use without opting in.
constexpr int64_t kStaticSharedBytes = 48 * 1024;
constexpr float kLog2e = 1.4426950408889634f;

/// Builds a kernel launch at an op: operands as the kernels take them, and
/// the launch itself.
struct LaunchBuilder {
  LaunchBuilder(Location loc, PatternRewriter &rewriter) : b(loc, rewriter) {}

  Value idx(int64_t v) { return arith::ConstantIndexOp::create(b, v); }
  Value f32(float v) {
    return arith::ConstantOp::create(b, b.getF32FloatAttr(v));
  }
  /// `buffer` cast to the fully dynamic strided type kernels take.
  Value asKernelArg(Value buffer) {
    auto type = cast<MemRefType>(buffer.getType());
    return memref::CastOp::create(b,
                                  dynamicStridedMemRef(b.getContext(),
                                                       type.getRank(),
                                                       type.getElementType()),
                                  buffer);
  }
  /// The tensor map of `buffer` for TMA boxes of `box` elements, 128-byte
  /// swizzled and zero-filled past its end (TmaLoadIRBuilder.h), as the
  /// !llvm.ptr the kernel takes: nvgpu.tma.create.descriptor becomes a
  /// call to the runtime's mgpuTensorMapEncodeTiledMemref.
  Value tensorMap(Value buffer, ArrayRef<int64_t> box) {
    MLIRContext *ctx = b.getContext();
    Type element = cast<MemRefType>(buffer.getType()).getElementType();
    auto boxType =
        MemRefType::get(box.take_back(2), element, MemRefLayoutAttrInterface{},
                        b.getI64IntegerAttr(static_cast<int64_t>(
                            NVVM::NVVMMemorySpace::Shared)));
    auto mapType = nvgpu::TensorMapDescriptorType::get(
        ctx, boxType, nvgpu::TensorMapSwizzleKind::SWIZZLE_128B,
        nvgpu::TensorMapL2PromoKind::L2PROMO_128B,
        nvgpu::TensorMapOOBKind::OOB_ZERO,
        nvgpu::TensorMapInterleaveKind::INTERLEAVE_NONE);
    Value unranked = memref::CastOp::create(
        b, UnrankedMemRefType::get(element, /*memorySpace=*/0), buffer);
    SmallVector<Value> boxSizes =
        llvm::map_to_vector(box, [&](int64_t size) { return idx(size); });
    Value map =
        nvgpu::TmaCreateDescriptorOp::create(b, mapType, unranked, boxSizes);
    return UnrealizedConversionCastOp::create(
               b, LLVM::LLVMPointerType::get(ctx), map)
        .getResult(0);
  }
  /// `kernel` on (gridX, heads, batch) blocks of its known size.
  void launch(gpu::GPUFuncOp kernel, int64_t gridX, int64_t heads,
              int64_t batch, int64_t sharedBytes, ValueRange args) {
    ArrayRef<int32_t> block = *kernel.getKnownBlockSize();
    gpu::LaunchFuncOp::create(
        b, kernel, {idx(gridX), idx(heads), idx(batch)},
        {idx(block[0]), idx(block[1]), idx(block[2])},
        arith::ConstantIntOp::create(b, b.getI32Type(), sharedBytes), args);
  }

  ImplicitLocOpBuilder b;
};

/// The GPU kernels mask causally and nothing else yet: a windowed, capped,
/// padded or packed block is refused rather than computed without its mask.
template <typename BlockOp>
LogicalResult supportedMask(BlockOp op, bool report) {
  const char *missing = op.getWindowLeft() || op.getWindowRight()
                            ? "sliding windows"
                        : op.getSoftcapAttr()   ? "logit soft-caps"
                        : op.getLength()        ? "padded sequences (length)"
                        : op.getDocumentBegin() ? "packed documents"
                                                : nullptr;
  if (!missing)
    return success();
  if (report)
    op.emitError("the GPU kernels do not support ")
        << missing
        << " yet; lower this block for the CPU (ring-lower-block-attention)";
  return failure();
}

/// The kernel configuration of a block; failure for a block no kernel runs,
/// with the reason emitted at the block when `report` (the pass reports,
/// the pattern only declines).
FailureOr<FlashKernelConfig> kernelConfig(BlockAttentionOp op, bool tensorCores,
                                          bool warpgroupMma, bool report) {
  ShapedType queryType = op.getQuery().getType();
  int64_t headDim = queryType.getDimSize(3);
  Type element = queryType.getElementType();
  FlashKernelConfig config{
      element, headDim, op.getCausal(),
      tensorCores && tensorCoresSupport(element, headDim),
      /*finalOutput=*/!op.getOutInit().getType().getElementType().isF32()};
  config.warpgroupMma = config.tensorCores && warpgroupMma &&
                        warpgroupMmaSupports(element, headDim);
  if (failed(supportedMask(op, report)))
    return failure();
  if (queryType.getDimSize(2) == 0) {
    if (report)
      op.emitError("block attention of an empty query block is not "
                   "supported");
    return failure();
  }
  if (!config.tensorCores &&
      2 * config.keyTile() * headDim * 4 > kStaticSharedBytes) {
    if (report)
      op.emitError("head_dim ")
          << headDim << " is too large for the GPU kernel: its key and "
          << "value tiles need more than " << kStaticSharedBytes
          << " bytes of shared memory";
    return failure();
  }
  return config;
}

/// A block on buffers becomes a launch of its kernel: one thread block per
/// query tile, head and batch.
struct BlockAttentionToKernelLaunch : OpRewritePattern<BlockAttentionOp> {
  BlockAttentionToKernelLaunch(MLIRContext *context, bool tensorCores,
                               bool warpgroupMma)
      : OpRewritePattern(context), tensorCores(tensorCores),
        warpgroupMma(warpgroupMma) {}

  LogicalResult matchAndRewrite(BlockAttentionOp op,
                                PatternRewriter &rewriter) const override {
    if (!op.hasPureBufferSemantics())
      return rewriter.notifyMatchFailure(op, "not bufferized");
    FailureOr<FlashKernelConfig> config =
        kernelConfig(op, tensorCores, warpgroupMma, /*report=*/false);
    if (failed(config))
      return rewriter.notifyMatchFailure(op, "no kernel runs this block");
    auto module = op->getParentOfType<ModuleOp>();
    gpu::GPUFuncOp kernel = getOrCreateFlashKernel(
        getOrCreateKernelModule(rewriter, module), *config);

    LaunchBuilder l(op.getLoc(), rewriter);
    Value queryOffset = op.getQueryOffset() ? op.getQueryOffset() : l.idx(0);
    Value keyOffset = op.getKeyOffset() ? op.getKeyOffset() : l.idx(0);
    SmallVector<Value> args = {l.asKernelArg(op.getQuery()),
                               l.asKernelArg(op.getKey()),
                               l.asKernelArg(op.getValue()),
                               l.asKernelArg(op.getOutInit()),
                               l.asKernelArg(op.getLseInit()),
                               l.f32(op.getScaleOrDefault() * kLog2e),
                               queryOffset,
                               l.idx(op.getQueryStride()),
                               keyOffset,
                               l.idx(op.getKeyStride())};
    if (config->warpSpecialized()) {
      SmallVector<int64_t, 4> queryBox = flashTensorMapBox(*config, true);
      SmallVector<int64_t, 4> keyBox = flashTensorMapBox(*config, false);
      args.push_back(l.tensorMap(op.getQuery(), queryBox));
      args.push_back(l.tensorMap(op.getKey(), keyBox));
      args.push_back(l.tensorMap(op.getValue(), keyBox));
    }
    ShapedType queryType = op.getQuery().getType();
    l.launch(kernel,
             llvm::divideCeil(queryType.getDimSize(2), config->queryTile()),
             queryType.getDimSize(1), queryType.getDimSize(0),
             config->sharedMemoryBytes(), args);
    rewriter.eraseOp(op);
    return success();
  }

  bool tensorCores, warpgroupMma;
};

/// The gradient kernels' configuration of a block; failure, reported at
/// the block when `report`, for a block they cannot run.
FailureOr<FlashGradKernelConfig>
gradKernelConfig(BlockAttentionGradOp op, bool tensorCores, bool report) {
  ShapedType queryType = op.getQuery().getType();
  ShapedType keyType = op.getKey().getType();
  Type element = queryType.getElementType();
  int64_t headDim = queryType.getDimSize(3);
  FlashGradKernelConfig config{element, headDim, op.getCausal(),
                               tensorCores &&
                                   gradTensorCoresSupport(element, headDim)};
  if (failed(supportedMask(op, report)))
    return failure();
  if (queryType.getDimSize(2) == 0 || keyType.getDimSize(2) == 0) {
    if (report)
      op.emitError("block attention gradient of an empty ")
          << (queryType.getDimSize(2) == 0 ? "query" : "key/value")
          << " block is not supported";
    return failure();
  }
  if (!config.tensorCores && config.sharedMemoryBytes() > kStaticSharedBytes) {
    if (report)
      op.emitError("head_dim ")
          << config.headDim << " is too large for the GPU gradient kernels: "
          << "their row tiles need more than " << kStaticSharedBytes
          << " bytes of shared memory";
    return failure();
  }
  return config;
}

/// A block gradient on buffers becomes two launches: the dq kernel over
/// query tiles and heads, the dk/dv kernel over key tiles and key/value
/// heads (on tensor cores where the type and head_dim allow). They write
/// different buffers and run one after the other on the rank's stream.
struct BlockAttentionGradToKernelLaunches
    : OpRewritePattern<BlockAttentionGradOp> {
  BlockAttentionGradToKernelLaunches(MLIRContext *context, bool tensorCores)
      : OpRewritePattern(context), tensorCores(tensorCores) {}

  LogicalResult matchAndRewrite(BlockAttentionGradOp op,
                                PatternRewriter &rewriter) const override {
    if (!op.hasPureBufferSemantics())
      return rewriter.notifyMatchFailure(op, "not bufferized");
    FailureOr<FlashGradKernelConfig> config =
        gradKernelConfig(op, tensorCores, /*report=*/false);
    if (failed(config))
      return rewriter.notifyMatchFailure(op, "no kernel runs this block");
    gpu::GPUModuleOp kernels =
        getOrCreateKernelModule(rewriter, op->getParentOfType<ModuleOp>());

    LaunchBuilder l(op.getLoc(), rewriter);
    float scale = op.getScaleOrDefault();
    SmallVector<Value> args = {l.asKernelArg(op.getQuery()),
                               l.asKernelArg(op.getKey()),
                               l.asKernelArg(op.getValue()),
                               l.asKernelArg(op.getDout()),
                               l.asKernelArg(op.getLse()),
                               l.asKernelArg(op.getDelta()),
                               l.asKernelArg(op.getDqueryInit()),
                               l.asKernelArg(op.getDkeyInit()),
                               l.asKernelArg(op.getDvalueInit()),
                               l.f32(scale * kLog2e),
                               l.f32(scale),
                               op.getQueryOffset() ? op.getQueryOffset()
                                                   : l.idx(0),
                               l.idx(op.getQueryStride()),
                               op.getKeyOffset() ? op.getKeyOffset() : l.idx(0),
                               l.idx(op.getKeyStride())};
    ShapedType queryType = op.getQuery().getType();
    ShapedType keyType = op.getKey().getType();
    int64_t rows = FlashGradKernelConfig::kRowsPerBlock;
    l.launch(
        getOrCreateFlashGradKernel(kernels, *config, GradKernelPart::Query),
        llvm::divideCeil(queryType.getDimSize(2), rows),
        queryType.getDimSize(1), queryType.getDimSize(0),
        config->sharedMemoryBytes(), args);
    l.launch(
        getOrCreateFlashGradKernel(kernels, *config, GradKernelPart::KeyValue),
        llvm::divideCeil(keyType.getDimSize(2), rows), keyType.getDimSize(1),
        keyType.getDimSize(0), config->sharedMemoryBytes(), args);
    rewriter.eraseOp(op);
    return success();
  }

  bool tensorCores;
};

struct RingLowerBlockAttentionGPUPass
    : ring::impl::RingLowerBlockAttentionGPUBase<
          RingLowerBlockAttentionGPUPass> {
  using Base::Base;

  void runOnOperation() override {
    // Blocks the kernels cannot run are errors, reported before anything is
    // rewritten.
    WalkResult bad = getOperation().walk([&](Operation *op) {
      if (!isa<BlockAttentionOp, BlockAttentionGradOp>(op))
        return WalkResult::advance();
      if (!cast<DestinationStyleOpInterface>(op).hasPureBufferSemantics()) {
        op->emitError("ring-lower-block-attention-gpu lowers blocks on "
                      "buffers; bufferize this one first (one-shot-bufferize)");
        return WalkResult::interrupt();
      }
      bool runnable =
          isa<BlockAttentionOp>(op)
              ? succeeded(kernelConfig(cast<BlockAttentionOp>(op), tensorCores,
                                       warpgroupMma, /*report=*/true))
              : succeeded(gradKernelConfig(cast<BlockAttentionGradOp>(op),
                                           tensorCores, /*report=*/true));
      return runnable ? WalkResult::advance() : WalkResult::interrupt();
    });
    if (bad.wasInterrupted())
      return signalPassFailure();
    RewritePatternSet patterns(&getContext());
    populateRingBlockAttentionToGPUPatterns(patterns, tensorCores,
                                            warpgroupMma);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace

void mlir::ring::populateRingBlockAttentionToGPUPatterns(
    RewritePatternSet &patterns, bool tensorCores, bool warpgroupMma) {
  patterns.add<BlockAttentionToKernelLaunch>(patterns.getContext(), tensorCores,
                                             warpgroupMma);
  patterns.add<BlockAttentionGradToKernelLaunches>(patterns.getContext(),
                                                   tensorCores);
}
