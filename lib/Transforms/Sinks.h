//===- Sinks.h - Attention sinks in the schedules ---------------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// Internal to the schedules (forward and gradient, ring or one device). A
// sink is a logit with no value in every row's softmax (docs/Semantics.md,
// "Attention sinks"), so it needs no kernel of its own: in the forward it is
// one more partial result, (out 0, lse sink), merged once after the blocks;
// in the backward the blocks already see it through the lse, and only its
// own gradient is left to compute.
//
//===----------------------------------------------------------------------===//

#ifndef RINGATTN_LIB_TRANSFORMS_SINKS_H
#define RINGATTN_LIB_TRANSFORMS_SINKS_H

#include "mlir/IR/ImplicitLocOpBuilder.h"

namespace mlir {
namespace ring {

/// The running (out, lse) tensors of some query rows (f32, [B, H, L, D] and
/// [B, H, L]) merged with the sinks (tensor<H x f32>): each row's lse gains
/// exp(sink of its head), and its output is scaled down to match.
std::pair<Value, Value> mergeSinks(ImplicitLocOpBuilder &b, Value sinks,
                                   Value out, Value lse);

/// The gradient of the sinks over this rank's rows, as a tensor<H x f32>:
/// dsink_h = -sum over the rows i of head h of exp(sink_h - lse_i) * D_i,
/// with D_i = rowsum(dO * O) (`delta`). `sinks`, `lse` and `delta` are
/// buffers.
Value sinkGradient(ImplicitLocOpBuilder &b, Value sinks, Value lse,
                   Value delta);

} // namespace ring
} // namespace mlir

#endif // RINGATTN_LIB_TRANSFORMS_SINKS_H
