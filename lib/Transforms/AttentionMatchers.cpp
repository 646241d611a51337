//===- AttentionMatchers.cpp - Attention's pieces in linalg ---------------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//===----------------------------------------------------------------------===//

#include "AttentionMatchers.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"

#include <cmath>

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

/// Whether `op` is `out[.., m, n] = sum_r lhs[.., m, r] * rhs[.., r, n]`
/// on rank-`rank` tensors, the leading dimensions batches, into zeros; with
/// `lhsTransposed` the lhs is read at [.., r, m], with `rhsTransposed` the
/// rhs at [.., n, r].
bool isBatchedContraction(linalg::LinalgOp op, bool lhsTransposed,
                          bool rhsTransposed, unsigned rank);

/// The float constant a linalg.fill writes into `value`.
std::optional<APFloat> filledWith(Value value) {
  auto fill = value.getDefiningOp<linalg::FillOp>();
  FloatAttr attr;
  if (!fill || !matchPattern(fill.getInputs()[0], m_Constant(&attr)))
    return std::nullopt;
  return attr.getValue();
}

/// Whether `value` is a tensor filled with +0.0.
bool isZeroFilled(Value value) {
  std::optional<APFloat> filled = filledWith(value);
  return filled && filled->isPosZero();
}

/// Whether `value` is filled with a start no score can stay below, so a
/// maximum from it is the row's own: -inf, the lowest finite value, or NaN
/// when the maximum ignores NaN (arith.maxnumf, as upstream writes it).
bool isMaximumStart(Value value, bool ignoresNaN) {
  std::optional<APFloat> filled = filledWith(value);
  if (!filled)
    return false;
  if (filled->isNaN())
    return ignoresNaN;
  APFloat lowest = APFloat::getLargest(filled->getSemantics(), true);
  return (filled->isInfinity() && filled->isNegative()) ||
         filled->bitwiseIsEqual(lowest);
}

/// Whether a reshape's groups are [[0, 1], [2], [3]]: batch and heads
/// collapsed into one dimension.
bool isHeadsCollapse(ArrayRef<ReassociationIndices> groups) {
  return groups == ArrayRef<ReassociationIndices>{{0, 1}, {2}, {3}};
}

/// The 4-D tensor whose batch and heads `value` collapses; null otherwise.
Value headsExpanded(Value value) {
  auto collapse = value ? value.getDefiningOp<tensor::CollapseShapeOp>()
                        : tensor::CollapseShapeOp();
  return collapse && isHeadsCollapse(collapse.getReassociationIndices())
             ? collapse.getSrc()
             : Value();
}

/// The tensor `value` transposes in its last two dimensions only; null
/// otherwise.
Value lastTwoSwapped(Value value) {
  auto transpose = value ? value.getDefiningOp<linalg::TransposeOp>()
                         : linalg::TransposeOp();
  if (!transpose || !transpose.hasPureTensorSemantics())
    return Value();
  ArrayRef<int64_t> permutation = transpose.getPermutation();
  int64_t rank = permutation.size();
  for (int64_t i = 0; i < rank; ++i) {
    int64_t want = i < rank - 2 ? i : (i == rank - 2 ? rank - 1 : rank - 2);
    if (permutation[i] != want)
      return Value();
  }
  return transpose.getInput();
}

/// The 4-D tensor a contraction over b*h batches reads as its rhs, in
/// its last two dimensions swapped when `swap`: by a transpose before the
/// collapse or after it. Null otherwise.
Value collapsedRhsIn4D(Value rhs, bool swap) {
  if (!swap)
    return headsExpanded(rhs);
  if (Value unswapped = lastTwoSwapped(rhs))
    return headsExpanded(unswapped);
  return lastTwoSwapped(headsExpanded(rhs));
}

/// (b, h, i, j) -> (b, h, i), or (b, h, i, 0) as a reduction that keeps
/// its dimension writes it: one value per row of the scores.
bool isRowMap(AffineMap map) {
  if (map.getNumDims() != 4 || map.getNumSymbols() != 0)
    return false;
  MLIRContext *ctx = map.getContext();
  SmallVector<AffineExpr> row = {getAffineDimExpr(0, ctx),
                                 getAffineDimExpr(1, ctx),
                                 getAffineDimExpr(2, ctx)};
  ArrayRef<AffineExpr> results = map.getResults();
  if (results.size() == 4 && results[3] == getAffineConstantExpr(0, ctx))
    results = results.drop_back();
  return results == ArrayRef<AffineExpr>(row);
}

/// The all-parallel linalg.generic on 4-D tensors that defines `value`,
/// with `numInputs` inputs: those in `rowInputs` read one value per row,
/// the others and the result every (b, h, i, j). Null otherwise.
linalg::GenericOp elementwise(Value value, unsigned numInputs,
                              ArrayRef<unsigned> rowInputs = {}) {
  auto op = value.getDefiningOp<linalg::GenericOp>();
  if (!op || !op.hasPureTensorSemantics() ||
      op.getNumDpsInputs() != numInputs || op.getNumDpsInits() != 1 ||
      op.getNumLoops() != 4 || op.getNumParallelLoops() != 4)
    return nullptr;
  for (auto [i, map] : llvm::enumerate(op.getIndexingMapsArray()))
    if (llvm::is_contained(rowInputs, i) ? !isRowMap(map) : !map.isIdentity())
      return nullptr;
  return op;
}

/// The value `op`'s body yields.
Value yielded(linalg::GenericOp op) {
  return op.getRegion().front().getTerminator()->getOperand(0);
}

/// Whether `op`'s body yields `Binary(first input, second input)`.
template <typename Binary> bool yieldsOfInputs(linalg::GenericOp op) {
  Block &body = op.getRegion().front();
  auto binary = yielded(op).getDefiningOp<Binary>();
  return binary && binary.getLhs() == body.getArgument(0) &&
         binary.getRhs() == body.getArgument(1);
}

/// Whether `op`'s body yields `Binary(first input, second input)` with the
/// operands in either order.
template <typename Binary>
bool yieldsOfInputsInEitherOrder(linalg::GenericOp op) {
  Block &body = op.getRegion().front();
  auto binary = yielded(op).getDefiningOp<Binary>();
  if (!binary)
    return false;
  Value first = body.getArgument(0), second = body.getArgument(1);
  return (binary.getLhs() == first && binary.getRhs() == second) ||
         (binary.getLhs() == second && binary.getRhs() == first);
}

/// The reduction over the keys `out[b,h,i] = combine(in[b,h,i,j],
/// out[b,h,i])` that defines `value`, `combine` one of `Combine` with its
/// operands in either order; null otherwise.
template <typename... Combine> linalg::GenericOp rowReduction(Value value) {
  auto op = value.getDefiningOp<linalg::GenericOp>();
  if (!op || !op.hasPureTensorSemantics() || op.getNumDpsInputs() != 1 ||
      op.getNumDpsInits() != 1 || op.getNumLoops() != 4 ||
      op.getIteratorTypesArray()[3] != utils::IteratorType::reduction ||
      op.getNumReductionLoops() != 1)
    return nullptr;
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  if (!maps[0].isIdentity() || !isRowMap(maps[1]))
    return nullptr;
  Block &body = op.getRegion().front();
  Operation *combine = yielded(op).getDefiningOp();
  if (!combine || !isa<Combine...>(combine))
    return nullptr;
  Value in = body.getArgument(0), out = body.getArgument(1);
  ValueRange operands = combine->getOperands();
  bool inOut = operands[0] == in && operands[1] == out;
  bool outIn = operands[0] == out && operands[1] == in;
  return inOut || outIn ? op : nullptr;
}

/// Whether `op`'s body yields `exp(S - m)` of its inputs S and m.
bool isExpOfDifference(linalg::GenericOp op) {
  auto exp = yielded(op).getDefiningOp<math::ExpOp>();
  Block &body = op.getRegion().front();
  auto difference =
      exp ? exp.getOperand().getDefiningOp<arith::SubFOp>() : nullptr;
  return difference && difference.getLhs() == body.getArgument(0) &&
         difference.getRhs() == body.getArgument(1);
}

/// `E = exp(S - M)`, M one value per row: the scores S, the maxima M, and
/// the op that reads both.
struct ShiftedExponential {
  Value scores, maxima;
  linalg::GenericOp shift;
};

/// The shifted exponential that defines `exps`: one generic (as upstream
/// decomposes linalg.softmax), or a subtraction and then an exponential
/// (as torch-mlir lowers torch's decomposed softmax), the difference used
/// by nothing else.
std::optional<ShiftedExponential> shiftedExponential(Value exps) {
  if (linalg::GenericOp fused = elementwise(exps, 2, {1});
      fused && isExpOfDifference(fused))
    return ShiftedExponential{fused.getDpsInputs()[0], fused.getDpsInputs()[1],
                              fused};
  linalg::GenericOp exponential = elementwise(exps, 1);
  auto exp =
      exponential ? yielded(exponential).getDefiningOp<math::ExpOp>() : nullptr;
  if (!exp || exp.getOperand() != exponential.getRegion().getArgument(0))
    return std::nullopt;
  Value differences = exponential.getDpsInputs()[0];
  linalg::GenericOp subtract = elementwise(differences, 2, {1});
  if (!subtract || !yieldsOfInputs<arith::SubFOp>(subtract) ||
      !usedOnlyBy(differences, {exponential}))
    return std::nullopt;
  return ShiftedExponential{subtract.getDpsInputs()[0],
                            subtract.getDpsInputs()[1], subtract};
}

/// `P = E / sum_j E` with `E = exp(S - max_j S)`. The maximum must be the
/// row's own (its start below every score), so this is the softmax of S
/// exactly.
std::optional<SoftmaxOverKeys> expandedSoftmax(Value probabilities) {
  linalg::GenericOp divide = elementwise(probabilities, 2, {1});
  if (!divide || !yieldsOfInputs<arith::DivFOp>(divide))
    return std::nullopt;
  Value exps = divide.getDpsInputs()[0];
  Value sums = divide.getDpsInputs()[1];
  linalg::GenericOp sum = rowReduction<arith::AddFOp>(sums);
  if (!sum || sum.getDpsInputs()[0] != exps ||
      !isZeroFilled(sum.getDpsInits()[0]))
    return std::nullopt;
  std::optional<ShiftedExponential> shifted = shiftedExponential(exps);
  if (!shifted)
    return std::nullopt;
  linalg::GenericOp maximum =
      rowReduction<arith::MaxNumFOp, arith::MaximumFOp>(shifted->maxima);
  if (!maximum || maximum.getDpsInputs()[0] != shifted->scores ||
      !isMaximumStart(maximum.getDpsInits()[0],
                      isa<arith::MaxNumFOp>(yielded(maximum).getDefiningOp())))
    return std::nullopt;
  if (!usedOnlyBy(exps, {sum, divide}) || !usedOnlyBy(sums, {divide}) ||
      !usedOnlyBy(shifted->maxima, {shifted->shift}))
    return std::nullopt;
  return SoftmaxOverKeys{shifted->scores, {maximum, shifted->shift}};
}

/// The value `op`'s body yields, and its block argument for the input.
std::pair<Value, BlockArgument> yieldedOfInput(linalg::GenericOp op) {
  return {yielded(op), op.getRegion().front().getArgument(0)};
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
  auto [result, input] = yieldedOfInput(op);
  Operation *def = result.getDefiningOp();
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

/// The constant `c` when `op` is the causal select `j > i ? c : S` on
/// [b,h,i,j] (or `i < j ? ...`): -inf masks the scores, 0 their gradient.
std::optional<double> causalFill(linalg::GenericOp op) {
  auto [result, input] = yieldedOfInput(op);
  auto select = result.getDefiningOp<arith::SelectOp>();
  if (!select || select.getFalseValue() != input)
    return std::nullopt;
  std::optional<double> masked = constantOf(select.getTrueValue());
  auto compare = select.getCondition().getDefiningOp<arith::CmpIOp>();
  if (!masked || !compare)
    return std::nullopt;
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
  if ((keyAfter && *lhs == 3 && *rhs == 2) ||
      (queryBefore && *lhs == 2 && *rhs == 3))
    return masked;
  return std::nullopt;
}

/// Whether `op` is the causal mask `j > i ? -inf : S` on scores [b,h,i,j].
bool isCausalMask(linalg::GenericOp op) {
  std::optional<double> fill = causalFill(op);
  return fill && std::isinf(*fill) && *fill < 0;
}

/// Whether `op` is the causal mask's backward `j > i ? 0 : dS`.
bool isCausalGradientMask(linalg::GenericOp op) {
  std::optional<double> fill = causalFill(op);
  return fill && *fill == 0;
}

/// `dS = G - T` with `T = P * R` (R one value per row) its own op: the
/// subtraction, G, P, R and the op that reads P; nullopt otherwise.
struct GradientDifference {
  linalg::GenericOp subtract, product;
  Value weighted, probabilities, rowSums;
};

std::optional<GradientDifference> gradientDifference(Value dscores) {
  linalg::GenericOp subtract = elementwise(dscores, 2);
  if (subtract && yieldsOfInputs<arith::SubFOp>(subtract)) {
    Value t = subtract.getDpsInputs()[1];
    linalg::GenericOp product = elementwise(t, 2, {1});
    if (!product || !yieldsOfInputsInEitherOrder<arith::MulFOp>(product) ||
        !usedOnlyBy(t, {subtract}))
      return std::nullopt;
    return GradientDifference{subtract, product, subtract.getDpsInputs()[0],
                              product.getDpsInputs()[0],
                              product.getDpsInputs()[1]};
  }
  // One op: yield G - P * R (the product's operands in either order).
  linalg::GenericOp fused = elementwise(dscores, 3, {2});
  if (!fused)
    return std::nullopt;
  Block &body = fused.getRegion().front();
  auto difference = yielded(fused).getDefiningOp<arith::SubFOp>();
  auto product =
      difference ? difference.getRhs().getDefiningOp<arith::MulFOp>() : nullptr;
  Value p = body.getArgument(1), r = body.getArgument(2);
  if (!product || difference.getLhs() != body.getArgument(0) ||
      !((product.getLhs() == p && product.getRhs() == r) ||
        (product.getLhs() == r && product.getRhs() == p)))
    return std::nullopt;
  return GradientDifference{fused, fused, fused.getDpsInputs()[0],
                            fused.getDpsInputs()[1], fused.getDpsInputs()[2]};
}

/// The input of the broadcast that defines `value` when it adds exactly
/// dimension 2; null otherwise.
Value broadcastAlongDim2(Value value) {
  if (auto broadcast = value.getDefiningOp<linalg::BroadcastOp>())
    return broadcast.hasPureTensorSemantics() &&
                   broadcast.getDimensions() == ArrayRef<int64_t>{2}
               ? broadcast.getInput()
               : Value();
  auto generic = value.getDefiningOp<linalg::GenericOp>();
  if (!generic || !generic.hasPureTensorSemantics())
    return Value();
  std::optional<SmallVector<int64_t>> added =
      linalg::isaBroadcastOpInterface(generic);
  return added && *added == SmallVector<int64_t>{2} ? generic.getDpsInputs()[0]
                                                    : Value();
}

bool isBatchedContraction(linalg::LinalgOp op, bool lhsTransposed,
                          bool rhsTransposed, unsigned rank) {
  if (!op || !op.hasPureTensorSemantics() || op.getNumDpsInputs() != 2 ||
      op.getNumDpsInits() != 1 || op.getNumLoops() != rank + 1 ||
      op.getNumReductionLoops() != 1 || !linalg::isaContractionOpInterface(op))
    return false;
  std::optional<SmallVector<SmallVector<unsigned>>> loops = loopsOfOperands(op);
  if (!loops || llvm::any_of(*loops, [&](const SmallVector<unsigned> &l) {
        return l.size() != rank;
      }))
    return false;
  const SmallVector<unsigned> &lhs = (*loops)[0], &rhs = (*loops)[1],
                              &out = (*loops)[2];
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  unsigned reduced =
      llvm::find(iterators, utils::IteratorType::reduction) - iterators.begin();
  ArrayRef<unsigned> batches = ArrayRef<unsigned>(out).drop_back(2);
  unsigned m = out[rank - 2], n = out[rank - 1];
  SmallVector<unsigned> wantLhs(batches), wantRhs(batches);
  if (lhsTransposed)
    wantLhs.append({reduced, m});
  else
    wantLhs.append({m, reduced});
  if (rhsTransposed)
    wantRhs.append({n, reduced});
  else
    wantRhs.append({reduced, n});
  return lhs == wantLhs && rhs == wantRhs && isZeroFilled(op.getDpsInits()[0]);
}

} // namespace

bool mlir::ring::usedOnlyBy(Value value, ArrayRef<Operation *> readers) {
  return llvm::all_of(value.getUsers(), [&](Operation *user) {
    return llvm::is_contained(readers, user);
  });
}

std::optional<BatchedProduct>
mlir::ring::matchBatchedProduct(Value out, bool rhsRowsAreColumns) {
  Operation *root = out.getDefiningOp();
  auto expand = out.getDefiningOp<tensor::ExpandShapeOp>();
  bool collapsed = expand && isHeadsCollapse(expand.getReassociationIndices());
  if (expand && !collapsed)
    return std::nullopt;
  if (collapsed && !expand.getSrc().hasOneUse())
    return std::nullopt;
  auto op =
      (collapsed ? expand.getSrc() : out).getDefiningOp<linalg::LinalgOp>();
  unsigned rank = collapsed ? 3 : 4;
  for (bool readsRowsAsColumns : {true, false}) {
    if (!isBatchedContraction(op, /*lhsTransposed=*/false, readsRowsAsColumns,
                              rank))
      continue;
    Value lhs = op.getDpsInputs()[0], rhs = op.getDpsInputs()[1];
    bool swap = readsRowsAsColumns != rhsRowsAreColumns;
    if (collapsed) {
      lhs = headsExpanded(lhs);
      rhs = collapsedRhsIn4D(rhs, swap);
    } else if (swap) {
      rhs = lastTwoSwapped(rhs);
    }
    if (!lhs || !rhs)
      return std::nullopt;
    return BatchedProduct{root, lhs, rhs};
  }
  return std::nullopt;
}

std::optional<BatchedProduct> mlir::ring::matchTransposedLhsProduct(Value out) {
  auto op = out.getDefiningOp<linalg::LinalgOp>();
  if (!isBatchedContraction(op, /*lhsTransposed=*/true,
                            /*rhsTransposed=*/false, 4))
    return std::nullopt;
  return BatchedProduct{op, op.getDpsInputs()[0], op.getDpsInputs()[1]};
}

std::optional<SoftmaxGradient> mlir::ring::matchSoftmaxGradient(Value dscores) {
  std::optional<GradientDifference> difference = gradientDifference(dscores);
  if (!difference)
    return std::nullopt;
  Value g = difference->weighted, p = difference->probabilities;
  Value r = difference->rowSums;
  linalg::GenericOp sum = rowReduction<arith::AddFOp>(r);
  if (!sum || sum.getDpsInputs()[0] != g ||
      !isZeroFilled(sum.getDpsInits()[0]) ||
      !usedOnlyBy(r, {difference->product}))
    return std::nullopt;
  linalg::GenericOp weigh = elementwise(g, 2);
  if (!weigh || !yieldsOfInputsInEitherOrder<arith::MulFOp>(weigh) ||
      !usedOnlyBy(g, {sum, difference->subtract}))
    return std::nullopt;
  Value a = weigh.getDpsInputs()[0], b = weigh.getDpsInputs()[1];
  if (a != p && b != p)
    return std::nullopt;
  Value dprobabilities = a == p ? b : a;
  SmallVector<Operation *> readers = {weigh};
  if (difference->product != weigh)
    readers.push_back(difference->product);
  return SoftmaxGradient{p, dprobabilities, readers};
}

ScoreGradientSteps mlir::ring::stepsAfterSoftmaxGradient(Value dscores) {
  ScoreGradientSteps steps{dscores, 1.0, false};
  bool scaled = false;
  for (int i = 0; i < 2; ++i) {
    linalg::GenericOp op = elementwise(steps.softmaxGradient, 1);
    if (!op || !op.getDpsInputs()[0].hasOneUse())
      break;
    if (std::optional<double> scale = scaleOf(op); scale && !scaled) {
      steps.scale = *scale;
      scaled = true;
    } else if (isCausalGradientMask(op) && !steps.causal) {
      steps.causal = true;
    } else {
      break;
    }
    steps.softmaxGradient = op.getDpsInputs()[0];
  }
  return steps;
}

std::optional<SoftmaxOverKeys>
mlir::ring::matchSoftmaxOverKeys(Value probabilities) {
  if (auto softmax = probabilities.getDefiningOp<linalg::SoftmaxOp>())
    return softmax.getDimension() == 3
               ? std::optional(SoftmaxOverKeys{softmax.getInput(), {softmax}})
               : std::nullopt;
  return expandedSoftmax(probabilities);
}

ScoreSteps mlir::ring::stepsBeforeSoftmax(const SoftmaxOverKeys &softmax) {
  ScoreSteps steps{softmax.scores, 1.0, false, softmax.readers};
  bool scaled = false;
  for (int i = 0; i < 2; ++i) {
    linalg::GenericOp op = elementwise(steps.scores, 1);
    if (!op || !usedOnlyBy(steps.scores, steps.readers))
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
    steps.readers = {op};
  }
  return steps;
}

Value mlir::ring::headsBeforeRepeat(Value value) {
  auto collapse = value.getDefiningOp<tensor::CollapseShapeOp>();
  if (!collapse || collapse.getReassociationIndices() !=
                       SmallVector<ReassociationIndices>{{0}, {1, 2}, {3}, {4}})
    return value;
  Value source = broadcastAlongDim2(collapse.getSrc());
  return source ? source : value;
}
