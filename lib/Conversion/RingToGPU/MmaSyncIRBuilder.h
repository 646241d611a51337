//===- MmaSyncIRBuilder.h - Warp-level mma.sync IR -------------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// Internal to the ring-to-GPU conversion. What the tensor-core kernels (the
// forward, TensorCoreFlashKernel.cpp, and the backward,
// TensorCoreFlashGradKernel.cpp) build per warp: the lane parts of the
// fragment layouts (MmaSyncFragmentLayout.h), rows copied to shared memory
// by cp.async, ldmatrix.x4, mma.sync m16n8k16 with f32 accumulators, and
// reductions over the four lanes that share a fragment row.
//
// Tiles in shared memory are row-major with rows of tileRowPitch elements;
// every operand of a product comes from one through ldmatrix, or from the
// accumulators of an earlier product (FlashAttention-2's reuse of P).
//
//===----------------------------------------------------------------------===//

#ifndef RINGATTN_LIB_CONVERSION_RINGTOGPU_MMASYNCIRBUILDER_H
#define RINGATTN_LIB_CONVERSION_RINGTOGPU_MMASYNCIRBUILDER_H

#include "mlir/IR/ImplicitLocOpBuilder.h"

namespace mlir {
namespace ring {

/// The lane part of an ldmatrix.x4 address (row, column in the tile). Lanes
/// 8i..8i+7 give the rows of 8x8 tile i, which lands in result register i;
/// one bit of i moves the tile down 8 rows, the other right 8 columns.
struct LdMatrixLanes {
  Value row, col;
};

class MmaSyncIRBuilder {
public:
  /// Computes the lane parts for thread `thread` of a block of `threads`
  /// threads whose tiles hold `element` rows of `headDim`.
  MmaSyncIRBuilder(ImplicitLocOpBuilder &b, Type element, int64_t headDim,
                   Value thread, int64_t threads);

  /// Where element (row, col) of a tile sits in its shared-memory view.
  using TilePlace = function_ref<std::pair<Value, Value>(Value, Value)>;

  /// cp.async of rows [row0, row0 + count) of (batch, head) of `source` into
  /// `tile`, 16 bytes a copy; rows past `len` repeat its last row. Each
  /// thread issues the same number of copies, unrolled so the tokens can be
  /// committed together; where the chunks do not divide evenly, the last
  /// round's extra threads copy the last chunk again (same bytes, same
  /// place). Row r, column c lands at tile[r, c], or at tile[place(r, c)]
  /// (a swizzled layout, WarpgroupMmaIRBuilder.h).
  SmallVector<Value> copyRowsAsync(Value source, Value batch, Value head,
                                   Value row0, Value len, Value tile,
                                   int64_t count, TilePlace place = nullptr);
  /// Closes a cp.async group of `copies` (none: of whatever this thread
  /// issued since its last group, as cp.async.commit_group does).
  Value commit(ValueRange copies);
  /// Waits for the groups this thread committed, `group` the newest, all
  /// but the newest `pending` of them.
  void waitForCopies(Value group, int32_t pending = 0);

  /// ldmatrix.x4 at (row, col) + this lane's part: four registers.
  SmallVector<Value, 4> ldmatrix(Value tile, Value row, Value col,
                                 const LdMatrixLanes &lanes, bool transpose);
  /// An mma.sync operand register from two f32 values, rounded to the
  /// element type: how an accumulator becomes an A operand.
  Value packF32Pair(Value x0, Value x1);
  /// D = A B + C for one m16n8k16 tile; A is 4 registers, B 2, C 4 floats.
  SmallVector<Value> mma(ArrayRef<Value> a, ArrayRef<Value> bFrag,
                         ArrayRef<Value> acc);
  /// Accumulates the products of the m-tiles' A registers `a` with a pair of
  /// n-tiles' B registers (ldmatrix.x4 of two (b0, b1)) into `acc`, whose
  /// element e of (m-tile mi, n-tile nt) is acc[at(mi, nt, e)], at n-tiles
  /// nt0 and nt0 + 1.
  void mmaTilePair(ArrayRef<SmallVector<Value, 4>> a, ArrayRef<Value> pairOfB,
                   int64_t nt0,
                   function_ref<int64_t(int64_t, int64_t, int64_t)> at,
                   SmallVector<Value> &acc);
  /// The value of `x` in every lane of its group combined with `combine`:
  /// the four lanes of a fragment row hold disjoint columns of that row.
  Value quadReduce(Value x, function_ref<Value(Value, Value)> combine);

  /// The lane's warp, its group (C rows groupId, groupId + 8) and the first
  /// of its pair of C columns.
  Value warp, groupId, pairCol;
  /// ldmatrix lanes of a row-major A operand, and of a B operand read with
  /// .trans (a row-major K x N tile): registers a0..a3, or (b0, b1) of two
  /// n-tiles.
  LdMatrixLanes rowMajorLanes;
  /// ldmatrix lanes of a B operand whose columns are the tile's rows (B =
  /// K^T with K row-major): (b0, b1) of n-tile 0, then of n-tile 1.
  LdMatrixLanes transposedLanes;

private:
  /// An operand register as the NVVM op wants it: vector<2xf16>, or a bf16
  /// pair packed in an i32.
  Value packPair(Value pair);
  Value idx(int64_t v);

  ImplicitLocOpBuilder &b;
  Type element;
  int64_t headDim, threads;
  Value thread;
};

} // namespace ring
} // namespace mlir

#endif // RINGATTN_LIB_CONVERSION_RINGTOGPU_MMASYNCIRBUILDER_H
