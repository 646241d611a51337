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

/// O = P V, P the softmax of (scaled, masked) Q K^T: what the forward
/// pattern replaces, and what the joint pattern finds the backward from.
struct ForwardAttention {
  Operation *root; // defines O
  Value probabilities;
  SmallVector<Operation *> readersOfScores;
  Operation *keyReader; // the Q K^T product
  ScoreSteps steps;
  Value query, key, value;
};

/// The forward anchored on `root` (the contraction that defines O, or the
/// expand_shape after a contraction of b*h batches), whatever else reads P.
static FailureOr<ForwardAttention> matchForward(Operation *root,
                                                PatternRewriter &rewriter) {
  if (!isa<linalg::LinalgOp, tensor::ExpandShapeOp>(root) ||
      root->getNumResults() != 1)
    return failure();
  std::optional<BatchedProduct> pv =
      matchBatchedProduct(root->getResult(0), /*rhsRowsAreColumns=*/false);
  if (!pv)
    return rewriter.notifyMatchFailure(root, "not a batched P V product");
  std::optional<SoftmaxOverKeys> softmax = matchSoftmaxOverKeys(pv->lhs);
  if (!softmax)
    return rewriter.notifyMatchFailure(root, "P is not a softmax over keys");
  ScoreSteps steps = stepsBeforeSoftmax(*softmax);
  std::optional<BatchedProduct> qk =
      matchBatchedProduct(steps.scores, /*rhsRowsAreColumns=*/true);
  if (!qk || !usedOnlyBy(steps.scores, steps.readers))
    return rewriter.notifyMatchFailure(root, "S is not a batched Q K^T");
  return ForwardAttention{root,  pv->lhs, steps.readers, qk->root,
                          steps, qk->lhs, qk->rhs,       pv->rhs};
}

/// ring.attention's own contract: O has Q's type, and K and V share one.
static bool attentionAccepts(Value query, Value key, Value value,
                             Type resultType) {
  return query.getType() == resultType && key.getType() == value.getType() &&
         isa<Float32Type, Float16Type, BFloat16Type>(
             getElementTypeOrSelf(resultType)) &&
         cast<ShapedType>(resultType).hasStaticShape();
}

/// ring.attention of `key` and `value` (the forward's, or unrepeated) with
/// the forward's query, causality and scale; its log-sum-exp too when
/// `lseType` is given.
static AttentionOp createAttention(PatternRewriter &rewriter,
                                   const ForwardAttention &forward, Value key,
                                   Value value, Type lseType = Type()) {
  return AttentionOp::create(
      rewriter, forward.root->getLoc(), forward.root->getResult(0).getType(),
      lseType, forward.query, key, value, /*sinks=*/Value(),
      /*documents=*/Value(), /*placement=*/Value(), forward.steps.causal,
      IntegerAttr(), IntegerAttr(), FloatAttr(), IntegerAttr(),
      rewriter.getF32FloatAttr(forward.steps.scale), FlatSymbolRefAttr(),
      IntegerAttr());
}

/// Replaces O = P V, where P is the softmax of (scaled, masked) Q K^T and
/// read by nothing else, with ring.attention of Q, K and V.
struct RaiseScaledDotProductAttention : RewritePattern {
  RaiseScaledDotProductAttention(MLIRContext *context)
      : RewritePattern(MatchAnyOpTypeTag(), /*benefit=*/1, context) {}

  LogicalResult matchAndRewrite(Operation *root,
                                PatternRewriter &rewriter) const override {
    FailureOr<ForwardAttention> forward = matchForward(root, rewriter);
    if (failed(forward))
      return failure();
    if (!forward->probabilities.hasOneUse())
      return rewriter.notifyMatchFailure(root, "P has other readers");
    Value query = forward->query, key = forward->key, value = forward->value;
    // Grouped heads: K and V unrepeated when both were repeated alike;
    // otherwise as they are, the repeat computed (still exact).
    Value keyHeads = headsBeforeRepeat(key);
    Value valueHeads = headsBeforeRepeat(value);
    if (keyHeads.getType() == valueHeads.getType()) {
      key = keyHeads;
      value = valueHeads;
    }
    Type resultType = root->getResult(0).getType();
    if (!attentionAccepts(query, key, value, resultType))
      return rewriter.notifyMatchFailure(root, "types ring.attention refuses");
    auto attention = createAttention(rewriter, *forward, key, value);
    rewriter.replaceOp(root, attention.getResult());
    return success();
  }
};

/// The backward of a forward in the same function (a frontend's joint
/// graph): the ops that define dQ, dK and dV, and dO.
struct BackwardAttention {
  Operation *dquery, *dkey, *dvalue;
  Value dout;
};

/// The first user of `value` for which `match` finds a product.
template <typename Match>
static std::optional<BatchedProduct> productReading(Value value,
                                                    Match &&match) {
  for (Operation *user : value.getUsers())
    if (user->getNumResults() == 1)
      if (std::optional<BatchedProduct> product = match(user->getResult(0)))
        return product;
  return std::nullopt;
}

/// Whether two softmax scales are the same constant, up to the rounding of
/// the two ways of writing it (a product or a quotient).
static bool sameScale(double a, double b) {
  return std::abs(a - b) <= 1e-6 * std::max(std::abs(a), std::abs(b));
}

/// dQ = dS K, dK = dS^T Q and dV = P^T dO, with dS the gradient of the
/// scores, which the backward of the softmax and of the forward's steps
/// make from dP = dO V^T. Found from K's readers.
static std::optional<BackwardAttention>
matchBackward(const ForwardAttention &forward) {
  Value p = forward.probabilities;
  std::optional<BatchedProduct> dq =
      productReading(forward.key, [&](Value out) {
        std::optional<BatchedProduct> product =
            matchBatchedProduct(out, /*rhsRowsAreColumns=*/false);
        return product && product->root != forward.keyReader &&
                       product->rhs == forward.key
                   ? product
                   : std::nullopt;
      });
  if (!dq)
    return std::nullopt;
  Value dscores = dq->lhs;
  ScoreGradientSteps steps = stepsAfterSoftmaxGradient(dscores);
  if (!sameScale(steps.scale, forward.steps.scale) ||
      (steps.causal && !forward.steps.causal))
    return std::nullopt;
  std::optional<SoftmaxGradient> softmax =
      matchSoftmaxGradient(steps.softmaxGradient);
  if (!softmax || softmax->probabilities != p)
    return std::nullopt;
  std::optional<BatchedProduct> dp =
      matchBatchedProduct(softmax->dprobabilities, /*rhsRowsAreColumns=*/true);
  if (!dp || dp->rhs != forward.value ||
      !usedOnlyBy(softmax->dprobabilities, softmax->readers))
    return std::nullopt;
  Value dout = dp->lhs;
  std::optional<BatchedProduct> dk =
      productReading(forward.query, [&](Value out) {
        std::optional<BatchedProduct> product = matchTransposedLhsProduct(out);
        return product && product->lhs == dscores &&
                       product->rhs == forward.query
                   ? product
                   : std::nullopt;
      });
  std::optional<BatchedProduct> dv = productReading(p, [&](Value out) {
    std::optional<BatchedProduct> product = matchTransposedLhsProduct(out);
    return product && product->lhs == p && product->rhs == dout ? product
                                                                : std::nullopt;
  });
  if (!dk || !dv || !usedOnlyBy(dscores, {dq->root, dk->root}))
    return std::nullopt;
  SmallVector<Operation *> readersOfP = {forward.root, dv->root};
  llvm::append_range(readersOfP, softmax->readers);
  if (!usedOnlyBy(p, readersOfP))
    return std::nullopt;
  return BackwardAttention{dq->root, dk->root, dv->root, dout};
}

/// Replaces a forward and its backward in one function, O = P V and dQ,
/// dK, dV, with ring.attention (returning its log-sum-exp) and
/// ring.attention_grad: the S x S probabilities are never formed.
struct RaiseAttentionWithGradient : RewritePattern {
  RaiseAttentionWithGradient(MLIRContext *context)
      : RewritePattern(MatchAnyOpTypeTag(), /*benefit=*/2, context) {}

  LogicalResult matchAndRewrite(Operation *root,
                                PatternRewriter &rewriter) const override {
    FailureOr<ForwardAttention> forward = matchForward(root, rewriter);
    if (failed(forward))
      return failure();
    if (!isa<linalg::LinalgOp>(root))
      return rewriter.notifyMatchFailure(root, "P V over b*h batches");
    std::optional<BackwardAttention> backward = matchBackward(*forward);
    if (!backward)
      return rewriter.notifyMatchFailure(root, "no backward of attention");
    Value query = forward->query, key = forward->key, value = forward->value;
    Type resultType = root->getResult(0).getType();
    if (!attentionAccepts(query, key, value, resultType) ||
        headsBeforeRepeat(key) != key || headsBeforeRepeat(value) != value ||
        backward->dout.getType() != resultType ||
        backward->dquery->getResult(0).getType() != query.getType() ||
        backward->dkey->getResult(0).getType() != key.getType() ||
        backward->dvalue->getResult(0).getType() != value.getType())
      return rewriter.notifyMatchFailure(root,
                                         "types ring.attention_grad refuses");
    // The forward where O was made (the forward's own readers follow it),
    // the gradient before the first of dQ, dK and dV, which all follow dO.
    Block *block = root->getBlock();
    SmallVector<Operation *> gradients = {backward->dquery, backward->dkey,
                                          backward->dvalue};
    if (llvm::any_of(gradients,
                     [&](Operation *op) { return op->getBlock() != block; }))
      return rewriter.notifyMatchFailure(root, "backward in another block");
    Operation *first =
        *llvm::min_element(gradients, [](Operation *a, Operation *b) {
          return a->isBeforeInBlock(b);
        });
    auto queryType = cast<RankedTensorType>(query.getType());
    auto lseType = RankedTensorType::get(queryType.getShape().drop_back(),
                                         rewriter.getF32Type());
    rewriter.setInsertionPoint(root);
    auto attention = createAttention(rewriter, *forward, key, value, lseType);
    rewriter.setInsertionPoint(first);
    auto grad = AttentionGradOp::create(
        rewriter, first->getLoc(), query.getType(), key.getType(),
        value.getType(), /*dsinks=*/Type(), query, key, value,
        attention.getResult(), attention.getLse(), backward->dout,
        /*sinks=*/Value(), /*documents=*/Value(), /*placement=*/Value(),
        attention.getCausal(), IntegerAttr(), IntegerAttr(), FloatAttr(),
        IntegerAttr(), attention.getScaleAttr(), FlatSymbolRefAttr(),
        IntegerAttr());
    rewriter.replaceOp(root, attention.getResult());
    rewriter.replaceOp(backward->dquery, grad.getDquery());
    rewriter.replaceOp(backward->dkey, grad.getDkey());
    rewriter.replaceOp(backward->dvalue, grad.getDvalue());
    return success();
  }
};

struct RingRaiseAttentionPass
    : ring::impl::RingRaiseAttentionBase<RingRaiseAttentionPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<RaiseScaledDotProductAttention, RaiseAttentionWithGradient>(
        &getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
