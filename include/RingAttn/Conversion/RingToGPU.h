//===- RingToGPU.h - Pattern sets of the GPU lowering -----------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// The rewrites behind ring-lower-block-attention-gpu, as a pattern set
// another compiler can add to its own drivers. They lower the buffer form of
// ring.block_attention, so they run after bufferization and buffer
// deallocation.
//
//===----------------------------------------------------------------------===//

#ifndef RINGATTN_CONVERSION_RINGTOGPU_H
#define RINGATTN_CONVERSION_RINGTOGPU_H

#include "mlir/IR/PatternMatch.h"

namespace mlir {
namespace ring {

/// ring.block_attention on buffers to gpu.launch_func of a flash-attention
/// kernel in the module's gpu.module @ring_kernels (mma.sync on tensor cores
/// for f16/bf16 when `tensorCores`). A block the kernels cannot run is left
/// alone; the pass reports it.
void populateRingBlockAttentionToGPUPatterns(RewritePatternSet &patterns,
                                             bool tensorCores);

} // namespace ring
} // namespace mlir

#endif // RINGATTN_CONVERSION_RINGTOGPU_H
