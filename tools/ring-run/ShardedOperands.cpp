//===- ShardedOperands.cpp - A sharded model entry's operands -------------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception

#include "ShardedOperands.h"
#include "EntryPoint.h"

#include "RingAttn/Dialect/Ring/IR/EntryABI.h"

#include "mlir/IR/SymbolTable.h"

#include "llvm/ADT/StringRef.h"

#include <cstring>
#include <optional>

using namespace mlir;
using mlir::ring::ShardedEntryABI;

namespace ringattn {

bool findShardedEntry(ModuleOp module, const std::string &name,
                      ShardedEntry &entry, bool &found, std::string &error) {
  SmallVector<std::pair<StringRef, DictionaryAttr>> entries;
  for (Operation &op : module.getBody()->getOperations()) {
    auto symbol =
        op.getAttrOfType<StringAttr>(SymbolTable::getSymbolAttrName());
    auto abi = op.getAttrOfType<DictionaryAttr>(ShardedEntryABI::kAttrName);
    // The C interface's wrapper carries its function's attributes; an
    // attention entry (ring.abi) is ring-run's other kind.
    if (!symbol || !abi || symbol.getValue().starts_with("_mlir_ciface_") ||
        op.hasAttr(ring::EntryABI::kAttrName))
      continue;
    if (name.empty() || symbol.getValue() == name)
      entries.emplace_back(symbol.getValue(), abi);
  }
  found = !entries.empty();
  if (entries.size() != 1) {
    error = entries.empty()
                ? "no sharded entry"
                : "the module has " + std::to_string(entries.size()) +
                      " sharded entries; choose one with --entry";
    return false;
  }
  FailureOr<ShardedEntryABI> abi =
      ShardedEntryABI::fromAttr(entries[0].second, error);
  if (failed(abi)) {
    error = "@" + entries[0].first.str() + ": malformed " +
            ShardedEntryABI::kAttrName.str() + " attribute: " + error;
    return false;
  }
  entry = {entries[0].first.str(), *abi};
  return true;
}

std::vector<std::string> splitFileList(const std::string &list) {
  SmallVector<StringRef> parts;
  if (!list.empty())
    StringRef(list).split(parts, ',');
  return {parts.begin(), parts.end()};
}

static std::vector<int64_t> shapeOf(RankedTensorType type) {
  return {type.getShape().begin(), type.getShape().end()};
}

static std::string operandName(bool result, size_t index) {
  return (result ? "result #" : "argument #") + std::to_string(index);
}

/// Copies rank `rank`'s part of `whole` (split along `dimension` into
/// `ranks` equal parts) into `part`, or back with `toPart` false.
static void copyPart(HostTensor &whole, HostTensor &part, int64_t dimension,
                     int rank, int ranks, bool toPart) {
  const std::vector<int64_t> &shape = whole.shape();
  int64_t outer = 1, inner = whole.bytesPerElement();
  for (int64_t d = 0; d < dimension; ++d)
    outer *= shape[d];
  for (size_t d = dimension + 1; d < shape.size(); ++d)
    inner *= shape[d];
  int64_t rows = shape[dimension] / ranks, chunk = rows * inner;
  auto *wholeBytes = static_cast<char *>(whole.data());
  auto *partBytes = static_cast<char *>(part.data());
  for (int64_t o = 0; o < outer; ++o) {
    char *w = wholeBytes + (o * shape[dimension] + rank * rows) * inner;
    char *p = partBytes + o * chunk;
    if (toPart)
      std::memcpy(p, w, chunk);
    else
      std::memcpy(w, p, chunk);
  }
}

/// Where the copies of a result held whole on every rank first differ from
/// rank 0's, as an error naming `name`; std::nullopt when all agree.
static std::optional<std::string>
firstDisagreement(const std::vector<HostTensor> &copies,
                  const std::string &name) {
  auto *first = static_cast<const char *>(copies[0].data());
  size_t bytes = copies[0].sizeInBytes(), element = copies[0].bytesPerElement();
  for (size_t r = 1; r < copies.size(); ++r) {
    auto *copy = static_cast<const char *>(copies[r].data());
    for (size_t at = 0; at < bytes; at += element)
      if (std::memcmp(first + at, copy + at, element) != 0)
        return name + " is held whole on every rank, but rank " +
               std::to_string(r) + "'s copy differs from rank 0's at element " +
               std::to_string(at / element) + " (the ranks disagree)";
  }
  return std::nullopt;
}

ShardedOperands::ShardedOperands(ShardedEntry entry)
    : shardedEntry(std::move(entry)) {}

size_t ShardedOperands::operandCount() const {
  return shardedEntry.abi.arguments.size() + shardedEntry.abi.results.size();
}

llvm::Error ShardedOperands::prepare(const std::vector<std::string> &files,
                                     std::mt19937_64 &rng) {
  const ShardedEntryABI &abi = shardedEntry.abi;
  const std::string at = "@" + shardedEntry.name;
  if (!files.empty() && files.size() != abi.arguments.size())
    return llvm::createStringError(
        "--arguments names " + std::to_string(files.size()) + " files but " +
        at + " takes " + std::to_string(abi.arguments.size()) + " arguments");
  wholeArguments.resize(abi.arguments.size());
  std::string error;
  for (auto [i, operand] : llvm::enumerate(abi.arguments)) {
    HostTensor &whole = wholeArguments[i];
    ElementType type = *hostElementType(operand.global.getElementType());
    if (!whole.allocate(operandName(false, i) + " of " + at, type,
                        shapeOf(operand.global), error))
      return llvm::createStringError(error);
    if (!files.empty()) {
      if (!whole.load(files[i], error))
        return llvm::createStringError(operandName(false, i) + " of " + at +
                                       ": " + error);
      continue;
    }
    if (type == ElementType::I32)
      return llvm::createStringError(
          operandName(false, i) + " of " + at +
          " holds i32 values ring-run cannot draw; give them with --arguments");
    whole.fillRandom(rng);
  }
  return llvm::Error::success();
}

llvm::Error
ShardedOperands::partition(bool root,
                           const std::function<bool(int)> &runsRank) {
  const ShardedEntryABI &abi = shardedEntry.abi;
  int ranks = static_cast<int>(abi.ranks);
  std::string error;
  auto cut =
      [&](ArrayRef<ShardedEntryABI::Operand> operands, bool result,
          std::vector<std::vector<HostTensor>> &partsByOperand) -> llvm::Error {
    partsByOperand.clear();
    partsByOperand.resize(operands.size());
    for (std::vector<HostTensor> &parts : partsByOperand)
      parts.resize(ranks);
    for (auto [i, operand] : llvm::enumerate(operands)) {
      ElementType type = *hostElementType(operand.global.getElementType());
      for (int r = 0; r < ranks; ++r) {
        HostTensor &part = partsByOperand[i][r];
        bool held = root || runsRank(r);
        std::vector<int64_t> shape = shapeOf(operand.local(abi.ranks));
        if (!held)
          shape.assign(shape.size(), 0);
        if (!part.allocate(operandName(result, i) + " of rank " +
                               std::to_string(r),
                           type, shape, error))
          return llvm::createStringError(error);
        if (!root || result)
          continue;
        HostTensor &whole = wholeArguments[i];
        if (operand.split)
          copyPart(whole, part, *operand.split, r, ranks, /*toPart=*/true);
        else
          std::memcpy(part.data(), whole.data(), whole.sizeInBytes());
      }
    }
    return llvm::Error::success();
  };
  if (llvm::Error e = cut(abi.arguments, false, argumentPartsByOperand))
    return e;
  return cut(abi.results, true, resultPartsByOperand);
}

static std::vector<std::vector<HostTensor> *>
pointers(std::vector<std::vector<HostTensor>> &partsByOperand) {
  std::vector<std::vector<HostTensor> *> result;
  for (std::vector<HostTensor> &parts : partsByOperand)
    result.push_back(&parts);
  return result;
}

std::vector<std::vector<HostTensor> *> ShardedOperands::argumentParts() {
  return pointers(argumentPartsByOperand);
}

std::vector<std::vector<HostTensor> *> ShardedOperands::resultParts() {
  return pointers(resultPartsByOperand);
}

std::vector<HostTensor *> ShardedOperands::rankOperands(int r) {
  std::vector<HostTensor *> operands;
  for (std::vector<HostTensor> &parts : argumentPartsByOperand)
    operands.push_back(&parts[r]);
  for (std::vector<HostTensor> &parts : resultPartsByOperand)
    operands.push_back(&parts[r]);
  return operands;
}

llvm::Error ShardedOperands::joinResults() {
  const ShardedEntryABI &abi = shardedEntry.abi;
  int ranks = static_cast<int>(abi.ranks);
  wholeResults.resize(abi.results.size());
  std::string error;
  for (auto [i, operand] : llvm::enumerate(abi.results)) {
    HostTensor &whole = wholeResults[i];
    if (!whole.allocate(operandName(true, i), resultPartsByOperand[i][0].type(),
                        shapeOf(operand.global), error))
      return llvm::createStringError(error);
    if (!operand.split) {
      // Every rank computed all of it: rank 0's is the result, and the
      // others must hold the same bits (a replicated value that differs
      // between ranks would drift apart in the next step).
      std::vector<HostTensor> &copies = resultPartsByOperand[i];
      if (std::optional<std::string> disagreement =
              firstDisagreement(copies, operandName(true, i)))
        return llvm::createStringError(*disagreement);
      std::memcpy(whole.data(), copies[0].data(), whole.sizeInBytes());
      continue;
    }
    for (int r = 0; r < ranks; ++r)
      copyPart(whole, resultPartsByOperand[i][r], *operand.split, r, ranks,
               /*toPart=*/false);
  }
  return llvm::Error::success();
}

} // namespace ringattn
