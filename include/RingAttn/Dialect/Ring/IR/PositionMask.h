//===- PositionMask.h - The static mask on global positions -----*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// What `causal`, a sliding window (`window_left`, `window_right`), a
// padded tail (`length`) and packed documents on an attention op say about
// which keys a query sees: a band of key positions around the query's,
// before the padding, within the query's document (docs/Semantics.md,
// "Masks beyond causal"). The band is static; the documents are known at
// run time, so the compile-time plan ignores them. The ops return it, and the
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
  /// Packed documents, known at run time: each query row sees only the keys
  /// of its document, [begin, end) given per row.
  bool documents = false;

  /// Whether any position bounds the keys (the ops then need positions).
  bool any() const {
    return causal || windowLeft || windowRight || length || documents;
  }
  /// How far ahead of its query a visible key may lie: 0 when causal (the
  /// verifiers reject a right window with it), else `windowRight`.
  std::optional<int64_t> maxAhead() const {
    return causal ? std::optional<int64_t>(0) : windowRight;
  }
  /// How far behind its query a visible key may lie.
  std::optional<int64_t> maxBehind() const { return windowLeft; }

  bool operator==(const PositionMask &other) const {
    return causal == other.causal && windowLeft == other.windowLeft &&
           windowRight == other.windowRight && length == other.length &&
           documents == other.documents;
  }
};

} // namespace mlir::ring

#endif // RINGATTN_DIALECT_RING_IR_POSITIONMASK_H
