//===- RingDialect.cpp - The ring dialect ---------------------------------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception

#include "RingAttn/Dialect/Ring/IR/RingDialect.h"
#include "RingAttn/Dialect/Ring/IR/EntryABI.h"
#include "RingAttn/Dialect/Ring/IR/RingOps.h"
#include "RingAttn/Dialect/Ring/IR/ShardedEntryABI.h"

#include "mlir/Conversion/ConvertToLLVM/ToLLVMInterface.h"
#include "mlir/Interfaces/FunctionInterfaces.h"

#include <cmath>

using namespace mlir;
using namespace mlir::ring;

#include "RingAttn/Dialect/Ring/IR/RingOpsDialect.cpp.inc"

void RingDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "RingAttn/Dialect/Ring/IR/RingOps.cpp.inc"
      >();
  registerTypes();
  registerAttributes();
  // Attached by registerConvertRingToLLVMInterface (RingAttn/Conversion).
  declarePromisedInterface<ConvertToLLVMPatternInterface, RingDialect>();
}

//===----------------------------------------------------------------------===//
// ring.abi
//===----------------------------------------------------------------------===//

// The keys of the ring.abi dictionary, named nowhere else.
static constexpr StringLiteral kQueryKey = "query", kKeyKey = "key",
                               kValueKey = "value", kCausalKey = "causal",
                               kScaleKey = "scale", kRanksKey = "ranks",
                               kLayoutKey = "layout", kTrainingKey = "training",
                               kWindowLeftKey = "window_left",
                               kWindowRightKey = "window_right",
                               kSoftcapKey = "softcap", kLengthKey = "length",
                               kSinksKey = "sinks", kDocumentsKey = "documents",
                               kPlacementKey = "placement";

DictionaryAttr EntryABI::toAttr(MLIRContext *ctx) const {
  Builder b(ctx);
  SmallVector<NamedAttribute> entries = {
      b.getNamedAttr(kQueryKey, TypeAttr::get(query)),
      b.getNamedAttr(kKeyKey, TypeAttr::get(key)),
      b.getNamedAttr(kValueKey, TypeAttr::get(value)),
      b.getNamedAttr(kCausalKey, b.getBoolAttr(causal)),
      b.getNamedAttr(kScaleKey, b.getF32FloatAttr(scale))};
  if (sinks)
    entries.push_back(b.getNamedAttr(kSinksKey, TypeAttr::get(sinks)));
  if (documents)
    entries.push_back(b.getNamedAttr(kDocumentsKey, TypeAttr::get(documents)));
  if (placement)
    entries.push_back(b.getNamedAttr(kPlacementKey, TypeAttr::get(placement)));
  if (length)
    entries.push_back(b.getNamedAttr(kLengthKey, b.getI64IntegerAttr(*length)));
  if (windowLeft)
    entries.push_back(
        b.getNamedAttr(kWindowLeftKey, b.getI64IntegerAttr(*windowLeft)));
  if (windowRight)
    entries.push_back(
        b.getNamedAttr(kWindowRightKey, b.getI64IntegerAttr(*windowRight)));
  if (softcap)
    entries.push_back(b.getNamedAttr(kSoftcapKey, b.getF32FloatAttr(*softcap)));
  if (ranks)
    entries.push_back(b.getNamedAttr(kRanksKey, b.getI64IntegerAttr(*ranks)));
  if (layout)
    entries.push_back(b.getNamedAttr(
        kLayoutKey, b.getStringAttr(stringifySequenceLayout(*layout))));
  if (training)
    entries.push_back(b.getNamedAttr(kTrainingKey, b.getBoolAttr(true)));
  return b.getDictionaryAttr(entries);
}

FailureOr<EntryABI> EntryABI::fromAttr(DictionaryAttr abi, std::string &error) {
  EntryABI entry;
  auto fail = [&](StringRef key, StringRef what) {
    error = ("'" + key + "' " + what).str();
    return failure();
  };
  auto operand = [&](StringRef key, RankedTensorType &type) {
    auto attr = abi.getAs<TypeAttr>(key);
    type = attr ? dyn_cast<RankedTensorType>(attr.getValue()) : nullptr;
    if (!type || type.getRank() != 4)
      return fail(key, "must be a 4-D ranked tensor type");
    return success();
  };
  if (failed(operand(kQueryKey, entry.query)) ||
      failed(operand(kKeyKey, entry.key)) ||
      failed(operand(kValueKey, entry.value)))
    return failure();
  if (abi.contains(kSinksKey)) {
    auto attr = abi.getAs<TypeAttr>(kSinksKey);
    entry.sinks = attr ? dyn_cast<RankedTensorType>(attr.getValue()) : nullptr;
    if (!entry.sinks || entry.sinks.getRank() != 1 ||
        !entry.sinks.getElementType().isF32() ||
        entry.sinks.getDimSize(0) != entry.query.getDimSize(1))
      return fail(kSinksKey, "must be a tensor of one f32 per query head");
  }
  // An optional run-time list of positions: a static 1-D tensor of i32.
  auto indices = [&](StringRef key, RankedTensorType &type, StringRef what) {
    if (!abi.contains(key))
      return success();
    auto attr = abi.getAs<TypeAttr>(key);
    type = attr ? dyn_cast<RankedTensorType>(attr.getValue()) : nullptr;
    if (!type || type.getRank() != 1 || !type.getElementType().isInteger(32) ||
        !type.hasStaticShape())
      return fail(key, ("must be a 1-D tensor of i32 (" + what + ")").str());
    return success();
  };
  if (failed(indices(kDocumentsKey, entry.documents,
                     "the documents' start positions")) ||
      failed(indices(kPlacementKey, entry.placement,
                     "the blocks each rank holds")))
    return failure();
  auto causal = abi.getAs<BoolAttr>(kCausalKey);
  if (!causal)
    return fail(kCausalKey, "must be a bool");
  entry.causal = causal.getValue();
  for (auto [key, bound, least] :
       {std::tuple{kWindowLeftKey, &entry.windowLeft, 0},
        std::tuple{kWindowRightKey, &entry.windowRight, 0},
        std::tuple{kLengthKey, &entry.length, 1}}) {
    if (!abi.contains(key))
      continue;
    auto tokens = abi.getAs<IntegerAttr>(key);
    if (!tokens || tokens.getInt() < least)
      return fail(key, least ? "must be a positive integer"
                             : "must be a non-negative integer");
    *bound = tokens.getInt();
  }
  if (abi.contains(kSoftcapKey)) {
    auto softcap = abi.getAs<FloatAttr>(kSoftcapKey);
    if (!softcap || !softcap.getType().isF32() ||
        !(softcap.getValueAsDouble() > 0) ||
        !std::isfinite(softcap.getValueAsDouble()))
      return fail(kSoftcapKey, "must be a positive, finite f32");
    entry.softcap = softcap.getValue().convertToFloat();
  }
  auto scale = abi.getAs<FloatAttr>(kScaleKey);
  if (!scale || !scale.getType().isF32())
    return fail(kScaleKey, "must be an f32");
  entry.scale = scale.getValueAsDouble();
  auto ranks = abi.getAs<IntegerAttr>(kRanksKey);
  auto layout = abi.getAs<StringAttr>(kLayoutKey);
  if (abi.contains(kRanksKey) != abi.contains(kLayoutKey))
    return fail(abi.contains(kRanksKey) ? kLayoutKey : kRanksKey,
                "must be given with a ring's other key");
  if (entry.placement && !abi.contains(kRanksKey))
    return fail(kPlacementKey, "lays out a ring: it needs 'ranks' and "
                               "'layout'");
  if (abi.contains(kRanksKey)) {
    if (!ranks || ranks.getInt() < 1 || ranks.getInt() > kMaxRingSize)
      return fail(kRanksKey, "must be an integer from 1 to 2^20");
    entry.ranks = ranks.getInt();
    std::optional<SequenceLayout> parsed =
        layout ? symbolizeSequenceLayout(layout.getValue()) : std::nullopt;
    if (!parsed)
      return fail(kLayoutKey,
                  "must be \"contiguous\", \"zigzag\" or \"striped\"");
    entry.layout = *parsed;
  }
  if (abi.contains(kTrainingKey)) {
    auto training = abi.getAs<BoolAttr>(kTrainingKey);
    if (!training)
      return fail(kTrainingKey, "must be a bool");
    entry.training = training.getValue();
  }
  for (NamedAttribute attr : abi)
    if (!llvm::is_contained(
            {kQueryKey, kKeyKey, kValueKey, kCausalKey, kWindowLeftKey,
             kWindowRightKey, kSoftcapKey, kLengthKey, kScaleKey, kRanksKey,
             kLayoutKey, kTrainingKey, kSinksKey, kDocumentsKey, kPlacementKey},
            attr.getName().getValue()))
      return fail(attr.getName().getValue(), "is not a ring.abi key");
  return entry;
}

/// Verifies a discardable attribute that `Abi` decodes: a dictionary on a
/// function that decodes without error.
template <typename Abi>
static LogicalResult verifyAbiAttribute(Operation *op, NamedAttribute attr) {
  if (!isa<FunctionOpInterface>(op))
    return op->emitError("'") << Abi::kAttrName << "' belongs on a function";
  auto abi = dyn_cast<DictionaryAttr>(attr.getValue());
  if (!abi)
    return op->emitError("'") << Abi::kAttrName << "' must be a dictionary";
  std::string error;
  if (failed(Abi::fromAttr(abi, error)))
    return op->emitError("malformed '") << Abi::kAttrName << "': " << error;
  return success();
}

LogicalResult RingDialect::verifyOperationAttribute(Operation *op,
                                                    NamedAttribute attr) {
  if (attr.getName() == EntryABI::kAttrName)
    return verifyAbiAttribute<EntryABI>(op, attr);
  if (attr.getName() == ShardedEntryABI::kAttrName)
    return verifyAbiAttribute<ShardedEntryABI>(op, attr);
  return success();
}
