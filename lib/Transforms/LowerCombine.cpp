//===- LowerCombine.cpp - ring.combine on buffers as a loop over rows -----===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception

#include "RingAttn/Dialect/Ring/IR/RingOps.h"
#include "RingAttn/Transforms/Passes.h"
#include "RingAttn/Transforms/Transforms.h"

#include "mlir/IR/ImplicitLocOpBuilder.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <limits>

namespace mlir {
namespace ring {
#define GEN_PASS_DEF_RINGLOWERCOMBINE
#include "RingAttn/Transforms/Passes.h.inc"
} // namespace ring
} // namespace mlir

using namespace mlir;
using namespace mlir::ring;

namespace {

/// Lowers a combine on buffers to one parallel loop over rows:
///
///   m = max(lse_a, lse_b)                     (both -inf: m = -inf)
///   w_a = exp(lse_a - m), w_b = exp(lse_b - m)   (<= 1)
///   lse <- m + log(w_a + w_b), w = w_b / (w_a + w_b)
///   for each d: out <- out_a + w * (out_b - out_a)
///
/// The exponentials run once per row and the element loop is one FMA, with
/// no temporary. A row reads its inputs before writing its destinations, so
/// the destinations may be side a's buffers (the op is element-wise). A row
/// neither side saw gets weight 0: out stays out_a (0), lse stays -inf.
struct LowerCombineOnBuffers : OpRewritePattern<CombineOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(CombineOp op,
                                PatternRewriter &rewriter) const override {
    if (!op.hasPureBufferSemantics())
      return rewriter.notifyMatchFailure(op, "not bufferized");
    ImplicitLocOpBuilder b(op.getLoc(), rewriter);
    auto idx = [&](int64_t v) -> Value {
      return arith::ConstantIndexOp::create(b, v);
    };
    ArrayRef<int64_t> rows = op.getLseA().getType().getShape();
    int64_t headDim = op.getOutA().getType().getShape().back();
    SmallVector<Value> lower(rows.size(), idx(0)), steps(rows.size(), idx(1));
    SmallVector<Value> upper =
        llvm::map_to_vector(rows, [&](int64_t size) { return idx(size); });
    Value zero = idx(0), one = idx(1), end = idx(headDim);
    scf::ParallelOp::create(
        b, lower, upper, steps,
        [&](OpBuilder &nested, Location loc, ValueRange row) {
          ImplicitLocOpBuilder ib(loc, nested);
          Value weight = mergeRow(ib, op, row);
          scf::ForOp::create(
              ib, zero, end, one, ValueRange{},
              [&](OpBuilder &inner, Location innerLoc, Value d, ValueRange) {
                ImplicitLocOpBuilder eb(innerLoc, inner);
                SmallVector<Value> element(row);
                element.push_back(d);
                Value oa = memref::LoadOp::create(eb, op.getOutA(), element);
                Value ob = memref::LoadOp::create(eb, op.getOutB(), element);
                Value delta = arith::SubFOp::create(eb, ob, oa);
                memref::StoreOp::create(
                    eb, math::FmaOp::create(eb, weight, delta, oa),
                    op.getOutInit(), element);
                scf::YieldOp::create(eb);
              });
        });
    rewriter.eraseOp(op);
    return success();
  }

  /// Stores the merged lse of `row` and returns side b's weight.
  static Value mergeRow(ImplicitLocOpBuilder &b, CombineOp op, ValueRange row) {
    auto f32 = [&](float v) {
      return arith::ConstantOp::create(b, b.getF32FloatAttr(v));
    };
    Value la = memref::LoadOp::create(b, op.getLseA(), row);
    Value lb = memref::LoadOp::create(b, op.getLseB(), row);
    Value max = arith::MaximumFOp::create(b, la, lb);
    Value empty =
        arith::CmpFOp::create(b, arith::CmpFPredicate::OEQ, max,
                              f32(-std::numeric_limits<float>::infinity()));
    // Subtracting 0 instead of -inf keeps exp(-inf - m) at 0, not NaN.
    Value ref = arith::SelectOp::create(b, empty, f32(0.0f), max);
    Value wa = math::ExpOp::create(b, arith::SubFOp::create(b, la, ref));
    Value wb = math::ExpOp::create(b, arith::SubFOp::create(b, lb, ref));
    Value sum = arith::AddFOp::create(b, wa, wb);
    Value lse = arith::AddFOp::create(b, max, math::LogOp::create(b, sum));
    memref::StoreOp::create(b, lse, op.getLseInit(), row);
    return arith::SelectOp::create(b, empty, f32(0.0f),
                                   arith::DivFOp::create(b, wb, sum));
  }
};

struct RingLowerCombinePass
    : ring::impl::RingLowerCombineBase<RingLowerCombinePass> {
  void runOnOperation() override {
    WalkResult unbufferized = getOperation().walk([](CombineOp op) {
      if (op.hasPureBufferSemantics())
        return WalkResult::advance();
      op.emitError("ring-lower-combine lowers merges on buffers; bufferize "
                   "this one first (one-shot-bufferize)");
      return WalkResult::interrupt();
    });
    if (unbufferized.wasInterrupted())
      return signalPassFailure();
    RewritePatternSet patterns(&getContext());
    populateRingLowerCombinePatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace

void mlir::ring::populateRingLowerCombinePatterns(RewritePatternSet &patterns) {
  patterns.add<LowerCombineOnBuffers>(patterns.getContext());
}
