//===- AttentionMask.h - Which keys a query sees ----------------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// The masks of docs/Semantics.md ("Masks beyond causal") on global
// positions: what the float64 reference computes under, and what the ring's
// planning (MaskPlan.h) classifies blocks by.
//
//===----------------------------------------------------------------------===//

#ifndef RINGATTN_SUPPORT_ATTENTIONMASK_H
#define RINGATTN_SUPPORT_ATTENTIONMASK_H

#include <cstdint>
#include <vector>

namespace ringattn {

/// Which keys each query sees and how its softmax is formed
/// (docs/Semantics.md, "Masks beyond causal"). Query row i and key row j
/// sit at global positions i and j; i sees j when every restriction set here
/// allows it.
struct AttentionMask {
  /// j <= i.
  bool causal = false;
  /// A sliding window: j >= i - windowLeft and j <= i + windowRight; a
  /// negative bound is no bound.
  int64_t windowLeft = -1, windowRight = -1;
  /// Packed documents: the ascending positions at which a document starts
  /// (listing 0, where the first starts, is optional); i sees j only in its
  /// document.
  std::vector<int64_t> documentStarts;
  /// Attention sinks: one logit per query head whose exp is added to the
  /// softmax denominator of every row of that head (it has no value, so it
  /// only takes weight away from the keys); empty for none.
  std::vector<double> sinks;
  /// A logit soft-cap: each score s becomes softCap * tanh(s / softCap)
  /// before the softmax; 0 for none.
  double softCap = 0;
  /// The true sequence length when the tensors hold more positions (a
  /// sequence the ranks do not divide, padded): positions at or past it
  /// are padding, which sees nothing and is seen by nothing; -1 for none.
  int64_t length = -1;

  /// Just `causal`.
  static AttentionMask of(bool causal) {
    AttentionMask mask;
    mask.causal = causal;
    return mask;
  }
  /// Whether query position i sees key position j.
  bool sees(int64_t i, int64_t j) const;
  /// The document holding position `position` (0 for the first).
  int64_t documentOf(int64_t position) const;
  /// How many keys j < keys query position i sees, in logarithmic time.
  int64_t visibleKeys(int64_t i, int64_t keys) const;
  /// How many (i, j) with i < queries, j < keys i sees: the work the mask
  /// leaves, in time linear in the queries.
  double visiblePairs(int64_t queries, int64_t keys) const;
};

} // namespace ringattn

#endif // RINGATTN_SUPPORT_ATTENTIONMASK_H
