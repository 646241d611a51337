//===- LowerShardCollectives.cpp - shard.all_reduce as a ring all-reduce --===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// shard-partition sums a contraction over a split dimension (a weight's
// gradient over the tokens, a loss over the sequence) with shard.all_reduce.
// This pass writes it as the ring all-reduce NCCL and MPI use, on tensors,
// from ring.shift_start/ring.shift_wait, so every backend (threads, MPI,
// NCCL, one GPU) runs it with no runtime function of its own:
//
//   flatten, pad to N rows of K elements
//   reduce-scatter: N-1 steps; at step s rank r sends row (r-s) mod N and
//     folds what arrives into row (r-s-1) mod N: row c is reduced once, in
//     ring order from its owner c, and ends complete on rank c-1
//   all-gather: N-1 steps passing the complete rows on
//   unpad, reshape
//
// Each row is reduced by one rank in one order, so every rank holds the same
// bits, run after run. Narrow floats (f16, bf16) are reduced in f32 and
// rounded once at the end, so the error does not grow with the ring.
//
//===----------------------------------------------------------------------===//

#include "RingAttn/Dialect/Ring/IR/RingOps.h"
#include "RingAttn/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Shard/IR/ShardOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/WalkPatternRewriteDriver.h"

namespace mlir {
namespace ring {
#define GEN_PASS_DEF_RINGLOWERSHARDCOLLECTIVES
#include "RingAttn/Transforms/Passes.h.inc"
} // namespace ring
} // namespace mlir

using namespace mlir;
using namespace mlir::ring;

namespace {

/// What the ring all-reduce needs to know about one shard.all_reduce.
struct AllReduceShape {
  int64_t ranks;      // N: the grid's one axis
  int64_t elements;   // E: elements of the tensor
  Type reductionType; // the element type the rows are reduced in
};

/// The element type a reduction of `result` elements runs in: f16 and bf16
/// sums widen to f32 (an N-step sum in bf16 loses bits with every step).
static Type reductionTypeOf(Type result) {
  if (isa<Float16Type, BFloat16Type>(result))
    return Float32Type::get(result.getContext());
  return result;
}

/// Why `op` cannot become a ring all-reduce, or its shape when it can. The
/// one owner of the preconditions: the pass reports the reason, the pattern
/// does not match.
static FailureOr<AllReduceShape> ringAllReduceShape(shard::AllReduceOp op,
                                                    llvm::raw_ostream &why) {
  auto input = dyn_cast<RankedTensorType>(op.getInput().getType());
  auto result = dyn_cast<RankedTensorType>(op.getResult().getType());
  if (!input || !result) {
    why << "is on buffers: the ring all-reduce runs before bufferization, on "
           "tensors";
    return failure();
  }
  if (!input.hasStaticShape()) {
    why << "has a dynamic shape: the ring all-reduce cuts the tensor into "
           "rows of a static size";
    return failure();
  }
  Type element = result.getElementType();
  if (!isa<FloatType, IntegerType>(element) ||
      element.getIntOrFloatBitWidth() < 8 ||
      !llvm::isPowerOf2_32(element.getIntOrFloatBitWidth())) {
    why << "reduces elements of type " << element
        << ": the ring sends whole bytes of floats and integers";
    return failure();
  }
  if (input.getElementType() != element &&
      reductionTypeOf(input.getElementType()) != element) {
    why << "converts " << input.getElementType() << " to " << element
        << ": the ring all-reduce keeps the element type (f16 and bf16 "
           "are summed in f32 already)";
    return failure();
  }
  bool isFloat = isa<FloatType>(element);
  switch (op.getReduction()) {
  case shard::ReductionKind::Sum:
  case shard::ReductionKind::Max:
  case shard::ReductionKind::Min:
  case shard::ReductionKind::Product:
    break;
  case shard::ReductionKind::Average:
    if (!isFloat) {
      why << "averages integers: the mean of integers would round";
      return failure();
    }
    break;
  case shard::ReductionKind::BitwiseAnd:
  case shard::ReductionKind::BitwiseOr:
  case shard::ReductionKind::BitwiseXor:
    if (isFloat) {
      why << "applies a bitwise reduction to floats";
      return failure();
    }
    break;
  case shard::ReductionKind::Generic:
    why << "has a generic reduction: the ring all-reduce knows sum, max, min, "
           "product, average and the bitwise ones";
    return failure();
  }
  auto grid =
      SymbolTable::lookupNearestSymbolFrom<shard::GridOp>(op, op.getGridAttr());
  if (!grid || grid.getRank() != 1 ||
      ShapedType::isDynamic(grid.getShape()[0])) {
    why << "is on a grid that is not one axis of static size: the runtime's "
           "ring spans all ranks";
    return failure();
  }
  ArrayRef<int16_t> axes = op.getGridAxes();
  if (axes.size() > 1 || (axes.size() == 1 && axes[0] != 0)) {
    why << "reduces over grid axes other than the ring's axis 0";
    return failure();
  }
  int64_t ranks = axes.empty() ? 1 : grid.getShape()[0];
  return AllReduceShape{ranks, input.getNumElements(),
                        reductionTypeOf(element)};
}

/// `value` with its elements converted to `type` (extf, truncf), or as is.
static Value convertElements(OpBuilder &b, Location loc, Value value,
                             Type type) {
  auto tensor = cast<RankedTensorType>(value.getType());
  if (tensor.getElementType() == type)
    return value;
  Value init = tensor::EmptyOp::create(b, loc, tensor.getShape(), type);
  bool widen = type.getIntOrFloatBitWidth() >
               tensor.getElementType().getIntOrFloatBitWidth();
  auto map = linalg::MapOp::create(
      b, loc, ValueRange{value}, init,
      [&](OpBuilder &nb, Location nloc, ValueRange args) {
        Value converted =
            widen
                ? arith::ExtFOp::create(nb, nloc, type, args[0]).getResult()
                : arith::TruncFOp::create(nb, nloc, type, args[0]).getResult();
        linalg::YieldOp::create(nb, nloc, converted);
      });
  return map.getResult().front();
}

/// The scalar step of `kind`: the fold of `received` and this rank's `own`.
static Value combineScalars(OpBuilder &b, Location loc,
                            shard::ReductionKind kind, Value received,
                            Value own) {
  bool isFloat = isa<FloatType>(own.getType());
  switch (kind) {
  case shard::ReductionKind::Sum:
  case shard::ReductionKind::Average:
    return isFloat ? arith::AddFOp::create(b, loc, received, own).getResult()
                   : arith::AddIOp::create(b, loc, received, own).getResult();
  case shard::ReductionKind::Product:
    return isFloat ? arith::MulFOp::create(b, loc, received, own).getResult()
                   : arith::MulIOp::create(b, loc, received, own).getResult();
  case shard::ReductionKind::Max:
    return isFloat
               ? arith::MaximumFOp::create(b, loc, received, own).getResult()
               : arith::MaxSIOp::create(b, loc, received, own).getResult();
  case shard::ReductionKind::Min:
    return isFloat
               ? arith::MinimumFOp::create(b, loc, received, own).getResult()
               : arith::MinSIOp::create(b, loc, received, own).getResult();
  case shard::ReductionKind::BitwiseAnd:
    return arith::AndIOp::create(b, loc, received, own);
  case shard::ReductionKind::BitwiseOr:
    return arith::OrIOp::create(b, loc, received, own);
  case shard::ReductionKind::BitwiseXor:
    return arith::XOrIOp::create(b, loc, received, own);
  case shard::ReductionKind::Generic:
    break;
  }
  llvm_unreachable("ringAllReduceShape refuses generic reductions");
}

/// Builds the ring all-reduce of one shard.all_reduce; see the file comment.
class RingAllReduceBuilder {
public:
  RingAllReduceBuilder(OpBuilder &b, shard::AllReduceOp op,
                       const AllReduceShape &shape)
      : b(b), op(op), loc(op.getLoc()), shape(shape),
        rowLength(llvm::divideCeil(shape.elements, shape.ranks)) {}

  Value build() {
    Value rows =
        toRows(convertElements(b, loc, op.getInput(), shape.reductionType));
    if (shape.ranks > 1) {
      Value rank = shard::ProcessMultiIndexOp::create(
                       b, loc, TypeRange{b.getIndexType()}, op.getGridAttr(),
                       b.getDenseI16ArrayAttr({0}))
                       .getResult()[0];
      rows = ringSteps(rows, rank, /*reduce=*/true);
      rows = ringSteps(rows, rank, /*reduce=*/false);
    }
    Value result = fromRows(rows);
    if (op.getReduction() == shard::ReductionKind::Average)
      result = divideByRanks(result);
    auto resultType = cast<RankedTensorType>(op.getResult().getType());
    return convertElements(b, loc, result, resultType.getElementType());
  }

private:
  RankedTensorType rowsType() const {
    return RankedTensorType::get({shape.ranks, rowLength}, shape.reductionType);
  }
  RankedTensorType rowType() const {
    return RankedTensorType::get({rowLength}, shape.reductionType);
  }

  /// The tensor flattened and padded with zeros into N rows of K elements.
  Value toRows(Value tensor) {
    auto type = cast<RankedTensorType>(tensor.getType());
    auto flat = RankedTensorType::get({shape.elements}, shape.reductionType);
    Value flatValue =
        type.getRank() == 0
            ? tensor::ExpandShapeOp::create(b, loc, flat, tensor,
                                            ArrayRef<ReassociationIndices>{})
                  .getResult()
            : tensor::CollapseShapeOp::create(
                  b, loc, flat, tensor,
                  ArrayRef<ReassociationIndices>{
                      llvm::to_vector(llvm::seq<int64_t>(type.getRank()))})
                  .getResult();
    int64_t padded = shape.ranks * rowLength;
    if (padded != shape.elements) {
      Value zero =
          arith::ConstantOp::create(b, loc, b.getZeroAttr(shape.reductionType));
      Value empty = tensor::EmptyOp::create(b, loc, ArrayRef<int64_t>{padded},
                                            shape.reductionType);
      Value zeros = linalg::FillOp::create(b, loc, zero, empty).getResult(0);
      flatValue = tensor::InsertSliceOp::create(
          b, loc, flatValue, zeros, ArrayRef<OpFoldResult>{b.getIndexAttr(0)},
          ArrayRef<OpFoldResult>{b.getIndexAttr(shape.elements)},
          ArrayRef<OpFoldResult>{b.getIndexAttr(1)});
    }
    return tensor::ExpandShapeOp::create(
        b, loc, rowsType(), flatValue, ArrayRef<ReassociationIndices>{{0, 1}});
  }

  /// The inverse of toRows: the first E elements in the input's shape.
  Value fromRows(Value rows) {
    auto flatPadded =
        RankedTensorType::get({shape.ranks * rowLength}, shape.reductionType);
    Value flat = tensor::CollapseShapeOp::create(
        b, loc, flatPadded, rows, ArrayRef<ReassociationIndices>{{0, 1}});
    if (flatPadded.getNumElements() != shape.elements)
      flat = tensor::ExtractSliceOp::create(
          b, loc, flat, ArrayRef<OpFoldResult>{b.getIndexAttr(0)},
          ArrayRef<OpFoldResult>{b.getIndexAttr(shape.elements)},
          ArrayRef<OpFoldResult>{b.getIndexAttr(1)});
    auto input = cast<RankedTensorType>(op.getInput().getType());
    auto type = input.clone(shape.reductionType);
    if (type.getRank() == 0)
      return tensor::CollapseShapeOp::create(b, loc, type, flat,
                                             ArrayRef<ReassociationIndices>{});
    return tensor::ExpandShapeOp::create(
        b, loc, type, flat,
        ArrayRef<ReassociationIndices>{
            llvm::to_vector(llvm::seq<int64_t>(type.getRank()))});
  }

  /// (rank + delta) mod N, for a delta in (-N, N].
  Value rowIndex(Value rank, Value step, int64_t delta) {
    // rank + N + delta - step stays non-negative for step < N.
    Value base = arith::ConstantIndexOp::create(b, loc, shape.ranks + delta);
    Value sum = arith::AddIOp::create(b, loc, rank, base);
    Value diff = arith::SubIOp::create(b, loc, sum, step);
    Value n = arith::ConstantIndexOp::create(b, loc, shape.ranks);
    return arith::RemUIOp::create(b, loc, diff, n);
  }

  Value row(Value rows, Value index) {
    OpFoldResult zero = b.getIndexAttr(0), one = b.getIndexAttr(1);
    return tensor::ExtractSliceOp::create(
        b, loc, rowType(), rows, ArrayRef<OpFoldResult>{index, zero},
        ArrayRef<OpFoldResult>{one, b.getIndexAttr(rowLength)},
        ArrayRef<OpFoldResult>{one, one});
  }

  Value withRow(Value rows, Value index, Value value) {
    OpFoldResult zero = b.getIndexAttr(0), one = b.getIndexAttr(1);
    return tensor::InsertSliceOp::create(
        b, loc, value, rows, ArrayRef<OpFoldResult>{index, zero},
        ArrayRef<OpFoldResult>{one, b.getIndexAttr(rowLength)},
        ArrayRef<OpFoldResult>{one, one});
  }

  /// N-1 ring steps. Reduce-scatter: send row (r-s), fold the arrival into
  /// row (r-s-1). All-gather: send row (r+1-s), which is complete, and keep
  /// the arrival as row (r-s).
  Value ringSteps(Value rows, Value rank, bool reduce) {
    Value lower = arith::ConstantIndexOp::create(b, loc, 0);
    Value upper = arith::ConstantIndexOp::create(b, loc, shape.ranks - 1);
    Value one = arith::ConstantIndexOp::create(b, loc, 1);
    auto loop = scf::ForOp::create(
        b, loc, lower, upper, one, ValueRange{rows},
        [&](OpBuilder &body, Location, Value step, ValueRange state) {
          OpBuilder::InsertionGuard guard(b);
          b.setInsertionPoint(body.getInsertionBlock(),
                              body.getInsertionPoint());
          Value current = state.front();
          Value sent = row(current, rowIndex(rank, step, reduce ? 0 : 1));
          Value received = shift(sent);
          Value into = rowIndex(rank, step, reduce ? -1 : 0);
          if (reduce)
            received = combineRows(received, row(current, into));
          scf::YieldOp::create(b, loc, withRow(current, into, received));
        });
    return loop.getResult(0);
  }

  /// One row to the next rank; the previous rank's row in return.
  Value shift(Value value) {
    auto future = ShiftStartOp::create(
        b, loc, FutureType::get(value.getType()), value, /*dest=*/Value(),
        /*dynamic_offset=*/Value(), op.getGridAttr(), b.getI64IntegerAttr(0),
        /*offset=*/IntegerAttr());
    return ShiftWaitOp::create(b, loc, value.getType(), future);
  }

  Value combineRows(Value received, Value own) {
    Value init = tensor::EmptyOp::create(b, loc, ArrayRef<int64_t>{rowLength},
                                         shape.reductionType);
    return linalg::MapOp::create(
               b, loc, ValueRange{received, own}, init,
               [&](OpBuilder &nb, Location nloc, ValueRange args) {
                 linalg::YieldOp::create(nb, nloc,
                                         combineScalars(nb, nloc,
                                                        op.getReduction(),
                                                        args[0], args[1]));
               })
        .getResult()
        .front();
  }

  Value divideByRanks(Value sum) {
    auto type = cast<RankedTensorType>(sum.getType());
    Value ranks = arith::ConstantOp::create(
        b, loc, b.getFloatAttr(shape.reductionType, shape.ranks));
    Value init =
        tensor::EmptyOp::create(b, loc, type.getShape(), shape.reductionType);
    return linalg::MapOp::create(
               b, loc, ValueRange{sum}, init,
               [&](OpBuilder &nb, Location nloc, ValueRange args) {
                 linalg::YieldOp::create(
                     nb, nloc,
                     arith::DivFOp::create(nb, nloc, args[0], ranks)
                         .getResult());
               })
        .getResult()
        .front();
  }

  OpBuilder &b;
  shard::AllReduceOp op;
  Location loc;
  AllReduceShape shape;
  int64_t rowLength; // K: elements per row
};

struct AllReduceOverRing : OpRewritePattern<shard::AllReduceOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(shard::AllReduceOp op,
                                PatternRewriter &rewriter) const override {
    std::string why;
    llvm::raw_string_ostream whyStream(why);
    FailureOr<AllReduceShape> shape = ringAllReduceShape(op, whyStream);
    if (failed(shape))
      return rewriter.notifyMatchFailure(op, why);
    rewriter.replaceOp(op, RingAllReduceBuilder(rewriter, op, *shape).build());
    return success();
  }
};

/// The shard collectives shard-partition may emit that have no ring form.
static bool isCollectiveWithoutRingForm(Operation *op) {
  return isa<shard::AllGatherOp, shard::AllSliceOp, shard::AllToAllOp,
             shard::BroadcastOp, shard::GatherOp, shard::RecvOp,
             shard::ReduceOp, shard::ReduceScatterOp, shard::ScatterOp,
             shard::SendOp, shard::ShiftOp, shard::UpdateHaloOp>(op);
}

struct RingLowerShardCollectivesPass
    : ring::impl::RingLowerShardCollectivesBase<RingLowerShardCollectivesPass> {
  void runOnOperation() override {
    if (failed(reportUnlowerable()))
      return signalPassFailure();
    RewritePatternSet patterns(&getContext());
    patterns.add<AllReduceOverRing>(&getContext());
    walkAndApplyPatterns(getOperation(), std::move(patterns));
  }

  /// Every collective the pattern would leave behind, with the reason.
  LogicalResult reportUnlowerable() {
    bool failed = false;
    getOperation()->walk(
        [&](Operation *op) {
          if (auto allReduce = dyn_cast<shard::AllReduceOp>(op)) {
            std::string why;
            llvm::raw_string_ostream whyStream(why);
            if (::failed(ringAllReduceShape(allReduce, whyStream))) {
              allReduce.emitError() << "shard.all_reduce " << why;
              failed = true;
            }
          } else if (isCollectiveWithoutRingForm(op)) {
            op->emitError()
                << op->getName()
                << " has no ring form: the ring lowers shard.all_reduce "
                   "only";
            failed = true;
          }
        });
    return success(!failed);
  }
};

} // namespace
