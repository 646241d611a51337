//===- EntryPoints.h - Which functions are attention entry points -*- C++
//-*-===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// Internal to the transforms. The two shapes of entry point a runtime can
// call (docs/Runtime.md): the forward, (q, k, v) -> out, and the training
// step, (q, k, v, dout) -> (out, dq, dk, dv). ring-export-abi describes
// both; ring-add-training-steps builds the second from the first.
//
//===----------------------------------------------------------------------===//

#ifndef RINGATTN_LIB_TRANSFORMS_ENTRYPOINTS_H
#define RINGATTN_LIB_TRANSFORMS_ENTRYPOINTS_H

#include "RingAttn/Dialect/Ring/IR/RingOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

namespace mlir {
namespace ring {

/// The ring.attention of `func` if `func` is a public forward entry: its
/// body is one ring.attention of its arguments (q, k, v, then any sinks,
/// documents and placement), returned as is.
AttentionOp getForwardEntry(func::FuncOp func);

/// The ring.attention of `func` if `func` is a public training step: one
/// ring.attention of its leading arguments (q, k, v, any sinks, documents
/// and placement) that returns its lse, and one ring.attention_grad of the same
/// attributes on those, the output, the lse and the last argument (dout),
/// returning (out, dq, dk, dv) and, with sinks, dsinks.
AttentionOp getTrainingStepEntry(func::FuncOp func);

} // namespace ring
} // namespace mlir

#endif // RINGATTN_LIB_TRANSFORMS_ENTRYPOINTS_H
