//===- RingTypes.td - Types of the ring dialect ------------*- tablegen -*-===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception

#ifndef RINGATTN_DIALECT_RING_IR_RINGTYPES_TD
#define RINGATTN_DIALECT_RING_IR_RINGTYPES_TD

include "RingAttn/Dialect/Ring/IR/RingDialect.td"
include "mlir/IR/AttrTypeBase.td"

def Ring_FutureType : TypeDef<Ring_Dialect, "Future"> {
  let mnemonic = "future";
  let summary = "A value that is in flight around the ring";
  let description = [{
    The result of `ring.shift_start`: the value this rank will receive once
    the transfer completes. `ring.shift_wait` turns it back into a value. Like
    XLA's collective-permute start/done pair, a future must be waited exactly
    once.

    Example: `!ring.future<tensor<1x2x128x64xf32>>`.
  }];
  let parameters = (ins "::mlir::Type":$valueType);
  let builders = [
    TypeBuilderWithInferredContext<(ins "::mlir::Type":$valueType), [{
      return $_get(valueType.getContext(), valueType);
    }]>
  ];
  let assemblyFormat = "`<` $valueType `>`";
}

#endif // RINGATTN_DIALECT_RING_IR_RINGTYPES_TD
