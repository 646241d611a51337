//===- RingToCPU.h - Pattern sets of the CPU lowering -----------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// The rewrite behind ring-lower-block-attention, as a pattern set another
// compiler can add to its own drivers: the CPU sibling of RingToGPU.h. It
// lowers the buffer form of ring.block_attention, so it runs after
// bufferization.
//
//===----------------------------------------------------------------------===//

#ifndef RINGATTN_CONVERSION_RINGTOCPU_H
#define RINGATTN_CONVERSION_RINGTOCPU_H

#include "mlir/IR/PatternMatch.h"

namespace mlir {
namespace ring {

/// Query rows and keys of one tile of the CPU attention kernel; 0 takes the
/// default for the module's CPU (ring-lower-block-attention's options).
struct BlockAttentionTiles {
  int64_t queryTile = 0;
  int64_t keyTile = 0;
};

/// ring.block_attention on buffers to a call of a flash-attention kernel
/// function for the module's CPU (ring-lower-block-attention). The tiles must
/// have been checked (the pass reports bad ones).
void populateRingLowerBlockAttentionPatterns(RewritePatternSet &patterns,
                                             BlockAttentionTiles tiles);

} // namespace ring
} // namespace mlir

#endif // RINGATTN_CONVERSION_RINGTOCPU_H
