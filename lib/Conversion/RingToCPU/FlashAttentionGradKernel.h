//===- FlashAttentionGradKernel.h - Block gradients as a CPU kernel -*- C++
//-*-===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// Internal to the ring-to-CPU conversion. Builds the function that computes
// one ring.block_attention_grad on buffers (FlashAttention's backward, in
// the forward kernel's register-tiled vector loops), shared by every block
// of the same signature.
//
//===----------------------------------------------------------------------===//

#ifndef RINGATTN_LIB_CONVERSION_RINGTOCPU_FLASHATTENTIONGRADKERNEL_H
#define RINGATTN_LIB_CONVERSION_RINGTOCPU_FLASHATTENTIONGRADKERNEL_H

#include "RingAttn/Dialect/Ring/IR/RingOps.h"
#include "RingAttn/Transforms/CpuTarget.h"

#include "mlir/IR/ImplicitLocOpBuilder.h"

namespace mlir {
namespace ring {

/// Emits at `b`'s insertion point a call that accumulates the gradients of
/// `op` (on buffers) with query tiles of `queryTile` rows (a multiple of
/// shape.rows), key tiles of `keyTile` keys (a multiple of
/// shape.keyChunk()) and `shape`'s register tile. `op` is left for the
/// caller to erase.
void emitFlashAttentionGradCall(ImplicitLocOpBuilder &b,
                                BlockAttentionGradOp op,
                                const CpuKernelShape &shape, int64_t queryTile,
                                int64_t keyTile);

} // namespace ring
} // namespace mlir

#endif // RINGATTN_LIB_CONVERSION_RINGTOCPU_FLASHATTENTIONGRADKERNEL_H
