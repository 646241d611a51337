//===- ExportABI.cpp - Describe attention entry points --------------------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// Marks functions of the form `(q, k, v) -> ring.attention(q, k, v)` for the
// C interface and records what a caller needs to know about them in a
// `ring.abi` attribute that survives lowering to the LLVM dialect.
//
//===----------------------------------------------------------------------===//

#include "EntryPoints.h"
#include "RingAttn/Dialect/Ring/IR/EntryABI.h"
#include "RingAttn/Dialect/Ring/IR/RingOps.h"

#include "RingAttn/Transforms/Passes.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Shard/IR/ShardOps.h"

namespace mlir {
namespace ring {
#define GEN_PASS_DEF_RINGEXPORTABI
#include "RingAttn/Transforms/Passes.h.inc"
} // namespace ring
} // namespace mlir

using namespace mlir;
using namespace mlir::ring;

namespace {
struct RingExportABIPass : ring::impl::RingExportABIBase<RingExportABIPass> {
  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    for (auto func : getOperation().getOps<func::FuncOp>()) {
      AttentionOp attention = getForwardEntry(func);
      bool training = false;
      if (!attention) {
        attention = getTrainingStepEntry(func);
        training = true;
      }
      if (!attention)
        continue;
      EntryABI abi;
      abi.training = training;
      abi.query = attention.getQuery().getType();
      abi.key = attention.getKey().getType();
      abi.value = attention.getValue().getType();
      if (Value sinks = attention.getSinks())
        abi.sinks = cast<RankedTensorType>(sinks.getType());
      if (Value documents = attention.getDocuments())
        abi.documents = cast<RankedTensorType>(documents.getType());
      if (Value placement = attention.getPlacement())
        abi.placement = cast<RankedTensorType>(placement.getType());
      abi.causal = attention.getCausal();
      abi.windowLeft = attention.getWindowLeft();
      abi.windowRight = attention.getWindowRight();
      abi.length = attention.getLength();
      if (FloatAttr softcap = attention.getSoftcapAttr())
        abi.softcap = softcap.getValue().convertToFloat();
      abi.scale = attention.getScaleOrDefault();
      if (attention.isRing()) {
        // The ring size, not the grid symbol: grids are erased once lowered.
        auto grid = SymbolTable::lookupNearestSymbolFrom<shard::GridOp>(
            attention, attention.getGridAttr());
        int64_t ranks = grid.getShape()[*attention.getAxis()];
        if (ShapedType::isDynamic(ranks))
          continue; // no C ABI; ring-schedule says why it cannot lower it
        abi.ranks = ranks;
        abi.layout = attention.getLayout();
      }
      func->setAttr(EntryABI::kAttrName, abi.toAttr(ctx));
      func->setAttr(LLVM::LLVMDialect::getEmitCWrapperAttrName(),
                    UnitAttr::get(ctx));
    }
  }
};
} // namespace
