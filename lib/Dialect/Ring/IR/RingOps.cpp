//===- RingOps.cpp - Operations of the ring dialect -----------------------===//
//
// Verifiers, folders and canonicalizations. Every diagnostic emitted here has
// a test in test/Dialect/Ring/errors.mlir.
//
//===----------------------------------------------------------------------===//

#include "RingAttn/Dialect/Ring/IR/RingOps.h"

#include "mlir/Dialect/Shard/IR/ShardOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/IR/PatternMatch.h"

#include <cmath>

using namespace mlir;
using namespace mlir::ring;

//===----------------------------------------------------------------------===//
// Shared checks
//===----------------------------------------------------------------------===//

namespace {
// Dimension indices of an activation tensor [batch, heads, seq, head_dim].
enum Dim { kBatch = 0, kHeads = 1, kSeq = 2, kHeadDim = 3 };
} // namespace

static std::string shapeString(ArrayRef<int64_t> shape) {
  std::string s = "[";
  llvm::raw_string_ostream os(s);
  llvm::interleaveComma(shape, os);
  os << "]";
  return s;
}

/// The relations between query, key and value that every attention op needs.
static LogicalResult verifyAttentionOperands(Operation *op,
                                             RankedTensorType q,
                                             RankedTensorType k,
                                             RankedTensorType v) {
  if (q.getElementType() != k.getElementType() ||
      q.getElementType() != v.getElementType())
    return op->emitOpError("query, key and value must have the same element "
                           "type (got ")
           << q.getElementType() << ", " << k.getElementType() << ", "
           << v.getElementType() << ")";
  if (k.getShape() != v.getShape())
    return op->emitOpError("key and value must have the same shape (got ")
           << shapeString(k.getShape()) << " and " << shapeString(v.getShape())
           << ")";
  if (q.getDimSize(kBatch) != k.getDimSize(kBatch))
    return op->emitOpError("query and key must have the same batch size (got ")
           << q.getDimSize(kBatch) << " and " << k.getDimSize(kBatch) << ")";
  if (q.getDimSize(kHeadDim) != k.getDimSize(kHeadDim))
    return op->emitOpError("query and key must have the same head_dim (got ")
           << q.getDimSize(kHeadDim) << " and " << k.getDimSize(kHeadDim)
           << ")";
  int64_t hq = q.getDimSize(kHeads), hkv = k.getDimSize(kHeads);
  if (hkv == 0 || hq % hkv != 0)
    return op->emitOpError("key/value heads (")
           << hkv << ") must divide query heads (" << hq << ")";
  return success();
}

static LogicalResult verifyScale(Operation *op, FloatAttr scale) {
  if (scale && !scale.getValue().isFinite())
    return op->emitOpError("scale must be finite (got ")
           << scale.getValueAsDouble() << ")";
  return success();
}

/// The given scale, or 1/sqrt(head_dim).
static float scaleOrDefault(FloatAttr scale, RankedTensorType query) {
  if (scale)
    return scale.getValue().convertToFloat();
  return 1.0f / std::sqrt(static_cast<float>(query.getDimSize(kHeadDim)));
}

/// `@grid` names a 1-D shard.grid and `axis` is its axis.
static LogicalResult verifyGridAxis(Operation *op, FlatSymbolRefAttr grid,
                                    int64_t axis,
                                    SymbolTableCollection &symbolTable) {
  auto gridOp = symbolTable.lookupNearestSymbolFrom<shard::GridOp>(op, grid);
  if (!gridOp)
    return op->emitOpError("'") << grid << "' does not name a shard.grid";
  if (axis < 0 || axis >= gridOp.getRank())
    return op->emitOpError("axis ")
           << axis << " is out of range for grid " << grid << " of rank "
           << gridOp.getRank();
  // The runtime's rank and shifts (ringattn_rank, ringattn_shift_start) know
  // one ring of all the ranks, not the sub-rings along one axis of a larger
  // grid; rejected here rather than deep inside the lowering.
  if (gridOp.getRank() != 1)
    return op->emitOpError("ring over grid ")
           << grid << " of rank " << gridOp.getRank()
           << " is not supported: the runtime's ring spans all ranks, so the "
              "grid must be 1-D";
  return success();
}

//===----------------------------------------------------------------------===//
// AttentionOp
//===----------------------------------------------------------------------===//

float AttentionOp::getScaleOrDefault() {
  return scaleOrDefault(getScaleAttr(), getQuery().getType());
}

LogicalResult AttentionOp::verify() {
  RankedTensorType q = getQuery().getType();
  RankedTensorType k = getKey().getType();
  if (failed(verifyAttentionOperands(*this, q, k, getValue().getType())) ||
      failed(verifyScale(*this, getScaleAttr())))
    return failure();
  if (static_cast<bool>(getGridAttr()) != static_cast<bool>(getAxisAttr()))
    return emitOpError("'grid' and 'axis' must be given together");
  if (!isRing() && getLayout() != SequenceLayout::Contiguous)
    return emitOpError("layout ")
           << stringifySequenceLayout(getLayout())
           << " applies only to ring attention (add 'ring @grid axis k')";
  int64_t sq = q.getDimSize(kSeq), skv = k.getDimSize(kSeq);
  if (isRing() && sq != skv)
    return emitOpError("a ring shard needs equal query and key/value "
                       "sequence lengths (got ")
           << sq << " and " << skv << ")";
  if (getCausal() && sq != skv)
    return emitOpError("causal attention needs equal query and key/value "
                       "sequence lengths (got ")
           << sq << " and " << skv << ")";
  if (isRing() && getLayout() == SequenceLayout::Zigzag && sq % 2 != 0)
    return emitOpError("zigzag layout needs an even local sequence length "
                       "(got ")
           << sq << ")";
  return success();
}

LogicalResult
AttentionOp::verifySymbolUses(SymbolTableCollection &symbolTable) {
  if (!isRing())
    return success();
  return verifyGridAxis(*this, getGridAttr(), *getAxis(), symbolTable);
}

//===----------------------------------------------------------------------===//
// BlockAttentionOp
//===----------------------------------------------------------------------===//

float BlockAttentionOp::getScaleOrDefault() {
  return scaleOrDefault(getScaleAttr(), getQuery().getType());
}

LogicalResult BlockAttentionOp::verify() {
  RankedTensorType q = getQuery().getType();
  if (failed(verifyAttentionOperands(*this, q, getKey().getType(),
                                     getValue().getType())) ||
      failed(verifyScale(*this, getScaleAttr())))
    return failure();
  if (static_cast<bool>(getQueryOffset()) != static_cast<bool>(getKeyOffset()))
    return emitOpError("query_offset and key_offset must be given together");
  if (getQueryStride() < 1 || getKeyStride() < 1)
    return emitOpError("position strides must be positive (got query_stride ")
           << getQueryStride() << ", key_stride " << getKeyStride() << ")";
  ArrayRef<int64_t> qShape = q.getShape();
  if (getOut().getType().getShape() != qShape)
    return emitOpError("out must have the query's shape ")
           << shapeString(qShape) << " (got "
           << shapeString(getOut().getType().getShape()) << ")";
  if (getLse().getType().getShape() != qShape.drop_back())
    return emitOpError("lse must have shape ")
           << shapeString(qShape.drop_back()) << " (got "
           << shapeString(getLse().getType().getShape()) << ")";
  return success();
}

//===----------------------------------------------------------------------===//
// CombineOp
//===----------------------------------------------------------------------===//

LogicalResult CombineOp::verify() {
  ArrayRef<int64_t> outShape = getOutA().getType().getShape();
  ArrayRef<int64_t> lseShape = getLseA().getType().getShape();
  if (lseShape != outShape.drop_back())
    return emitOpError("lse must have the out shape without head_dim: "
                       "expected ")
           << shapeString(outShape.drop_back()) << " (got "
           << shapeString(lseShape) << ")";
  return success();
}

/// True when `value` is a constant whose every element is -inf: a partial
/// result in which no key was visible.
static bool isAllMinusInfinity(Value value) {
  DenseFPElementsAttr attr;
  if (!matchPattern(value, m_Constant(&attr)) || !attr.isSplat())
    return false;
  APFloat element = attr.getSplatValue<APFloat>();
  return element.isInfinity() && element.isNegative();
}

LogicalResult CombineOp::fold(FoldAdaptor,
                              SmallVectorImpl<OpFoldResult> &results) {
  // A side that saw no key contributes nothing to the merge.
  if (isAllMinusInfinity(getLseB())) {
    results.push_back(getOutA());
    results.push_back(getLseA());
    return success();
  }
  if (isAllMinusInfinity(getLseA())) {
    results.push_back(getOutB());
    results.push_back(getLseB());
    return success();
  }
  return failure();
}

//===----------------------------------------------------------------------===//
// ShiftStartOp / ShiftWaitOp
//===----------------------------------------------------------------------===//

LogicalResult ShiftStartOp::verify() {
  bool onBuffers = isa<MemRefType>(getSource().getType());
  if (onBuffers && !getDest())
    return emitOpError("a shift of a buffer needs a destination buffer "
                       "('into %dest')");
  Value future = getFuture();
  size_t uses = std::distance(future.use_begin(), future.use_end());
  if (uses != 1)
    return emitOpError("future must be waited exactly once (it has ")
           << uses << " uses)";
  Operation *user = *future.user_begin();
  if (!isa<ShiftWaitOp>(user))
    return emitOpError("future must be consumed by ring.shift_wait (it is "
                       "used by '")
           << user->getName() << "')";
  return success();
}

LogicalResult
ShiftStartOp::verifySymbolUses(SymbolTableCollection &symbolTable) {
  return verifyGridAxis(*this, getGridAttr(), getAxis(), symbolTable);
}

namespace {
/// A shift by a multiple of the axis size sends every value back to its own
/// rank: the start/wait pair is the identity.
struct FoldIdentityShift : OpRewritePattern<ShiftStartOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(ShiftStartOp start,
                                PatternRewriter &rewriter) const override {
    auto grid = SymbolTable::lookupNearestSymbolFrom<shard::GridOp>(
        start, start.getGridAttr());
    if (!grid || start.getAxis() < 0 || start.getAxis() >= grid.getRank())
      return failure();
    int64_t size = grid.getShape()[start.getAxis()];
    if (ShapedType::isDynamic(size) || size <= 0 ||
        start.getOffset() % size != 0 || !start.getFuture().hasOneUse())
      return failure();
    auto wait = dyn_cast<ShiftWaitOp>(*start.getFuture().user_begin());
    if (!wait)
      return failure();
    // On buffers the identity shift still has to fill the destination.
    if (start.getDest())
      return failure();
    rewriter.replaceOp(wait, start.getSource());
    rewriter.eraseOp(start);
    return success();
  }
};
} // namespace

void ShiftStartOp::getCanonicalizationPatterns(RewritePatternSet &patterns,
                                               MLIRContext *context) {
  patterns.add<FoldIdentityShift>(context);
}

LogicalResult ShiftWaitOp::verify() {
  if (!getFuture().getDefiningOp<ShiftStartOp>())
    return emitOpError("future must come straight from ring.shift_start");
  return success();
}

#define GET_OP_CLASSES
#include "RingAttn/Dialect/Ring/IR/RingOps.cpp.inc"
