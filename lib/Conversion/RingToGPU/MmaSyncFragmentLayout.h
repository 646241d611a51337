//===- MmaSyncFragmentLayout.h - Who holds what of an mma.sync --*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// Internal to the ring-to-GPU conversion. The fragments of
// mma.sync.aligned.m16n8k16.row.col with f16/bf16 A and B and f32 C/D, as
// the PTX ISA lays them out across a warp ("Matrix Fragments for
// mma.m16n8k16 with floating point type"). Lane l is thread
// threadInGroup(l) of group groupId(l); each element a lane holds sits at a
// row and a column that are a lane part (the group, or the group thread's
// column pair) plus an element part the same in every lane, which is what
// lets a kernel compute the lane part once and add constants.
//
//===----------------------------------------------------------------------===//

#ifndef RINGATTN_LIB_CONVERSION_RINGTOGPU_MMASYNCFRAGMENTLAYOUT_H
#define RINGATTN_LIB_CONVERSION_RINGTOGPU_MMASYNCFRAGMENTLAYOUT_H

#include <cstdint>

namespace mlir {
namespace ring {

struct MmaSyncFragmentLayout {
  /// The tile shape: D (M x N) = A (M x K) B (K x N) + C.
  static constexpr int64_t kM = 16, kN = 8, kK = 16;
  /// Lanes of one group: they hold the same rows of A and C/D, so a row's
  /// reduction is over these four lanes (shuffles with XOR 1 and 2).
  static constexpr int64_t kGroupLanes = 4;
  /// 16-bit elements per 32-bit A or B register; a register's two elements
  /// are adjacent columns of A or adjacent rows of B.
  static constexpr int64_t kPerRegister = 2;
  /// Elements per lane: a0..a7 in 4 registers, b0..b3 in 2, c0..c3 in 4.
  static constexpr int64_t kAElements = 8, kBElements = 4, kCElements = 4;

  static constexpr int64_t groupId(int64_t lane) { return lane / kGroupLanes; }
  static constexpr int64_t threadInGroup(int64_t lane) {
    return lane % kGroupLanes;
  }
  /// The lane part of the columns of A and C/D and of the rows of B: the
  /// first of the group thread's column pair.
  static constexpr int64_t pairColumn(int64_t lane) {
    return threadInGroup(lane) * kPerRegister;
  }

  /// A (row-major M x K): element i of a lane lies in row groupId + 8 for
  /// registers 1 and 3, column pairColumn + 8 for registers 2 and 3.
  static constexpr int64_t aRowOffset(int64_t i) { return i / 2 % 2 * 8; }
  static constexpr int64_t aColOffset(int64_t i) { return i / 4 * 8 + i % 2; }
  static constexpr int64_t aRow(int64_t lane, int64_t i) {
    return groupId(lane) + aRowOffset(i);
  }
  static constexpr int64_t aCol(int64_t lane, int64_t i) {
    return pairColumn(lane) + aColOffset(i);
  }

  /// B (column-major K x N): element i lies in column groupId and row
  /// pairColumn, + 8 for register 1.
  static constexpr int64_t bRowOffset(int64_t i) { return i / 2 * 8 + i % 2; }
  static constexpr int64_t bRow(int64_t lane, int64_t i) {
    return pairColumn(lane) + bRowOffset(i);
  }
  static constexpr int64_t bCol(int64_t lane, int64_t) { return groupId(lane); }

  /// C and D (M x N): element i lies in row groupId (+ 8 for i >= 2) and
  /// column pairColumn + i % 2.
  static constexpr int64_t cRowOffset(int64_t i) { return i / 2 * 8; }
  static constexpr int64_t cColOffset(int64_t i) { return i % 2; }
  static constexpr int64_t cRow(int64_t lane, int64_t i) {
    return groupId(lane) + cRowOffset(i);
  }
  static constexpr int64_t cCol(int64_t lane, int64_t i) {
    return pairColumn(lane) + cColOffset(i);
  }

  /// The element of a C/D fragment at the same place of its tile as A
  /// element i of a K-slice that spans two C tiles (cTileOf(i)): a product's
  /// accumulators become the next product's A operand without a shuffle
  /// (FlashAttention-2's reuse of P).
  static constexpr int64_t cTileOf(int64_t i) { return aColOffset(i) / kN; }
  static constexpr int64_t cElementOf(int64_t i) {
    return aRowOffset(i) / 8 * 2 + aColOffset(i) % kN;
  }
};

} // namespace ring
} // namespace mlir

#endif // RINGATTN_LIB_CONVERSION_RINGTOGPU_MMASYNCFRAGMENTLAYOUT_H
