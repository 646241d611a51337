//===- LowerAttention.cpp - Single-device attention is one block ----------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception

#include "Documents.h"
#include "Sinks.h"

#include "RingAttn/Dialect/Ring/IR/RingOps.h"
#include "RingAttn/Transforms/Passes.h"
#include "RingAttn/Transforms/Transforms.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir {
namespace ring {
#define GEN_PASS_DEF_RINGLOWERATTENTION
#include "RingAttn/Transforms/Passes.h.inc"
} // namespace ring
} // namespace mlir

using namespace mlir;
using namespace mlir::ring;

namespace {
/// With documents, the bounds of each row's document (tensors), for the one
/// block whose rows sit at positions 0, 1, ... from `origin`.
SmallVector<Value> documentsOfRows(ImplicitLocOpBuilder &b, AttentionOp op,
                                   Value origin) {
  if (!op.getDocuments())
    return {};
  int64_t rows = op.getQuery().getType().getDimSize(2);
  DocumentRows bounds =
      documentRows(b, op.getDocuments(), {{0, rows, origin, 1}}, rows, rows);
  SmallVector<Value> tensors;
  for (Value buffer : {bounds.begin, bounds.end})
    tensors.push_back(bufferization::ToTensorOp::create(
        b, RankedTensorType::get({rows}, b.getI32Type()), buffer,
        /*restrict=*/true, /*writable=*/false));
  return tensors;
}

struct LowerSingleDeviceAttention : OpRewritePattern<AttentionOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(AttentionOp op,
                                PatternRewriter &rewriter) const override {
    if (op.isRing())
      return failure();
    Location loc = op.getLoc();
    RankedTensorType queryType = op.getQuery().getType();
    ArrayRef<int64_t> shape = queryType.getShape();
    auto f32 = rewriter.getF32Type();
    Value outInit = tensor::EmptyOp::create(rewriter, loc, shape, f32);
    Value lseInit =
        tensor::EmptyOp::create(rewriter, loc, shape.drop_back(), f32);

    // Positions on one device are simply 0, 1, 2, ... for both sides.
    PositionMask mask = op.getPositionMask();
    Value queryOffset, keyOffset;
    if (mask.any()) {
      queryOffset = arith::ConstantIndexOp::create(rewriter, loc, 0);
      keyOffset = queryOffset;
    }
    ImplicitLocOpBuilder b(loc, rewriter);
    SmallVector<Value> documents = documentsOfRows(b, op, queryOffset);
    auto block = BlockAttentionOp::create(
        rewriter, loc, op.getQuery(), op.getKey(), op.getValue(), outInit,
        lseInit, queryOffset, keyOffset, /*query_stride=*/1,
        /*key_stride=*/1, rewriter.getF32FloatAttr(op.getScaleOrDefault()),
        mask, op.getSoftcapAttr(), documents);
    Value result = block.getOut(), lse = block.getLse();
    if (Value sinks = op.getSinks())
      std::tie(result, lse) = mergeSinks(b, sinks, result, lse);
    if (queryType.getElementType() != f32)
      result = arith::TruncFOp::create(rewriter, loc, queryType, result);
    SmallVector<Value> results = {result};
    if (op.getLse())
      results.push_back(lse);
    rewriter.replaceOp(op, results);
    return success();
  }
};

struct RingLowerAttentionPass
    : ring::impl::RingLowerAttentionBase<RingLowerAttentionPass> {
  void runOnOperation() override {
    WalkResult ringFound = getOperation().walk([](Operation *op) {
      FlatSymbolRefAttr grid;
      if (auto attention = dyn_cast<AttentionOp>(op))
        grid = attention.getGridAttr();
      else if (auto grad = dyn_cast<AttentionGradOp>(op))
        grid = grad.getGridAttr();
      if (!grid)
        return WalkResult::advance();
      op->emitError("ring attention over ")
          << grid
          << " must be scheduled before ring-lower-attention; this pipeline "
             "lowers single-device attention only";
      return WalkResult::interrupt();
    });
    if (ringFound.wasInterrupted())
      return signalPassFailure();
    RewritePatternSet patterns(&getContext());
    patterns.add<LowerSingleDeviceAttention>(&getContext());
    populateRingGradientSchedulePatterns(patterns, /*ring=*/false);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace
