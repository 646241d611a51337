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
//   P = softmax(S) along the keys   linalg.softmax
//   O = P V                         a batched contraction over the keys
//
// The contractions are any linalg op the contraction interface recognizes
// (linalg.generic or a named op) on [batch, heads, seq, dim] tensors,
// accumulating into zeros; the scale and the mask are element-wise
// linalg.generic ops, in either order. Every intermediate must have no
// other use. Anything else, near misses included, is left as it is
// (test/Transforms/raise-attention.mlir). docs/Passes.md says what is not
// recognized yet.
//
//===----------------------------------------------------------------------===//

#include "RingAttn/Dialect/Ring/IR/RingOps.h"
#include "RingAttn/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <cmath>

namespace mlir {
namespace ring {
#define GEN_PASS_DEF_RINGRAISEATTENTION
#include "RingAttn/Transforms/Passes.h.inc"
} // namespace ring
} // namespace mlir

using namespace mlir;
using namespace mlir::ring;

namespace {

/// The loop each result of an operand's indexing map reads, when every map
/// of `op` is a projected permutation.
std::optional<SmallVector<SmallVector<unsigned>>>
loopsOfOperands(linalg::LinalgOp op) {
  SmallVector<SmallVector<unsigned>> loops;
  for (AffineMap map : op.getIndexingMapsArray()) {
    if (!map.isProjectedPermutation())
      return std::nullopt;
    SmallVector<unsigned> &operand = loops.emplace_back();
    for (AffineExpr result : map.getResults())
      operand.push_back(cast<AffineDimExpr>(result).getPosition());
  }
  return loops;
}

/// Whether `value` is a tensor filled with +0.0 (linalg.fill of a zero).
bool isZeroFilled(Value value) {
  auto fill = value.getDefiningOp<linalg::FillOp>();
  return fill && matchPattern(fill.getInputs()[0], m_PosZeroFloat());
}

/// Whether `op` is `out[b,h,m,n] = sum_r lhs[b,h,m,r] * rhs[b,h,n,r]` (with
/// `rhsTransposed`, as in Q K^T) or `... rhs[b,h,r,n]` (as in P V), on
/// tensors, into zeros.
bool isBatchedContraction(linalg::LinalgOp op, bool rhsTransposed) {
  if (!op || !op.hasPureTensorSemantics() || op.getNumDpsInputs() != 2 ||
      op.getNumDpsInits() != 1 || op.getNumLoops() != 5 ||
      op.getNumReductionLoops() != 1 || !linalg::isaContractionOpInterface(op))
    return false;
  std::optional<SmallVector<SmallVector<unsigned>>> loops = loopsOfOperands(op);
  if (!loops || llvm::any_of(*loops, [](const SmallVector<unsigned> &l) {
        return l.size() != 4;
      }))
    return false;
  const SmallVector<unsigned> &lhs = (*loops)[0], &rhs = (*loops)[1],
                              &out = (*loops)[2];
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  unsigned reduced =
      llvm::find(iterators, utils::IteratorType::reduction) - iterators.begin();
  SmallVector<unsigned> wantLhs = {out[0], out[1], out[2], reduced};
  SmallVector<unsigned> wantRhs =
      rhsTransposed ? SmallVector<unsigned>{out[0], out[1], out[3], reduced}
                    : SmallVector<unsigned>{out[0], out[1], reduced, out[3]};
  return lhs == wantLhs && rhs == wantRhs && isZeroFilled(op.getDpsInits()[0]);
}

/// The element-wise linalg.generic on tensors, one input and identity maps,
/// that defines `value`; null otherwise.
linalg::GenericOp elementwise(Value value) {
  auto op = value.getDefiningOp<linalg::GenericOp>();
  if (!op || !op.hasPureTensorSemantics() || op.getNumDpsInputs() != 1 ||
      op.getNumDpsInits() != 1 || op.getNumLoops() != 4 ||
      op.getNumParallelLoops() != 4 ||
      !llvm::all_of(op.getIndexingMapsArray(),
                    [](AffineMap map) { return map.isIdentity(); }))
    return nullptr;
  return op;
}

/// The value `op`'s body yields, and its block argument for the input.
std::pair<Value, BlockArgument> yieldedOfInput(linalg::GenericOp op) {
  Block &body = op.getRegion().front();
  return {body.getTerminator()->getOperand(0), body.getArgument(0)};
}

/// A float constant defined by arith.constant, anywhere.
std::optional<double> constantOf(Value value) {
  FloatAttr attr;
  if (!matchPattern(value, m_Constant(&attr)))
    return std::nullopt;
  return attr.getValueAsDouble();
}

/// The factor of a scaling `S * c`, `c * S` or `S / c`: the softmax scale.
std::optional<double> scaleOf(linalg::GenericOp op) {
  auto [yielded, input] = yieldedOfInput(op);
  Operation *def = yielded.getDefiningOp();
  if (auto mul = dyn_cast_or_null<arith::MulFOp>(def)) {
    if (mul.getLhs() == input)
      return constantOf(mul.getRhs());
    if (mul.getRhs() == input)
      return constantOf(mul.getLhs());
  }
  if (auto div = dyn_cast_or_null<arith::DivFOp>(def);
      div && div.getLhs() == input)
    if (std::optional<double> divisor = constantOf(div.getRhs());
        divisor && *divisor != 0)
      return 1.0 / *divisor;
  return std::nullopt;
}

/// The loop `value` is the index of (linalg.index, through index casts).
std::optional<uint64_t> indexLoop(Value value) {
  while (auto cast = value.getDefiningOp<arith::IndexCastOp>())
    value = cast.getIn();
  if (auto index = value.getDefiningOp<linalg::IndexOp>())
    return index.getDim();
  return std::nullopt;
}

/// Whether `op` is the causal mask `j > i ? -inf : S` on scores [b,h,i,j]
/// (or `i < j ? ...`).
bool isCausalMask(linalg::GenericOp op) {
  auto [yielded, input] = yieldedOfInput(op);
  auto select = yielded.getDefiningOp<arith::SelectOp>();
  if (!select || select.getFalseValue() != input)
    return false;
  std::optional<double> masked = constantOf(select.getTrueValue());
  auto compare = select.getCondition().getDefiningOp<arith::CmpIOp>();
  if (!masked || !std::isinf(*masked) || *masked > 0 || !compare)
    return false;
  std::optional<uint64_t> lhs = indexLoop(compare.getLhs());
  std::optional<uint64_t> rhs = indexLoop(compare.getRhs());
  if (!lhs || !rhs)
    return false;
  using arith::CmpIPredicate;
  CmpIPredicate predicate = compare.getPredicate();
  bool keyAfter =
      predicate == CmpIPredicate::sgt || predicate == CmpIPredicate::ugt;
  bool queryBefore =
      predicate == CmpIPredicate::slt || predicate == CmpIPredicate::ult;
  return (keyAfter && *lhs == 3 && *rhs == 2) ||
         (queryBefore && *lhs == 2 && *rhs == 3);
}

/// What lies between the scores and the softmax.
struct ScoreSteps {
  Value scores;
  double scale = 1.0;
  bool causal = false;
};

/// Walks back from the softmax's input over at most one scaling and one
/// causal mask, each with no other use, to the scores Q K^T.
ScoreSteps stepsBeforeSoftmax(Value input) {
  ScoreSteps steps{input};
  bool scaled = false;
  for (int i = 0; i < 2; ++i) {
    linalg::GenericOp op = elementwise(steps.scores);
    if (!op || !steps.scores.hasOneUse())
      break;
    if (std::optional<double> scale = scaleOf(op); scale && !scaled) {
      steps.scale = *scale;
      scaled = true;
    } else if (isCausalMask(op) && !steps.causal) {
      steps.causal = true;
    } else {
      break;
    }
    steps.scores = op.getDpsInputs()[0];
  }
  return steps;
}

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
    auto softmax = probabilities.getDefiningOp<linalg::SoftmaxOp>();
    if (!softmax || softmax.getDimension() != 3 || !probabilities.hasOneUse())
      return rewriter.notifyMatchFailure(pv, "P is not a softmax over keys");
    ScoreSteps steps = stepsBeforeSoftmax(softmax.getInput());
    auto qk = steps.scores.getDefiningOp<linalg::LinalgOp>();
    if (!isBatchedContraction(qk, /*rhsTransposed=*/true) ||
        !steps.scores.hasOneUse())
      return rewriter.notifyMatchFailure(pv, "S is not a batched Q K^T");
    Value query = qk.getDpsInputs()[0], key = qk.getDpsInputs()[1];
    Value value = pv.getDpsInputs()[1];
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
