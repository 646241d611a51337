//===- EntryABI.h - What a caller needs to know about an entry --*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// An attention entry point carries `ring.abi`, a dictionary of builtin
// attributes (so it survives lowering to the LLVM dialect and upstream tools
// read it). This is the one place that names its keys: ring-export-abi
// writes it with toAttr, the dialect verifies it with fromAttr, and callers
// (ring-run) read it with fromAttr.
//
//===----------------------------------------------------------------------===//

#ifndef RINGATTN_DIALECT_RING_IR_ENTRYABI_H
#define RINGATTN_DIALECT_RING_IR_ENTRYABI_H

#include "RingAttn/Dialect/Ring/IR/RingAttributes.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"

#include <optional>
#include <string>

namespace mlir::ring {

struct EntryABI {
  /// The name of the discardable attribute on the entry function.
  static constexpr StringLiteral kAttrName = "ring.abi";

  /// This rank's operands, [batch, heads, seq, head_dim] each.
  RankedTensorType query, key, value;
  /// The sinks operand, tensor<H_q x f32>, when the attention has sinks:
  /// an input after value, and in a training step a gradient after dv.
  RankedTensorType sinks;
  /// The documents operand, tensor<M x i32> (their start positions), when
  /// the attention packs documents: an input after any sinks.
  RankedTensorType documents;
  /// The placement operand, tensor<P x i32> (the global blocks each rank
  /// holds), when the ring is laid out by one: an input after any
  /// documents.
  RankedTensorType placement;
  bool causal = false;
  /// A sliding window, in tokens (absent: unbounded on that side).
  std::optional<int64_t> windowLeft, windowRight;
  /// A logit cap: scores become softcap * tanh(score / softcap).
  std::optional<float> softcap;
  /// The true global sequence length when the shards hold more positions
  /// (padding at the end); absent when they hold exactly the sequence.
  std::optional<int64_t> length;
  float scale = 1.0f;
  /// For a ring entry: the ranks of its ring axis and how the sequence is
  /// laid out over them. Absent for single-device attention.
  std::optional<int64_t> ranks;
  std::optional<SequenceLayout> layout;
  /// A training step: (q, k, v, dout) -> (out, dq, dk, dv), the forward
  /// and its gradients, instead of (q, k, v) -> out (with sinks,
  /// (q, k, v, sinks, dout) -> (out, dq, dk, dv, dsinks) and
  /// (q, k, v, sinks) -> out).
  bool training = false;

  DictionaryAttr toAttr(MLIRContext *ctx) const;
  /// Decodes `abi`; failure with `error` saying which key is missing or
  /// malformed.
  static FailureOr<EntryABI> fromAttr(DictionaryAttr abi, std::string &error);
};

} // namespace mlir::ring

#endif // RINGATTN_DIALECT_RING_IR_ENTRYABI_H
