//===- LayoutChunks.cpp - A rank's chunks of a sequence layout as IR
//-------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception

#include "LayoutChunks.h"

#include "RingAttn/Support/MaskPlan.h"
#include "RingAttn/Support/SequenceLayout.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Shard/IR/ShardOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace mlir::ring;

std::optional<int64_t> mlir::ring::staticRingSize(Operation *op,
                                                  FlatSymbolRefAttr grid,
                                                  int64_t axis) {
  auto gridOp = SymbolTable::lookupNearestSymbolFrom<shard::GridOp>(op, grid);
  int64_t ranks = gridOp.getShape()[axis];
  if (ShapedType::isDynamic(ranks))
    return std::nullopt;
  return ranks;
}

/// The chunks of a block placement: rank r's local block j is global block
/// placement[r * P/N + j].
static SmallVector<Chunk> placementChunks(ImplicitLocOpBuilder &b,
                                          Value placement, int64_t ranks,
                                          int64_t localLen, Value rank) {
  int64_t perRank =
      cast<RankedTensorType>(placement.getType()).getDimSize(0) / ranks;
  int64_t blockLen = localLen / perRank;
  Value first = arith::MulIOp::create(
      b, rank, arith::ConstantIndexOp::create(b, perRank));
  Value length = arith::ConstantIndexOp::create(b, blockLen);
  SmallVector<Chunk> chunks;
  for (int64_t j = 0; j < perRank; ++j) {
    Value at =
        arith::AddIOp::create(b, first, arith::ConstantIndexOp::create(b, j));
    Value block = tensor::ExtractOp::create(b, placement, ValueRange{at});
    Value index = arith::IndexCastOp::create(b, b.getIndexType(), block);
    Value offset = arith::MulIOp::create(b, index, length);
    chunks.push_back({j * blockLen, blockLen, offset, 1});
  }
  return chunks;
}

SmallVector<Chunk> mlir::ring::layoutChunks(ImplicitLocOpBuilder &b,
                                            RingLayout layout, int64_t ranks,
                                            int64_t localLen, Value rank) {
  if (layout.placement)
    return placementChunks(b, layout.placement, ranks, localLen, rank);
  std::optional<ringattn::Layout> parsed =
      ringattn::parseLayout(stringifySequenceLayout(layout.layout).str());
  assert(parsed && "the dialect's layouts are lib/Support's, by name");
  SmallVector<Chunk> chunks;
  for (const ringattn::ChunkForm &form :
       ringattn::layoutChunkForms(*parsed, ranks, localLen)) {
    Value offset = rank;
    if (form.offsetPerRank != 1)
      offset = arith::MulIOp::create(
          b, rank, arith::ConstantIndexOp::create(b, form.offsetPerRank));
    if (form.offsetBase != 0)
      offset = arith::AddIOp::create(
          b, offset, arith::ConstantIndexOp::create(b, form.offsetBase));
    chunks.push_back({form.localBegin, form.length, offset, form.globalStride});
  }
  return chunks;
}

namespace {
/// Builds a conjunction of position comparisons on chunks, one op per
/// statement.
struct PositionTest {
  ImplicitLocOpBuilder &b;
  Value holds = arith::ConstantIntOp::create(b, 1, 1);

  Value last(const Chunk &chunk) {
    return arith::AddIOp::create(
        b, chunk.offset,
        arith::ConstantIndexOp::create(b, chunk.stride * (chunk.length - 1)));
  }
  Value plus(Value position, int64_t tokens) {
    if (tokens == 0)
      return position;
    return arith::AddIOp::create(b, position,
                                 arith::ConstantIndexOp::create(b, tokens));
  }
  void require(arith::CmpIPredicate predicate, Value lhs, Value rhs) {
    Value compared = arith::CmpIOp::create(b, predicate, lhs, rhs);
    holds = arith::AndIOp::create(b, holds, compared);
  }
};
} // namespace

Value mlir::ring::chunksMayInteract(ImplicitLocOpBuilder &b,
                                    const PositionMask &mask,
                                    const Chunk &query, const Chunk &key,
                                    const DocumentSpan *documents) {
  using arith::CmpIPredicate;
  PositionTest test{b};
  if (std::optional<int64_t> ahead = mask.maxAhead())
    test.require(CmpIPredicate::sle, key.offset,
                 test.plus(test.last(query), *ahead));
  if (std::optional<int64_t> behind = mask.maxBehind())
    test.require(CmpIPredicate::sle, query.offset,
                 test.plus(test.last(key), *behind));
  // Some query and some key come before the padding.
  if (std::optional<int64_t> length = mask.length)
    for (Value first : {query.offset, key.offset})
      test.require(CmpIPredicate::slt, first,
                   arith::ConstantIndexOp::create(b, *length));
  // Some key lies in the queries' documents.
  if (mask.documents) {
    assert(documents && "documents need the queries' document span");
    test.require(CmpIPredicate::sge, test.last(key), documents->begin);
    test.require(CmpIPredicate::slt, key.offset, documents->end);
  }
  return test.holds;
}

Value mlir::ring::chunksFullyVisible(ImplicitLocOpBuilder &b,
                                     const PositionMask &mask,
                                     const Chunk &query, const Chunk &key,
                                     const DocumentSpan *documents) {
  using arith::CmpIPredicate;
  PositionTest test{b};
  // One op-creating call per statement: the IR's order is then the same
  // whatever order a compiler evaluates arguments in.
  if (std::optional<int64_t> ahead = mask.maxAhead()) {
    Value lastKey = test.last(key);
    test.require(CmpIPredicate::sle, lastKey, test.plus(query.offset, *ahead));
  }
  if (std::optional<int64_t> behind = mask.maxBehind()) {
    Value lastQuery = test.last(query);
    test.require(CmpIPredicate::sle, lastQuery, test.plus(key.offset, *behind));
  }
  // Every query and every key come before the padding.
  if (std::optional<int64_t> length = mask.length)
    for (const Chunk *chunk : {&query, &key}) {
      Value last = test.last(*chunk);
      test.require(CmpIPredicate::slt, last,
                   arith::ConstantIndexOp::create(b, *length));
    }
  // The queries share one document, and it holds every key.
  if (mask.documents) {
    assert(documents && "documents need the queries' document span");
    test.require(CmpIPredicate::eq, documents->lastBegin, documents->begin);
    test.require(CmpIPredicate::sge, key.offset, documents->begin);
    Value lastKey = test.last(key);
    test.require(CmpIPredicate::slt, lastKey, documents->end);
  }
  return test.holds;
}

int64_t mlir::ring::lastNeededStep(const PositionMask &mask, RingLayout layout,
                                   int64_t ranks, int64_t localLen) {
  // Without a window or padding some rank sees every block (the last rank
  // of a contiguous causal ring, every rank without causal); only those
  // are worth planning, and only on a static layout.
  if ((!mask.windowLeft && !mask.windowRight && !mask.length) ||
      layout.placement)
    return ranks - 1;
  ringattn::AttentionMask planned = ringattn::AttentionMask::of(mask.causal);
  planned.windowLeft = mask.windowLeft.value_or(-1);
  planned.windowRight = mask.windowRight.value_or(-1);
  planned.length = mask.length.value_or(-1);
  std::optional<ringattn::Layout> parsed =
      ringattn::parseLayout(stringifySequenceLayout(layout.layout).str());
  assert(parsed && "the dialect's layouts are lib/Support's, by name");
  return ringattn::planRing(planned, *parsed, ranks, localLen).lastNeededStep;
}
