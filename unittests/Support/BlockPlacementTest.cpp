//===- BlockPlacementTest.cpp - Checking and balancing placements ---------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception

#include "RingAttn/Support/BlockPlacement.h"
#include "RingAttn/Support/SequenceLayout.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>

using namespace ringattn;

namespace {

/// The busiest rank's work over the mean (1: balanced).
double maxOverMean(const std::vector<int32_t> &blocks,
                   const std::vector<double> &work, int64_t ranks) {
  std::vector<double> load(ranks, 0);
  int64_t perRank = static_cast<int64_t>(blocks.size()) / ranks;
  for (size_t i = 0; i < blocks.size(); ++i)
    load[i / perRank] += work[blocks[i]];
  double total = 0;
  for (double l : load)
    total += l;
  return *std::max_element(load.begin(), load.end()) / (total / ranks);
}

TEST(BlockPlacement, NamesWhatIsWrong) {
  EXPECT_EQ(placementError({1, 0, 3, 2}, 2, 8), "");
  EXPECT_EQ(placementError({0, 1, 2}, 2, 8),
            "a placement of 3 blocks does not give each of 2 ranks the same "
            "number");
  EXPECT_EQ(placementError({0, 1, 2, 3, 4, 5}, 2, 8),
            "3 blocks per rank do not divide 8 local tokens");
  EXPECT_EQ(placementError({0, 4, 2, 3}, 2, 8),
            "entry 1 is block 4, not in [0, 4)");
  EXPECT_EQ(placementError({0, 2, 2, 3}, 2, 8),
            "block 2 is placed twice (again at entry 2)");
  EXPECT_NE(placementError({}, 2, 8), "");
}

// The shape alone: what a host checks before it has any blocks.
TEST(BlockPlacement, NamesAShapeThatCannotFit) {
  EXPECT_EQ(placementShapeError(4, 2, 8), "");
  EXPECT_EQ(placementShapeError(3, 2, 8),
            "a placement of 3 blocks does not give each of 2 ranks the same "
            "number");
  EXPECT_EQ(placementShapeError(0, 2, 8),
            "a placement of 0 blocks does not give each of 2 ranks the same "
            "number");
  EXPECT_EQ(placementShapeError(6, 2, 8),
            "3 blocks per rank do not divide 8 local tokens");
}

// A placement puts block blocks[r*k + j] at rank r's j-th local block, and
// covers the sequence once.
TEST(BlockPlacement, PositionsFollowTheBlocks) {
  SequencePlacement placement{Layout::Contiguous, {3, 0, 1, 2}};
  // N=2, L=4, k=2 blocks of 2: rank 0 holds blocks 3 and 0.
  EXPECT_EQ(globalPosition(placement, 2, 0, 4, 0), 6);
  EXPECT_EQ(globalPosition(placement, 2, 0, 4, 1), 7);
  EXPECT_EQ(globalPosition(placement, 2, 0, 4, 2), 0);
  EXPECT_EQ(globalPosition(placement, 2, 1, 4, 3), 5);
  std::set<int64_t> seen;
  for (int64_t r = 0; r < 2; ++r)
    for (int64_t t = 0; t < 4; ++t)
      seen.insert(globalPosition(placement, 2, r, 4, t));
  EXPECT_EQ(seen.size(), 8u);
  // Without blocks, the layout decides.
  EXPECT_EQ(globalPosition(SequencePlacement{Layout::Striped, {}}, 4, 1, 4, 2),
            9);
}

TEST(BlockPlacement, WorkIsTheVisiblePairs) {
  // Causal over 8 positions in 4 blocks of 2: rows see 1..8 keys.
  std::vector<double> work = blockWork(AttentionMask::of(true), 2, 4, 2);
  EXPECT_EQ(work, (std::vector<double>{3, 7, 11, 15}));
  AttentionMask documents = AttentionMask::of(true);
  documents.documentStarts = {0, 4};
  work = blockWork(documents, 2, 4, 2);
  EXPECT_EQ(work, (std::vector<double>{3, 7, 3, 7}));
}

// The balanced placement is a valid placement and, on random document mixes
// as on the skewed mix of bench/masks.py, balances the work within 10%
// where no static layout does.
TEST(BlockPlacement, BalancesDocumentMixes) {
  AttentionMask skewed = AttentionMask::of(true);
  skewed.documentStarts = {0, 4096, 4608, 5120, 5632, 6144, 6656, 7168, 7680};
  std::vector<int32_t> blocks = balancedPlacement(skewed, 8, 1024, 8);
  EXPECT_EQ(placementError(blocks, 8, 1024), "");
  std::vector<double> work = blockWork(skewed, 8, 1024, 8);
  EXPECT_LE(maxOverMean(blocks, work, 8), 1.1);
  std::vector<int32_t> contiguous(64);
  for (int32_t i = 0; i < 64; ++i)
    contiguous[i] = i;
  EXPECT_GT(maxOverMean(contiguous, work, 8), 2.0);

  std::mt19937_64 rng(7);
  for (int trial = 0; trial < 20; ++trial) {
    AttentionMask mask = AttentionMask::of(true);
    std::set<int64_t> starts = {0};
    for (int d = 0; d < 6; ++d)
      starts.insert(std::uniform_int_distribution<int64_t>(0, 2047)(rng));
    mask.documentStarts.assign(starts.begin(), starts.end());
    blocks = balancedPlacement(mask, 4, 512, 16);
    ASSERT_EQ(placementError(blocks, 4, 512), "");
    for (int64_t r = 0; r < 4; ++r)
      EXPECT_TRUE(std::is_sorted(blocks.begin() + 16 * r,
                                 blocks.begin() + 16 * (r + 1)));
    EXPECT_LE(maxOverMean(blocks, blockWork(mask, 4, 512, 16), 4), 1.1)
        << "trial " << trial;
  }
}

} // namespace
