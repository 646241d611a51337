//===- CpuKernelBuilder.cpp - What the CPU attention kernels share --------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception

#include "CpuKernelBuilder.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/SymbolTable.h"

using namespace mlir;
using namespace mlir::ring;

CpuKernelBuilder::CpuKernelBuilder(ImplicitLocOpBuilder &b,
                                   const BlockGeometry &block,
                                   const CpuKernelShape &shape)
    : AttentionIRBuilder(b, ScoreBase::Natural), block(block), shape(shape) {
  f32 = b.getF32Type();
  i32 = b.getI32Type();
  scoreVec = VectorType::get({shape.lanes}, f32);
}

Value CpuKernelBuilder::splat(VectorType type, Value scalar) {
  return vector::BroadcastOp::create(b, type, scalar);
}

Value CpuKernelBuilder::zeroVector(VectorType type) {
  return arith::ConstantOp::create(
      b, DenseElementsAttr::get(type, b.getF32FloatAttr(0.0f)));
}

Value CpuKernelBuilder::toI32(Value index) {
  return arith::IndexCastOp::create(b, i32, index);
}

Value CpuKernelBuilder::scratch(ArrayRef<int64_t> sizes) {
  Value buffer = memref::AllocOp::create(b, MemRefType::get(sizes, f32));
  scratchBuffers.push_back(buffer);
  return buffer;
}

void CpuKernelBuilder::freeScratch() {
  for (Value buffer : scratchBuffers)
    memref::DeallocOp::create(b, buffer);
  scratchBuffers.clear();
}

SmallVector<Value> CpuKernelBuilder::broadcastFmaLoop(
    int64_t extent, VectorType type, int64_t rows, int64_t vectors,
    ValueRange init, function_ref<Value(Value, int64_t)> vectorAt,
    function_ref<Value(Value, int64_t)> scalarAt) {
  return forLoop(
      idx(0), idx(extent), idx(1), init, [&](Value i, ValueRange acc) {
        SmallVector<Value> row;
        for (int64_t c = 0; c < vectors; ++c)
          row.push_back(vectorAt(i, c));
        SmallVector<Value> next;
        for (int64_t r = 0; r < rows; ++r) {
          Value scalar = splat(type, scalarAt(i, r));
          for (int64_t c = 0; c < vectors; ++c)
            next.push_back(
                vector::FMAOp::create(b, scalar, row[c], acc[r * vectors + c]));
        }
        return next;
      });
}

void CpuKernelBuilder::maskScores(MutableArrayRef<Value> scores, Value q0,
                                  Value k0, Value rowBlock, int64_t keyTile) {
  bool raggedTail = block.keyLen % keyTile != 0;
  if (!raggedTail && !block.mask.any())
    return;
  const int64_t lanes = shape.lanes, vectors = shape.scoreVectors;
  VectorType laneIdxType = VectorType::get({lanes}, i32);
  SmallVector<int32_t> laneIds(lanes);
  for (int64_t l = 0; l < lanes; ++l)
    laneIds[l] = l;
  Value iota = arith::ConstantOp::create(
      b, DenseElementsAttr::get(laneIdxType, ArrayRef<int32_t>(laneIds)));
  Value masked = splat(scoreVec, minusInf());
  for (int64_t c = 0; c < vectors; ++c) {
    Value keyIdx = arith::AddIOp::create(
        b, splat(laneIdxType, toI32(add(k0, idx(c * lanes)))), iota);
    Value inRange;
    if (raggedTail)
      inRange =
          arith::CmpIOp::create(b, arith::CmpIPredicate::slt, keyIdx,
                                splat(laneIdxType, toI32(idx(block.keyLen))));
    Value keyPos;
    if (block.mask.any())
      keyPos =
          position(splat(laneIdxType, toI32(keyOffset)),
                   splat(laneIdxType, toI32(idx(block.keyStride))), keyIdx);
    for (int64_t r = 0; r < shape.rows; ++r) {
      Value keep = inRange;
      if (block.mask.any()) {
        Value queryIdx = add(q0, add(rowBlock, idx(r)));
        Value queryPos =
            position(queryOffset, idx(block.queryStride), queryIdx);
        Value seen =
            visible(queryIdx, splat(laneIdxType, toI32(queryPos)), keyPos);
        keep = both(keep, seen);
      }
      Value &s = scores[r * vectors + c];
      s = arith::SelectOp::create(b, keep, s, masked);
    }
  }
}

void CpuKernelBuilder::capScores(MutableArrayRef<Value> scores,
                                 SmallVectorImpl<Value> *slopes) {
  if (block.softcap == 0)
    return;
  Value inverse = splat(scoreVec, f32Const(1.0f / block.softcap));
  Value cap = splat(scoreVec, f32Const(block.softcap));
  Value one = splat(scoreVec, f32Const(1.0f));
  for (Value &score : scores) {
    Value t = math::TanhOp::create(b, mulf(score, inverse));
    score = mulf(t, cap);
    if (slopes)
      slopes->push_back(arith::SubFOp::create(b, one, mulf(t, t)));
  }
}

/// Whether `to - from <= tokens`, written `from + tokens >= to`; null when
/// unbounded.
Value CpuKernelBuilder::withinTokens(Value from, Value to,
                                     std::optional<int64_t> tokens) {
  if (!tokens)
    return nullptr;
  Value reach = *tokens ? add(from, constantLike(from, *tokens)) : from;
  return notInFuture(reach, to);
}

Value CpuKernelBuilder::withinReachAhead(Value queryPosition,
                                         Value keyPosition) {
  return withinTokens(queryPosition, keyPosition, block.mask.maxAhead());
}

Value CpuKernelBuilder::withinReachBehind(Value queryPosition,
                                          Value keyPosition) {
  return withinTokens(keyPosition, queryPosition, block.mask.maxBehind());
}

Value CpuKernelBuilder::beforePadding(Value position) {
  if (!block.mask.length)
    return nullptr;
  return arith::CmpIOp::create(b, arith::CmpIPredicate::slt, position,
                               constantLike(position, *block.mask.length));
}

Value CpuKernelBuilder::visible(Value queryRow, Value queryPosition,
                                Value keyPosition) {
  Value band = allowedBy({queryPosition, keyPosition, queryPosition,
                          keyPosition, queryPosition, keyPosition});
  Value document = documentsMeet(queryRow, queryRow, keyPosition, keyPosition);
  return both(band, document);
}

Value CpuKernelBuilder::rowBound(Value bounds, Value row, Type type) {
  // The kernels also compute rows past the block's last (tiles padded to
  // whole register tiles), whose results they drop: read the last row's.
  Value inBlock = arith::MinSIOp::create(b, row, idx(block.queryLen - 1));
  Value bound = memref::LoadOp::create(b, bounds, ValueRange{inBlock});
  if (auto vector = dyn_cast<VectorType>(type))
    return splat(vector, bound);
  return arith::IndexCastOp::create(b, type, bound);
}

Value CpuKernelBuilder::documentsMeet(Value firstRow, Value lastRow,
                                      Value firstKey, Value lastKey) {
  if (!block.mask.documents)
    return nullptr;
  Value begin = rowBound(documentBegin, firstRow, lastKey.getType());
  Value end = rowBound(documentEnd, lastRow, firstKey.getType());
  Value reachesBegin =
      arith::CmpIOp::create(b, arith::CmpIPredicate::sge, lastKey, begin);
  Value beforeEnd =
      arith::CmpIOp::create(b, arith::CmpIPredicate::slt, firstKey, end);
  return both(reachesBegin, beforeEnd);
}

Value CpuKernelBuilder::allowedBy(const DecidingPositions &p) {
  // One statement per condition: the IR's order is then the same whatever
  // order a compiler evaluates arguments in.
  Value ahead = withinReachAhead(p.aheadQuery, p.aheadKey);
  Value behind = withinReachBehind(p.behindQuery, p.behindKey);
  Value realQuery = beforePadding(p.query);
  Value realKey = beforePadding(p.key);
  Value band = both(ahead, behind);
  Value real = both(realQuery, realKey);
  return both(band, real);
}

Value CpuKernelBuilder::both(Value x, Value y) {
  if (!x || !y)
    return x ? x : y;
  return arith::AndIOp::create(b, x, y);
}

Value CpuKernelBuilder::constantLike(Value like, int64_t value) {
  auto vector = dyn_cast<VectorType>(like.getType());
  return vector ? splat(vector, toI32(idx(value))) : idx(value);
}

Value CpuKernelBuilder::tilesMayInteract(Value q0, int64_t queries, Value k0,
                                         int64_t keys) {
  if (!block.mask.any())
    return nullptr;
  auto clampedRow = [&](Value first, int64_t inTile, int64_t len) {
    return arith::MinSIOp::create(b, add(first, idx(inTile)), idx(len - 1))
        .getResult();
  };
  Value firstRow = clampedRow(q0, 0, block.queryLen);
  Value lastRow = clampedRow(q0, queries - 1, block.queryLen);
  Value firstKeyRow = clampedRow(k0, 0, block.keyLen);
  Value lastKeyRow = clampedRow(k0, keys - 1, block.keyLen);
  Value queryStride = idx(block.queryStride), keyStride = idx(block.keyStride);
  Value firstQuery = position(queryOffset, queryStride, firstRow);
  Value lastQuery = position(queryOffset, queryStride, lastRow);
  Value firstKey = position(keyOffset, keyStride, firstKeyRow);
  Value lastKey = position(keyOffset, keyStride, lastKeyRow);
  // The nearest pairs decide: the last query against the first key for the
  // reach ahead, the first query against the last key for the reach behind;
  // and some query and some key come before the padding.
  Value band = allowedBy(
      {lastQuery, firstKey, firstQuery, lastKey, firstQuery, firstKey});
  // Documents follow the rows: the first query's begins first, the last
  // query's ends last.
  Value documents = documentsMeet(firstRow, lastRow, firstKey, lastKey);
  return both(band, documents);
}

std::pair<Value, Value> CpuKernelBuilder::visibleKeyTiles(Value q0, Value rows,
                                                          int64_t keyTile) {
  Value keyLen = idx(block.keyLen);
  Value begin = idx(0), end = keyLen;
  Value stride = idx(block.keyStride);
  // The last query reaches furthest ahead, the first furthest behind.
  if (std::optional<int64_t> ahead = block.mask.maxAhead()) {
    Value lastQuery = add(q0, arith::SubIOp::create(b, rows, idx(1)));
    Value reach = add(position(queryOffset, idx(block.queryStride), lastQuery),
                      idx(*ahead));
    end = causalKeyEnd(reach, keyOffset, stride, keyLen);
  }
  // No key from the padding on.
  if (std::optional<int64_t> length = block.mask.length) {
    Value lastReal = causalKeyEnd(idx(*length - 1), keyOffset, stride, keyLen);
    end = arith::MinSIOp::create(b, end, lastReal);
  }
  // Nor past the last query's document.
  if (block.mask.documents) {
    Value lastQuery = add(q0, arith::SubIOp::create(b, rows, idx(1)));
    Value documentEnd =
        rowBound(this->documentEnd, lastQuery, b.getIndexType());
    Value lastSeen = arith::SubIOp::create(b, documentEnd, idx(1));
    end = arith::MinSIOp::create(
        b, end, causalKeyEnd(lastSeen, keyOffset, stride, keyLen));
  }
  // The first key any query sees: the first query's reach behind, and the
  // start of its document.
  Value first;
  if (std::optional<int64_t> behind = block.mask.maxBehind()) {
    Value reach = arith::SubIOp::create(
        b, position(queryOffset, idx(block.queryStride), q0), idx(*behind));
    first = causalQueryBegin(reach, keyOffset, stride, keyLen);
  }
  if (block.mask.documents) {
    Value documentBegin = rowBound(this->documentBegin, q0, b.getIndexType());
    Value firstSeen =
        causalQueryBegin(documentBegin, keyOffset, stride, keyLen);
    first = first ? arith::MaxSIOp::create(b, first, firstSeen) : firstSeen;
  }
  if (first)
    begin = mul(arith::DivUIOp::create(b, first, idx(keyTile)), idx(keyTile));
  return {begin, end};
}

func::FuncOp
CpuKernelBuilder::getOrCreateKernel(Operation *anchor, StringRef name,
                                    TypeRange argTypes, StringRef signature,
                                    function_ref<void(ValueRange)> emitBody) {
  constexpr StringLiteral kSignatureAttr = "ring.kernel_signature";
  auto module = anchor->getParentOfType<ModuleOp>();
  for (auto kernel : module.getOps<func::FuncOp>())
    if (auto existing = kernel->getAttrOfType<StringAttr>(kSignatureAttr);
        existing && existing.getValue() == signature)
      return kernel;

  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToEnd(module.getBody());
  auto kernel = func::FuncOp::create(b, name, b.getFunctionType(argTypes, {}));
  SymbolTable(module).insert(kernel); // unique name
  kernel.setPrivate();
  kernel->setAttr(kSignatureAttr, b.getStringAttr(signature));
  // Internal to the object: two AOT objects each have their kernels.
  kernel->setAttr("llvm.linkage", LLVM::LinkageAttr::get(
                                      b.getContext(), LLVM::Linkage::Internal));
  // Compiled for speed on its own, never inlined into a caller that is
  // compiled for size (LowerBlockAttentionToCPU.cpp).
  addPassthrough(kernel, "noinline");
  Block *entry = kernel.addEntryBlock();
  b.setInsertionPointToStart(entry);
  emitBody(entry->getArguments());
  freeScratch();
  func::ReturnOp::create(b);
  return kernel;
}

Value CpuKernelBuilder::asKernelInput(Value buffer) {
  auto type = cast<MemRefType>(buffer.getType());
  int64_t dyn = ShapedType::kDynamic;
  auto layout = StridedLayoutAttr::get(b.getContext(), dyn, {dyn, dyn, dyn, 1});
  if (type.getRank() == 3)
    layout = StridedLayoutAttr::get(b.getContext(), dyn, {dyn, dyn, 1});
  if (type.getRank() == 1)
    layout = StridedLayoutAttr::get(b.getContext(), dyn, {1});
  return memref::CastOp::create(b,
                                MemRefType::get(type.getShape(),
                                                type.getElementType(), layout,
                                                type.getMemorySpace()),
                                buffer);
}

std::string CpuKernelBuilder::blockSignature(TypeRange argTypes) const {
  std::string signature;
  llvm::raw_string_ostream os(signature);
  llvm::interleave(argTypes, os, ",");
  const PositionMask &mask = block.mask;
  os << "|" << mask.causal << "," << mask.windowLeft.value_or(-1) << ","
     << mask.windowRight.value_or(-1) << "," << mask.length.value_or(-1) << ","
     << mask.documents << "|" << llvm::bit_cast<uint32_t>(block.softcap) << "|"
     << block.queryStride << "|" << block.keyStride << "|"
     << llvm::bit_cast<uint32_t>(block.scale) << "|" << shape.rows << "x"
     << shape.scoreVectors;
  return signature;
}

void mlir::ring::addPassthrough(Operation *op, StringRef attribute) {
  Builder b(op->getContext());
  SmallVector<Attribute> attributes;
  if (auto existing = op->getAttrOfType<ArrayAttr>("passthrough"))
    attributes.append(existing.begin(), existing.end());
  if (!llvm::is_contained(attributes, b.getStringAttr(attribute)))
    attributes.push_back(b.getStringAttr(attribute));
  op->setAttr("passthrough", b.getArrayAttr(attributes));
}
