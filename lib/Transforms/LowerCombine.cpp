//===- LowerCombine.cpp - ring.combine as in-place element-wise linalg ----===//

#include "RingAttn/Dialect/Ring/IR/RingOps.h"
#include "RingAttn/Transforms/Passes.h"

#include "mlir/IR/ImplicitLocOpBuilder.h"

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

/// The merge weights of one row: (m, w_a, w_b) with m = max(lse_a, lse_b)
/// and w = exp(lse - m) <= 1. A row both sides saw nothing of uses m = 0 so
/// that the weights are 0 rather than NaN.
struct Weights {
  Value max, wa, wb;
};

Weights mergeWeights(ImplicitLocOpBuilder &b, Value la, Value lb) {
  Value max = arith::MaximumFOp::create(b, la, lb);
  Value minusInf = arith::ConstantOp::create(
      b, b.getF32FloatAttr(-std::numeric_limits<float>::infinity()));
  Value empty = arith::CmpFOp::create(b, arith::CmpFPredicate::OEQ, max,
                                      minusInf);
  Value ref = arith::SelectOp::create(
      b, empty, arith::ConstantOp::create(b, b.getF32FloatAttr(0.0f)), max);
  return {max, math::ExpOp::create(b, arith::SubFOp::create(b, la, ref)),
          math::ExpOp::create(b, arith::SubFOp::create(b, lb, ref))};
}

void lowerCombine(CombineOp op) {
  ImplicitLocOpBuilder b(op.getLoc(), op);
  MLIRContext *ctx = op.getContext();
  int64_t rank = op.getOutA().getType().getRank();
  AffineMap rows = AffineMap::getMultiDimIdentityMap(rank, ctx);
  AffineMap perRow = rows.dropResult(rank - 1); // lse is constant along d
  SmallVector<utils::IteratorType> parallel(rank,
                                            utils::IteratorType::parallel);

  // out_a = (w_a out_a + w_b out_b) / (w_a + w_b), in place.
  auto out = linalg::GenericOp::create(
      b, TypeRange{op.getOutA().getType()},
      ValueRange{op.getOutB(), op.getLseA(), op.getLseB()},
      ValueRange{op.getOutA()},
      ArrayRef<AffineMap>{rows, perRow, perRow, rows}, parallel,
      [](OpBuilder &nested, Location loc, ValueRange args) {
        ImplicitLocOpBuilder ib(loc, nested);
        Value ob = args[0], la = args[1], lb = args[2], oa = args[3];
        Weights w = mergeWeights(ib, la, lb);
        Value sum = arith::AddFOp::create(ib, w.wa, w.wb);
        Value mixed = math::FmaOp::create(ib, w.wa, oa,
                                          arith::MulFOp::create(ib, w.wb, ob));
        // sum is 0 only when neither side saw a key (then mixed is 0 too).
        Value zero = arith::ConstantOp::create(ib, ib.getF32FloatAttr(0.0f));
        Value none = arith::CmpFOp::create(ib, arith::CmpFPredicate::OEQ, sum,
                                           zero);
        Value result = arith::SelectOp::create(
            ib, none, zero, arith::DivFOp::create(ib, mixed, sum));
        linalg::YieldOp::create(ib, result);
      });

  // lse_a = m + log(w_a + w_b), in place.
  SmallVector<utils::IteratorType> rowParallel(rank - 1,
                                               utils::IteratorType::parallel);
  AffineMap lseMap = AffineMap::getMultiDimIdentityMap(rank - 1, ctx);
  auto lse = linalg::GenericOp::create(
      b, TypeRange{op.getLseA().getType()}, ValueRange{op.getLseB()},
      ValueRange{op.getLseA()}, ArrayRef<AffineMap>{lseMap, lseMap},
      rowParallel, [](OpBuilder &nested, Location loc, ValueRange args) {
        ImplicitLocOpBuilder ib(loc, nested);
        Value lb = args[0], la = args[1];
        Weights w = mergeWeights(ib, la, lb);
        Value sum = arith::AddFOp::create(ib, w.wa, w.wb);
        // max = -inf exactly when both sides are empty; -inf + log(0) stays
        // -inf, every other row is max + log(sum) with sum in [1, 2].
        Value result =
            arith::AddFOp::create(ib, w.max, math::LogOp::create(ib, sum));
        linalg::YieldOp::create(ib, result);
      });
  op.getOut().replaceAllUsesWith(out.getResult(0));
  op.getLse().replaceAllUsesWith(lse.getResult(0));
  op.erase();
}

struct RingLowerCombinePass
    : ring::impl::RingLowerCombineBase<RingLowerCombinePass> {
  void runOnOperation() override {
    SmallVector<CombineOp> ops;
    getOperation().walk([&](CombineOp op) { ops.push_back(op); });
    for (CombineOp op : ops)
      lowerCombine(op);
  }
};

} // namespace
