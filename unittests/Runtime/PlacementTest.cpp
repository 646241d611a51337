//===- PlacementTest.cpp - The placement C interface ----------------------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception

#include "RingAttn/Runtime/Placement.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <string>
#include <vector>

namespace {

TEST(PlacementC, ChecksAndSaysWhatIsWrong) {
  std::vector<int32_t> blocks = {3, 1, 0, 2};
  char error[256] = "";
  EXPECT_EQ(
      ringattn_check_placement(blocks.data(), 4, 2, 8, error, sizeof(error)),
      RINGATTN_OK);
  blocks[1] = 3;
  EXPECT_EQ(
      ringattn_check_placement(blocks.data(), 4, 2, 8, error, sizeof(error)),
      RINGATTN_INVALID_ARGUMENT);
  EXPECT_STREQ(error, "block 3 is placed twice (again at entry 1)");
  EXPECT_EQ(
      ringattn_check_placement(blocks.data(), 4, 0, 8, error, sizeof(error)),
      RINGATTN_INVALID_ARGUMENT);
  EXPECT_STREQ(error, "a placement needs at least one rank of at least one "
                      "token, and its blocks");
}

// The balanced placement of a causal document mix is a placement, and the
// same one lib/Support builds (the C interface only carries it).
TEST(PlacementC, BalancesAMask) {
  std::vector<int32_t> starts = {0, 40, 50};
  ringattn_placement_mask mask = {1, -1, -1, -1, starts.data(), 3};
  std::vector<int32_t> blocks(16);
  char error[256] = "";
  ASSERT_EQ(ringattn_balanced_placement(&mask, 4, 24, 4, blocks.data(), error,
                                        sizeof(error)),
            RINGATTN_OK)
      << error;
  EXPECT_EQ(
      ringattn_check_placement(blocks.data(), 16, 4, 24, error, sizeof(error)),
      RINGATTN_OK)
      << error;
  std::vector<int32_t> sorted = blocks;
  std::sort(sorted.begin(), sorted.end());
  std::vector<int32_t> all(16);
  std::iota(all.begin(), all.end(), 0);
  EXPECT_EQ(sorted, all);
  EXPECT_EQ(ringattn_balanced_placement(&mask, 4, 24, 5, blocks.data(), error,
                                        sizeof(error)),
            RINGATTN_INVALID_ARGUMENT);
  EXPECT_STREQ(error, "5 blocks per rank do not divide 24 local tokens");
  EXPECT_EQ(ringattn_balanced_placement(&mask, 0, 24, 4, blocks.data(), error,
                                        sizeof(error)),
            RINGATTN_INVALID_ARGUMENT);
  EXPECT_STREQ(error,
               "a placement needs at least one rank of at least one token");
  EXPECT_EQ(ringattn_balanced_placement(nullptr, 4, 24, 4, blocks.data(), error,
                                        sizeof(error)),
            RINGATTN_INVALID_ARGUMENT);
  EXPECT_STREQ(error, "a balanced placement needs a mask, at least one block "
                      "a rank and room for the blocks");
}

} // namespace
