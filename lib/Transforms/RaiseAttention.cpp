//===- RaiseAttention.cpp - Scaled dot-product attention to ring ----------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// A compiler that embeds RingAttn hands it a model in upstream dialects, not
// ring.attention. This recognizes scaled dot-product attention written in
// linalg on tensors and replaces it with one ring.attention, which the ring
// pipelines then schedule, tile and lower:
//
//   S = Q K^T                       a batched contraction over head_dim
//   S = S * c   (or S / c)          optional: the softmax scale
//   S = j > i ? -inf : S            optional: the causal mask
//   P = softmax(S) along the keys   linalg.softmax or its expansion
//   O = P V                         a batched contraction over the keys
//
// The contractions may run over batch and heads collapsed into one
// dimension (linalg.batch_matmul), with K transposed on the way; K and V
// may be repeated from fewer heads (grouped-query attention), and the
// raised op takes them unrepeated. AttentionMatchers.h says which
// spellings of each piece are recognized. Every intermediate must have no
// other use. Anything else, near misses included, is left as it is
// (test/Transforms/raise-attention.mlir). docs/Passes.md says what is not
// recognized yet.
//
//===----------------------------------------------------------------------===//

#include "AttentionMatchers.h"

#include "RingAttn/Dialect/Ring/IR/RingOps.h"
#include "RingAttn/Transforms/Passes.h"

#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir {
namespace ring {
#define GEN_PASS_DEF_RINGRAISEATTENTION
#include "RingAttn/Transforms/Passes.h.inc"
} // namespace ring
} // namespace mlir

using namespace mlir;
using namespace mlir::ring;

namespace {

/// Replaces O = P V, where P is the softmax of (scaled, masked) Q K^T, with
/// ring.attention of Q, K and V. Anchored on the op that defines O: the
/// contraction, or the expand_shape after a contraction of b*h batches.
struct RaiseScaledDotProductAttention : RewritePattern {
  RaiseScaledDotProductAttention(MLIRContext *context)
      : RewritePattern(MatchAnyOpTypeTag(), /*benefit=*/1, context) {}

  LogicalResult matchAndRewrite(Operation *root,
                                PatternRewriter &rewriter) const override {
    if (!isa<linalg::LinalgOp, tensor::ExpandShapeOp>(root) ||
        root->getNumResults() != 1)
      return failure();
    std::optional<BatchedProduct> pv =
        matchBatchedProduct(root->getResult(0), /*rhsRowsAreColumns=*/false);
    if (!pv)
      return rewriter.notifyMatchFailure(root, "not a batched P V product");
    Value probabilities = pv->lhs;
    std::optional<SoftmaxOverKeys> softmax =
        matchSoftmaxOverKeys(probabilities);
    if (!softmax || !probabilities.hasOneUse())
      return rewriter.notifyMatchFailure(root, "P is not a softmax over keys");
    ScoreSteps steps = stepsBeforeSoftmax(*softmax);
    std::optional<BatchedProduct> qk =
        matchBatchedProduct(steps.scores, /*rhsRowsAreColumns=*/true);
    if (!qk || !usedOnlyBy(steps.scores, steps.readers))
      return rewriter.notifyMatchFailure(root, "S is not a batched Q K^T");
    Value query = qk->lhs, key = qk->rhs, value = pv->rhs;
    // Grouped heads: K and V unrepeated when both were repeated alike;
    // otherwise as they are, the repeat computed (still exact).
    Value keyHeads = headsBeforeRepeat(key);
    Value valueHeads = headsBeforeRepeat(value);
    if (keyHeads.getType() == valueHeads.getType()) {
      key = keyHeads;
      value = valueHeads;
    }
    // ring.attention's own contract: O has Q's type, and K and V share one.
    Type resultType = root->getResult(0).getType();
    if (query.getType() != resultType || key.getType() != value.getType() ||
        !isa<Float32Type, Float16Type, BFloat16Type>(
            getElementTypeOrSelf(resultType)) ||
        !cast<ShapedType>(resultType).hasStaticShape())
      return rewriter.notifyMatchFailure(root, "types ring.attention refuses");
    auto attention = AttentionOp::create(
        rewriter, root->getLoc(), resultType, /*lse=*/Type(), query, key, value,
        /*sinks=*/Value(), /*documents=*/Value(), /*placement=*/Value(),
        steps.causal, IntegerAttr(), IntegerAttr(), FloatAttr(), IntegerAttr(),
        rewriter.getF32FloatAttr(steps.scale), FlatSymbolRefAttr(),
        IntegerAttr());
    rewriter.replaceOp(root, attention.getResult());
    return success();
  }
};

struct RingRaiseAttentionPass
    : ring::impl::RingRaiseAttentionBase<RingRaiseAttentionPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<RaiseScaledDotProductAttention>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
