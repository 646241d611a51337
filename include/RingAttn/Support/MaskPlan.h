//===- MaskPlan.h - The work and traffic a mask leaves ----------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// A mask makes some block pairs of the ring empty (nothing to compute),
// some full (no mask arithmetic) and the rest partial; and a key/value block
// that no later rank sees need not travel on. This classifies a pair of
// position runs exactly, and plans a whole ring: what each rank's queries
// leave of the block it holds at each step, and the last step any rank
// needs (docs/Semantics.md, "Masks beyond causal"). Sinks and the soft-cap
// change no visibility.
//
//===----------------------------------------------------------------------===//

#ifndef RINGATTN_SUPPORT_MASKPLAN_H
#define RINGATTN_SUPPORT_MASKPLAN_H

#include "RingAttn/Support/AttentionMask.h"
#include "RingAttn/Support/SequenceLayout.h"

#include <cstdint>
#include <vector>

namespace ringattn {

enum class BlockVisibility { Empty, Partial, Full };

const char *visibilityName(BlockVisibility visibility);

/// The global positions `offset + stride * i` for `0 <= i < length`, as a
/// layout chunk places a run of local tokens (stride >= 1).
struct PositionRun {
  int64_t offset, stride, length;
};

/// What `mask` leaves of queries `queries` against keys `keys`: Empty when
/// no query sees any key, Full when every query sees every key, else
/// Partial. Exact, in time linear in the queries.
BlockVisibility classifyBlock(const AttentionMask &mask, PositionRun queries,
                              PositionRun keys);

struct RingPlan {
  /// visibility[r][s]: what rank r's queries leave of the key/value block it
  /// holds at step s (rank r - s's), over all their chunk pairs: Empty or
  /// Full when every pair is, else Partial.
  std::vector<std::vector<BlockVisibility>> visibility;
  /// The last step at which any rank sees any key of the block it holds
  /// (0: only its own); blocks need to travel that many hops, not N - 1.
  int64_t lastNeededStep = 0;
};

/// The plan of a ring of `ranks` ranks of `localLength` tokens each in
/// `layout` under `mask`.
RingPlan planRing(const AttentionMask &mask, Layout layout, int64_t ranks,
                  int64_t localLength);

} // namespace ringattn

#endif // RINGATTN_SUPPORT_MASKPLAN_H
