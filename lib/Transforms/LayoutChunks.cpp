//===- LayoutChunks.cpp - A rank's chunks of a sequence layout as IR
//-------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception

#include "LayoutChunks.h"

#include "RingAttn/Support/SequenceLayout.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Shard/IR/ShardOps.h"

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

SmallVector<Chunk> mlir::ring::layoutChunks(ImplicitLocOpBuilder &b,
                                            SequenceLayout layout,
                                            int64_t ranks, int64_t localLen,
                                            Value rank) {
  std::optional<ringattn::Layout> parsed =
      ringattn::parseLayout(stringifySequenceLayout(layout).str());
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

Value mlir::ring::chunksMayInteract(ImplicitLocOpBuilder &b, const Chunk &query,
                                    const Chunk &key) {
  Value lastQuery = arith::AddIOp::create(
      b, query.offset,
      arith::ConstantIndexOp::create(b, query.stride * (query.length - 1)));
  return arith::CmpIOp::create(b, arith::CmpIPredicate::sle, key.offset,
                               lastQuery);
}
