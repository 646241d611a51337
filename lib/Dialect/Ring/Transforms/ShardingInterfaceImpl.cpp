//===- ShardingInterfaceImpl.cpp - Partitioning ring attention ------------===//
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
// ring.attention_grad partitions the same way, its output, log-sum-exp
// and dout split as the query; its ring form gives each rank the sinks'
// gradient over its own rows, which an all-reduce over the axis sums into
// the single-device op's.
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

/// How many leading operands and results of an op carry the sequence: q,
/// k, v (and for the gradient the output, log-sum-exp and dout) and the
/// results shaped like them. The rest (sinks, document starts, placements,
/// the sinks' gradient) are replicated.
struct SequenceValues {
  unsigned operands, results;
};

/// The one split every value of `op` agrees on, or an error naming the
/// first value that does not: the values that carry the sequence all split
/// along it over one axis of one grid, or none split; the others whole.
FailureOr<Split> agreedSplit(Operation *op, SequenceValues sequence,
                             ArrayRef<Sharding> operandShardings,
                             ArrayRef<Sharding> resultShardings) {
  SmallVector<std::tuple<std::string, Split, bool>> splits;
  for (auto [i, sharding] : llvm::enumerate(operandShardings)) {
    bool onSequence = i < sequence.operands;
    splits.push_back({"operand #" + std::to_string(i),
                      splitOf(sharding, onSequence), onSequence});
  }
  for (auto [i, sharding] : llvm::enumerate(resultShardings)) {
    bool onSequence = i < sequence.results;
    splits.push_back({"result #" + std::to_string(i),
                      splitOf(sharding, onSequence), onSequence});
  }
  const Split &query = std::get<1>(splits.front());
  for (auto &[name, split, onSequence] : splits) {
    bool agrees =
        onSequence
            ? split.kind == query.kind &&
                  (split.kind == Split::None ||
                   (split.grid == query.grid && split.axis == query.axis))
            : split.kind == Split::None;
    if (split.kind == Split::Other || !agrees)
      return op->emitOpError()
             << "cannot be partitioned: " << name
             << (split.kind == Split::Other
                     ? " is split in a way the ring cannot take"
                     : " is not split as the query is")
             << "; the ring splits the sequence (dimension 2) of the query, "
                "keys, values and results evenly over one grid axis, "
                "without halos, and replicates sinks, document starts, "
                "placements and the sinks' gradient";
  }
  return query;
}

/// Partitions `op` (ring.attention or ring.attention_grad, single-device)
/// on its partitioned operands: whole on every rank when nothing is split,
/// else as its ring form over the split's axis, whose results are the
/// shards of the op's, mapped to the op's results. Returns that ring form,
/// or null when `op` stays whole.
FailureOr<Operation *> partitionAlongSequence(
    Operation *op, bool isRing, SequenceValues sequence,
    ArrayRef<Value> partitionedOperands, ArrayRef<Sharding> operandShardings,
    ArrayRef<Sharding> resultShardings, IRMapping &partitionMap,
    SymbolTableCollection &symbolTable, OpBuilder &builder) {
  if (isRing)
    return op->emitOpError("is already a ring: partition the single-device "
                           "form");
  FailureOr<Split> split =
      agreedSplit(op, sequence, operandShardings, resultShardings);
  if (failed(split))
    return failure();
  if (split->kind == Split::None) {
    partitionFullyReplicatedOperation(*op, partitionedOperands,
                                      operandShardings, resultShardings,
                                      partitionMap, symbolTable, builder);
    return static_cast<Operation *>(nullptr);
  }
  GridOp grid = getGrid(op, split->grid, symbolTable);
  if (grid.getRank() != 1)
    return op->emitOpError("cannot be partitioned over grid ")
           << split->grid << " of rank " << grid.getRank()
           << ": the ring form runs on a 1-D grid (the runtime's ring "
              "spans all ranks)";
  IRMapping operands;
  operands.map(op->getOperands(), partitionedOperands);
  Operation *ring = builder.clone(*op, operands);
  ring->setAttr("grid", split->grid);
  ring->setAttr("axis", builder.getI64IntegerAttr(split->axis));
  for (auto [result, sharding] : llvm::zip(ring->getResults(), resultShardings))
    result.setType(shardType(result.getType(), grid, sharding));
  partitionMap.map(op->getResults(), ring->getResults());
  return ring;
}

/// Loops (b, h, s, e, g): batch, query head, position, head_dim element,
/// key/value head; then one per element of the document starts and of the
/// placement. All parallel: the sequence is not a reduction to upstream's
/// partitioner, the ring does its own.
SmallVector<utils::IteratorType> ringLoops(Value documents, Value placement) {
  unsigned loops = 5 + (documents ? 1 : 0) + (placement ? 1 : 0);
  return SmallVector<utils::IteratorType>(loops, utils::IteratorType::parallel);
}

/// The loops every value's indexing map reads.
namespace loop {
enum : unsigned { b, h, s, e, g };
} // namespace loop

/// The indexing maps of `shapes` (lists of loops) over `loops` loops, then
/// those of any sinks (h), document starts and placement (a loop each).
SmallVector<AffineMap> ringMaps(MLIRContext *ctx, unsigned loops,
                                ArrayRef<SmallVector<unsigned>> shapes,
                                Value sinks, Value documents, Value placement) {
  auto map = [&](ArrayRef<unsigned> dims) {
    return AffineMap::getMultiDimMapWithTargets(loops, dims, ctx);
  };
  using namespace loop;
  SmallVector<AffineMap> maps;
  for (ArrayRef<unsigned> dims : shapes)
    maps.push_back(map(dims));
  unsigned next = 5;
  if (sinks)
    maps.push_back(map({h}));
  if (documents)
    maps.push_back(map({next++}));
  if (placement)
    maps.push_back(map({next++}));
  return maps;
}

struct AttentionShardingModel
    : ShardingInterface::ExternalModel<AttentionShardingModel, AttentionOp> {
  SmallVector<utils::IteratorType> getLoopIteratorTypes(Operation *op) const {
    auto attention = cast<AttentionOp>(op);
    return ringLoops(attention.getDocuments(), attention.getPlacement());
  }

  SmallVector<AffineMap> getIndexingMaps(Operation *op) const {
    using namespace loop;
    auto attention = cast<AttentionOp>(op);
    SmallVector<AffineMap> maps = ringMaps(
        op->getContext(), getLoopIteratorTypes(op).size(),
        {{b, h, s, e}, {b, g, s, e}, {b, g, s, e}}, attention.getSinks(),
        attention.getDocuments(), attention.getPlacement());
    maps.push_back(maps.front()); // the output
    if (attention.getLse())
      maps.push_back(maps.front().dropResult(3));
    return maps;
  }

  LogicalResult partition(Operation *op, ArrayRef<Value> partitionedOperands,
                          ArrayRef<Sharding> operandShardings,
                          ArrayRef<Sharding> resultShardings,
                          IRMapping &partitionMap,
                          SymbolTableCollection &symbolTable,
                          OpBuilder &builder) const {
    return partitionAlongSequence(op, cast<AttentionOp>(op).isRing(),
                                  {3, op->getNumResults()}, partitionedOperands,
                                  operandShardings, resultShardings,
                                  partitionMap, symbolTable, builder);
  }
};

/// The gradient partitions as the forward does. Its ring form gives each
/// rank the sinks' gradient over its own rows; the single-device op's is
/// the sum over all rows, so the partition adds the ranks' with an
/// all-reduce over the axis.
struct AttentionGradShardingModel
    : ShardingInterface::ExternalModel<AttentionGradShardingModel,
                                       AttentionGradOp> {
  SmallVector<utils::IteratorType> getLoopIteratorTypes(Operation *op) const {
    auto grad = cast<AttentionGradOp>(op);
    return ringLoops(grad.getDocuments(), grad.getPlacement());
  }

  SmallVector<AffineMap> getIndexingMaps(Operation *op) const {
    using namespace loop;
    auto grad = cast<AttentionGradOp>(op);
    SmallVector<AffineMap> maps =
        ringMaps(op->getContext(), getLoopIteratorTypes(op).size(),
                 {{b, h, s, e},
                  {b, g, s, e},
                  {b, g, s, e},
                  {b, h, s, e},
                  {b, h, s},
                  {b, h, s, e}},
                 grad.getSinks(), grad.getDocuments(), grad.getPlacement());
    // dq, dk, dv as q, k, v; dsinks as the sinks.
    maps.append({maps[0], maps[1], maps[2]});
    if (grad.getSinks())
      maps.push_back(maps[6]);
    return maps;
  }

  LogicalResult partition(Operation *op, ArrayRef<Value> partitionedOperands,
                          ArrayRef<Sharding> operandShardings,
                          ArrayRef<Sharding> resultShardings,
                          IRMapping &partitionMap,
                          SymbolTableCollection &symbolTable,
                          OpBuilder &builder) const {
    FailureOr<Operation *> ring = partitionAlongSequence(
        op, cast<AttentionGradOp>(op).isRing(), {6, 3}, partitionedOperands,
        operandShardings, resultShardings, partitionMap, symbolTable, builder);
    if (failed(ring))
      return failure();
    if (!*ring)
      return success();
    auto grad = cast<AttentionGradOp>(*ring);
    if (Value dsinks = grad.getDsinks())
      partitionMap.map(
          cast<AttentionGradOp>(op).getDsinks(),
          AllReduceOp::create(
              builder, op->getLoc(), dsinks, grad.getGridAttr().getValue(),
              {static_cast<GridAxis>(*grad.getAxis())}, ReductionKind::Sum));
    return success();
  }
};

} // namespace

void mlir::ring::registerShardingInterfaceExternalModels(
    DialectRegistry &registry) {
  registry.addExtension(+[](MLIRContext *ctx, RingDialect *) {
    ctx->getOrLoadDialect<ShardDialect>();
    AttentionOp::attachInterface<AttentionShardingModel>(*ctx);
    AttentionGradOp::attachInterface<AttentionGradShardingModel>(*ctx);
  });
}
