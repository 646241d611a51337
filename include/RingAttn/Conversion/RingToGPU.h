//===- RingToGPU.h - Pattern sets of the GPU lowering -----------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// The rewrites behind ring-lower-block-attention-gpu, ring-offload-to-gpu
// and ring-approximate-gpu-math, as pattern sets another compiler can add to
// its own drivers. The first lowers the buffer form of ring.block_attention, so
// it runs after bufferization and buffer deallocation.
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
                                             bool tensorCores,
                                             bool warpgroupMma = false);

/// The host side of a GPU module onto the device (ring-offload-to-gpu):
/// each outermost host `scf.parallel` becomes a kernel of one thread per
/// iteration in @ring_kernels, `memref.alloc/dealloc` become
/// `gpu.alloc/dealloc`, `memref.copy` a `gpu.memcpy` (contiguous) or a copy
/// kernel. Loops with reductions are left alone; the pass reports them.
void populateRingOffloadToGPUPatterns(RewritePatternSet &patterns);

/// f32 exp, exp2 and log in kernels on the special function units
/// (ring-approximate-gpu-math).
void populateRingApproximateGPUMathPatterns(RewritePatternSet &patterns);

} // namespace ring
} // namespace mlir

#endif // RINGATTN_CONVERSION_RINGTOGPU_H
