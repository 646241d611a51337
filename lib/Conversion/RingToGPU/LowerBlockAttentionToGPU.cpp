//===- LowerBlockAttentionToGPU.cpp - block_attention as kernel launches --===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// Replaces each ring.block_attention on buffers with a launch of the
// flash-attention kernel that fits its element type, head dimension and
// mask, built once per module in the gpu.module @ring_kernels. It runs after
// bufferization and buffer deallocation (which cannot see what a
// gpu.launch_func does to its operands): the kernel reads the operands'
// buffers and writes the destinations, which bufferization allocated.
//
//===----------------------------------------------------------------------===//

#include "FlashAttentionKernel.h"
#include "KernelModule.h"

#include "RingAttn/Conversion/Passes.h"
#include "RingAttn/Conversion/RingToGPU.h"
#include "RingAttn/Dialect/Ring/IR/RingOps.h"

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

MemRefType dynamicStridedLike(MLIRContext *ctx, ShapedType type) {
  int64_t rank = type.getRank();
  SmallVector<int64_t> strides(rank, ShapedType::kDynamic);
  strides.back() = 1;
  return MemRefType::get(
      SmallVector<int64_t>(rank, ShapedType::kDynamic), type.getElementType(),
      StridedLayoutAttr::get(ctx, ShapedType::kDynamic, strides));
}

/// The kernel configuration of a block; failure for a block no kernel runs,
/// with the reason emitted at the block when `report` (the pass reports,
/// the pattern only declines).
FailureOr<FlashKernelConfig> kernelConfig(BlockAttentionOp op, bool tensorCores,
                                          bool report) {
  ShapedType queryType = op.getQuery().getType();
  int64_t headDim = queryType.getDimSize(3);
  Type element = queryType.getElementType();
  FlashKernelConfig config{
      element, headDim, op.isCausal(),
      tensorCores && tensorCoresSupport(element, headDim),
      /*finalOutput=*/!op.getOutInit().getType().getElementType().isF32()};
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
  BlockAttentionToKernelLaunch(MLIRContext *context, bool tensorCores)
      : OpRewritePattern(context), tensorCores(tensorCores) {}

  LogicalResult matchAndRewrite(BlockAttentionOp op,
                                PatternRewriter &rewriter) const override {
    if (!op.hasPureBufferSemantics())
      return rewriter.notifyMatchFailure(op, "not bufferized");
    FailureOr<FlashKernelConfig> config =
        kernelConfig(op, tensorCores, /*report=*/false);
    if (failed(config))
      return rewriter.notifyMatchFailure(op, "no kernel runs this block");
    auto module = op->getParentOfType<ModuleOp>();
    gpu::GPUFuncOp kernel = getOrCreateFlashKernel(
        getOrCreateKernelModule(rewriter, module), *config);

    ImplicitLocOpBuilder b(op.getLoc(), rewriter);
    MLIRContext *ctx = op.getContext();
    auto asKernelArg = [&](Value buffer) {
      auto type = cast<MemRefType>(buffer.getType());
      return memref::CastOp::create(b, dynamicStridedLike(ctx, type), buffer)
          .getResult();
    };
    auto idx = [&](int64_t v) -> Value {
      return arith::ConstantIndexOp::create(b, v);
    };
    Value queryOffset = op.isCausal() ? op.getQueryOffset() : idx(0);
    Value keyOffset = op.isCausal() ? op.getKeyOffset() : idx(0);
    Value scaleLog2 = arith::ConstantOp::create(
        b, b.getF32FloatAttr(op.getScaleOrDefault() * 1.4426950408889634f));
    SmallVector<Value> args = {asKernelArg(op.getQuery()),
                               asKernelArg(op.getKey()),
                               asKernelArg(op.getValue()),
                               asKernelArg(op.getOutInit()),
                               asKernelArg(op.getLseInit()),
                               scaleLog2,
                               queryOffset,
                               idx(op.getQueryStride()),
                               keyOffset,
                               idx(op.getKeyStride())};
    ShapedType queryType = op.getQuery().getType();
    gpu::KernelDim3 grid{
        idx(llvm::divideCeil(queryType.getDimSize(2), config->queryTile())),
        idx(queryType.getDimSize(1)), idx(queryType.getDimSize(0))};
    ArrayRef<int32_t> block = *kernel.getKnownBlockSize();
    gpu::LaunchFuncOp::create(
        b, kernel, grid, {idx(block[0]), idx(block[1]), idx(block[2])},
        arith::ConstantIntOp::create(b, b.getI32Type(),
                                     config->sharedMemoryBytes()),
        args);
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
    WalkResult bad = getOperation().walk([&](BlockAttentionOp op) {
      if (!op.hasPureBufferSemantics()) {
        op.emitError("ring-lower-block-attention-gpu lowers blocks on "
                     "buffers; bufferize this one first (one-shot-bufferize)");
        return WalkResult::interrupt();
      }
      return failed(kernelConfig(op, tensorCores, /*report=*/true))
                 ? WalkResult::interrupt()
                 : WalkResult::advance();
    });
    if (bad.wasInterrupted())
      return signalPassFailure();
    // The backward has no GPU kernel yet: say so here, not as an illegal
    // op deep in the lowering to LLVM.
    WalkResult grad = getOperation().walk([](BlockAttentionGradOp op) {
      op.emitError("ring-lower-block-attention-gpu has no kernel for "
                   "ring.block_attention_grad yet; compile training steps "
                   "for the CPU (ring-lower-cpu)");
      return WalkResult::interrupt();
    });
    if (grad.wasInterrupted())
      return signalPassFailure();
    RewritePatternSet patterns(&getContext());
    populateRingBlockAttentionToGPUPatterns(patterns, tensorCores);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace

void mlir::ring::populateRingBlockAttentionToGPUPatterns(
    RewritePatternSet &patterns, bool tensorCores) {
  patterns.add<BlockAttentionToKernelLaunch>(patterns.getContext(),
                                             tensorCores);
}
