//===- Sinks.cpp - Attention sinks in the schedules -----------------------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception

#include "Sinks.h"

#include "RingAttn/Dialect/Ring/IR/RingOps.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace mlir::ring;

std::pair<Value, Value> mlir::ring::mergeSinks(ImplicitLocOpBuilder &b,
                                               Value sinks, Value out,
                                               Value lse) {
  auto outType = cast<RankedTensorType>(out.getType());
  auto lseType = cast<RankedTensorType>(lse.getType());
  // The sinks' partial result: no value (0), and the sink as its lse, the
  // same for every row of a head.
  Value zero = arith::ConstantOp::create(b, b.getF32FloatAttr(0.0f));
  Value emptyOut =
      tensor::EmptyOp::create(b, outType.getShape(), outType.getElementType());
  Value sinkOut = linalg::FillOp::create(b, zero, emptyOut).getResult(0);
  Value emptyLse =
      tensor::EmptyOp::create(b, lseType.getShape(), lseType.getElementType());
  Value sinkLse =
      linalg::BroadcastOp::create(b, sinks, emptyLse, /*dimensions=*/{0, 2})
          .getResult()[0];
  auto merged = CombineOp::create(b, out, lse, sinkOut, sinkLse, out, lse);
  return {merged.getOut(), merged.getLse()};
}

Value mlir::ring::sinkGradient(ImplicitLocOpBuilder &b, Value sinks, Value lse,
                               Value delta) {
  auto sinksType = cast<MemRefType>(sinks.getType());
  Value grad = memref::AllocOp::create(b, sinksType);
  Value zero = arith::ConstantOp::create(b, b.getF32FloatAttr(0.0f));
  linalg::FillOp::create(b, ValueRange{zero}, ValueRange{grad});
  // Over (head, batch, row): every row of a head adds to the head's sink.
  // The head comes first so that the loops are one parallel loop over the
  // heads around the sums (on a GPU, one kernel of a thread per head).
  MLIRContext *ctx = b.getContext();
  AffineExpr h = getAffineDimExpr(0, ctx), batch = getAffineDimExpr(1, ctx);
  AffineExpr i = getAffineDimExpr(2, ctx);
  AffineMap head = AffineMap::get(3, 0, {h}, ctx);
  AffineMap row = AffineMap::get(3, 0, {batch, h, i}, ctx);
  linalg::GenericOp::create(
      b, ValueRange{sinks, lse, delta}, ValueRange{grad},
      ArrayRef<AffineMap>{head, row, row, head},
      {utils::IteratorType::parallel, utils::IteratorType::reduction,
       utils::IteratorType::reduction},
      [](OpBuilder &nested, Location loc, ValueRange args) {
        // acc - exp(sink - lse) * delta, one op per statement.
        Value logWeight = arith::SubFOp::create(nested, loc, args[0], args[1]);
        Value weight = math::ExpOp::create(nested, loc, logWeight);
        Value term = arith::MulFOp::create(nested, loc, weight, args[2]);
        Value sum = arith::SubFOp::create(nested, loc, args[3], term);
        linalg::YieldOp::create(nested, loc, sum);
      });
  return bufferization::ToTensorOp::create(
      b, RankedTensorType::get(sinksType.getShape(), b.getF32Type()), grad,
      /*restrict=*/true, /*writable=*/true);
}
