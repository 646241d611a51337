//===- ShardingInterfaceImpl.cpp - Partitioning ring.attention ------------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// A model in upstream dialects says how its tensors are split with
// shard.shard annotations; upstream's shard-partition then rewrites each
// op on its shards. For attention with the sequence split, the shards of
// the keys and values every query needs live on the other ranks: the
// partition of a single-device ring.attention whose query, keys, values
// and output are split along the sequence (dimension 2) over one grid axis
// is the ring form on that axis, in the contiguous layout (rank r holds
// the r-th block, as the split gives it). The positions and every mask
// attribute are global in both forms, so they carry over unchanged.
//
//   %q = shard.shard %q0 to %seq annotate_for_users    (likewise K, V)
//   %o = ring.attention %q, %k, %v causal : ...
//   %o1 = shard.shard %o to %seq
//     =>  (on local shards)
//   %o = ring.attention %q, %k, %v causal ring @grid axis 0 : ...
//
// Nothing split: the op stays whole on every rank. Any other split (heads,
// head_dim, several axes, halos, sinks or document starts) is an error
// naming the operand, and so is a grid of more than one axis: the ring has
// no partition for them.
//
//===----------------------------------------------------------------------===//

#include "RingAttn/Dialect/Ring/Transforms/ShardingInterfaceImpl.h"
#include "RingAttn/Dialect/Ring/IR/RingOps.h"

#include "mlir/Dialect/Shard/IR/ShardOps.h"
#include "mlir/Dialect/Shard/Interfaces/ShardingInterface.h"
#include "mlir/IR/IRMapping.h"

using namespace mlir;
using namespace mlir::ring;
using namespace mlir::shard;

namespace {

/// The sequence dimension of q, k, v, the output and the log-sum-exp.
constexpr int64_t kSequenceDim = 2;

/// How a sharding splits one operand or result.
struct Split {
  enum Kind { None, Sequence, Other } kind = None;
  FlatSymbolRefAttr grid;
  GridAxis axis = 0;
};

/// What `sharding` does to a value whose sequence is dimension 2 when
/// `hasSequence` (q, k, v, the output, the log-sum-exp).
Split splitOf(const Sharding &sharding, bool hasSequence) {
  if (!sharding)
    return {};
  bool uneven = !sharding.getStaticShardedDimsOffsets().empty() ||
                !sharding.getDynamicShardedDimsOffsets().empty();
  bool halo = !sharding.getStaticHaloSizes().empty() ||
              !sharding.getDynamicHaloSizes().empty();
  Split split{Split::None, sharding.getGridAttr()};
  for (auto [dim, axes] : llvm::enumerate(sharding.getSplitAxes())) {
    if (axes.empty())
      continue;
    if (!hasSequence || dim != kSequenceDim || axes.size() != 1 || uneven ||
        halo)
      return {Split::Other, sharding.getGridAttr()};
    split = {Split::Sequence, sharding.getGridAttr(), axes.asArrayRef()[0]};
  }
  return split;
}

/// The one split every value of `op` agrees on, or an error naming the
/// first value that does not: q, k, v, the output and the log-sum-exp all
/// split along the sequence over one axis of one grid, or none split.
FailureOr<Split> agreedSplit(AttentionOp op,
                             ArrayRef<Sharding> operandShardings,
                             ArrayRef<Sharding> resultShardings) {
  SmallVector<std::pair<std::string, Split>> splits;
  for (auto [i, sharding] : llvm::enumerate(operandShardings))
    splits.push_back({"operand #" + std::to_string(i),
                      splitOf(sharding, /*hasSequence=*/i < 3)});
  for (auto [i, sharding] : llvm::enumerate(resultShardings))
    splits.push_back({"result #" + std::to_string(i), splitOf(sharding, true)});
  const Split &query = splits.front().second;
  for (auto [i, named] : llvm::enumerate(splits)) {
    auto &[name, split] = named;
    bool sequenceValue = i < 3 || i >= operandShardings.size();
    bool agrees =
        sequenceValue
            ? split.kind == query.kind &&
                  (split.kind == Split::None ||
                   (split.grid == query.grid && split.axis == query.axis))
            : split.kind == Split::None;
    if (split.kind == Split::Other || !agrees)
      return op.emitOpError()
             << "cannot be partitioned: " << name
             << (split.kind == Split::Other
                     ? " is split in a way the ring cannot take"
                     : " is not split as the query is")
             << "; the ring splits the sequence (dimension 2) of the query, "
                "keys, values and results evenly over one grid axis, "
                "without halos, and replicates sinks, document starts and "
                "placements";
  }
  return query;
}

struct AttentionShardingModel
    : ShardingInterface::ExternalModel<AttentionShardingModel, AttentionOp> {
  /// Loops (b, h, s, e, g): batch, query head, position, head_dim element,
  /// key/value head; then one per element of the document starts and of
  /// the placement. All parallel: the sequence is not a reduction to
  /// upstream's partitioner, the ring does its own.
  SmallVector<utils::IteratorType> getLoopIteratorTypes(Operation *op) const {
    auto attention = cast<AttentionOp>(op);
    unsigned loops = 5 + (attention.getDocuments() ? 1 : 0) +
                     (attention.getPlacement() ? 1 : 0);
    return SmallVector<utils::IteratorType>(loops,
                                            utils::IteratorType::parallel);
  }

  SmallVector<AffineMap> getIndexingMaps(Operation *op) const {
    auto attention = cast<AttentionOp>(op);
    MLIRContext *ctx = op->getContext();
    unsigned loops = getLoopIteratorTypes(op).size();
    auto map = [&](ArrayRef<unsigned> dims) {
      return AffineMap::getMultiDimMapWithTargets(loops, dims, ctx);
    };
    enum : unsigned { b, h, s, e, g };
    SmallVector<AffineMap> maps = {map({b, h, s, e}), map({b, g, s, e}),
                                   map({b, g, s, e})};
    unsigned next = 5;
    if (attention.getSinks())
      maps.push_back(map({h}));
    if (attention.getDocuments())
      maps.push_back(map({next++}));
    if (attention.getPlacement())
      maps.push_back(map({next++}));
    maps.push_back(map({b, h, s, e}));
    if (attention.getLse())
      maps.push_back(map({b, h, s}));
    return maps;
  }

  LogicalResult partition(Operation *op, ArrayRef<Value> partitionedOperands,
                          ArrayRef<Sharding> operandShardings,
                          ArrayRef<Sharding> resultShardings,
                          IRMapping &partitionMap,
                          SymbolTableCollection &symbolTable,
                          OpBuilder &builder) const {
    auto attention = cast<AttentionOp>(op);
    if (attention.getGrid())
      return op->emitOpError("is already a ring: partition the single-device "
                             "form");
    FailureOr<Split> split =
        agreedSplit(attention, operandShardings, resultShardings);
    if (failed(split))
      return failure();
    if (split->kind == Split::None) {
      partitionFullyReplicatedOperation(*op, partitionedOperands,
                                        operandShardings, resultShardings,
                                        partitionMap, symbolTable, builder);
      return success();
    }
    GridOp grid = getGrid(op, split->grid, symbolTable);
    if (grid.getRank() != 1)
      return op->emitOpError("cannot be partitioned over grid ")
             << split->grid << " of rank " << grid.getRank()
             << ": the ring form runs on a 1-D grid (the runtime's ring "
                "spans all ranks)";
    IRMapping operands;
    operands.map(op->getOperands(), partitionedOperands);
    auto ring = cast<AttentionOp>(builder.clone(*op, operands));
    ring.setGridAttr(split->grid);
    ring.setAxisAttr(builder.getI64IntegerAttr(split->axis));
    for (auto [result, sharding] :
         llvm::zip(ring->getResults(), resultShardings))
      result.setType(shardType(result.getType(), grid, sharding));
    partitionMap.map(op->getResults(), ring->getResults());
    return success();
  }
};

} // namespace

void mlir::ring::registerShardingInterfaceExternalModels(
    DialectRegistry &registry) {
  registry.addExtension(+[](MLIRContext *ctx, RingDialect *) {
    ctx->getOrLoadDialect<ShardDialect>();
    AttentionOp::attachInterface<AttentionShardingModel>(*ctx);
  });
}
