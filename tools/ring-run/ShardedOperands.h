//===- ShardedOperands.h - A sharded model entry's operands -----*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// The operands of an entry that ring.sharded_abi describes (a whole layer,
// not one ring.attention): each argument either split evenly along one
// dimension over the ranks or whole on every rank, and each result gathered
// back the same way. ring-run reads them from --arguments (or draws them
// from the seed), cuts them into the ranks' parts, and joins the results'.
//
//===----------------------------------------------------------------------===//

#ifndef RINGATTN_TOOLS_RINGRUN_SHARDEDOPERANDS_H
#define RINGATTN_TOOLS_RINGRUN_SHARDEDOPERANDS_H

#include "RingAttn/Dialect/Ring/IR/ShardedEntryABI.h"
#include "RingAttn/Support/HostTensor.h"

#include "mlir/IR/BuiltinOps.h"

#include "llvm/Support/Error.h"

#include <functional>
#include <random>
#include <string>
#include <vector>

namespace ringattn {

/// A public function of the module with a ring.sharded_abi attribute.
struct ShardedEntry {
  std::string name;
  mlir::ring::ShardedEntryABI abi;
};

/// Finds the sharded entry named `name`, or the only one when `name` is
/// empty. Returns false with `error` set when there is none (`found` false)
/// or the choice is ambiguous or malformed (`found` true).
bool findShardedEntry(mlir::ModuleOp module, const std::string &name,
                      ShardedEntry &entry, bool &found, std::string &error);

class ShardedOperands {
public:
  explicit ShardedOperands(ShardedEntry entry);

  const ShardedEntry &entry() const { return shardedEntry; }
  /// The C interface's operands: the arguments, then the results.
  size_t operandCount() const;

  /// On the root: the whole arguments, read from `files` (one .npy per
  /// argument) or, when there are none, drawn from `rng` as the attention
  /// entries' are. Fails naming the argument that does not fit.
  llvm::Error prepare(const std::vector<std::string> &files,
                      std::mt19937_64 &rng);
  /// Every rank's part of every operand: the root cuts the arguments' and
  /// holds every rank's; another process holds the ranks `runsRank` says
  /// it runs (the others are empty).
  llvm::Error partition(bool root, const std::function<bool(int)> &runsRank);
  /// Each argument's and each result's parts, one per rank, for the
  /// backend to scatter and gather.
  std::vector<std::vector<HostTensor> *> argumentParts();
  std::vector<std::vector<HostTensor> *> resultParts();
  /// Rank `r`'s operands in the C interface's order.
  std::vector<HostTensor *> rankOperands(int r);
  /// On the root, once the results' parts are gathered: the whole results.
  llvm::Error joinResults();
  const std::vector<HostTensor> &results() const { return wholeResults; }

private:
  ShardedEntry shardedEntry;
  std::vector<HostTensor> wholeArguments, wholeResults;
  std::vector<std::vector<HostTensor>> argumentPartsByOperand,
      resultPartsByOperand;
};

/// Reads "a.npy,b.npy" into `paths` (none for an empty list).
std::vector<std::string> splitFileList(const std::string &list);

} // namespace ringattn

#endif // RINGATTN_TOOLS_RINGRUN_SHARDEDOPERANDS_H
