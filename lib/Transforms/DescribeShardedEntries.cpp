//===- DescribeShardedEntries.cpp - Record how an entry's operands split --===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// Reads the shard.shard annotations on a public function's arguments and
// results, before shard-partition erases them, into ring.sharded_abi.
//
//===----------------------------------------------------------------------===//

#include "RingAttn/Dialect/Ring/IR/ShardedEntryABI.h"
#include "RingAttn/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Shard/IR/ShardOps.h"

namespace mlir {
namespace ring {
#define GEN_PASS_DEF_RINGDESCRIBESHARDEDENTRIES
#include "RingAttn/Transforms/Passes.h.inc"
} // namespace ring
} // namespace mlir

using namespace mlir;
using namespace mlir::ring;

namespace {

/// Where an operand's parts live: the tensor dimension split (none: whole
/// on every rank) over the ranks of a one-axis grid.
struct Split {
  std::optional<int64_t> dimension;
  StringRef grid;
  int64_t ranks = 1;
};

/// The annotation that shards `value`: a shard.shard that takes it (an
/// argument's), or the one that makes it (a result's).
static shard::ShardOp annotationOf(Value value, bool result) {
  if (result)
    return value.getDefiningOp<shard::ShardOp>();
  for (Operation *user : value.getUsers())
    if (auto annotation = dyn_cast<shard::ShardOp>(user))
      if (!annotation.getAnnotateForUsers())
        return annotation;
  return nullptr;
}

/// Decodes the sharding of `value`, or fails with an error at `func` naming
/// `what` (argument #2, result #0).
static FailureOr<Split> splitOf(func::FuncOp func, Value value, bool result,
                                const Twine &what,
                                SymbolTableCollection &symbols) {
  shard::ShardOp annotation = annotationOf(value, result);
  if (!annotation)
    return Split{};
  shard::Sharding sharding(annotation.getSharding());
  auto refuse = [&](const Twine &why) {
    return annotation.emitError()
           << what << " of @" << func.getSymName() << " " << why
           << ": ring-run splits an operand along one dimension over one "
              "grid axis, or holds it whole";
  };
  if (!sharding.getStaticHaloSizes().empty() ||
      !sharding.getDynamicHaloSizes().empty() ||
      !sharding.getStaticShardedDimsOffsets().empty() ||
      !sharding.getDynamicShardedDimsOffsets().empty())
    return refuse("has halos or uneven shards");
  Split split;
  for (auto [dimension, axes] : llvm::enumerate(sharding.getSplitAxes())) {
    if (axes.empty())
      continue;
    if (split.dimension)
      return refuse("is split along dimensions " + Twine(*split.dimension) +
                    " and " + Twine(dimension));
    if (axes.size() != 1)
      return refuse("is split along dimension " + Twine(dimension) + " over " +
                    Twine(axes.size()) + " grid axes");
    split.dimension = dimension;
  }
  if (!split.dimension)
    return split;
  shard::GridOp grid =
      shard::getGrid(annotation, sharding.getGridAttr(), symbols);
  assert(grid && "shard.sharding verifies that its grid exists");
  if (grid.getRank() != 1)
    return refuse("is split over a grid of " + Twine(grid.getRank()) + " axes");
  split.grid = grid.getSymName();
  split.ranks = grid.getShape()[0];
  if (ShapedType::isDynamic(split.ranks))
    return refuse("is split over a grid axis of dynamic size");
  return split;
}

struct RingDescribeShardedEntriesPass
    : ring::impl::RingDescribeShardedEntriesBase<
          RingDescribeShardedEntriesPass> {
  void runOnOperation() override {
    SymbolTableCollection symbols;
    for (auto func : getOperation().getOps<func::FuncOp>())
      if (func.isPublic() && !func.isExternal() &&
          failed(describe(func, symbols)))
        return signalPassFailure();
  }

  /// Attaches ring.sharded_abi to `func` when it splits an operand.
  static LogicalResult describe(func::FuncOp func,
                                SymbolTableCollection &symbols) {
    auto returnOp = cast<func::ReturnOp>(func.getBody().back().getTerminator());
    bool annotated =
        llvm::any_of(func.getArguments(),
                     [](Value v) { return annotationOf(v, false); }) ||
        llvm::any_of(returnOp.getOperands(),
                     [](Value v) { return annotationOf(v, true); });
    if (!annotated)
      return success(); // not a sharded entry
    ShardedEntryABI abi;
    std::optional<Split> first; // the first split operand's split
    std::string firstName;
    auto add =
        [&](Value value, bool result, unsigned index,
            SmallVector<ShardedEntryABI::Operand> &operands) -> LogicalResult {
      std::string name =
          (result ? "result #" : "argument #") + std::to_string(index);
      auto type = dyn_cast<RankedTensorType>(value.getType());
      if (!type)
        return func.emitError() << name << " of @" << func.getSymName()
                                << " is not a ranked tensor";
      FailureOr<Split> split = splitOf(func, value, result, name, symbols);
      if (failed(split))
        return failure();
      if (split->dimension && first && first->grid != split->grid)
        return func.emitError()
               << name << " of @" << func.getSymName() << " is split over @"
               << split->grid << " but " << firstName << " over @"
               << first->grid << ": a sharded entry runs on one grid";
      if (split->dimension && !first) {
        first = *split;
        firstName = name;
      }
      operands.push_back({type, split->dimension});
      return success();
    };
    for (BlockArgument argument : func.getArguments())
      if (failed(add(argument, /*result=*/false, argument.getArgNumber(),
                     abi.arguments)))
        return failure();
    for (OpOperand &result : returnOp->getOpOperands())
      if (failed(add(result.get(), /*result=*/true, result.getOperandNumber(),
                     abi.results)))
        return failure();
    if (!first)
      return success(); // nothing split: not a sharded entry
    abi.ranks = first->ranks;
    MLIRContext *ctx = func.getContext();
    func->setAttr(ShardedEntryABI::kAttrName, abi.toAttr(ctx));
    func->setAttr(LLVM::LLVMDialect::getEmitCWrapperAttrName(),
                  UnitAttr::get(ctx));
    return success();
  }
};
} // namespace
