//===- RingOps.cpp - Operations of the ring dialect -----------------------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// Verifiers, folders and canonicalizations. Every diagnostic emitted here has
// a test in test/Dialect/Ring/errors.mlir.
//
//===----------------------------------------------------------------------===//

#include "RingAttn/Dialect/Ring/IR/RingOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Shard/IR/ShardOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/DataLayoutInterfaces.h"
#include "llvm/Support/CheckedArithmetic.h"

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

/// "[4, ?, 8]": a shape or a list of strides.
static std::string shapeString(ArrayRef<int64_t> shape) {
  std::string s = "[";
  llvm::raw_string_ostream os(s);
  llvm::interleaveComma(shape, os, [&](int64_t size) {
    if (ShapedType::isDynamic(size))
      os << "?";
    else
      os << size;
  });
  os << "]";
  return s;
}

//===----------------------------------------------------------------------===//
// Sizes and layouts in memory
//===----------------------------------------------------------------------===//

/// Bytes of one element in memory when its bytes are exactly its bits:
/// integers and floats of a power-of-two width of at least 8 bits, and index
/// at the data layout's width. LLVM stores i1, i4 and i7 in whole bytes and
/// f80 in 16, so counting their bits would send the wrong bytes.
static std::optional<int64_t> exactElementBytes(Type type, Operation *scope) {
  int64_t bits;
  if (isa<IndexType>(type))
    bits = DataLayout::closest(scope).getTypeSizeInBits(type).getFixedValue();
  else if (type.isIntOrFloat())
    bits = type.getIntOrFloatBitWidth();
  else
    return std::nullopt;
  if (bits < 8 || !llvm::isPowerOf2_64(bits))
    return std::nullopt;
  return bits / 8;
}

/// Bytes of `shape` in `elementBytes`-byte elements; std::nullopt when the
/// count overflows int64.
static std::optional<int64_t> checkedByteSize(ArrayRef<int64_t> shape,
                                              int64_t elementBytes) {
  if (llvm::is_contained(shape, 0))
    return 0;
  std::optional<int64_t> bytes = elementBytes;
  for (int64_t size : shape)
    if (!(bytes = llvm::checkedMul(*bytes, size)))
      return std::nullopt;
  return bytes;
}

/// Every static shape the op touches has a byte size that fits int64: the
/// lowerings and the runtime count bytes in int64, and an overflowed count
/// became a 0-byte buffer that crashed at run time.
static LogicalResult verifyByteSizes(Operation *op) {
  auto check = [&](Type type, StringRef kind, unsigned index) -> LogicalResult {
    auto shaped = dyn_cast<ShapedType>(type);
    if (!shaped || !shaped.hasStaticShape())
      return success();
    Type element = shaped.getElementType();
    // At least one byte per element, whatever its layout.
    int64_t elementBytes =
        exactElementBytes(element, op)
            .value_or(element.isIntOrFloat()
                          ? llvm::divideCeil(element.getIntOrFloatBitWidth(), 8)
                          : 1);
    if (checkedByteSize(shaped.getShape(), elementBytes))
      return success();
    return op->emitOpError()
           << kind << " #" << index << " has shape "
           << shapeString(shaped.getShape()) << " of " << elementBytes
           << "-byte elements, whose byte size overflows int64";
  };
  for (OpOperand &operand : op->getOpOperands())
    if (failed(check(operand.get().getType(), "operand",
                     operand.getOperandNumber())))
      return failure();
  for (OpResult result : op->getResults())
    if (failed(check(result.getType(), "result", result.getResultNumber())))
      return failure();
  return success();
}

/// The row-major strides of `shape` with no gaps.
static SmallVector<int64_t> contiguousStrides(ArrayRef<int64_t> shape) {
  SmallVector<int64_t> strides(shape.size(), 1);
  for (int64_t d = static_cast<int64_t>(shape.size()) - 2; d >= 0; --d)
    strides[d] = strides[d + 1] * shape[d + 1];
  return strides;
}

/// `type` is one contiguous row-major range (any offset): a shift sends
/// the bytes from its first element to its last.
static LogicalResult verifyContiguous(Operation *op, MemRefType type) {
  SmallVector<int64_t> strides;
  int64_t offset;
  if (failed(type.getStridesAndOffset(strides, offset)))
    return op->emitOpError("cannot shift ")
           << type << ": its layout " << type.getLayout()
           << " is not strided, and a shift sends one contiguous row-major "
              "range";
  ArrayRef<int64_t> shape = type.getShape();
  if (llvm::is_contained(shape, 0))
    return success();
  SmallVector<int64_t> expected = contiguousStrides(shape);
  for (auto [size, stride, want] : llvm::zip_equal(shape, strides, expected))
    // The stride of a dimension of size 1 is never used.
    if (size != 1 && stride != want)
      return op->emitOpError("cannot shift ")
             << type << ": its strides " << shapeString(strides)
             << " are not the contiguous row-major strides "
             << shapeString(expected)
             << ", and a shift sends one contiguous range";
  return success();
}

/// The relations between query, key and value that every attention op needs.
static LogicalResult verifyAttentionOperands(Operation *op, ShapedType q,
                                             ShapedType k, ShapedType v) {
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
  // The default scale 1/sqrt(head_dim) needs it, and so does any attention.
  if (q.getDimSize(kHeadDim) == 0)
    return op->emitOpError("head_dim must be positive (got 0)");
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

/// A window bound is a number of tokens, a right bound is meaningless under
/// `causal` (which already puts it at the query), and a sequence has at
/// least one real token.
static LogicalResult verifyPositionMask(Operation *op,
                                        const PositionMask &mask) {
  for (auto [name, bound] : {std::pair{"window_left", mask.windowLeft},
                             std::pair{"window_right", mask.windowRight}})
    if (bound && *bound < 0)
      return op->emitOpError(name)
             << " must be a non-negative number of tokens (got " << *bound
             << ")";
  if (mask.causal && mask.windowRight)
    return op->emitOpError(
        "window_right does not apply to causal attention, whose keys already "
        "end at the query; drop it, or drop 'causal' for a two-sided window");
  if (mask.length && *mask.length < 1)
    return op->emitOpError("length must be at least 1 token (got ")
           << *mask.length << ")";
  return success();
}

/// A logit cap is a positive, finite bound on |score|.
static LogicalResult verifySoftcap(Operation *op, FloatAttr softcap) {
  if (!softcap)
    return success();
  double cap = softcap.getValueAsDouble();
  if (std::isfinite(cap) && cap > 0)
    return success();
  return op->emitOpError("softcap must be positive and finite (got ")
         << cap << ")";
}

/// One sink per query head.
static LogicalResult verifySinks(Operation *op, Value sinks, ShapedType query) {
  if (!sinks)
    return success();
  int64_t count = cast<ShapedType>(sinks.getType()).getDimSize(0);
  if (count == query.getDimSize(kHeads))
    return success();
  return op->emitOpError("sinks must have one logit per query head (")
         << query.getDimSize(kHeads) << "), got " << count;
}

/// The given scale, or 1/sqrt(head_dim).
static float scaleOrDefault(FloatAttr scale, ShapedType query) {
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
    return op->emitOpError("axis ") << axis << " is out of range for grid "
                                    << grid << " of rank " << gridOp.getRank();
  // The runtime's rank and shifts (ringattn_rank, ringattn_shift_start) know
  // one ring of all the ranks, not the sub-rings along one axis of a larger
  // grid; rejected here rather than deep inside the lowering.
  if (gridOp.getRank() != 1)
    return op->emitOpError("ring over grid ")
           << grid << " of rank " << gridOp.getRank()
           << " is not supported: the runtime's ring spans all ranks, so the "
              "grid must be 1-D";
  // A dynamic size is left to the passes that need it (ring-schedule).
  int64_t size = gridOp.getShape()[axis];
  if (!ShapedType::isDynamic(size) && (size < 1 || size > kMaxRingSize))
    return op->emitOpError("ring size ")
           << size << " of grid " << grid
           << " is out of range: a ring has 1 to " << kMaxRingSize << " ranks";
  return success();
}

//===----------------------------------------------------------------------===//
// AttentionOp
//===----------------------------------------------------------------------===//

float AttentionOp::getScaleOrDefault() {
  return scaleOrDefault(getScaleAttr(), getQuery().getType());
}

/// The checks `ring.attention` and `ring.attention_grad` share: operands,
/// scale, and where the sequence lies (one device or a ring shard).
template <typename AttentionLikeOp>
static LogicalResult verifyAttentionLike(AttentionLikeOp op) {
  RankedTensorType q = op.getQuery().getType();
  RankedTensorType k = op.getKey().getType();
  if (failed(verifyByteSizes(op)) ||
      failed(verifyAttentionOperands(op, q, k, op.getValue().getType())) ||
      failed(verifyScale(op, op.getScaleAttr())) ||
      failed(verifySoftcap(op, op.getSoftcapAttr())) ||
      failed(verifySinks(op, op.getSinks(), q)))
    return failure();
  if (static_cast<bool>(op.getGridAttr()) !=
      static_cast<bool>(op.getAxisAttr()))
    return op.emitOpError("'grid' and 'axis' must be given together");
  if (!op.isRing() && op.getLayout() != SequenceLayout::Contiguous)
    return op.emitOpError("layout ")
           << stringifySequenceLayout(op.getLayout())
           << " applies only to ring attention (add 'ring @grid axis k')";
  int64_t sq = q.getDimSize(kSeq), skv = k.getDimSize(kSeq);
  if (op.isRing() && sq != skv)
    return op.emitOpError("a ring shard needs equal query and key/value "
                          "sequence lengths (got ")
           << sq << " and " << skv << ")";
  PositionMask mask = op.getPositionMask();
  if (failed(verifyPositionMask(op, mask)))
    return failure();
  if (mask.any() && sq != skv)
    return op.emitOpError(mask.causal      ? "causal attention"
                          : mask.length    ? "a padded sequence (length)"
                          : mask.documents ? "packed documents"
                                           : "a window")
           << " needs equal query and key/value sequence lengths (got " << sq
           << " and " << skv << ")";
  if (!op.isRing() && mask.length && !ShapedType::isDynamic(sq) &&
      *mask.length > sq)
    return op.emitOpError("length ") << *mask.length << " is more than the "
                                     << sq << " positions the operands hold";
  if (op.getPlacement() && !op.isRing())
    return op.emitOpError("a placement applies only to ring attention (add "
                          "'ring @grid axis k')");
  if (op.getPlacement() && op.getLayout() != SequenceLayout::Contiguous)
    return op.emitOpError("a placement takes the place of the layout; drop "
                          "'layout ")
           << stringifySequenceLayout(op.getLayout()) << "'";
  if (op.isRing() && op.getLayout() == SequenceLayout::Zigzag && sq % 2 != 0)
    return op.emitOpError("zigzag layout needs an even local sequence length "
                          "(got ")
           << sq << ")";
  return success();
}

/// The log-sum-exp of `query` has one f32 per row: its shape without
/// head_dim.
static LogicalResult verifyLseShape(Operation *op, ShapedType query,
                                    ShapedType lse, StringRef what) {
  if (lse.getShape() == query.getShape().drop_back())
    return success();
  return op->emitOpError(what)
         << " must have shape " << shapeString(query.getShape().drop_back())
         << ", the query's without head_dim (got "
         << shapeString(lse.getShape()) << ")";
}

LogicalResult AttentionOp::verify() {
  if (failed(verifyAttentionLike(*this)))
    return failure();
  if (getLse())
    return verifyLseShape(*this, getQuery().getType(), getLse().getType(),
                          "the lse result");
  return success();
}

/// Over a ring of static size N, `length` is at most the N shards'
/// positions.
template <typename AttentionLikeOp>
static LogicalResult verifyRingLength(AttentionLikeOp op,
                                      SymbolTableCollection &symbolTable) {
  std::optional<uint64_t> length = op.getLength();
  auto grid =
      symbolTable.lookupNearestSymbolFrom<shard::GridOp>(op, op.getGridAttr());
  int64_t ranks = grid.getShape()[*op.getAxis()];
  int64_t local = op.getQuery().getType().getDimSize(kSeq);
  if (!length || ShapedType::isDynamic(ranks) || ShapedType::isDynamic(local) ||
      static_cast<int64_t>(*length) <= ranks * local)
    return success();
  return op.emitOpError("length ")
         << *length << " is more than the " << ranks * local
         << " positions the ring holds (" << ranks << " ranks of " << local
         << ")";
}

/// A placement of P blocks over a ring of static size N gives each rank P/N
/// blocks of equal length.
template <typename AttentionLikeOp>
static LogicalResult verifyRingPlacement(AttentionLikeOp op,
                                         SymbolTableCollection &symbolTable) {
  if (!op.getPlacement())
    return success();
  auto grid =
      symbolTable.lookupNearestSymbolFrom<shard::GridOp>(op, op.getGridAttr());
  int64_t ranks = grid.getShape()[*op.getAxis()];
  int64_t blocks = op.getPlacement().getType().getDimSize(0);
  int64_t local = op.getQuery().getType().getDimSize(kSeq);
  if (ShapedType::isDynamic(ranks))
    return op.emitOpError("a placement needs a ring of static size (grid ")
           << op.getGridAttr() << " has a dynamic size)";
  if (blocks == 0 || blocks % ranks != 0)
    return op.emitOpError("a placement of ")
           << blocks << " blocks does not give each of " << ranks
           << " ranks the same number";
  if (local % (blocks / ranks) != 0)
    return op.emitOpError()
           << blocks / ranks << " blocks per rank do not divide " << local
           << " local tokens";
  return success();
}

/// The ring checks both ops share: the grid, the length and the placement.
template <typename AttentionLikeOp>
static LogicalResult verifyRingSymbols(AttentionLikeOp op,
                                       SymbolTableCollection &symbolTable) {
  if (!op.isRing())
    return success();
  if (failed(
          verifyGridAxis(op, op.getGridAttr(), *op.getAxis(), symbolTable)) ||
      failed(verifyRingLength(op, symbolTable)))
    return failure();
  return verifyRingPlacement(op, symbolTable);
}

LogicalResult
AttentionOp::verifySymbolUses(SymbolTableCollection &symbolTable) {
  return verifyRingSymbols(*this, symbolTable);
}

//===----------------------------------------------------------------------===//
// AttentionGradOp
//===----------------------------------------------------------------------===//

float AttentionGradOp::getScaleOrDefault() {
  return scaleOrDefault(getScaleAttr(), getQuery().getType());
}

LogicalResult AttentionGradOp::verify() {
  if (failed(verifyAttentionLike(*this)) ||
      failed(verifyLseShape(*this, getQuery().getType(), getLse().getType(),
                            "lse")))
    return failure();
  if (static_cast<bool>(getSinks()) != static_cast<bool>(getDsinks()))
    return emitOpError(getSinks() ? "with sinks, the op must also return "
                                    "their gradient (-> tensor<Hxf32>)"
                                  : "returns dsinks but has no sinks");
  if (getSinks() && getSinks().getType() != getDsinks().getType())
    return emitOpError("dsinks must have the sinks' type ")
           << getSinks().getType() << " (got " << getDsinks().getType() << ")";
  return success();
}

LogicalResult
AttentionGradOp::verifySymbolUses(SymbolTableCollection &symbolTable) {
  return verifyRingSymbols(*this, symbolTable);
}

//===----------------------------------------------------------------------===//
// Destination-passing ops (block_attention, combine)
//===----------------------------------------------------------------------===//

/// Every shaped operand is a tensor, or every one a buffer whose rows
/// (innermost dimension) are contiguous: the kernels store vectors along a
/// row.
static LogicalResult verifyDestinationStyle(DestinationStyleOpInterface op) {
  if (!op.hasPureTensorSemantics() && !op.hasPureBufferSemantics())
    return op->emitOpError("operands must be all tensors or all buffers");
  if (op.hasPureTensorSemantics())
    return success();
  for (OpOperand &operand : op->getOpOperands()) {
    auto type = dyn_cast<MemRefType>(operand.get().getType());
    if (!type)
      continue;
    SmallVector<int64_t> strides;
    int64_t offset;
    if (failed(type.getStridesAndOffset(strides, offset)) ||
        (type.getShape().back() != 1 && strides.back() != 1))
      return op->emitOpError("operand #")
             << operand.getOperandNumber() << " of type " << type
             << " must be a strided buffer whose innermost dimension is "
                "contiguous";
  }
  return success();
}

/// Buffers: the inputs are read, the destinations written. Tensors: no
/// effect.
static void getDestinationStyleEffects(
    DestinationStyleOpInterface op,
    SmallVectorImpl<SideEffects::EffectInstance<MemoryEffects::Effect>>
        &effects) {
  if (!op.hasPureBufferSemantics())
    return;
  for (OpOperand *input : op.getDpsInputOperands())
    if (isa<MemRefType>(input->get().getType()))
      effects.emplace_back(MemoryEffects::Read::get(), input,
                           SideEffects::DefaultResource::get());
  for (OpOperand &init : op.getDpsInitsMutable())
    effects.emplace_back(MemoryEffects::Write::get(), &init,
                         SideEffects::DefaultResource::get());
}

/// On tensors one result per destination, of its type; none on buffers.
static void inferDestinationResults(Value outInit, Value lseInit,
                                    SmallVectorImpl<Type> &inferred) {
  if (isa<RankedTensorType>(outInit.getType()))
    inferred.append({outInit.getType(), lseInit.getType()});
}

/// The positions of a masked block come as a pair of offsets with positive
/// strides, given exactly when the mask needs them.
template <typename BlockOp> static LogicalResult verifyPositions(BlockOp op) {
  if (static_cast<bool>(op.getQueryOffset()) !=
      static_cast<bool>(op.getKeyOffset()))
    return op.emitOpError("query_offset and key_offset must be given together");
  PositionMask mask = op.getPositionMask();
  if (failed(verifyPositionMask(op, mask)) ||
      failed(verifySoftcap(op, op.getSoftcapAttr())))
    return failure();
  if (static_cast<bool>(op.getDocumentBegin()) !=
      static_cast<bool>(op.getDocumentEnd()))
    return op.emitOpError("document_begin and document_end must be given "
                          "together");
  if (mask.any() && !op.getQueryOffset())
    return op.emitOpError("a masked block (causal, a window, a length or "
                          "documents) needs the positions of its rows "
                          "(query_pos and key_pos)");
  if (!mask.any() && op.getQueryOffset())
    return op.emitOpError("positions are given but no mask uses them (add "
                          "'causal', a window, a length or documents)");
  int64_t rows = op.getQuery().getType().getDimSize(kSeq);
  for (Value bounds : {op.getDocumentBegin(), op.getDocumentEnd()})
    if (bounds && cast<ShapedType>(bounds.getType()).getDimSize(0) != rows)
      return op.emitOpError("document bounds must have one entry per query "
                            "row (")
             << rows << "), got " << bounds.getType();
  if (op.getQueryStride() < 1 || op.getKeyStride() < 1)
    return op.emitOpError(
               "position strides must be positive (got query_stride ")
           << op.getQueryStride() << ", key_stride " << op.getKeyStride()
           << ")";
  return success();
}

/// The attribute of an optional number of tokens.
static IntegerAttr tokensAttr(Builder &b, std::optional<int64_t> tokens) {
  return tokens ? b.getI64IntegerAttr(*tokens) : IntegerAttr();
}

//===----------------------------------------------------------------------===//
// BlockAttentionOp
//===----------------------------------------------------------------------===//

void BlockAttentionOp::build(OpBuilder &b, OperationState &state, Value query,
                             Value key, Value value, Value outInit,
                             Value lseInit, Value queryOffset, Value keyOffset,
                             int64_t queryStride, int64_t keyStride,
                             FloatAttr scale, const PositionMask &mask,
                             FloatAttr softcap, ValueRange documents) {
  assert(documents.size() == (mask.documents ? 2 : 0) &&
         "the documents' bounds are given iff the mask has documents");
  Value documentBegin = mask.documents ? documents[0] : Value();
  Value documentEnd = mask.documents ? documents[1] : Value();
  build(b, state, query, key, value, outInit, lseInit, queryOffset, keyOffset,
        documentBegin, documentEnd, queryStride, keyStride, scale, mask.causal,
        tokensAttr(b, mask.windowLeft), tokensAttr(b, mask.windowRight),
        softcap, tokensAttr(b, mask.length));
}

float BlockAttentionOp::getScaleOrDefault() {
  return scaleOrDefault(getScaleAttr(), getQuery().getType());
}

LogicalResult BlockAttentionOp::inferReturnTypes(
    MLIRContext *, std::optional<Location>, ValueRange operands, DictionaryAttr,
    OpaqueProperties, RegionRange, SmallVectorImpl<Type> &inferred) {
  // The destinations follow query, key and value; the optional positions
  // come after them, so their indices do not depend on the segment sizes
  // (which builders set after inferring).
  if (operands.size() < 5)
    return failure();
  inferDestinationResults(operands[3], operands[4], inferred);
  return success();
}

void BlockAttentionOp::getEffects(
    SmallVectorImpl<SideEffects::EffectInstance<MemoryEffects::Effect>>
        &effects) {
  getDestinationStyleEffects(*this, effects);
}

LogicalResult BlockAttentionOp::verify() {
  ShapedType q = getQuery().getType();
  if (failed(verifyByteSizes(*this)) || failed(verifyDestinationStyle(*this)) ||
      failed(verifyAttentionOperands(*this, q, getKey().getType(),
                                     getValue().getType())) ||
      failed(verifyScale(*this, getScaleAttr())))
    return failure();
  if (failed(verifyPositions(*this)))
    return failure();
  Type outElement = getOutInit().getType().getElementType();
  if (!outElement.isF32() && outElement != q.getElementType())
    return emitOpError("out must be f32 (a partial result) or the query's "
                       "element type ")
           << q.getElementType() << " (a final output); got " << outElement;
  ArrayRef<int64_t> qShape = q.getShape();
  if (getOutInit().getType().getShape() != qShape)
    return emitOpError("out must have the query's shape ")
           << shapeString(qShape) << " (got "
           << shapeString(getOutInit().getType().getShape()) << ")";
  return verifyLseShape(*this, q, getLseInit().getType(), "lse");
}

namespace {
/// truncf(block_attention(...) into an empty f32 out) to the query's type
/// -> block_attention(...) into an empty out of that type: the kernel rounds
/// as it stores, so no f32 output is written, read back and converted.
struct RoundFinalOutputInBlock : OpRewritePattern<BlockAttentionOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(BlockAttentionOp op,
                                PatternRewriter &rewriter) const override {
    if (op->getNumResults() != 2) // the buffer form has none
      return failure();
    Value out = op->getResult(0);
    auto outType = cast<RankedTensorType>(out.getType());
    Type element = op.getQuery().getType().getElementType();
    if (!outType.getElementType().isF32() || element.isF32() ||
        !out.hasOneUse() || !op.getOutInit().getDefiningOp<tensor::EmptyOp>())
      return failure();
    auto round = dyn_cast<arith::TruncFOp>(*out.user_begin());
    // The kernels round to nearest even, truncf's default mode; fast-math
    // flags only permit less exact roundings.
    if (!round || round.getType() != outType.clone(element) ||
        round.getRoundingmodeAttr())
      return failure();
    Value finalOut = tensor::EmptyOp::create(rewriter, op.getLoc(),
                                             outType.getShape(), element);
    Operation *rounded = rewriter.clone(*op);
    rounded->setOperand(op.getOutInitMutable().getOperandNumber(), finalOut);
    rounded->getResult(0).setType(round.getType());
    rewriter.replaceOp(round, rounded->getResult(0));
    rewriter.replaceAllUsesWith(op->getResult(1), rounded->getResult(1));
    rewriter.eraseOp(op);
    return success();
  }
};
} // namespace

void BlockAttentionOp::getCanonicalizationPatterns(RewritePatternSet &patterns,
                                                   MLIRContext *context) {
  patterns.add<RoundFinalOutputInBlock>(context);
}

//===----------------------------------------------------------------------===//
// BlockAttentionGradOp
//===----------------------------------------------------------------------===//

void BlockAttentionGradOp::build(
    OpBuilder &b, OperationState &state, Value query, Value key, Value value,
    Value dout, Value lse, Value delta, Value dqueryInit, Value dkeyInit,
    Value dvalueInit, Value queryOffset, Value keyOffset, int64_t queryStride,
    int64_t keyStride, FloatAttr scale, const PositionMask &mask,
    FloatAttr softcap, ValueRange documents) {
  assert(documents.size() == (mask.documents ? 2 : 0) &&
         "the documents' bounds are given iff the mask has documents");
  Value documentBegin = mask.documents ? documents[0] : Value();
  Value documentEnd = mask.documents ? documents[1] : Value();
  build(b, state, query, key, value, dout, lse, delta, dqueryInit, dkeyInit,
        dvalueInit, queryOffset, keyOffset, documentBegin, documentEnd,
        queryStride, keyStride, scale, mask.causal,
        tokensAttr(b, mask.windowLeft), tokensAttr(b, mask.windowRight),
        softcap, tokensAttr(b, mask.length));
}

float BlockAttentionGradOp::getScaleOrDefault() {
  return scaleOrDefault(getScaleAttr(), getQuery().getType());
}

LogicalResult BlockAttentionGradOp::inferReturnTypes(
    MLIRContext *, std::optional<Location>, ValueRange operands, DictionaryAttr,
    OpaqueProperties, RegionRange, SmallVectorImpl<Type> &inferred) {
  // The destinations follow the six inputs, before the optional positions.
  if (operands.size() < 9)
    return failure();
  if (isa<RankedTensorType>(operands[6].getType()))
    inferred.append(
        {operands[6].getType(), operands[7].getType(), operands[8].getType()});
  return success();
}

void BlockAttentionGradOp::getEffects(
    SmallVectorImpl<SideEffects::EffectInstance<MemoryEffects::Effect>>
        &effects) {
  // The destinations accumulate: they are read as well as written.
  getDestinationStyleEffects(*this, effects);
  if (!hasPureBufferSemantics())
    return;
  for (OpOperand &init : getDpsInitsMutable())
    effects.emplace_back(MemoryEffects::Read::get(), &init,
                         SideEffects::DefaultResource::get());
}

LogicalResult BlockAttentionGradOp::verify() {
  ShapedType q = getQuery().getType(), k = getKey().getType();
  if (failed(verifyByteSizes(*this)) || failed(verifyDestinationStyle(*this)) ||
      failed(verifyAttentionOperands(*this, q, k, getValue().getType())) ||
      failed(verifyScale(*this, getScaleAttr())) ||
      failed(verifyPositions(*this)) ||
      failed(verifyLseShape(*this, q, getLse().getType(), "lse")))
    return failure();
  if (getDqueryInit().getType().getShape() != q.getShape())
    return emitOpError("dq must have the query's shape ")
           << shapeString(q.getShape()) << " (got "
           << shapeString(getDqueryInit().getType().getShape()) << ")";
  if (getDkeyInit().getType().getShape() != k.getShape())
    return emitOpError("dk and dv must have the key's shape ")
           << shapeString(k.getShape()) << " (got "
           << shapeString(getDkeyInit().getType().getShape()) << ")";
  return success();
}

//===----------------------------------------------------------------------===//
// CombineOp
//===----------------------------------------------------------------------===//

LogicalResult CombineOp::inferReturnTypes(MLIRContext *,
                                          std::optional<Location>,
                                          ValueRange operands, DictionaryAttr,
                                          OpaqueProperties, RegionRange,
                                          SmallVectorImpl<Type> &inferred) {
  if (operands.size() != 6)
    return failure();
  inferDestinationResults(operands[4], operands[5], inferred);
  return success();
}

void CombineOp::getEffects(
    SmallVectorImpl<SideEffects::EffectInstance<MemoryEffects::Effect>>
        &effects) {
  getDestinationStyleEffects(*this, effects);
}

LogicalResult CombineOp::verify() {
  if (failed(verifyByteSizes(*this)) || failed(verifyDestinationStyle(*this)))
    return failure();
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
  // A side that saw no key contributes nothing to the merge. Only values
  // fold: on buffers the destinations still have to be written.
  if (!hasPureTensorSemantics())
    return failure();
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

std::optional<int64_t> ShiftStartOp::getElementBytes() {
  auto type = cast<ShapedType>(getSource().getType());
  return exactElementBytes(type.getElementType(), *this);
}

int64_t ShiftStartOp::getPayloadBytes() {
  auto type = cast<ShapedType>(getSource().getType());
  return *checkedByteSize(type.getShape(), *getElementBytes());
}

std::optional<int64_t> ShiftStartOp::getStaticOffset() {
  if (getDynamicOffset())
    return std::nullopt;
  IntegerAttr offset = getOffsetAttr();
  return offset ? offset.getInt() : 1;
}

LogicalResult ShiftStartOp::verify() {
  if (!getElementBytes())
    return emitOpError("cannot shift elements of type ")
           << cast<ShapedType>(getSource().getType()).getElementType()
           << ": a shift sends bytes, so elements must be index or an "
              "integer or float whose width is a power of two of at least 8 "
              "bits";
  if (failed(verifyByteSizes(*this)))
    return failure();
  auto buffer = dyn_cast<MemRefType>(getSource().getType());
  if (buffer && failed(verifyContiguous(*this, buffer)))
    return failure();
  if (buffer && !getDest())
    return emitOpError("a shift of a buffer needs a destination buffer "
                       "('into %dest')");
  if (getDynamicOffset() && getOffsetAttr())
    return emitOpError("takes its offset as the 'offset' attribute or as "
                       "the 'dynamic_offset' operand, not both");
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
    if (!grid || start.getAxis() >= static_cast<uint64_t>(grid.getRank()))
      return failure();
    int64_t size = grid.getShape()[start.getAxis()];
    std::optional<int64_t> offset = start.getStaticOffset();
    if (ShapedType::isDynamic(size) || size <= 0 || !offset ||
        *offset % size != 0 || !start.getFuture().hasOneUse())
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
