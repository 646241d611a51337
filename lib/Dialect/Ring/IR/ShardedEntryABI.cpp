//===- ShardedEntryABI.cpp - How a sharded entry's operands split ---------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception

#include "RingAttn/Dialect/Ring/IR/ShardedEntryABI.h"
#include "RingAttn/Dialect/Ring/IR/RingOps.h"

#include "mlir/IR/Builders.h"

using namespace mlir;
using namespace mlir::ring;

// The keys of the ring.sharded_abi dictionary, named nowhere else. A split
// of -1 is an operand every rank holds whole.
static constexpr StringLiteral kRanksKey = "ranks", kArgumentsKey = "arguments",
                               kArgumentSplitsKey = "argument_splits",
                               kResultsKey = "results",
                               kResultSplitsKey = "result_splits";
static constexpr int64_t kWhole = -1;

RankedTensorType ShardedEntryABI::Operand::local(int64_t ranks) const {
  if (!split)
    return global;
  SmallVector<int64_t> shape(global.getShape());
  shape[*split] /= ranks;
  return global.clone(shape);
}

DictionaryAttr ShardedEntryABI::toAttr(MLIRContext *ctx) const {
  Builder b(ctx);
  auto encode = [&](ArrayRef<Operand> operands, StringRef typesKey,
                    StringRef splitsKey) {
    SmallVector<Attribute> types;
    SmallVector<int64_t> splits;
    for (const Operand &operand : operands) {
      types.push_back(TypeAttr::get(operand.global));
      splits.push_back(operand.split.value_or(kWhole));
    }
    return std::array{
        b.getNamedAttr(typesKey, b.getArrayAttr(types)),
        b.getNamedAttr(splitsKey, b.getDenseI64ArrayAttr(splits))};
  };
  SmallVector<NamedAttribute> entries = {
      b.getNamedAttr(kRanksKey, b.getI64IntegerAttr(ranks))};
  llvm::append_range(entries,
                     encode(arguments, kArgumentsKey, kArgumentSplitsKey));
  llvm::append_range(entries, encode(results, kResultsKey, kResultSplitsKey));
  return b.getDictionaryAttr(entries);
}

/// The element types ring-run holds on the host.
static bool isHostElementType(Type type) {
  return type.isF32() || type.isF16() || type.isBF16() || type.isInteger(32);
}

FailureOr<ShardedEntryABI> ShardedEntryABI::fromAttr(DictionaryAttr abi,
                                                     std::string &error) {
  ShardedEntryABI entry;
  // `where` is a quoted key, with an index for one operand: 'arguments'[2].
  auto fail = [&](const std::string &where, const Twine &what) {
    error = (where + " " + what).str();
    return failure();
  };
  auto quoted = [](StringRef key) { return "'" + key.str() + "'"; };
  for (NamedAttribute attr : abi)
    if (!llvm::is_contained({kRanksKey, kArgumentsKey, kArgumentSplitsKey,
                             kResultsKey, kResultSplitsKey},
                            attr.getName().getValue()))
      return fail(quoted(attr.getName().getValue()),
                  "is not a ring.sharded_abi key");
  auto ranks = abi.getAs<IntegerAttr>(kRanksKey);
  if (!ranks || ranks.getInt() < 1 || ranks.getInt() > kMaxRingSize)
    return fail(quoted(kRanksKey), "must be an integer from 1 to 2^20");
  entry.ranks = ranks.getInt();
  auto decode = [&](StringRef typesKey, StringRef splitsKey,
                    SmallVector<Operand> &operands) -> LogicalResult {
    auto types = abi.getAs<ArrayAttr>(typesKey);
    auto splits = abi.getAs<DenseI64ArrayAttr>(splitsKey);
    if (!types)
      return fail(quoted(typesKey), "must be an array of tensor types");
    if (!splits || splits.size() != static_cast<int64_t>(types.size()))
      return fail(quoted(splitsKey),
                  "must be an array<i64> with one entry per " +
                      typesKey.drop_back() + " (-1: whole)");
    for (auto [i, attr] : llvm::enumerate(types)) {
      std::string index = "[" + std::to_string(i) + "]";
      auto type = dyn_cast<TypeAttr>(attr);
      auto tensor =
          type ? dyn_cast<RankedTensorType>(type.getValue()) : nullptr;
      if (!tensor || !tensor.hasStaticShape() ||
          !isHostElementType(tensor.getElementType()))
        return fail(quoted(typesKey) + index,
                    "must be a static tensor of f32, f16, bf16 or i32");
      int64_t split = splits[i];
      if (split == kWhole) {
        operands.push_back({tensor, std::nullopt});
        continue;
      }
      if (split < 0 || split >= tensor.getRank())
        return fail(quoted(splitsKey) + index,
                    "names dimension " + Twine(split) + " of a rank-" +
                        Twine(tensor.getRank()) + " tensor");
      if (tensor.getDimSize(split) % entry.ranks)
        return fail(quoted(splitsKey) + index,
                    "splits dimension " + Twine(split) + " of size " +
                        Twine(tensor.getDimSize(split)) + " unevenly over " +
                        Twine(entry.ranks) + " ranks");
      operands.push_back({tensor, split});
    }
    return success();
  };
  if (failed(decode(kArgumentsKey, kArgumentSplitsKey, entry.arguments)) ||
      failed(decode(kResultsKey, kResultSplitsKey, entry.results)))
    return failure();
  return entry;
}
