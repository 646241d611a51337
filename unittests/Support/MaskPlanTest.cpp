//===- MaskPlanTest.cpp - Empty, full and partial blocks of a ring --------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// The plan is checked against every query-key pair of random masks, runs
// and rings (AttentionMask::sees, position by position), and against the
// step counts a sliding window implies.
//
//===----------------------------------------------------------------------===//

#include "RingAttn/Support/MaskPlan.h"

#include <gtest/gtest.h>

#include <random>

using namespace ringattn;

namespace {

/// What `mask` leaves of the pairs (query positions x key positions), by
/// asking about every pair.
BlockVisibility bruteForce(const AttentionMask &mask,
                           const std::vector<int64_t> &queries,
                           const std::vector<int64_t> &keys) {
  int64_t seen = 0;
  for (int64_t i : queries)
    for (int64_t j : keys)
      seen += mask.sees(i, j);
  if (seen == 0)
    return BlockVisibility::Empty;
  return seen == static_cast<int64_t>(queries.size() * keys.size())
             ? BlockVisibility::Full
             : BlockVisibility::Partial;
}

std::vector<int64_t> positions(PositionRun run) {
  std::vector<int64_t> all;
  for (int64_t i = 0; i < run.length; ++i)
    all.push_back(run.offset + run.stride * i);
  return all;
}

AttentionMask randomMask(std::mt19937 &rng) {
  std::uniform_int_distribution<int> coin(0, 1), bound(-1, 12), start(1, 40);
  AttentionMask mask;
  mask.causal = coin(rng);
  mask.windowLeft = bound(rng);
  mask.windowRight = mask.causal ? -1 : bound(rng);
  if (coin(rng)) {
    for (int n = std::uniform_int_distribution<int>(1, 4)(rng); n > 0; --n)
      mask.documentStarts.push_back(start(rng));
    std::sort(mask.documentStarts.begin(), mask.documentStarts.end());
    mask.documentStarts.erase(
        std::unique(mask.documentStarts.begin(), mask.documentStarts.end()),
        mask.documentStarts.end());
  }
  // Now and then a padded tail.
  if (std::uniform_int_distribution<int>(0, 3)(rng) == 0)
    mask.length = std::uniform_int_distribution<int>(0, 45)(rng);
  return mask;
}

std::string describe(const AttentionMask &mask) {
  std::string text = mask.causal ? "causal" : "full";
  text += " window " + std::to_string(mask.windowLeft) + "," +
          std::to_string(mask.windowRight) + " documents at";
  for (int64_t start : mask.documentStarts)
    text += " " + std::to_string(start);
  return text + " length " + std::to_string(mask.length);
}

TEST(MaskPlan, ClassifiesRunsExactly) {
  std::mt19937 rng(2026);
  std::uniform_int_distribution<int64_t> offset(0, 30), stride(1, 4),
      length(0, 6);
  int counts[3] = {};
  for (int trial = 0; trial < 20000; ++trial) {
    AttentionMask mask = randomMask(rng);
    PositionRun q{offset(rng), stride(rng), length(rng)};
    PositionRun k{offset(rng), stride(rng), length(rng)};
    BlockVisibility expected = bruteForce(mask, positions(q), positions(k));
    ASSERT_EQ(classifyBlock(mask, q, k), expected)
        << describe(mask) << "; queries " << q.offset << "+" << q.stride
        << "i (" << q.length << "), keys " << k.offset << "+" << k.stride
        << "j (" << k.length << ")";
    ++counts[static_cast<int>(expected)];
  }
  // The random cases reach all three answers often.
  for (int count : counts)
    EXPECT_GT(count, 1000);
}

TEST(MaskPlan, RingPlansMatchEveryPair) {
  std::mt19937 rng(7);
  for (Layout layout : {Layout::Contiguous, Layout::Zigzag, Layout::Striped})
    for (int64_t ranks : {1, 2, 3, 4, 8})
      for (int trial = 0; trial < 20; ++trial) {
        int64_t local = 2 * std::uniform_int_distribution<int64_t>(1, 4)(rng);
        AttentionMask mask = randomMask(rng);
        RingPlan plan = planRing(mask, layout, ranks, local);
        int64_t lastNeeded = 0;
        for (int64_t r = 0; r < ranks; ++r)
          for (int64_t s = 0; s < ranks; ++s) {
            std::vector<int64_t> queries, keys;
            for (int64_t t = 0; t < local; ++t) {
              queries.push_back(globalPosition(layout, ranks, r, local, t));
              keys.push_back(globalPosition(layout, ranks,
                                            (r - s + ranks) % ranks, local, t));
            }
            BlockVisibility expected = bruteForce(mask, queries, keys);
            // A block of several chunk pairs is Empty or Full only when
            // every pair is, which is the brute force's answer too.
            EXPECT_EQ(plan.visibility[r][s], expected)
                << layoutName(layout) << " x " << ranks << ", " << local
                << " tokens, " << describe(mask) << ": rank " << r << " step "
                << s;
            if (expected != BlockVisibility::Empty)
              lastNeeded = std::max(lastNeeded, s);
          }
        EXPECT_EQ(plan.lastNeededStep, lastNeeded);
      }
}

TEST(MaskPlan, ASlidingWindowNeedsFewSteps) {
  // 8 ranks of 16 contiguous tokens, causal: a window of w tokens to the
  // left reaches ceil(w / 16) blocks back.
  AttentionMask mask = AttentionMask::of(true);
  for (auto [window, steps] : {std::pair<int64_t, int64_t>{0, 0},
                               {15, 1},
                               {16, 1},
                               {17, 2},
                               {32, 2},
                               {40, 3},
                               {200, 7}}) {
    mask.windowLeft = window;
    EXPECT_EQ(planRing(mask, Layout::Contiguous, 8, 16).lastNeededStep, steps)
        << "window " << window;
  }
  // Without a window every step is needed; under causal, rank 0 sees none
  // of the blocks it receives, and every rank sees its own partly.
  RingPlan causal =
      planRing(AttentionMask::of(true), Layout::Contiguous, 8, 16);
  EXPECT_EQ(causal.lastNeededStep, 7);
  for (int64_t s = 1; s < 8; ++s)
    EXPECT_EQ(causal.visibility[0][s], BlockVisibility::Empty);
  EXPECT_EQ(causal.visibility[7][1], BlockVisibility::Full);
  EXPECT_EQ(causal.visibility[3][0], BlockVisibility::Partial);
}

TEST(MaskPlan, VisiblePairsCountEveryPair) {
  // The work a mask leaves (what ring-run's GFLOP/s counts), against
  // asking about every pair, for random masks and cross lengths.
  std::mt19937 rng(7);
  std::uniform_int_distribution<int64_t> length(0, 50);
  for (int trial = 0; trial < 300; ++trial) {
    AttentionMask mask = randomMask(rng);
    int64_t queries = length(rng), keys = length(rng);
    int64_t seen = 0;
    for (int64_t i = 0; i < queries; ++i)
      for (int64_t j = 0; j < keys; ++j)
        seen += mask.sees(i, j);
    EXPECT_EQ(mask.visiblePairs(queries, keys), static_cast<double>(seen))
        << describe(mask) << " over " << queries << " x " << keys;
  }
}

TEST(MaskPlan, DocumentsWithinOneRankNeedNoRing) {
  // Every document lies inside one rank's contiguous tokens.
  AttentionMask mask = AttentionMask::of(true);
  mask.documentStarts = {0, 5, 16, 20, 32, 48};
  RingPlan plan = planRing(mask, Layout::Contiguous, 4, 16);
  EXPECT_EQ(plan.lastNeededStep, 0);
  // A document that spans ranks 1 and 2 brings back one step.
  mask.documentStarts = {0, 20, 40};
  EXPECT_EQ(planRing(mask, Layout::Contiguous, 4, 16).lastNeededStep, 1);
}

} // namespace
