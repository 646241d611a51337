//===- AttentionMatchers.h - Attention's pieces in linalg -------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// Recognizers for the pieces of scaled dot-product attention written in
// linalg on tensors, on [batch, heads, seq, head_dim] operands and
// [batch, heads, query, key] scores. ring-raise-attention assembles them;
// each says exactly which spellings it accepts, and everything else is
// "not this piece".
//
//===----------------------------------------------------------------------===//

#ifndef RINGATTN_TRANSFORMS_ATTENTIONMATCHERS_H
#define RINGATTN_TRANSFORMS_ATTENTIONMATCHERS_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"

#include <optional>

namespace mlir {
namespace ring {

/// `out[b,h,m,n] = sum_r lhs[b,h,m,r] * rhs(b,h,...)`, into zeros, on
/// tensors: `root` defines `out`; `lhs` is 4-D, and `rhs` is the 4-D tensor
/// read at [b,h,n,r] (as K in Q K^T) or at [b,h,r,n] (as V in P V).
struct BatchedProduct {
  Operation *root;
  Value lhs, rhs;
};

/// The batched product that defines `out`, with the rhs read at [b,h,n,r]
/// when `rhsRowsAreColumns`. Spellings: any contraction the linalg
/// interface recognizes on the 4-D tensors, or on 3-D ones whose batch is
/// b*h (linalg.batch_matmul; its operands collapse_shape [[0, 1], [2], [3]]
/// of 4-D tensors, its result expanded back); the rhs read either way, a
/// linalg.transpose of its last two dimensions (before or after the
/// collapse) turning one into the other.
std::optional<BatchedProduct> matchBatchedProduct(Value out,
                                                  bool rhsRowsAreColumns);

/// `out[b,h,m,n] = sum_r lhs[b,h,r,m] * rhs[b,h,r,n]` on 4-D tensors, into
/// zeros: a product of the lhs transposed, as attention's backward forms
/// P^T dO and dS^T Q. One spelling: a contraction whose indexing map reads
/// the lhs transposed.
std::optional<BatchedProduct> matchTransposedLhsProduct(Value out);

/// A softmax along the keys of scores [b, h, i, j]: the scores it
/// normalizes and the ops that read them (their only allowed users).
struct SoftmaxOverKeys {
  Value scores;
  SmallVector<Operation *> readers;
};

/// The softmax that produces `probabilities`: `linalg.softmax
/// dimension(3)`, or its expansion `E = exp(S - max_j S); P = E / sum_j E`
/// as upstream's decomposition writes it or as torch-mlir lowers torch's
/// (reductions that keep their dimension, the subtraction and the
/// exponential as two ops), each intermediate used only inside it.
std::optional<SoftmaxOverKeys> matchSoftmaxOverKeys(Value probabilities);

/// What lies between the scores Q K^T and the softmax.
struct ScoreSteps {
  Value scores;
  double scale = 1.0;
  bool causal = false;
  /// The ops that read `scores`; the scores may have no other user.
  SmallVector<Operation *> readers;
};

/// Walks back from the softmax's input over at most one scaling (`S * c`,
/// `c * S` or `S / c`, c constant) and one causal mask (`select(j > i,
/// -inf, S)`), in either order, each with no other use.
ScoreSteps stepsBeforeSoftmax(const SoftmaxOverKeys &softmax);

/// The backward of a softmax along the keys, `dS = P * (dP - sum_j dP * P)`,
/// in the form torch decomposes it (`_softmax_backward_data`):
/// `G = dP * P; R = sum_j G; dS = G - P * R`, with `P * R` its own op (P
/// its first input, R its second) or inside the subtraction, the
/// products' operands in either order in the bodies, each intermediate
/// used only inside it.
struct SoftmaxGradient {
  Value probabilities, dprobabilities;
  /// The ops that read the probabilities.
  SmallVector<Operation *> readers;
};

std::optional<SoftmaxGradient> matchSoftmaxGradient(Value dscores);

/// What lies between the softmax's gradient and the gradient of the scores
/// Q K^T: the backward of the forward's steps, at most one scaling and at
/// most one causal mask (`j > i ? 0 : dS`), in either order.
struct ScoreGradientSteps {
  /// The softmax's gradient, where the walk stopped.
  Value softmaxGradient;
  double scale = 1.0;
  bool causal = false;
};

/// Walks back from the gradient of the scores over steps whose input has
/// no other use.
ScoreGradientSteps stepsAfterSoftmaxGradient(Value dscores);

/// Whether every user of `value` is one of `readers`.
bool usedOnlyBy(Value value, ArrayRef<Operation *> readers);

/// K or V before it was repeated from fewer heads to the query's heads
/// (grouped-query attention, as `repeat_interleave` lays the heads out):
/// `x` of `collapse_shape(broadcast(x)) [[0], [1, 2], [3], [4]]` where the
/// broadcast (linalg.broadcast or a generic equal to one) adds dimension 2,
/// so query head h reads head h / groups of `x`, as ring.attention's do.
/// `value` itself otherwise.
Value headsBeforeRepeat(Value value);

} // namespace ring
} // namespace mlir

#endif // RINGATTN_TRANSFORMS_ATTENTIONMATCHERS_H
