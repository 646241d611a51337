//===- GradientSchedule.cpp - The attention backward as ring steps --------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// Rewrites `ring.attention_grad` into blocks of `ring.block_attention_grad`
// over the ring. With N ranks and this rank r, at step s the rank holds the
// key/value block of rank r - s; the partial sums dK, dV of that block
// travel with it, so that after the last step each returns, complete, to
// its owner:
//
//   delta = rowsum(dO * O); dq = 0                      (f32, local)
//   step 0:  start K/V shift; X0 = 0
//            dq, X0 += grads(Q, own K/V); wait K/V
//   step s in [1, S]:
//            start K/V shift                             (not at s = S)
//            start shift X(s-1) -> X(s)                  (dK/dV of block r-s
//            T = 0; dq, T += grads(Q, K/V of r - s)       from rank r-1)
//            wait X(s); X(s) += T; wait K/V
//   shift X(S) -> X(S+1) by N - S ranks; wait            (home: rank r's own)
//   dq, dk, dv = dq, X(S+1), rounded to the operands' type
//   dsinks = -sum_rows exp(sinks - lse) * delta           (with sinks, local)
//
// S is N - 1, the home shift then one hop as every other, unless the mask (a
// sliding window, ranks of padding) leaves no rank a key to see in later
// steps (lastNeededStep): the blocks then travel S hops and their sums
// return home in one shift of N - S ranks (S back).
// Packed documents are known at run time: each query row's document bounds
// are found once before the ring (Documents.h), and a chunk pair whose
// documents do not meet is skipped like one the static mask leaves empty.
// S is then cut at run time to the last step at which any rank's documents
// meet the block it holds (but not below 1), and the home shift's distance
// N - S is a run-time operand.
//
// The partial sums arrive while the rank computes the step's gradients
// into T, so their transfer overlaps compute as the K/V transfer does. Each
// block's sums are added in ring order, the same order on every run and
// every backend, so gradients are deterministic. K/V blocks travel in their
// own type, the partial sums in f32 (docs/Semantics.md). Every buffer is
// allocated once before the loop: two K/V pairs, two partial-sum pairs X
// (by parity of the step) and T; nothing is allocated or copied inside it.
//
// The schedule is emitted in buffer form (the gradients accumulate into
// their destinations); only the operands and results are tensors. One rank,
// or single-device attention, is one block.
//
//===----------------------------------------------------------------------===//

#include "Documents.h"
#include "LayoutChunks.h"
#include "Sinks.h"

#include "RingAttn/Dialect/Ring/IR/RingOps.h"
#include "RingAttn/Transforms/Transforms.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Shard/IR/ShardOps.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"

using namespace mlir;
using namespace mlir::ring;

namespace {

/// dK and dV partial sums of one key/value block.
struct KeyValueGrads {
  Value key, value;
};

class GradientScheduleEmitter {
public:
  GradientScheduleEmitter(ImplicitLocOpBuilder &b, AttentionGradOp op,
                          int64_t ranks)
      : b(b), op(op), mask(op.getPositionMask()), ranks(ranks) {
    localLen = op.getQuery().getType().getDimSize(2);
  }

  /// dq, dk, dv of this rank.
  SmallVector<Value> emit();

private:
  Value idx(int64_t v) { return arith::ConstantIndexOp::create(b, v); }
  Value input(Value tensor);
  Value allocF32(ShapedType like);
  void zero(Value buffer);
  KeyValueGrads allocGrads();
  Value rowDot(Value dout, Value out);
  Value chunkView(Value buffer, const Chunk &chunk);
  void blockGrads(Value key, Value value, KeyValueGrads into, Value stepIdx);
  Value startShift(Value source, Value dest, OpFoldResult offset = {});
  Value ringLength(int64_t planned);
  void wait(Value shift);
  void step(Value stepIdx, Value parity, bool first, bool last);
  Value result(Value buffer, RankedTensorType type);
  void findDocuments(int64_t positions);
  SmallVector<Value> chunkDocuments(const Chunk &chunk);
  SmallVector<Value> results(KeyValueGrads grads);

  ImplicitLocOpBuilder &b;
  AttentionGradOp op;
  PositionMask mask;
  int64_t ranks, localLen;
  Value rank;
  // Read-only views of the operands, and the row dot products delta.
  Value query, dout, lse, delta;
  // dq (f32, local); the K/V double buffer; the partial sums X by parity
  // and the step's own contributions T.
  Value dquery;
  Value keys[2], values[2];
  KeyValueGrads partial[2], own;
  SmallVector<Chunk> queryChunks;
  /// With documents: the bounds of each query row's document, and where
  /// each query chunk's documents begin and end.
  DocumentRows documents;
  SmallVector<DocumentSpan> documentSpans;
};

/// A read-only buffer of an operand.
Value GradientScheduleEmitter::input(Value tensor) {
  auto type = cast<RankedTensorType>(tensor.getType());
  return bufferization::ToBufferOp::create(
      b, MemRefType::get(type.getShape(), type.getElementType()), tensor,
      /*read_only=*/true);
}

Value GradientScheduleEmitter::allocF32(ShapedType like) {
  return memref::AllocOp::create(
      b, MemRefType::get(like.getShape(), b.getF32Type()));
}

void GradientScheduleEmitter::zero(Value buffer) {
  Value zeroValue = arith::ConstantOp::create(b, b.getF32FloatAttr(0.0f));
  linalg::FillOp::create(b, ValueRange{zeroValue}, ValueRange{buffer});
}

KeyValueGrads GradientScheduleEmitter::allocGrads() {
  return {allocF32(op.getKey().getType()), allocF32(op.getValue().getType())};
}

/// delta[b, h, i] = sum_d dO[b, h, i, d] * O[b, h, i, d], in f32: the term
/// every block's dS subtracts, computed once.
Value GradientScheduleEmitter::rowDot(Value doutBuffer, Value outBuffer) {
  Value rows = allocF32(op.getLse().getType());
  zero(rows);
  MLIRContext *ctx = b.getContext();
  AffineMap element = AffineMap::getMultiDimIdentityMap(4, ctx);
  AffineMap row =
      AffineMap::get(4, 0,
                     {getAffineDimExpr(0, ctx), getAffineDimExpr(1, ctx),
                      getAffineDimExpr(2, ctx)},
                     ctx);
  SmallVector<utils::IteratorType> iterators(3, utils::IteratorType::parallel);
  iterators.push_back(utils::IteratorType::reduction);
  linalg::GenericOp::create(
      b, ValueRange{doutBuffer, outBuffer}, ValueRange{rows},
      ArrayRef<AffineMap>{element, element, row}, iterators,
      [](OpBuilder &nested, Location loc, ValueRange args) {
        auto f32 = nested.getF32Type();
        auto widen = [&](Value x) -> Value {
          return x.getType() == f32
                     ? x
                     : arith::ExtFOp::create(nested, loc, f32, x);
        };
        Value product =
            arith::MulFOp::create(nested, loc, widen(args[0]), widen(args[1]));
        linalg::YieldOp::create(
            nested, loc,
            ValueRange{arith::AddFOp::create(nested, loc, args[2], product)});
      });
  return rows;
}

/// The rows of `chunk` (dimension 2) of a buffer.
Value GradientScheduleEmitter::chunkView(Value buffer, const Chunk &chunk) {
  auto type = cast<MemRefType>(buffer.getType());
  if (chunk.length == type.getDimSize(2))
    return buffer;
  SmallVector<int64_t> offsets(type.getRank(), 0), sizes(type.getShape());
  SmallVector<int64_t> strides(type.getRank(), 1);
  offsets[2] = chunk.begin;
  sizes[2] = chunk.length;
  return memref::SubViewOp::create(b, buffer, offsets, sizes, strides);
}

/// dq and `into` += the gradients of the local queries against the key and
/// value block held at step `stepIdx`: one block, or under a mask, one per
/// pair of chunks that may interact.
void GradientScheduleEmitter::blockGrads(Value key, Value value,
                                         KeyValueGrads into, Value stepIdx) {
  FloatAttr scale = b.getF32FloatAttr(op.getScaleOrDefault());
  if (!mask.any()) {
    BlockAttentionGradOp::create(b, query, key, value, dout, lse, delta, dquery,
                                 into.key, into.value, Value(), Value(), 1, 1,
                                 scale, mask, op.getSoftcapAttr());
    return;
  }
  // The block of rank (rank - step) mod N, one op per statement.
  Value ringSize = idx(ranks);
  Value ahead = arith::AddIOp::create(b, rank, ringSize);
  Value behind = arith::SubIOp::create(b, ahead, stepIdx);
  Value source = arith::RemUIOp::create(b, behind, ringSize);
  SmallVector<Chunk> keyChunks = layoutChunks(
      b, {op.getLayout(), op.getPlacement()}, ranks, localLen, source);
  for (auto [i, qc] : llvm::enumerate(queryChunks))
    for (const Chunk &kc : keyChunks) {
      const DocumentSpan *span = mask.documents ? &documentSpans[i] : nullptr;
      auto ifOp =
          scf::IfOp::create(b, chunksMayInteract(b, mask, qc, kc, span));
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(ifOp.thenBlock());
      // One statement per view: the IR's order is then the same whatever
      // order a compiler evaluates arguments in.
      Value q = chunkView(query, qc), k = chunkView(key, kc);
      Value v = chunkView(value, kc), dO = chunkView(dout, qc);
      Value l = chunkView(lse, qc), d = chunkView(delta, qc);
      Value dq = chunkView(dquery, qc), dk = chunkView(into.key, kc);
      Value dv = chunkView(into.value, kc);
      // A pair the mask leaves full needs no mask arithmetic.
      Value full = chunksFullyVisible(b, mask, qc, kc, span);
      auto fullOrNot = scf::IfOp::create(b, full, /*withElseRegion=*/true);
      b.setInsertionPointToStart(fullOrNot.thenBlock());
      BlockAttentionGradOp::create(b, q, k, v, dO, l, d, dq, dk, dv, Value(),
                                   Value(), 1, 1, scale, PositionMask(),
                                   op.getSoftcapAttr());
      b.setInsertionPointToStart(fullOrNot.elseBlock());
      BlockAttentionGradOp::create(b, q, k, v, dO, l, d, dq, dk, dv, qc.offset,
                                   kc.offset, qc.stride, kc.stride, scale, mask,
                                   op.getSoftcapAttr(), chunkDocuments(qc));
    }
}

Value GradientScheduleEmitter::startShift(Value source, Value dest,
                                          OpFoldResult offset) {
  // One hop unless told otherwise (the op's default); a run-time offset is
  // an operand.
  std::optional<int64_t> fixed = offset ? getConstantIntValue(offset) : 1;
  IntegerAttr fixedOffset;
  if (fixed && *fixed != 1)
    fixedOffset = b.getI64IntegerAttr(*fixed);
  return ShiftStartOp::create(b, FutureType::get(source.getType()), source,
                              dest, fixed ? Value() : cast<Value>(offset),
                              op.getGridAttr(), op.getAxisAttr(), fixedOffset);
}

void GradientScheduleEmitter::wait(Value shift) {
  auto future = cast<FutureType>(shift.getType());
  ShiftWaitOp::create(b, future.getValueType(), shift);
}

/// Step `stepIdx`: `parity` (i1, even step) says which buffers are current.
/// The first step accumulates straight into its partial sums (nothing has
/// arrived); the last sends no K/V block.
void GradientScheduleEmitter::step(Value stepIdx, Value parity, bool first,
                                   bool last) {
  auto pick = [&](Value even, Value odd) {
    return arith::SelectOp::create(b, parity, even, odd).getResult();
  };
  Value keyCur = pick(keys[0], keys[1]), keyNext = pick(keys[1], keys[0]);
  Value valueCur = pick(values[0], values[1]);
  Value valueNext = pick(values[1], values[0]);
  SmallVector<Value> keyValueShifts;
  if (!last)
    keyValueShifts = {startShift(keyCur, keyNext),
                      startShift(valueCur, valueNext)};
  KeyValueGrads here = {pick(partial[0].key, partial[1].key),
                        pick(partial[0].value, partial[1].value)};
  if (first) {
    blockGrads(keyCur, valueCur, here, stepIdx);
  } else {
    // The partial sums of this step's block arrive from the rank behind
    // while this rank computes its own contributions.
    KeyValueGrads previous = {pick(partial[1].key, partial[0].key),
                              pick(partial[1].value, partial[0].value)};
    Value keyGrads = startShift(previous.key, here.key);
    Value valueGrads = startShift(previous.value, here.value);
    zero(own.key);
    zero(own.value);
    blockGrads(keyCur, valueCur, own, stepIdx);
    wait(keyGrads);
    wait(valueGrads);
    for (auto [sum, part] :
         {std::pair{here.key, own.key}, std::pair{here.value, own.value}})
      linalg::AddOp::create(b, ValueRange{sum, part}, ValueRange{sum});
  }
  for (Value shift : keyValueShifts)
    wait(shift);
}

/// The f32 gradient in `buffer` as a result of `type`.
Value GradientScheduleEmitter::result(Value buffer, RankedTensorType type) {
  auto f32Type = RankedTensorType::get(type.getShape(), b.getF32Type());
  Value tensor = bufferization::ToTensorOp::create(
      b, f32Type, buffer, /*restrict=*/true, /*writable=*/true);
  if (type.getElementType().isF32())
    return tensor;
  return arith::TruncFOp::create(b, type, tensor);
}

/// With documents, the bounds of each query row's document and each query
/// chunk's span, found once for the whole schedule.
void GradientScheduleEmitter::findDocuments(int64_t positions) {
  if (!mask.documents)
    return;
  documents =
      documentRows(b, op.getDocuments(), queryChunks, localLen, positions);
  for (const Chunk &qc : queryChunks)
    documentSpans.push_back(documentSpan(b, documents, qc));
}

/// The document bounds of `chunk`'s rows, for its blocks; none without
/// documents.
SmallVector<Value> GradientScheduleEmitter::chunkDocuments(const Chunk &chunk) {
  if (!mask.documents)
    return {};
  Value begin = chunkRows(b, documents.begin, chunk);
  Value end = chunkRows(b, documents.end, chunk);
  return {begin, end};
}

/// The op's results: dq, the complete dk and dv in `grads`, and with sinks
/// their gradient over this rank's rows.
SmallVector<Value> GradientScheduleEmitter::results(KeyValueGrads grads) {
  SmallVector<Value> values = {result(dquery, op.getQuery().getType()),
                               result(grads.key, op.getKey().getType()),
                               result(grads.value, op.getValue().getType())};
  if (Value sinks = op.getSinks())
    values.push_back(sinkGradient(b, input(sinks), lse, delta));
  return values;
}

/// The last ring step S (an index value): `planned`, the static mask's plan,
/// cut at run time to the last step at which the documents let any rank's
/// queries meet the block it holds, but at least 1: step 0, emitted as the
/// first step of a moving ring, has started its K/V shift.
Value GradientScheduleEmitter::ringLength(int64_t planned) {
  if (!mask.documents)
    return idx(planned);
  Value cut = lastStepWithDocuments(b, op.getDocuments(), mask,
                                    {op.getLayout(), op.getPlacement()}, ranks,
                                    localLen, planned);
  return arith::MaxUIOp::create(b, cut, idx(1));
}

SmallVector<Value> GradientScheduleEmitter::emit() {
  query = input(op.getQuery());
  dout = input(op.getDout());
  lse = input(op.getLse());
  delta = rowDot(dout, input(op.getOut()));
  dquery = allocF32(op.getQuery().getType());
  zero(dquery);
  partial[0] = allocGrads();
  zero(partial[0].key);
  zero(partial[0].value);
  RankedTensorType keyType = op.getKey().getType();

  if (ranks == 1 && !op.getPlacement()) {
    // One device: one block; positions are 0, 1, ... on both sides (a
    // placement may order a ring of one's blocks otherwise).
    Value origin = mask.any() ? idx(0) : Value();
    queryChunks = {{0, localLen, origin, 1}};
    findDocuments(localLen);
    Value key = input(op.getKey()), value = input(op.getValue());
    BlockAttentionGradOp::create(
        b, query, key, value, dout, lse, delta, dquery, partial[0].key,
        partial[0].value, origin, origin, 1, 1,
        b.getF32FloatAttr(op.getScaleOrDefault()), mask, op.getSoftcapAttr(),
        chunkDocuments(queryChunks.front()));
    return results(partial[0]);
  }

  rank = shard::ProcessMultiIndexOp::create(
             b, TypeRange{b.getIndexType()}, op.getGridAttr(),
             b.getDenseI16ArrayAttr({static_cast<int16_t>(*op.getAxis())}))
             .getResult()[0];
  queryChunks = mask.any()
                    ? layoutChunks(b, {op.getLayout(), op.getPlacement()},
                                   ranks, localLen, rank)
                    : SmallVector<Chunk>{{0, localLen, Value(), 1}};
  findDocuments(ranks * localLen);
  // The double buffers, allocated once; pair 0 starts with the own block.
  auto kvBuffer = MemRefType::get(keyType.getShape(), keyType.getElementType());
  auto copyIn = [&](Value tensor) {
    Value buffer = memref::AllocOp::create(b, kvBuffer);
    memref::CopyOp::create(b, input(tensor), buffer);
    return buffer;
  };
  keys[0] = copyIn(op.getKey());
  values[0] = copyIn(op.getValue());
  keys[1] = memref::AllocOp::create(b, kvBuffer);
  values[1] = memref::AllocOp::create(b, kvBuffer);
  partial[1] = allocGrads();
  own = allocGrads();

  const int64_t planned = lastNeededStep(
      mask, {op.getLayout(), op.getPlacement()}, ranks, localLen);
  Value even = arith::ConstantIntOp::create(b, 1, 1);
  step(idx(0), even, /*first=*/true, /*last=*/planned == 0);
  if (planned == 0) // Each rank saw only its own block.
    return results(partial[0]);
  Value lastStep = ringLength(planned);
  // Folded when S is static, so a static ring picks its buffers directly.
  auto evenStep = [&](Value s) -> Value {
    Value low = b.createOrFold<arith::AndIOp>(s, idx(1));
    return b.createOrFold<arith::CmpIOp>(arith::CmpIPredicate::eq, low, idx(0));
  };
  if (planned > 1) {
    auto loop = scf::ForOp::create(b, idx(1), lastStep, idx(1));
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(loop.getBody());
    Value s = loop.getInductionVar();
    step(s, evenStep(s), /*first=*/false, /*last=*/false);
  }
  Value lastParity = evenStep(lastStep);
  step(lastStep, lastParity, /*first=*/false, /*last=*/true);
  // The last shift brings each block's sums home, S ranks back: they then
  // sit in X(S+1).
  auto pick = [&](Value even, Value odd) {
    return b.createOrFold<arith::SelectOp>(lastParity, even, odd);
  };
  KeyValueGrads last = {pick(partial[0].key, partial[1].key),
                        pick(partial[0].value, partial[1].value)};
  KeyValueGrads home = {pick(partial[1].key, partial[0].key),
                        pick(partial[1].value, partial[0].value)};
  OpFoldResult back =
      getAsOpFoldResult(b.createOrFold<arith::SubIOp>(idx(ranks), lastStep));
  Value keyHome = startShift(last.key, home.key, back);
  Value valueHome = startShift(last.value, home.value, back);
  wait(keyHome);
  wait(valueHome);
  return results(home);
}

/// The number of ranks of the op's ring (1 without one), if static.
std::optional<int64_t> ringSize(AttentionGradOp op) {
  if (!op.isRing())
    return 1;
  return staticRingSize(op, op.getGridAttr(), *op.getAxis());
}

struct ScheduleAttentionGrad : OpRewritePattern<AttentionGradOp> {
  ScheduleAttentionGrad(MLIRContext *context, bool ring)
      : OpRewritePattern(context), ring(ring) {}

  LogicalResult matchAndRewrite(AttentionGradOp op,
                                PatternRewriter &rewriter) const override {
    if (op.isRing() != ring)
      return rewriter.notifyMatchFailure(op, "lowered by the other pass");
    std::optional<int64_t> ranks = ringSize(op);
    if (!ranks)
      return rewriter.notifyMatchFailure(op, "dynamic ring size");
    ImplicitLocOpBuilder b(op.getLoc(), rewriter);
    rewriter.replaceOp(op, GradientScheduleEmitter(b, op, *ranks).emit());
    return success();
  }

  bool ring;
};

} // namespace

void mlir::ring::populateRingGradientSchedulePatterns(
    RewritePatternSet &patterns, bool ring) {
  patterns.add<ScheduleAttentionGrad>(patterns.getContext(), ring);
}
