//===- Transforms.h - Pattern sets of the ring lowerings --------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// The rewrites behind the passes of Passes.td, as pattern sets another
// compiler can add to its own drivers. The schedule works on tensors; the
// lowering of merges takes the buffer form of this destination-passing op,
// so it runs after bufferization. The block lowerings are conversions
// (RingAttn/Conversion/RingToCPU.h, RingToGPU.h).
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

/// ring.attention_grad to blocks of ring.block_attention_grad: over a ring
/// of static size (`ring` true, ring-schedule), the ring loop whose dK/dV
/// partial sums travel with the key/value blocks; without a ring (`ring`
/// false, ring-lower-attention), one block.
void populateRingGradientSchedulePatterns(RewritePatternSet &patterns,
                                          bool ring);

/// ring.combine on buffers to a parallel loop over rows (ring-lower-combine).
void populateRingLowerCombinePatterns(RewritePatternSet &patterns);

/// The static memref arguments of entry points (functions with `ring.abi`)
/// to dynamic ones checked against the compiled shapes on entry, and calls
/// of them to casts (ring-check-entry-operands). The checks call
/// ringattn_bad_operand, which the module must declare. Drive them without
/// folding: on an identity layout, folding proves every stride check true.
void populateRingCheckEntryOperandsPatterns(RewritePatternSet &patterns);

} // namespace ring
} // namespace mlir

#endif // RINGATTN_TRANSFORMS_TRANSFORMS_H
