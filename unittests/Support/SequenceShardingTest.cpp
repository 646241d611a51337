//===- SequenceShardingTest.cpp - Global tensors to rank shards and back --===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception

#include "RingAttn/Support/SequenceSharding.h"

#include <gtest/gtest.h>

#include <random>

using namespace ringattn;

namespace {

HostTensor randomTensor(std::vector<int64_t> shape, uint64_t seed) {
  HostTensor tensor;
  std::string error;
  EXPECT_TRUE(tensor.allocate("x", ElementType::F32, shape, error)) << error;
  std::mt19937_64 rng(seed);
  tensor.fillRandom(rng);
  return tensor;
}

float at(const HostTensor &t, int64_t b, int64_t h, int64_t s, int64_t d) {
  const std::vector<int64_t> &n = t.shape();
  return static_cast<const float *>(
      t.data())[((b * n[1] + h) * n[2] + s) * n[3] + d];
}

// Every token of every shard is the global token the layout puts there,
// checked against globalPosition, and gathering restores the tensor.
TEST(SequenceSharding, ScatterFollowsTheLayoutAndGatherUndoesIt) {
  // The static layouts, and a block placement of 3 blocks a rank.
  for (SequencePlacement layout :
       {SequencePlacement(Layout::Contiguous),
        SequencePlacement(Layout::Zigzag), SequencePlacement(Layout::Striped),
        SequencePlacement(Layout::Contiguous,
                          {11, 0, 5, 3, 8, 1, 10, 2, 7, 4, 9, 6})}) {
    const int ranks = 4;
    const int64_t local = 6;
    HostTensor global = randomTensor({2, 3, ranks * local, 5}, 7);
    std::vector<HostTensor> shards;
    std::string error;
    ASSERT_TRUE(
        scatterSequence(global, layout, ranks, local, "q", shards, error))
        << error;
    ASSERT_EQ(shards.size(), size_t(ranks));
    for (int r = 0; r < ranks; ++r)
      for (int64_t t = 0; t < local; ++t) {
        int64_t g = globalPosition(layout, ranks, r, local, t);
        for (int64_t b = 0; b < 2; ++b)
          for (int64_t h = 0; h < 3; ++h)
            for (int64_t d = 0; d < 5; ++d)
              ASSERT_EQ(at(shards[r], b, h, t, d), at(global, b, h, g, d))
                  << layoutName(layout.layout) << " (" << layout.blocks.size()
                  << " blocks) rank " << r << " token " << t;
      }
    HostTensor back;
    ASSERT_TRUE(back.allocate("back", ElementType::F32, global.shape(), error));
    gatherSequence(shards, layout, back);
    EXPECT_EQ(back.toDouble(), global.toDouble())
        << layoutName(layout.layout) << " (" << layout.blocks.size()
        << " blocks)";
  }
}

// A ring of one laid out by a placement holds its blocks out of order, so
// it cannot take the global tensor itself as its shard.
TEST(SequenceSharding, APlacedRingOfOneIsCopied) {
  HostTensor global = randomTensor({1, 1, 4, 2}, 3);
  std::vector<HostTensor> shards;
  std::string error;
  ASSERT_TRUE(shardsForProcess(
      &global, SequencePlacement(Layout::Contiguous, {1, 0}), 1,
      ElementType::F32, {1, 1, 4, 2}, [](int) { return true; }, "q", shards,
      error))
      << error;
  ASSERT_NE(global.data(), nullptr) << "the global tensor was moved";
  EXPECT_EQ(at(shards[0], 0, 0, 0, 1), at(global, 0, 0, 2, 1));
  EXPECT_EQ(at(shards[0], 0, 0, 2, 0), at(global, 0, 0, 0, 0));
}

// A sequence of 21 tokens on 4 ranks of 6 positions: the 3 positions past
// the end are zero in the shards, and gathering drops them again.
TEST(SequenceSharding, AShortSequenceIsPaddedAndUnpadded) {
  for (Layout layout : {Layout::Contiguous, Layout::Zigzag, Layout::Striped}) {
    const int ranks = 4;
    const int64_t local = 6, length = 21;
    HostTensor global = randomTensor({1, 2, length, 3}, 11);
    std::vector<HostTensor> shards;
    std::string error;
    ASSERT_TRUE(
        scatterSequence(global, layout, ranks, local, "q", shards, error))
        << error;
    int padding = 0;
    for (int r = 0; r < ranks; ++r)
      for (int64_t t = 0; t < local; ++t) {
        int64_t g = globalPosition(layout, ranks, r, local, t);
        padding += g >= length;
        for (int64_t h = 0; h < 2; ++h)
          for (int64_t d = 0; d < 3; ++d)
            ASSERT_EQ(at(shards[r], 0, h, t, d),
                      g < length ? at(global, 0, h, g, d) : 0.0f)
                << layoutName(layout) << " rank " << r << " token " << t;
      }
    EXPECT_EQ(padding, ranks * local - length);
    HostTensor back;
    ASSERT_TRUE(back.allocate("back", ElementType::F32, global.shape(), error));
    gatherSequence(shards, layout, back);
    EXPECT_EQ(back.toDouble(), global.toDouble()) << layoutName(layout);
  }
}

TEST(SequenceSharding, TheRootOfARingOfOneTakesTheGlobalTensor) {
  HostTensor global = randomTensor({1, 2, 8, 4}, 3);
  const void *data = global.data();
  std::vector<HostTensor> shards;
  std::string error;
  ASSERT_TRUE(shardsForProcess(
      &global, Layout::Zigzag, 1, ElementType::F32, {1, 2, 8, 4},
      [](int) { return true; }, "q", shards, error));
  ASSERT_EQ(shards.size(), 1u);
  EXPECT_EQ(shards[0].data(), data); // moved, not copied
}

TEST(SequenceSharding, AnotherProcessHoldsOnlyTheShardsOfItsRanks) {
  std::vector<HostTensor> shards;
  std::string error;
  ASSERT_TRUE(shardsForProcess(
      nullptr, Layout::Contiguous, 3, ElementType::BF16, {1, 2, 8, 4},
      [](int r) { return r == 1; }, "k", shards, error));
  ASSERT_EQ(shards.size(), 3u);
  EXPECT_EQ(shards[0].sizeInBytes(), 0u);
  EXPECT_EQ(shards[1].shape(), (std::vector<int64_t>{1, 2, 8, 4}));
  EXPECT_EQ(shards[1].sizeInBytes(), 1u * 2 * 8 * 4 * 2);
  EXPECT_EQ(shards[1].toDouble(), std::vector<double>(64, 0.0));
  EXPECT_EQ(shards[2].sizeInBytes(), 0u);
}

TEST(SequenceSharding, AShardWithoutMemoryIsAnErrorNamingIt) {
  std::vector<HostTensor> shards;
  std::string error;
  EXPECT_FALSE(shardsForProcess(
      nullptr, Layout::Contiguous, 2, ElementType::F32,
      {int64_t(1) << 40, int64_t(1) << 40, 1, 1}, [](int) { return true; }, "v",
      shards, error));
  EXPECT_NE(error.find("rank 0's shard of v"), std::string::npos) << error;
}

} // namespace
