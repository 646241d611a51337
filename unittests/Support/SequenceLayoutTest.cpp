//===- SequenceLayoutTest.cpp - Layout position arithmetic ----------------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception

#include "RingAttn/Support/SequenceLayout.h"

#include <gtest/gtest.h>

#include <set>

using namespace ringattn;

namespace {

class LayoutTest : public ::testing::TestWithParam<Layout> {};

// Every layout is a bijection from (rank, local token) onto [0, N*L).
TEST_P(LayoutTest, CoversTheSequenceExactlyOnce) {
  for (int64_t ranks : {1, 2, 3, 4, 8}) {
    for (int64_t local : {2, 4, 6, 10}) {
      std::set<int64_t> seen;
      for (int64_t rank = 0; rank < ranks; ++rank)
        for (int64_t t = 0; t < local; ++t) {
          int64_t g = globalPosition(GetParam(), ranks, rank, local, t);
          EXPECT_GE(g, 0);
          EXPECT_LT(g, ranks * local);
          EXPECT_TRUE(seen.insert(g).second)
              << "position " << g << " held twice";
        }
      EXPECT_EQ(static_cast<int64_t>(seen.size()), ranks * local);
    }
  }
}

// The chunks tile the local tokens in order, without gaps.
TEST_P(LayoutTest, ChunksTileLocalTokens) {
  for (int64_t ranks : {1, 3, 4})
    for (int64_t rank = 0; rank < ranks; ++rank) {
      int64_t next = 0;
      for (const Chunk &chunk : layoutChunks(GetParam(), ranks, rank, 8)) {
        EXPECT_EQ(chunk.localBegin, next);
        EXPECT_GT(chunk.globalStride, 0);
        next += chunk.length;
      }
      EXPECT_EQ(next, 8);
    }
}

INSTANTIATE_TEST_SUITE_P(AllLayouts, LayoutTest,
                         ::testing::Values(Layout::Contiguous, Layout::Zigzag,
                                           Layout::Striped),
                         [](const ::testing::TestParamInfo<Layout> &info) {
                           return std::string(layoutName(info.param));
                         });

TEST(Layout, MatchesTheDefinitions) {
  // N=4, L=4: contiguous rank 2 holds 8..11.
  EXPECT_EQ(globalPosition(Layout::Contiguous, 4, 2, 4, 3), 11);
  // Zigzag: chunks of 2; rank 1 holds chunks 1 and 6 -> 2,3,12,13.
  EXPECT_EQ(globalPosition(Layout::Zigzag, 4, 1, 4, 0), 2);
  EXPECT_EQ(globalPosition(Layout::Zigzag, 4, 1, 4, 1), 3);
  EXPECT_EQ(globalPosition(Layout::Zigzag, 4, 1, 4, 2), 12);
  EXPECT_EQ(globalPosition(Layout::Zigzag, 4, 1, 4, 3), 13);
  // Striped: rank 3 of 4 holds 3, 7, 11, 15.
  EXPECT_EQ(globalPosition(Layout::Striped, 4, 3, 4, 2), 11);
}

TEST(Layout, ParsesNames) {
  for (Layout layout : {Layout::Contiguous, Layout::Zigzag, Layout::Striped})
    EXPECT_EQ(parseLayout(layoutName(layout)), layout);
  EXPECT_FALSE(parseLayout("diagonal").has_value());
}

} // namespace
