//===- RingDialect.td - The ring dialect -------------------*- tablegen -*-===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// The `ring` dialect: blockwise attention and the asynchronous ring
// communication that Ring Attention (Liu, Zaharia, Abbeel 2023) is built from.
//
//===----------------------------------------------------------------------===//

#ifndef RINGATTN_DIALECT_RING_IR_RINGDIALECT_TD
#define RINGATTN_DIALECT_RING_IR_RINGDIALECT_TD

include "mlir/IR/DialectBase.td"
include "mlir/IR/OpBase.td"

def Ring_Dialect : Dialect {
  let name = "ring";
  let cppNamespace = "::mlir::ring";
  let summary = "Blockwise attention and ring communication";
  let description = [{
    The `ring` dialect represents exact attention over a sequence that is
    sharded across devices arranged in a ring, as in *Ring Attention with
    Blockwise Transformers for Near-Infinite Context* (Liu, Zaharia, Abbeel
    2023).

    - `ring.attention` is attention on `[batch, heads, seq, head_dim]` tensors,
      either on one device or, with `ring @grid axis k`, on this device's
      shard of a sequence laid out over a `shard.grid` axis.
    - `ring.block_attention` is the partial attention of a query block against
      one key/value block: a normalized f32 output and its log-sum-exp.
    - `ring.combine` merges two partial results; it is associative and
      commutative, so blocks may arrive in any order.
    - `ring.shift_start` / `ring.shift_wait` rotate a value around a grid axis
      asynchronously, tied together by a `!ring.future`.

    See `docs/Semantics.md` for the math every lowering agrees on.
  }];
  let dependentDialects = ["::mlir::shard::ShardDialect"];
  let useDefaultTypePrinterParser = 1;
  let useDefaultAttributePrinterParser = 1;
  // `ring.abi` on entry functions (EntryABI.h).
  let hasOperationAttrVerify = 1;
  let extraClassDeclaration = [{
    void registerAttributes();
    void registerTypes();
  }];
}

class Ring_Op<string mnemonic, list<Trait> traits = []>
    : Op<Ring_Dialect, mnemonic, traits>;

#endif // RINGATTN_DIALECT_RING_IR_RINGDIALECT_TD
