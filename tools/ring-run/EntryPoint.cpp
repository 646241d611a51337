//===- EntryPoint.cpp - What ring-run calls and how -----------------------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception

#include "EntryPoint.h"

#include "llvm/ADT/StringSet.h"

#include "RingAttn/Dialect/Ring/IR/EntryABI.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/SymbolTable.h"

using namespace mlir;

namespace ringattn {

static constexpr llvm::StringLiteral kCInterfacePrefix = "_mlir_ciface_";

std::optional<ElementType> hostElementType(Type type) {
  if (type.isF32())
    return ElementType::F32;
  if (type.isF16())
    return ElementType::F16;
  if (type.isBF16())
    return ElementType::BF16;
  if (type.isInteger(32))
    return ElementType::I32;
  return std::nullopt;
}

static bool decodeAbi(StringRef name, DictionaryAttr attr, EntryPoint &entry,
                      std::string &error) {
  std::string why;
  FailureOr<ring::EntryABI> abi = ring::EntryABI::fromAttr(attr, why);
  if (failed(abi)) {
    error = "@" + name.str() + ": malformed ring.abi attribute: " + why;
    return false;
  }
  if (abi->ranks) {
    entry.ranks = *abi->ranks;
    entry.layout = *parseLayout(ring::stringifySequenceLayout(*abi->layout));
  }
  RankedTensorType q = abi->query, k = abi->key;
  std::optional<ElementType> element = hostElementType(q.getElementType());
  if (!element || *element == ElementType::I32) {
    error = "@" + name.str() + ": unsupported element type";
    return false;
  }
  entry.elementType = *element;
  entry.name = name.str();
  entry.queryShape.assign(q.getShape().begin(), q.getShape().end());
  entry.kvShape.assign(k.getShape().begin(), k.getShape().end());
  // The global sequence: every position of the shards, or the true length
  // when the tail of the last positions is padding.
  entry.shape = {q.getDimSize(0),
                 q.getDimSize(1),
                 k.getDimSize(1),
                 abi->length.value_or(q.getDimSize(2) * entry.ranks),
                 abi->length.value_or(k.getDimSize(2) * entry.ranks),
                 q.getDimSize(3)};
  entry.training = abi->training;
  entry.hasSinks = static_cast<bool>(abi->sinks);
  if (abi->documents)
    entry.documentSlots = abi->documents.getDimSize(0);
  if (abi->placement)
    entry.placementSlots = abi->placement.getDimSize(0);
  entry.mask = AttentionMask::of(abi->causal);
  entry.mask.windowLeft = abi->windowLeft.value_or(-1);
  entry.mask.windowRight = abi->windowRight.value_or(-1);
  entry.mask.softCap = abi->softcap.value_or(0);
  entry.scale = abi->scale;
  return true;
}

std::vector<int64_t> EntryPoint::globalQueryShape() const {
  return {shape.batch, shape.queryHeads, shape.queryLen, shape.headDim};
}

std::vector<int64_t> EntryPoint::globalKVShape() const {
  return {shape.batch, shape.kvHeads, shape.keyLen, shape.headDim};
}

/// Whether `abi` describes a training step; a malformed one counts as both
/// kinds, so that choosing it reports what is wrong.
static bool describesKind(DictionaryAttr abi, bool training) {
  std::string why;
  FailureOr<ring::EntryABI> decoded = ring::EntryABI::fromAttr(abi, why);
  return failed(decoded) || decoded->training == training;
}

bool findEntryPoint(ModuleOp module, const std::string &name, bool training,
                    EntryPoint &entry, std::string &error) {
  SmallVector<std::pair<StringRef, DictionaryAttr>> entries;
  llvm::StringSet<> wrongKind; // entries of the other kind
  for (Operation &op : module.getBody()->getOperations()) {
    auto symbol =
        op.getAttrOfType<StringAttr>(SymbolTable::getSymbolAttrName());
    auto abi = op.getAttrOfType<DictionaryAttr>(ring::EntryABI::kAttrName);
    if (!symbol || !abi || symbol.getValue().starts_with(kCInterfacePrefix))
      continue;
    if (!describesKind(abi, training)) {
      wrongKind.insert(symbol.getValue());
      continue;
    }
    entries.emplace_back(symbol.getValue(), abi);
  }
  if (!name.empty()) {
    // A training step may be named by its forward entry.
    for (auto &[symbol, abi] : entries)
      if (symbol == name || (training && symbol == name + "_grad"))
        return decodeAbi(symbol, abi, entry, error);
    if (wrongKind.contains(name)) {
      error = "@" + name +
              (training ? " is not a training step (ring-add-training-steps "
                          "adds one, @" +
                              name + "_grad)"
                        : " is a training step; run it with --grad");
      return false;
    }
    error = "no attention entry point named @" + name +
            " (an entry is a public function whose body is one "
            "ring.attention of its three arguments)";
    return false;
  }
  if (entries.empty()) {
    error = training ? "the module has no training step (--grad adds one "
                       "for each forward entry of a module not yet lowered)"
                     : "the module has no attention entry point (a public "
                       "function whose body is one ring.attention of its "
                       "three arguments)";
    return false;
  }
  if (entries.size() > 1) {
    error = "the module has " + std::to_string(entries.size()) +
            " attention entry points; choose one with --entry";
    return false;
  }
  return decodeAbi(entries[0].first, entries[0].second, entry, error);
}

} // namespace ringattn
