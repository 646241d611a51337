//===- MmaSyncFragmentLayoutTest.cpp - mma.sync fragments vs. the PTX ISA -===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// MmaSyncFragmentLayout against the PTX ISA's tables for
// mma.m16n8k16 with .f16/.bf16 A and B and .f32 C/D ("Matrix Fragments for
// mma.m16n8k16 with floating point type"). The expectations are the ISA's
// formulas as it writes them, and a few elements worked out by hand, not
// the helper's own arithmetic; every element of each matrix must be held by
// exactly one (lane, element).
//
//===----------------------------------------------------------------------===//

#include "MmaSyncFragmentLayout.h"

#include "gtest/gtest.h"

#include <set>
#include <utility>

using mlir::ring::MmaSyncFragmentLayout;

namespace {

using Layout = MmaSyncFragmentLayout;

// The ISA's text, for a lane and element i.
int groupID(int laneid) { return laneid >> 2; }
int threadID_in_group(int laneid) { return laneid % 4; }

int isaARow(int laneid, int i) {
  // row = groupID for ai where 0 <= i < 2 || 4 <= i < 6; groupID + 8
  // otherwise.
  if ((0 <= i && i < 2) || (4 <= i && i < 6))
    return groupID(laneid);
  return groupID(laneid) + 8;
}
int isaACol(int laneid, int i) {
  // col = (threadID_in_group * 2) + (i & 0x1) for ai where i < 4, + 8 for
  // i >= 4.
  int col = (threadID_in_group(laneid) * 2) + (i & 0x1);
  return i < 4 ? col : col + 8;
}
int isaBRow(int laneid, int i) {
  // row = (threadID_in_group * 2) + (i & 0x1) for bi where i < 2, + 8 for
  // i >= 2.
  int row = (threadID_in_group(laneid) * 2) + (i & 0x1);
  return i < 2 ? row : row + 8;
}
int isaBCol(int laneid, int) { return groupID(laneid); }
int isaCRow(int laneid, int i) {
  // row = groupID for ci where i < 2; groupID + 8 for i >= 2.
  return i < 2 ? groupID(laneid) : groupID(laneid) + 8;
}
int isaCCol(int laneid, int i) {
  // col = (threadID_in_group * 2) + (i & 0x1) for ci where i = {0,..,3}.
  return (threadID_in_group(laneid) * 2) + (i & 0x1);
}

TEST(MmaSyncFragmentLayout, Shape) {
  EXPECT_EQ(Layout::kM, 16);
  EXPECT_EQ(Layout::kN, 8);
  EXPECT_EQ(Layout::kK, 16);
  // Four .f16x2 registers of A, two of B, four .f32 of C/D per lane.
  EXPECT_EQ(Layout::kAElements, 8);
  EXPECT_EQ(Layout::kBElements, 4);
  EXPECT_EQ(Layout::kCElements, 4);
  EXPECT_EQ(Layout::kPerRegister, 2);
}

TEST(MmaSyncFragmentLayout, MatchesIsaFormulas) {
  for (int lane = 0; lane < 32; ++lane) {
    SCOPED_TRACE(lane);
    EXPECT_EQ(Layout::groupId(lane), groupID(lane));
    EXPECT_EQ(Layout::threadInGroup(lane), threadID_in_group(lane));
    for (int i = 0; i < 8; ++i) {
      EXPECT_EQ(Layout::aRow(lane, i), isaARow(lane, i)) << "a" << i;
      EXPECT_EQ(Layout::aCol(lane, i), isaACol(lane, i)) << "a" << i;
    }
    for (int i = 0; i < 4; ++i) {
      EXPECT_EQ(Layout::bRow(lane, i), isaBRow(lane, i)) << "b" << i;
      EXPECT_EQ(Layout::bCol(lane, i), isaBCol(lane, i)) << "b" << i;
      EXPECT_EQ(Layout::cRow(lane, i), isaCRow(lane, i)) << "c" << i;
      EXPECT_EQ(Layout::cCol(lane, i), isaCCol(lane, i)) << "c" << i;
    }
  }
}

// Spot checks worked out by hand from the ISA's figures: T0 holds a0, a1
// at (0, 0), (0, 1) and a7 at (8, 9); T5 (group 1, thread 1) a2 at (9, 2);
// T31 a6 at (15, 14), b3 at (15, 7) and c1 at (7, 7).
TEST(MmaSyncFragmentLayout, HandWorkedElements) {
  struct Spot {
    char matrix;
    int64_t lane, i, row, col;
  };
  const Spot spots[] = {{'a', 0, 0, 0, 0},    {'a', 0, 1, 0, 1},
                        {'a', 0, 7, 8, 9},    {'a', 5, 2, 9, 2},
                        {'a', 31, 6, 15, 14}, {'b', 31, 3, 15, 7},
                        {'c', 31, 1, 7, 7}};
  for (const Spot &spot : spots) {
    SCOPED_TRACE(testing::Message()
                 << spot.matrix << spot.i << " of lane " << spot.lane);
    auto [row, col] =
        spot.matrix == 'a'   ? std::make_pair(Layout::aRow(spot.lane, spot.i),
                                              Layout::aCol(spot.lane, spot.i))
        : spot.matrix == 'b' ? std::make_pair(Layout::bRow(spot.lane, spot.i),
                                              Layout::bCol(spot.lane, spot.i))
                             : std::make_pair(Layout::cRow(spot.lane, spot.i),
                                              Layout::cCol(spot.lane, spot.i));
    EXPECT_EQ(row, spot.row);
    EXPECT_EQ(col, spot.col);
  }
}

// Each element of A (16 x 16), B (16 x 8) and C (16 x 8) is held once.
TEST(MmaSyncFragmentLayout, CoversEachElementOnce) {
  std::set<std::pair<int64_t, int64_t>> a, bMatrix, c;
  for (int lane = 0; lane < 32; ++lane) {
    for (int i = 0; i < Layout::kAElements; ++i)
      EXPECT_TRUE(
          a.insert({Layout::aRow(lane, i), Layout::aCol(lane, i)}).second);
    for (int i = 0; i < Layout::kBElements; ++i)
      EXPECT_TRUE(bMatrix.insert({Layout::bRow(lane, i), Layout::bCol(lane, i)})
                      .second);
    for (int i = 0; i < Layout::kCElements; ++i)
      EXPECT_TRUE(
          c.insert({Layout::cRow(lane, i), Layout::cCol(lane, i)}).second);
  }
  EXPECT_EQ(a.size(), size_t(16 * 16));
  EXPECT_EQ(bMatrix.size(), size_t(16 * 8));
  EXPECT_EQ(c.size(), size_t(16 * 8));
  for (auto [row, col] : a)
    EXPECT_TRUE(row < 16 && col < 16);
  for (auto [row, col] : bMatrix)
    EXPECT_TRUE(row < 16 && col < 8);
  for (auto [row, col] : c)
    EXPECT_TRUE(row < 16 && col < 8);
}

// A's element i of a 16-wide k-slice sits where element cElementOf(i) of
// n-tile cTileOf(i) of the accumulators of the same rows does: the P V
// product reads P from the score accumulators in place.
TEST(MmaSyncFragmentLayout, AccumulatorsAsAOperand) {
  for (int lane = 0; lane < 32; ++lane)
    for (int i = 0; i < 8; ++i) {
      int64_t tile = Layout::cTileOf(i), e = Layout::cElementOf(i);
      ASSERT_TRUE(tile == 0 || tile == 1);
      ASSERT_TRUE(e >= 0 && e < 4);
      EXPECT_EQ(isaCRow(lane, e), isaARow(lane, i)) << lane << " a" << i;
      EXPECT_EQ(8 * tile + isaCCol(lane, e), isaACol(lane, i))
          << lane << " a" << i;
    }
}

} // namespace
