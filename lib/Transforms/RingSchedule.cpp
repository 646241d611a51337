//===- RingSchedule.cpp - Ring attention as a loop over ring steps --------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// Rewrites `ring.attention ... ring @grid axis k` into the ring schedule of
// Ring Attention. With N ranks on the axis and this rank r:
//
//   kA, vA <- local K, V; kB, vB spare buffers          (allocated once)
//   o = 0, lse = -inf
//   for step in [0, S):                                 (no shift after the
//     cur, next = step even ? (A, B) : (B, A)            last step: peeled)
//     start shifting cur -> next around the ring        (only H_kv heads)
//     o, lse = combine(o, lse, block_attention(Q, cur))  positions of the
//                                                       block of rank r-step
//     wait for the shifts
//   o, lse = combine(o, lse, block_attention(Q, cur))   last step, S
//   o, lse = combine(o, lse, 0, sinks)                   with sinks
//   result = o (cast to the input type)
//
// S is N - 1 unless the mask (a sliding window, ranks of padding) leaves no
// rank a key to see in the blocks of later steps (lastNeededStep): the ring
// then stops after S steps and each block travels S hops, not N - 1. Under
// causal or a window each (query chunk, key chunk) pair of the layout is a
// block with its own affine positions; a pair the mask leaves empty is skipped
// at run time (no compute), the others are masked. Packed documents are
// known at run time: each query row's document bounds are found once
// before the ring (Documents.h), and a pair whose documents do not meet is
// skipped at run time too, and S is cut at run time to the last step at
// which any rank's documents meet the block it holds (every rank finds the
// same S, as every rank holds the same starts).
//
// Blocks and merges are in destination-passing style: each block writes a
// destination created before the loop (so bufferization allocates it once),
// and each merge writes into the running (o, lse) it reads.
//
//===----------------------------------------------------------------------===//

#include "Documents.h"
#include "LayoutChunks.h"
#include "Sinks.h"

#include "RingAttn/Dialect/Ring/IR/RingOps.h"
#include "RingAttn/Transforms/Passes.h"
#include "RingAttn/Transforms/Transforms.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Shard/IR/ShardOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <limits>

namespace mlir {
namespace ring {
#define GEN_PASS_DEF_RINGSCHEDULE
#include "RingAttn/Transforms/Passes.h.inc"
} // namespace ring
} // namespace mlir

using namespace mlir;
using namespace mlir::ring;

namespace {

class RingScheduleEmitter {
public:
  RingScheduleEmitter(ImplicitLocOpBuilder &b, AttentionOp op, int64_t ranks)
      : b(b), op(op), mask(op.getPositionMask()), ranks(ranks) {
    localLen = op.getQuery().getType().getDimSize(2);
  }

  /// The op's results: this rank's output and, when asked for, its
  /// log-sum-exp.
  SmallVector<Value> emit();

private:
  Value idx(int64_t v) { return arith::ConstantIndexOp::create(b, v); }
  Value mul(Value x, int64_t c) { return arith::MulIOp::create(b, x, idx(c)); }

  SmallVector<Chunk> chunksOf(Value rank);
  Value slice(Value tensor, const Chunk &chunk);
  Value insert(Value part, Value into, const Chunk &chunk);
  Value filled(ArrayRef<int64_t> shape, float value);
  std::pair<Value, Value> blockDestination(RankedTensorType out,
                                           RankedTensorType lse);
  SmallVector<Value> step(Value stepIdx, Value key, Value value,
                          ValueRange state);
  /// The documents of one query chunk: its rows' bounds (tensors) and
  /// where its documents begin and end.
  struct ChunkDocuments {
    Value begin, end;
    DocumentSpan span;
  };
  SmallVector<ChunkDocuments> documentsOfChunks();
  Value ringLength();
  std::pair<Value, Value> blockAndCombine(Value q, Value k, Value v, Value o,
                                          Value lse, const Chunk *qChunk,
                                          const Chunk *kChunk,
                                          const ChunkDocuments *documents);

  ImplicitLocOpBuilder &b;
  AttentionOp op;
  PositionMask mask;
  int64_t ranks;
  int64_t localLen;
  Value rank;
  /// The loop over ring steps: the blocks' destinations are created before
  /// it.
  Operation *ringLoop = nullptr;
  /// The query chunks this rank's result is kept in, one running (o, lse)
  /// pair each; a single whole-block chunk unless the mask needs positions.
  SmallVector<Chunk> queryChunks;
  /// With documents, those of each query chunk.
  SmallVector<ChunkDocuments> chunkDocuments;
};

SmallVector<Chunk> RingScheduleEmitter::chunksOf(Value r) {
  return layoutChunks(b, {op.getLayout(), op.getPlacement()}, ranks, localLen,
                      r);
}

/// The rows [begin, begin + length) of dimension 2 (the sequence).
Value RingScheduleEmitter::slice(Value tensor, const Chunk &chunk) {
  auto type = cast<RankedTensorType>(tensor.getType());
  if (chunk.length == type.getDimSize(2))
    return tensor;
  SmallVector<OpFoldResult> offsets(type.getRank(), b.getIndexAttr(0));
  SmallVector<OpFoldResult> sizes, strides(type.getRank(), b.getIndexAttr(1));
  for (int64_t d : type.getShape())
    sizes.push_back(b.getIndexAttr(d));
  offsets[2] = b.getIndexAttr(chunk.begin);
  sizes[2] = b.getIndexAttr(chunk.length);
  return tensor::ExtractSliceOp::create(b, tensor, offsets, sizes, strides);
}

Value RingScheduleEmitter::insert(Value part, Value into, const Chunk &chunk) {
  if (part.getType() == into.getType())
    return part;
  auto type = cast<RankedTensorType>(part.getType());
  SmallVector<OpFoldResult> offsets(type.getRank(), b.getIndexAttr(0));
  SmallVector<OpFoldResult> sizes, strides(type.getRank(), b.getIndexAttr(1));
  for (int64_t d : type.getShape())
    sizes.push_back(b.getIndexAttr(d));
  offsets[2] = b.getIndexAttr(chunk.begin);
  return tensor::InsertSliceOp::create(b, part, into, offsets, sizes, strides);
}

Value RingScheduleEmitter::filled(ArrayRef<int64_t> shape, float value) {
  Value empty = tensor::EmptyOp::create(b, shape, b.getF32Type());
  Value init = arith::ConstantOp::create(b, b.getF32FloatAttr(value));
  return linalg::FillOp::create(b, init, empty).getResult(0);
}

/// A new destination for one block, created in the prologue: every block has
/// its own, as two blocks' results may be live at once.
std::pair<Value, Value>
RingScheduleEmitter::blockDestination(RankedTensorType out,
                                      RankedTensorType lse) {
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPoint(ringLoop);
  return {tensor::EmptyOp::create(b, out.getShape(), out.getElementType()),
          tensor::EmptyOp::create(b, lse.getShape(), lse.getElementType())};
}

/// The document bounds of the query chunks' rows, made once before the
/// ring (the documents do not change during a call).
SmallVector<RingScheduleEmitter::ChunkDocuments>
RingScheduleEmitter::documentsOfChunks() {
  DocumentRows rows = documentRows(b, op.getDocuments(), queryChunks, localLen,
                                   ranks * localLen);
  auto asTensor = [&](Value buffer) {
    auto type = cast<MemRefType>(buffer.getType());
    return bufferization::ToTensorOp::create(
        b, RankedTensorType::get(type.getShape(), type.getElementType()),
        buffer, /*restrict=*/true, /*writable=*/false);
  };
  SmallVector<ChunkDocuments> documents;
  for (const Chunk &qc : queryChunks) {
    Value begin = asTensor(chunkRows(b, rows.begin, qc));
    Value end = asTensor(chunkRows(b, rows.end, qc));
    documents.push_back({begin, end, documentSpan(b, rows, qc)});
  }
  return documents;
}

/// One block of attention merged into the running (o, lse). With chunks,
/// the block is skipped when the mask leaves it empty, computed without a
/// mask when the mask leaves it full, and else masked at their positions
/// (and in `documents`).
std::pair<Value, Value> RingScheduleEmitter::blockAndCombine(
    Value q, Value k, Value v, Value o, Value lse, const Chunk *qChunk,
    const Chunk *kChunk, const ChunkDocuments *documents) {
  auto [oDest, lseDest] =
      blockDestination(cast<RankedTensorType>(o.getType()),
                       cast<RankedTensorType>(lse.getType()));
  FloatAttr scale = b.getF32FloatAttr(op.getScaleOrDefault());
  auto combine = [&](ImplicitLocOpBuilder &ib, BlockAttentionOp block) {
    return CombineOp::create(ib, o, lse, block.getOut(), block.getLse(), o, lse)
        .getResults();
  };
  // Without positions: the whole block, every key seen.
  auto unmaskedBlock = [&](ImplicitLocOpBuilder &ib) {
    auto block = BlockAttentionOp::create(ib, q, k, v, oDest, lseDest, Value(),
                                          Value(), 1, 1, scale, PositionMask(),
                                          op.getSoftcapAttr());
    return combine(ib, block);
  };
  if (!qChunk) {
    ValueRange combined = unmaskedBlock(b);
    return {combined[0], combined[1]};
  }
  auto unmasked = [&](OpBuilder &nested, Location loc) {
    ImplicitLocOpBuilder ib(loc, nested);
    scf::YieldOp::create(ib, unmaskedBlock(ib));
  };
  auto masked = [&](OpBuilder &nested, Location loc) {
    ImplicitLocOpBuilder ib(loc, nested);
    auto block = BlockAttentionOp::create(
        ib, q, k, v, oDest, lseDest, qChunk->offset, kChunk->offset,
        qChunk->stride, kChunk->stride, scale, mask, op.getSoftcapAttr(),
        documents ? ValueRange{documents->begin, documents->end}
                  : ValueRange{});
    scf::YieldOp::create(ib, combine(ib, block));
  };
  const DocumentSpan *span = documents ? &documents->span : nullptr;
  Value visible = chunksMayInteract(b, mask, *qChunk, *kChunk, span);
  auto ifOp = scf::IfOp::create(
      b, visible,
      [&](OpBuilder &nested, Location loc) {
        ImplicitLocOpBuilder ib(loc, nested);
        Value full = chunksFullyVisible(ib, mask, *qChunk, *kChunk, span);
        auto fullOrNot = scf::IfOp::create(ib, full, unmasked, masked);
        scf::YieldOp::create(ib, fullOrNot.getResults());
      },
      [&](OpBuilder &nested, Location loc) {
        scf::YieldOp::create(nested, loc, ValueRange{o, lse});
      });
  return {ifOp.getResult(0), ifOp.getResult(1)};
}

/// Step `stepIdx`: this rank holds the key/value block of rank
/// (rank - stepIdx) mod N in the buffers `key`, `value`; `state` is the
/// running (o, lse) of each query chunk.
SmallVector<Value> RingScheduleEmitter::step(Value stepIdx, Value key,
                                             Value value, ValueRange state) {
  auto asTensor = [&](Value buffer) {
    auto type = cast<MemRefType>(buffer.getType());
    // Restrict: this is the only tensor view of the block for the step, and
    // the step only reads it.
    return bufferization::ToTensorOp::create(
        b, RankedTensorType::get(type.getShape(), type.getElementType()),
        buffer, /*restrict=*/true, /*writable=*/false);
  };
  Value k = asTensor(key), v = asTensor(value), q = op.getQuery();
  if (!mask.any()) {
    auto [o, lse] =
        blockAndCombine(q, k, v, state[0], state[1], nullptr, nullptr, nullptr);
    return {o, lse};
  }

  Value source = arith::RemUIOp::create(
      b,
      arith::SubIOp::create(b, arith::AddIOp::create(b, rank, idx(ranks)),
                            stepIdx),
      idx(ranks));
  SmallVector<Chunk> keyChunks = chunksOf(source);
  SmallVector<Value> next;
  for (auto [i, qc] : llvm::enumerate(queryChunks)) {
    Value o = state[2 * i], lse = state[2 * i + 1], qPart = slice(q, qc);
    for (const Chunk &kc : keyChunks) {
      // Separate statements: the IR's order does not depend on the order
      // a compiler evaluates arguments in.
      Value kPart = slice(k, kc), vPart = slice(v, kc);
      const ChunkDocuments *documents =
          chunkDocuments.empty() ? nullptr : &chunkDocuments[i];
      std::tie(o, lse) =
          blockAndCombine(qPart, kPart, vPart, o, lse, &qc, &kc, documents);
    }
    next.append({o, lse});
  }
  return next;
}

/// The last ring step S (an index value): the static mask's plan, cut at
/// run time to the last step at which the documents let any rank's queries
/// meet the block it holds.
Value RingScheduleEmitter::ringLength() {
  RingLayout layout = {op.getLayout(), op.getPlacement()};
  const int64_t planned = lastNeededStep(mask, layout, ranks, localLen);
  if (!mask.documents || planned == 0)
    return idx(planned);
  return lastStepWithDocuments(b, op.getDocuments(), mask, layout, ranks,
                               localLen, planned);
}

SmallVector<Value> RingScheduleEmitter::emit() {
  RankedTensorType queryType = op.getQuery().getType();
  RankedTensorType kvType = op.getKey().getType();
  auto f32 = b.getF32Type();
  auto oType = RankedTensorType::get(queryType.getShape(), f32);

  rank = shard::ProcessMultiIndexOp::create(
             b, TypeRange{b.getIndexType()}, op.getGridAttr(),
             b.getDenseI16ArrayAttr({static_cast<int16_t>(*op.getAxis())}))
             .getResult()[0];

  // The two key/value buffer pairs of the double buffer, allocated once;
  // pair A starts with this rank's own block.
  auto kvBuffer = MemRefType::get(kvType.getShape(), kvType.getElementType());
  auto copyIn = [&](Value tensor) {
    Value buffer = memref::AllocOp::create(b, kvBuffer);
    Value source = bufferization::ToBufferOp::create(b, kvBuffer, tensor,
                                                     /*read_only=*/true);
    memref::CopyOp::create(b, source, buffer);
    return buffer;
  };
  Value keyA = copyIn(op.getKey()), valueA = copyIn(op.getValue());
  Value keyB = memref::AllocOp::create(b, kvBuffer);
  Value valueB = memref::AllocOp::create(b, kvBuffer);

  // Masked blocks need the positions of each chunk of the layout; without a
  // mask the whole local block is one chunk.
  queryChunks = mask.any() ? chunksOf(rank)
                           : SmallVector<Chunk>{{0, localLen, Value(), 1}};
  if (mask.documents)
    chunkDocuments = documentsOfChunks();
  SmallVector<Value> state;
  for (const Chunk &qc : queryChunks) {
    SmallVector<int64_t> shape(oType.getShape());
    shape[2] = qc.length;
    state.push_back(filled(shape, 0.0f));
    state.push_back(filled(ArrayRef<int64_t>(shape).drop_back(),
                           -std::numeric_limits<float>::infinity()));
  }

  auto startShift = [&](ImplicitLocOpBuilder &ib, Value cur, Value next) {
    return ShiftStartOp::create(ib, FutureType::get(cur.getType()), cur, next,
                                /*dynamic_offset=*/Value(), op.getGridAttr(),
                                op.getAxisAttr(), /*offset=*/IntegerAttr());
  };
  // One rank is single-device attention (RingSchedulePass), unless a
  // placement orders its blocks. The last step is peeled; a window may
  // leave no other.
  assert((ranks > 1 || op.getPlacement()) &&
         "a ring of one rank in natural order has no schedule");
  Value lastStep = ringLength();
  {
    auto loop = scf::ForOp::create(b, idx(0), lastStep, idx(1), state);
    ringLoop = loop;
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(loop.getBody());
    Value s = loop.getInductionVar();
    Value even =
        arith::CmpIOp::create(b, arith::CmpIPredicate::eq,
                              arith::AndIOp::create(b, s, idx(1)), idx(0));
    auto pick = [&](Value x, Value y) {
      return arith::SelectOp::create(b, even, x, y).getResult();
    };
    Value keyCur = pick(keyA, keyB), keyNext = pick(keyB, keyA);
    Value valueCur = pick(valueA, valueB), valueNext = pick(valueB, valueA);
    // Start the transfer of the next block before computing on this one.
    auto keyShift = startShift(b, keyCur, keyNext);
    auto valueShift = startShift(b, valueCur, valueNext);
    SmallVector<Value> next =
        step(s, keyCur, valueCur, loop.getRegionIterArgs());
    ShiftWaitOp::create(b, keyNext.getType(), keyShift);
    ShiftWaitOp::create(b, valueNext.getType(), valueShift);
    scf::YieldOp::create(b, next);
    state = loop.getResults();
  }
  // The last step computes on the block that arrived last; nothing is sent.
  // (Folded when S is static.)
  Value lastParity = b.createOrFold<arith::AndIOp>(lastStep, idx(1));
  Value lastInA = b.createOrFold<arith::CmpIOp>(arith::CmpIPredicate::eq,
                                                lastParity, idx(0));
  Value keyLast = b.createOrFold<arith::SelectOp>(lastInA, keyA, keyB);
  Value valueLast = b.createOrFold<arith::SelectOp>(lastInA, valueA, valueB);
  state = step(lastStep, keyLast, valueLast, state);
  // The sinks are one more partial result, merged once after the ring.
  if (Value sinks = op.getSinks())
    for (size_t i = 0; i < queryChunks.size(); ++i)
      std::tie(state[2 * i], state[2 * i + 1]) =
          mergeSinks(b, sinks, state[2 * i], state[2 * i + 1]);
  // Assemble the chunks' outputs, and log-sum-exps when the op returns
  // them (the gradient needs them).
  auto assemble = [&](int64_t which, ArrayRef<int64_t> shape) {
    Value whole = state[which];
    if (queryChunks.size() > 1) {
      whole = tensor::EmptyOp::create(b, shape, f32);
      for (auto [i, qc] : llvm::enumerate(queryChunks))
        whole = insert(state[2 * i + which], whole, qc);
    }
    return whole;
  };
  SmallVector<Value> results = {assemble(0, oType.getShape())};
  if (queryType.getElementType() != f32)
    results[0] = arith::TruncFOp::create(b, queryType, results[0]);
  if (op.getLse())
    results.push_back(assemble(1, oType.getShape().drop_back()));
  return results;
}

/// A ring attention of static size becomes the ring loop; a ring of one
/// rank, single-device attention.
struct ScheduleRingAttention : OpRewritePattern<AttentionOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(AttentionOp op,
                                PatternRewriter &rewriter) const override {
    if (!op.isRing())
      return rewriter.notifyMatchFailure(op, "not over a ring");
    std::optional<int64_t> ranks =
        staticRingSize(op, op.getGridAttr(), *op.getAxis());
    if (!ranks)
      return rewriter.notifyMatchFailure(op, "dynamic ring size");
    if (*ranks == 1 && !op.getPlacement()) {
      // One rank holds the whole sequence in natural order under every
      // layout: this is single-device attention, with no copy of K and V
      // and no merge. (A placement may order its blocks otherwise.)
      rewriter.modifyOpInPlace(op, [&] {
        op.removeGridAttr();
        op.removeAxisAttr();
        op.setLayout(SequenceLayout::Contiguous);
      });
      return success();
    }
    ImplicitLocOpBuilder b(op.getLoc(), rewriter);
    rewriter.replaceOp(op, RingScheduleEmitter(b, op, *ranks).emit());
    return success();
  }
};

struct RingSchedulePass : ring::impl::RingScheduleBase<RingSchedulePass> {
  void runOnOperation() override {
    // A dynamic ring size is an error the pattern cannot report.
    WalkResult dynamic = getOperation().walk([](Operation *op) {
      auto attention = dyn_cast<AttentionOp>(op);
      auto grad = dyn_cast<AttentionGradOp>(op);
      if (!attention && !grad)
        return WalkResult::advance();
      FlatSymbolRefAttr grid =
          attention ? attention.getGridAttr() : grad.getGridAttr();
      std::optional<uint64_t> axis =
          attention ? attention.getAxis() : grad.getAxis();
      if (!grid || staticRingSize(op, grid, *axis))
        return WalkResult::advance();
      op->emitError("the ring schedule needs a static ring size, but axis ")
          << *axis << " of " << grid << " is dynamic";
      return WalkResult::interrupt();
    });
    if (dynamic.wasInterrupted())
      return signalPassFailure();
    RewritePatternSet patterns(&getContext());
    populateRingSchedulePatterns(patterns);
    populateRingGradientSchedulePatterns(patterns, /*ring=*/true);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace

void mlir::ring::populateRingSchedulePatterns(RewritePatternSet &patterns) {
  patterns.add<ScheduleRingAttention>(patterns.getContext());
}
