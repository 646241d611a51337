//===- RingAttributes.td - Attributes of the ring dialect --*- tablegen -*-===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception

#ifndef RINGATTN_DIALECT_RING_IR_RINGATTRIBUTES_TD
#define RINGATTN_DIALECT_RING_IR_RINGATTRIBUTES_TD

include "RingAttn/Dialect/Ring/IR/RingDialect.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"

def Ring_SequenceLayout : I32EnumAttr<"SequenceLayout",
    "how the global sequence is split across the ranks of a ring", [
      I32EnumAttrCase<"Contiguous", 0, "contiguous">,
      I32EnumAttrCase<"Zigzag", 1, "zigzag">,
      I32EnumAttrCase<"Striped", 2, "striped">
    ]> {
  let genSpecializedAttr = 0;
  let cppNamespace = "::mlir::ring";
}

def Ring_SequenceLayoutAttr
    : EnumAttr<Ring_Dialect, Ring_SequenceLayout, "layout"> {
  let summary = "Sequence layout over the ring";
  let description = [{
    Which global token a rank's local token `t` is (N ranks, rank r, local
    length L):

    - `contiguous`: rank r holds tokens `[r*L, (r+1)*L)`.
    - `zigzag`: the sequence is cut into 2N chunks of L/2; rank r holds chunks
      r and 2N-1-r, which balances causal work. Needs an even L.
    - `striped`: rank r holds tokens `r, r+N, r+2N, ...`, which also balances
      causal work.
  }];
}

#endif // RINGATTN_DIALECT_RING_IR_RINGATTRIBUTES_TD
