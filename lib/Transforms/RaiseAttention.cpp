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
// K and V may be repeated from fewer heads (grouped-query attention); the
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

/// Replaces P V, where P is the softmax of (scaled, masked) Q K^T, with
/// ring.attention of Q, K and V.
struct RaiseScaledDotProductAttention
    : OpInterfaceRewritePattern<linalg::LinalgOp> {
  using OpInterfaceRewritePattern::OpInterfaceRewritePattern;

  LogicalResult matchAndRewrite(linalg::LinalgOp pv,
                                PatternRewriter &rewriter) const override {
    if (!isBatchedContraction(pv, /*rhsTransposed=*/false))
      return rewriter.notifyMatchFailure(pv, "not a batched P V contraction");
    Value probabilities = pv.getDpsInputs()[0];
    std::optional<SoftmaxOverKeys> softmax =
        matchSoftmaxOverKeys(probabilities);
    if (!softmax || !probabilities.hasOneUse())
      return rewriter.notifyMatchFailure(pv, "P is not a softmax over keys");
    ScoreSteps steps = stepsBeforeSoftmax(*softmax);
    auto qk = steps.scores.getDefiningOp<linalg::LinalgOp>();
    if (!isBatchedContraction(qk, /*rhsTransposed=*/true) ||
        !usedOnlyBy(steps.scores, steps.readers))
      return rewriter.notifyMatchFailure(pv, "S is not a batched Q K^T");
    Value query = qk.getDpsInputs()[0];
    Value key = qk.getDpsInputs()[1], value = pv.getDpsInputs()[1];
    // Grouped heads: K and V unrepeated when both were repeated alike;
    // otherwise as they are, the repeat computed (still exact).
    Value keyHeads = headsBeforeRepeat(key);
    Value valueHeads = headsBeforeRepeat(value);
    if (keyHeads.getType() == valueHeads.getType()) {
      key = keyHeads;
      value = valueHeads;
    }
    // ring.attention's own contract: O has Q's type, and K and V share one.
    Type resultType = pv->getResult(0).getType();
    if (query.getType() != resultType || key.getType() != value.getType() ||
        !isa<Float32Type, Float16Type, BFloat16Type>(
            getElementTypeOrSelf(resultType)) ||
        !cast<ShapedType>(resultType).hasStaticShape())
      return rewriter.notifyMatchFailure(pv, "types ring.attention refuses");
    auto attention = AttentionOp::create(
        rewriter, pv.getLoc(), resultType, /*lse=*/Type(), query, key, value,
        /*sinks=*/Value(), /*documents=*/Value(), /*placement=*/Value(),
        steps.causal, IntegerAttr(), IntegerAttr(), FloatAttr(), IntegerAttr(),
        rewriter.getF32FloatAttr(steps.scale), FlatSymbolRefAttr(),
        IntegerAttr());
    rewriter.replaceOp(pv, attention.getResult());
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
