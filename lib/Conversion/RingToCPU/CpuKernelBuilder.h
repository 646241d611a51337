//===- CpuKernelBuilder.h - What the CPU attention kernels share -*- C++
//-*-===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// Internal to the ring-to-CPU conversion. The forward kernel
// (FlashAttentionKernel.cpp) and the backward kernel
// (FlashAttentionGradKernel.cpp) are written in the same register-tiled
// vector loops: a block's geometry, f32 scratch freed on return, the
// broadcast-FMA micro-kernel, the mask of a tile of scores, and one kernel
// function per block signature. This builder owns those once.
//
//===----------------------------------------------------------------------===//

#ifndef RINGATTN_LIB_CONVERSION_RINGTOCPU_CPUKERNELBUILDER_H
#define RINGATTN_LIB_CONVERSION_RINGTOCPU_CPUKERNELBUILDER_H

#include "AttentionIR/AttentionIRBuilder.h"

#include "RingAttn/Dialect/Ring/IR/PositionMask.h"
#include "RingAttn/Transforms/CpuTarget.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinTypes.h"

namespace mlir {
namespace ring {

/// The sizes and mask of one block, read from a block op (forward or
/// gradient: they name their operands alike).
struct BlockGeometry {
  int64_t batch, queryHeads, kvHeads, queryLen, keyLen, headDim;
  Type elementType;
  PositionMask mask;
  int64_t queryStride, keyStride;
  float scale;
  /// The logit cap, 0 for none.
  float softcap;

  template <typename BlockOp> static BlockGeometry of(BlockOp op) {
    ShapedType q = op.getQuery().getType(), k = op.getKey().getType();
    return {q.getDimSize(0),
            q.getDimSize(1),
            k.getDimSize(1),
            q.getDimSize(2),
            k.getDimSize(2),
            q.getDimSize(3),
            q.getElementType(),
            op.getPositionMask(),
            static_cast<int64_t>(op.getQueryStride()),
            static_cast<int64_t>(op.getKeyStride()),
            op.getScaleOrDefault(),
            op.getSoftcapAttr()
                ? op.getSoftcapAttr().getValue().convertToFloat()
                : 0.0f};
  }
};

class CpuKernelBuilder : protected AttentionIRBuilder {
protected:
  CpuKernelBuilder(ImplicitLocOpBuilder &b, const BlockGeometry &block,
                   const CpuKernelShape &shape);

  Value splat(VectorType type, Value scalar);
  Value zeroVector(VectorType type);
  Value toI32(Value index);

  /// A scratch buffer of the kernel, freed by freeScratch before it
  /// returns.
  Value scratch(ArrayRef<int64_t> shape);
  void freeScratch();

  /// The register tile of every product: for i in [0, extent),
  /// acc[r][c] += broadcast(scalarAt(i, r)) * vectorAt(i, c), with `rows`
  /// rows and `vectors` vectors of `type` per row carried in registers.
  SmallVector<Value>
  broadcastFmaLoop(int64_t extent, VectorType type, int64_t rows,
                   int64_t vectors, ValueRange init,
                   function_ref<Value(Value, int64_t)> vectorAt,
                   function_ref<Value(Value, int64_t)> scalarAt);

  /// Sets the scores of query rows q0 + rowBlock + [0, shape.rows) against
  /// keys k0 + [0, shape.keyChunk()) (rows x scoreVectors vectors) to -inf
  /// where the key is past the block's end (a ragged last tile of `keyTile`
  /// keys) or the mask hides it from the query.
  void maskScores(MutableArrayRef<Value> scores, Value q0, Value k0,
                  Value rowBlock, int64_t keyTile);

  /// With a logit cap c, replaces each score s of a register tile by
  /// c * tanh(s / c) (before the mask: a masked -inf must stay -inf) and,
  /// when `slopes` is given, sets it to the cap's derivative 1 - tanh^2,
  /// which the gradient's dS carries. Nothing without a cap.
  void capScores(MutableArrayRef<Value> scores,
                 SmallVectorImpl<Value> *slopes = nullptr);

  /// Whether the mask lets query row `queryRow` (an index), at
  /// `queryPosition`, see a key at `keyPosition` (index scalars or i32
  /// vectors of one type); null when it hides nothing. The key must be
  /// within the query's reach ahead (causal, window_right) and behind
  /// (window_left), both before the padding, and in the query's document.
  Value visible(Value queryRow, Value queryPosition, Value keyPosition);
  /// Whether some key from `firstKey` to `lastKey` (positions: index
  /// scalars or i32 vectors) lies in the documents of query rows `firstRow`
  /// to `lastRow` (documents follow the rows): the last key at or after the
  /// first row's document begin, the first key before the last row's
  /// document end. For one row and one key: the key is in the row's
  /// document. Null without documents.
  Value documentsMeet(Value firstRow, Value lastRow, Value firstKey,
                      Value lastKey);
  /// The bound of query row `row` in `bounds` (documentBegin or
  /// documentEnd) as `type`: index, or an i32 vector (splat).
  Value rowBound(Value bounds, Value row, Type type);
  /// The positions each of the mask's conditions is decided on: the reach
  /// ahead on one (query, key) pair, the reach behind on another, and the
  /// padding on a query and a key.
  struct DecidingPositions {
    Value aheadQuery, aheadKey, behindQuery, behindKey, query, key;
  };
  /// Every condition of the mask on its positions, and-ed; null when the
  /// mask hides nothing.
  Value allowedBy(const DecidingPositions &positions);
  Value withinReachAhead(Value queryPosition, Value keyPosition);
  Value withinTokens(Value from, Value to, std::optional<int64_t> tokens);
  Value withinReachBehind(Value queryPosition, Value keyPosition);
  /// Whether `position` comes before the padding; null without `length`.
  Value beforePadding(Value position);
  /// x and y, where a null one is true.
  Value both(Value x, Value y);
  /// `value` as an index, or splat as i32 in the vector type of `like`.
  Value constantLike(Value like, int64_t value);
  /// Whether any of the block's queries [q0, q0 + queries) may see any of
  /// its keys [k0, k0 + keys) (both clamped to the block, positions
  /// increasing with the row); null when the mask hides nothing.
  Value tilesMayInteract(Value q0, int64_t queries, Value k0, int64_t keys);
  /// The keys [begin, end) that the block's queries [q0, q0 + rows) may
  /// see, `begin` rounded down to a multiple of `keyTile`: the key tiles a
  /// query tile visits.
  std::pair<Value, Value> visibleKeyTiles(Value q0, Value rows,
                                          int64_t keyTile);

  /// The kernel function of `signature`, created at the end of the module
  /// of `anchor` on first use (named `name`, internal, never inlined, its
  /// body filled by `emitBody` from the entry block's arguments) and found
  /// again by its `ring.kernel_signature`: every block of the same
  /// signature calls one copy, so compile time does not grow with the
  /// number of blocks.
  func::FuncOp getOrCreateKernel(Operation *anchor, StringRef name,
                                 TypeRange argTypes, StringRef signature,
                                 function_ref<void(ValueRange)> emitBody);

  /// `buffer` as a view with any offset and outer strides, rows contiguous:
  /// one kernel takes every chunk of a ring layout.
  Value asKernelInput(Value buffer);

  /// What makes two kernels of the same op the same, besides their tiles.
  std::string blockSignature(TypeRange argTypes) const;

  BlockGeometry block;
  CpuKernelShape shape;
  Type f32, i32;
  VectorType scoreVec;
  /// The global position of row 0 of the block (kernel arguments).
  Value queryOffset, keyOffset;
  /// With documents, the global positions [begin, end) of the keys each
  /// query row's document holds (kernel arguments, i32 per row).
  Value documentBegin, documentEnd;

private:
  SmallVector<Value> scratchBuffers;
};

/// Adds `attribute` to the LLVM function attributes `op` will carry.
void addPassthrough(Operation *op, StringRef attribute);

} // namespace ring
} // namespace mlir

#endif // RINGATTN_LIB_CONVERSION_RINGTOCPU_CPUKERNELBUILDER_H
