//===- Transforms.h - Pattern sets of the ring lowerings --------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// The rewrites behind the passes of Passes.td, as pattern sets another
// compiler can add to its own drivers. The schedule works on tensors; the
// lowerings of blocks and merges take the buffer form of these
// destination-passing ops, so they run after bufferization.
//
//===----------------------------------------------------------------------===//

#ifndef RINGATTN_TRANSFORMS_TRANSFORMS_H
#define RINGATTN_TRANSFORMS_TRANSFORMS_H

#include "mlir/IR/PatternMatch.h"

namespace mlir {
namespace ring {

/// ring.attention over a ring of static size to the ring loop of blocks,
/// merges and shifts (ring-schedule); over a ring of one rank, to
/// single-device attention.
void populateRingSchedulePatterns(RewritePatternSet &patterns);

/// ring.combine on buffers to a parallel loop over rows (ring-lower-combine).
void populateRingLowerCombinePatterns(RewritePatternSet &patterns);

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

#endif // RINGATTN_TRANSFORMS_TRANSFORMS_H
