//===- PositionMask.h - The static mask on global positions -----*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// What `causal`, a sliding window (`window_left`, `window_right`) and a
// padded tail (`length`) on an attention op say about which keys a query
// sees: a band of key positions around the query's, before the padding
// (docs/Semantics.md, "Masks beyond causal"). The ops return it, and the
// schedules and kernels plan and mask by it, so the rule that causal bounds
// the band on the right is written once.
//
//===----------------------------------------------------------------------===//

#ifndef RINGATTN_DIALECT_RING_IR_POSITIONMASK_H
#define RINGATTN_DIALECT_RING_IR_POSITIONMASK_H

#include <cstdint>
#include <optional>

namespace mlir::ring {

/// A query at position i sees a key at position j iff
/// `j - i <= maxAhead()` (when bounded), `i - j <= maxBehind()` (when
/// bounded), and both come before `length` (when given).
struct PositionMask {
  bool causal = false;
  std::optional<int64_t> windowLeft, windowRight;
  /// The true sequence length; the positions from it on are padding.
  std::optional<int64_t> length;

  /// Whether any position bounds the keys (the ops then need positions).
  bool any() const { return causal || windowLeft || windowRight || length; }
  /// How far ahead of its query a visible key may lie: 0 when causal (the
  /// verifiers reject a right window with it), else `windowRight`.
  std::optional<int64_t> maxAhead() const {
    return causal ? std::optional<int64_t>(0) : windowRight;
  }
  /// How far behind its query a visible key may lie.
  std::optional<int64_t> maxBehind() const { return windowLeft; }

  bool operator==(const PositionMask &other) const {
    return causal == other.causal && windowLeft == other.windowLeft &&
           windowRight == other.windowRight && length == other.length;
  }
};

} // namespace mlir::ring

#endif // RINGATTN_DIALECT_RING_IR_POSITIONMASK_H
