//===- AttentionIRBuilder.cpp - IR vocabulary of attention kernels --------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception

#include "AttentionIRBuilder.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

#include <limits>

using namespace mlir;
using namespace mlir::ring;

constexpr float kLn2 = 0.693147180559945309f;

Value AttentionIRBuilder::idx(int64_t v) {
  return arith::ConstantIndexOp::create(b, v);
}

Value AttentionIRBuilder::f32Const(float v) {
  return arith::ConstantOp::create(b, b.getF32FloatAttr(v));
}

Value AttentionIRBuilder::minusInf() {
  return f32Const(-std::numeric_limits<float>::infinity());
}

Value AttentionIRBuilder::toF32(Value x) {
  return x.getType().isF32() ? x : arith::ExtFOp::create(b, b.getF32Type(), x);
}

Value AttentionIRBuilder::add(Value x, Value y) {
  return arith::AddIOp::create(b, x, y);
}

Value AttentionIRBuilder::mul(Value x, Value y) {
  return arith::MulIOp::create(b, x, y);
}

Value AttentionIRBuilder::addf(Value x, Value y) {
  return arith::AddFOp::create(b, x, y);
}

Value AttentionIRBuilder::mulf(Value x, Value y) {
  return arith::MulFOp::create(b, x, y);
}

Value AttentionIRBuilder::maxf(Value x, Value y) {
  return arith::MaximumFOp::create(b, x, y);
}

void AttentionIRBuilder::forLoop(Value lb, Value ub, Value step,
                                 function_ref<void(Value)> body) {
  scf::ForOp::create(b, lb, ub, step, ValueRange{},
                     [&](OpBuilder &, Location, Value iv, ValueRange) {
                       body(iv);
                       scf::YieldOp::create(b);
                     });
}

SmallVector<Value> AttentionIRBuilder::forLoop(
    Value lb, Value ub, Value step, ValueRange init,
    function_ref<SmallVector<Value>(Value, ValueRange)> body) {
  auto loop = scf::ForOp::create(
      b, lb, ub, step, init,
      [&](OpBuilder &, Location, Value iv, ValueRange carried) {
        scf::YieldOp::create(b, body(iv, carried));
      });
  return SmallVector<Value>(loop.getResults());
}

Value AttentionIRBuilder::position(Value offset, Value stride, Value index) {
  return add(offset, mul(stride, index));
}

Value AttentionIRBuilder::notInFuture(Value queryPosition, Value keyPosition) {
  return arith::CmpIOp::create(b, arith::CmpIPredicate::sge, queryPosition,
                               keyPosition);
}

Value AttentionIRBuilder::causalKeyEnd(Value lastQueryPosition, Value keyOffset,
                                       Value keyStride, Value keyLen) {
  // The last visible key is floor((q - key_offset) / key_stride); none is
  // visible when that is negative.
  Value span = arith::SubIOp::create(b, lastQueryPosition, keyOffset);
  Value lastKey = arith::FloorDivSIOp::create(b, span, keyStride);
  Value end = arith::MaxSIOp::create(b, add(lastKey, idx(1)), idx(0));
  return arith::MinSIOp::create(b, end, keyLen);
}

Value AttentionIRBuilder::causalQueryBegin(Value firstKeyPosition,
                                           Value queryOffset, Value queryStride,
                                           Value queryLen) {
  // The first query at or after the key is ceil((k - query_offset) /
  // query_stride); every query sees it when that is negative.
  Value span = arith::SubIOp::create(b, firstKeyPosition, queryOffset);
  Value first = arith::CeilDivSIOp::create(b, span, queryStride);
  Value begin = arith::MaxSIOp::create(b, first, idx(0));
  return arith::MinSIOp::create(b, begin, queryLen);
}

AttentionIRBuilder::Rescale AttentionIRBuilder::rescale(Value oldMax,
                                                        Value newMax) {
  // A row with nothing visible yet keeps m = -inf; subtracting 0 instead
  // keeps exp(-inf - m) at 0 rather than NaN.
  Value noneVisible =
      arith::CmpFOp::create(b, arith::CmpFPredicate::OEQ, newMax, minusInf());
  Value reference =
      arith::SelectOp::create(b, noneVisible, f32Const(0.0f), newMax);
  return {reference, expShifted(oldMax, reference)};
}

Value AttentionIRBuilder::expShifted(Value x, Value reference) {
  Value shifted = arith::SubFOp::create(b, x, reference);
  if (base == ScoreBase::Two)
    return math::Exp2Op::create(b, shifted);
  return math::ExpOp::create(b, shifted);
}

Value AttentionIRBuilder::updateSum(Value sum, Value alpha, Value blockSum) {
  return math::FmaOp::create(b, sum, alpha, blockSum);
}

Value AttentionIRBuilder::sawKeys(Value sum) {
  return arith::CmpFOp::create(b, arith::CmpFPredicate::OGT, sum,
                               f32Const(0.0f));
}

Value AttentionIRBuilder::normalizer(Value sawKeys, Value sum) {
  return arith::SelectOp::create(b, sawKeys,
                                 arith::DivFOp::create(b, f32Const(1.0f), sum),
                                 f32Const(0.0f));
}

Value AttentionIRBuilder::logSumExp(Value sawKeys, Value max, Value sum) {
  Value naturalMax = base == ScoreBase::Two ? mulf(max, f32Const(kLn2)) : max;
  Value lse = addf(naturalMax, math::LogOp::create(b, sum));
  return arith::SelectOp::create(b, sawKeys, lse, minusInf());
}
