//===- LowerBlockAttentionToGPU.cpp - block_attention as kernel launches --===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// Replaces each ring.block_attention with a launch of the flash-attention
// kernel that fits its element type, head dimension and mask, built once per
// module in the gpu.module @ring_kernels. Like the CPU lowering, it runs on
// tensors: the operands are bridged to buffers, the results are buffers
// allocated at the entry of the function (one pair per op: a block in the
// ring loop reuses its own on every step) and bridged back, so
// bufferization sees no ring op and the ring loop no allocation.
//
// Until the buffers are final the launch is a call of a private declaration
// that stands in for the kernel (see KernelLaunch.h): bufferization and
// buffer deallocation know what a call does to its operands, not what a
// gpu.launch_func does. ring-offload-to-gpu turns the calls into launches.
//
//===----------------------------------------------------------------------===//

#include "FlashAttentionKernel.h"
#include "KernelLaunch.h"

#include "RingAttn/Conversion/Passes.h"
#include "RingAttn/Dialect/Ring/IR/RingOps.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"
#include "mlir/Interfaces/FunctionInterfaces.h"

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

/// A result buffer allocated at the entry of the function that holds `op`.
/// Each op gets its own: two blocks' results may be live at once.
Value allocateAtEntry(Operation *op, MemRefType type) {
  auto func = op->getParentOfType<FunctionOpInterface>();
  OpBuilder b(op->getContext());
  b.setInsertionPointToStart(&func.getFunctionBody().front());
  return memref::AllocOp::create(b, func.getLoc(), type);
}

MemRefType dynamicStridedLike(MLIRContext *ctx, ShapedType type) {
  int64_t rank = type.getRank();
  SmallVector<int64_t> strides(rank, ShapedType::kDynamic);
  strides.back() = 1;
  return MemRefType::get(
      SmallVector<int64_t>(rank, ShapedType::kDynamic), type.getElementType(),
      StridedLayoutAttr::get(ctx, ShapedType::kDynamic, strides));
}

struct RingLowerBlockAttentionGPUPass
    : ring::impl::RingLowerBlockAttentionGPUBase<
          RingLowerBlockAttentionGPUPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<BlockAttentionOp> ops;
    module.walk([&](BlockAttentionOp op) { ops.push_back(op); });
    if (ops.empty())
      return;
    gpu::GPUModuleOp kernels = getOrCreateKernelModule(module);
    for (BlockAttentionOp op : ops)
      if (failed(lower(op, kernels)))
        return signalPassFailure();
  }

  LogicalResult lower(BlockAttentionOp op, gpu::GPUModuleOp kernels) {
    RankedTensorType queryType = op.getQuery().getType();
    int64_t queryLen = queryType.getDimSize(2);
    int64_t headDim = queryType.getDimSize(3);
    if (queryLen == 0)
      return op.emitError("block attention of an empty query block is not "
                          "supported");
    Type element = queryType.getElementType();
    FlashKernelConfig config{element, headDim, op.isCausal(),
                             tensorCores &&
                                 tensorCoresSupport(element, headDim)};
    if (!config.tensorCores &&
        2 * config.keyTile() * headDim * 4 > kStaticSharedBytes)
      return op.emitError("head_dim ")
             << headDim << " is too large for the GPU kernel: its key and "
             << "value tiles need more than " << kStaticSharedBytes
             << " bytes of shared memory";
    gpu::GPUFuncOp kernel = getOrCreateFlashKernel(kernels, config);

    ImplicitLocOpBuilder b(op.getLoc(), op);
    MLIRContext *ctx = op.getContext();
    auto asKernelArg = [&](Value buffer) {
      auto type = cast<MemRefType>(buffer.getType());
      return memref::CastOp::create(b, dynamicStridedLike(ctx, type), buffer)
          .getResult();
    };
    auto asBuffer = [&](Value tensor) {
      auto type = cast<RankedTensorType>(tensor.getType());
      int64_t dyn = ShapedType::kDynamic;
      auto layout = StridedLayoutAttr::get(ctx, dyn, {dyn, dyn, dyn, 1});
      return asKernelArg(bufferization::ToBufferOp::create(
          b, MemRefType::get(type.getShape(), type.getElementType(), layout),
          tensor, /*read_only=*/true));
    };
    auto resultBuffer = [&](RankedTensorType type) {
      return allocateAtEntry(
          op, MemRefType::get(type.getShape(), type.getElementType()));
    };
    Value out = resultBuffer(op.getOut().getType());
    Value lse = resultBuffer(op.getLse().getType());

    auto idx = [&](int64_t v) -> Value {
      return arith::ConstantIndexOp::create(b, v);
    };
    Value queryOffset = op.isCausal() ? op.getQueryOffset() : idx(0);
    Value keyOffset = op.isCausal() ? op.getKeyOffset() : idx(0);
    Value scaleLog2 = arith::ConstantOp::create(
        b, b.getF32FloatAttr(op.getScaleOrDefault() * 1.4426950408889634f));
    SmallVector<Value> args = {asBuffer(op.getQuery()),
                               asBuffer(op.getKey()),
                               asBuffer(op.getValue()),
                               asKernelArg(out),
                               asKernelArg(lse),
                               scaleLog2,
                               queryOffset,
                               idx(op.getQueryStride()),
                               keyOffset,
                               idx(op.getKeyStride())};
    gpu::KernelDim3 grid{
        idx(llvm::divideCeil(queryLen, FlashKernelConfig::kQueryTile)),
        idx(queryType.getDimSize(1)), idx(queryType.getDimSize(0))};
    createKernelLaunchCall(b, kernel, grid, args);

    auto asTensor = [&](Value buffer, Type type) {
      return bufferization::ToTensorOp::create(b, type, buffer,
                                               /*restrict=*/true,
                                               /*writable=*/true)
          .getResult();
    };
    op.getOut().replaceAllUsesWith(asTensor(out, op.getOut().getType()));
    op.getLse().replaceAllUsesWith(asTensor(lse, op.getLse().getType()));
    op.erase();
    return success();
  }
};

} // namespace
