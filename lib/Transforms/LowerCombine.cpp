//===- LowerCombine.cpp - ring.combine as in-place element-wise linalg ----===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception

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

/// Lowers one combine to two in-place element-wise generics:
///
///   per row:     m = max(lse_a, lse_b)         (both -inf: m = -inf)
///                w_a = exp(lse_a - m), w_b = exp(lse_b - m)   (<= 1)
///                lse_a <- m + log(w_a + w_b),  lse_b <- w_b / (w_a + w_b)
///   per element: out_a <- out_a + lse_b * (out_b - out_a)
///
/// The exponentials run once per row; the weight of side b travels in
/// lse_b's buffer (the block's log-sum-exp, dead after the merge), so no
/// temporary is allocated and the element loop is one FMA. A row neither
/// side saw gets weight 0: out stays out_a (0), lse stays -inf.
void lowerCombine(CombineOp op) {
  ImplicitLocOpBuilder b(op.getLoc(), op);
  MLIRContext *ctx = op.getContext();
  int64_t rank = op.getOutA().getType().getRank();
  AffineMap elements = AffineMap::getMultiDimIdentityMap(rank, ctx);
  AffineMap rows = AffineMap::getMultiDimIdentityMap(rank - 1, ctx);
  AffineMap rowOfElement = elements.dropResult(rank - 1);

  auto merged = linalg::GenericOp::create(
      b, TypeRange{op.getLseA().getType(), op.getLseB().getType()},
      ValueRange{}, ValueRange{op.getLseA(), op.getLseB()},
      ArrayRef<AffineMap>{rows, rows},
      SmallVector<utils::IteratorType>(rank - 1, utils::IteratorType::parallel),
      [](OpBuilder &nested, Location loc, ValueRange args) {
        ImplicitLocOpBuilder ib(loc, nested);
        Value la = args[0], lb = args[1];
        auto f32 = [&](float v) {
          return arith::ConstantOp::create(ib, ib.getF32FloatAttr(v));
        };
        Value max = arith::MaximumFOp::create(ib, la, lb);
        Value empty =
            arith::CmpFOp::create(ib, arith::CmpFPredicate::OEQ, max,
                                  f32(-std::numeric_limits<float>::infinity()));
        // Subtracting 0 instead of -inf keeps exp(-inf - m) at 0, not NaN.
        Value ref = arith::SelectOp::create(ib, empty, f32(0.0f), max);
        Value wa = math::ExpOp::create(ib, arith::SubFOp::create(ib, la, ref));
        Value wb = math::ExpOp::create(ib, arith::SubFOp::create(ib, lb, ref));
        Value sum = arith::AddFOp::create(ib, wa, wb);
        Value lse =
            arith::AddFOp::create(ib, max, math::LogOp::create(ib, sum));
        Value weight = arith::SelectOp::create(
            ib, empty, f32(0.0f), arith::DivFOp::create(ib, wb, sum));
        linalg::YieldOp::create(ib, ValueRange{lse, weight});
      });

  auto out = linalg::GenericOp::create(
      b, TypeRange{op.getOutA().getType()},
      ValueRange{op.getOutB(), merged.getResult(1)}, ValueRange{op.getOutA()},
      ArrayRef<AffineMap>{elements, rowOfElement, elements},
      SmallVector<utils::IteratorType>(rank, utils::IteratorType::parallel),
      [](OpBuilder &nested, Location loc, ValueRange args) {
        ImplicitLocOpBuilder ib(loc, nested);
        Value ob = args[0], weight = args[1], oa = args[2];
        Value delta = arith::SubFOp::create(ib, ob, oa);
        linalg::YieldOp::create(
            ib, ValueRange{math::FmaOp::create(ib, weight, delta, oa)});
      });
  op.getOut().replaceAllUsesWith(out.getResult(0));
  op.getLse().replaceAllUsesWith(merged.getResult(0));
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
