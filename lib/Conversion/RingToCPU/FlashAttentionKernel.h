//===- FlashAttentionKernel.h - Block attention as a CPU kernel -*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// Internal to the ring-to-CPU conversion. Builds the function that computes
// one ring.block_attention on buffers: query tiles against key tiles with an
// online softmax in register-tiled vector loops (FlashAttention's forward),
// shared by every block of the same signature.
//
//===----------------------------------------------------------------------===//

#ifndef RINGATTN_LIB_CONVERSION_RINGTOCPU_FLASHATTENTIONKERNEL_H
#define RINGATTN_LIB_CONVERSION_RINGTOCPU_FLASHATTENTIONKERNEL_H

#include "RingAttn/Dialect/Ring/IR/RingOps.h"
#include "RingAttn/Transforms/CpuTarget.h"

#include "mlir/IR/ImplicitLocOpBuilder.h"

namespace mlir {
namespace ring {

/// Emits at `b`'s insertion point a call that computes `op` (on buffers)
/// with query tiles of `queryTile` rows, key tiles of `keyTile` keys and
/// `shape`'s register tile. The kernel function is created at the end of
/// the module on first use and shared by every block of the same
/// signature. The tiles must fit the block and the shape (the pass checks
/// and clamps them); `op` is left for the caller to erase.
void emitFlashAttentionCall(ImplicitLocOpBuilder &b, BlockAttentionOp op,
                            const CpuKernelShape &shape, int64_t queryTile,
                            int64_t keyTile);

} // namespace ring
} // namespace mlir

#endif // RINGATTN_LIB_CONVERSION_RINGTOCPU_FLASHATTENTIONKERNEL_H
