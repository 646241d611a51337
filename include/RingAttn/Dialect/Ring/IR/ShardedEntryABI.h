//===- ShardedEntryABI.h - How a sharded entry's operands split -*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// A model entry (a whole layer, not one ring.attention) whose arguments and
// results are either split along one dimension over the ranks of a grid
// axis or whole on every rank. ring-describe-sharded-entries records it
// from the shard.shard annotations before shard-partition erases them; the
// attribute survives lowering, and ring-run reads it to split, replicate
// and gather the operands.
//
//===----------------------------------------------------------------------===//

#ifndef RINGATTN_DIALECT_RING_IR_SHARDEDENTRYABI_H
#define RINGATTN_DIALECT_RING_IR_SHARDEDENTRYABI_H

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"

#include <optional>
#include <string>

namespace mlir::ring {

struct ShardedEntryABI {
  /// The name of the discardable attribute on the entry function.
  static constexpr StringLiteral kAttrName = "ring.sharded_abi";

  /// One argument or result: its type over all ranks, and the dimension
  /// split evenly over them (none: every rank holds all of it).
  struct Operand {
    RankedTensorType global;
    std::optional<int64_t> split;

    /// One rank's part.
    RankedTensorType local(int64_t ranks) const;
  };

  int64_t ranks = 1;
  SmallVector<Operand> arguments, results;

  DictionaryAttr toAttr(MLIRContext *ctx) const;
  /// Decodes `abi`; failure with `error` saying which key or operand is
  /// missing or malformed.
  static FailureOr<ShardedEntryABI> fromAttr(DictionaryAttr abi,
                                             std::string &error);
};

} // namespace mlir::ring

#endif // RINGATTN_DIALECT_RING_IR_SHARDEDENTRYABI_H
