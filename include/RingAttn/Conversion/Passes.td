//===- Passes.td - RingAttn conversion passes --------------*- tablegen -*-===//

#ifndef RINGATTN_CONVERSION_PASSES_TD
#define RINGATTN_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

def ConvertRingToRuntime : Pass<"convert-ring-to-runtime", "ModuleOp"> {
  let summary = "Lower ring communication on buffers to runtime calls";
  let description = [{
    `ring.shift_start %src into %dst` becomes a call of
    `ringattn_shift_start(src, dst, bytes, offset)` returning an opaque
    handle, `ring.shift_wait` a call of `ringattn_shift_wait(handle)`, and
    `shard.process_multi_index` on a one-axis grid a call of
    `ringattn_rank()` (docs/Runtime.md has the C ABI). Grids no longer used
    are erased. Shifts on a grid of several axes, or on tensors, are reported
    as errors: this runtime has one ring axis and the ring schedule emits the
    buffer form.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::func::FuncDialect",
    "::mlir::LLVM::LLVMDialect", "::mlir::memref::MemRefDialect"
  ];
}

#endif // RINGATTN_CONVERSION_PASSES_TD
