//===- RingToRuntime.cpp - Ring communication as runtime calls ------------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// Lowers the buffer form of the ring communication ops, and the rank query
// of the shard dialect, to calls into the runtime's C ABI
// (include/RingAttn/Runtime/RingRuntime.h).
//
//===----------------------------------------------------------------------===//

#include "RingAttn/Conversion/Passes.h"
#include "RingAttn/Conversion/RuntimeFunctions.h"
#include "RingAttn/Dialect/Ring/IR/RingOps.h"

#include "mlir/Dialect/Shard/IR/ShardOps.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"

namespace mlir {
namespace ring {
#define GEN_PASS_DEF_CONVERTRINGTORUNTIME
#include "RingAttn/Conversion/Passes.h.inc"
} // namespace ring
} // namespace mlir

using namespace mlir;
using namespace mlir::ring;

namespace {

using ringattn::abi::Function;

/// The address of the first element of `buffer`, of `elementBytes`-byte
/// elements.
Value elementPointer(ImplicitLocOpBuilder &b, Value buffer,
                     int64_t elementBytes) {
  Value base = memref::ExtractAlignedPointerAsIndexOp::create(b, buffer);
  auto metadata = memref::ExtractStridedMetadataOp::create(b, buffer);
  Value bytes = arith::MulIOp::create(
      b, metadata.getOffset(), arith::ConstantIndexOp::create(b, elementBytes));
  Value address = arith::IndexCastOp::create(
      b, b.getI64Type(), arith::AddIOp::create(b, base, bytes));
  return LLVM::IntToPtrOp::create(b, LLVM::LLVMPointerType::get(b.getContext()),
                                  address);
}

/// The grid `symbol` refers to, if the runtime can run it (one axis).
FailureOr<shard::GridOp> ringGrid(Operation *op, FlatSymbolRefAttr symbol) {
  auto grid = SymbolTable::lookupNearestSymbolFrom<shard::GridOp>(op, symbol);
  if (!grid)
    return op->emitError("'") << symbol << "' does not name a shard.grid";
  if (grid.getRank() != 1)
    return op->emitError("the runtime runs one ring axis, but ")
           << symbol << " has " << grid.getRank() << " axes";
  return grid;
}

struct ConvertRingToRuntimePass
    : ring::impl::ConvertRingToRuntimeBase<ConvertRingToRuntimePass> {
  void runOnOperation() override;
};

void ConvertRingToRuntimePass::runOnOperation() {
  ModuleOp module = getOperation();
  SmallVector<ShiftStartOp> shifts;
  SmallVector<shard::ProcessMultiIndexOp> rankQueries;
  module.walk([&](Operation *op) {
    if (auto shift = dyn_cast<ShiftStartOp>(op))
      shifts.push_back(shift);
    else if (auto query = dyn_cast<shard::ProcessMultiIndexOp>(op))
      rankQueries.push_back(query);
  });

  for (ShiftStartOp start : shifts) {
    if (!start.getDest()) {
      start.emitError("a shift of a tensor reaches convert-ring-to-runtime; "
                      "bufferize it first (ring-schedule emits the buffer "
                      "form)");
      return signalPassFailure();
    }
    // The verifier has checked that the shift's grid is 1-D, the one ring
    // the runtime knows (shard.process_multi_index below has no such
    // check), and that the buffer is one range of whole-byte elements whose
    // size fits int64.
    ImplicitLocOpBuilder b(start.getLoc(), start);
    int64_t elementBytes = *start.getElementBytes();
    func::FuncOp startFn =
        declareRuntimeFunction(module, Function::ringattn_shift_start);
    func::FuncOp waitFn =
        declareRuntimeFunction(module, Function::ringattn_shift_wait);
    Value handle =
        func::CallOp::create(
            b, startFn,
            ValueRange{
                elementPointer(b, start.getSource(), elementBytes),
                elementPointer(b, start.getDest(), elementBytes),
                arith::ConstantIntOp::create(b, start.getPayloadBytes(), 64),
                arith::ConstantIntOp::create(b, start.getOffset(), 64)})
            .getResult(0);
    auto wait = cast<ShiftWaitOp>(*start.getFuture().user_begin());
    b.setInsertionPoint(wait);
    b.setLoc(wait.getLoc());
    func::CallOp::create(b, waitFn, ValueRange{handle});
    // The received block is in the destination buffer.
    wait.getResult().replaceAllUsesWith(start.getDest());
    wait.erase();
    start.erase();
  }

  for (shard::ProcessMultiIndexOp query : rankQueries) {
    if (failed(ringGrid(query, query.getGridAttr())))
      return signalPassFailure();
    ImplicitLocOpBuilder b(query.getLoc(), query);
    func::FuncOp rankFn =
        declareRuntimeFunction(module, Function::ringattn_rank);
    Value rank = func::CallOp::create(b, rankFn, ValueRange{}).getResult(0);
    query.getResult()[0].replaceAllUsesWith(
        arith::IndexCastOp::create(b, b.getIndexType(), rank));
    query.erase();
  }

  // Grids are compile-time descriptions; drop those nothing refers to any
  // more so the module translates to LLVM IR.
  for (auto grid : llvm::make_early_inc_range(module.getOps<shard::GridOp>()))
    if (SymbolTable::symbolKnownUseEmpty(grid, module))
      grid.erase();
}

} // namespace
