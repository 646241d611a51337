//===- ReferenceAttentionTest.cpp - The float64 reference -----------------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// The reference is what every kernel is judged by, so it is checked against
// cases whose answer is known in closed form.
//
//===----------------------------------------------------------------------===//

#include "RingAttn/Support/ReferenceAttention.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace ringattn;

namespace {

TEST(ReferenceAttention, EqualScoresAverageTheValues) {
  // q . k is the same for every key, so softmax is uniform: out = mean(v).
  AttentionShape s{1, 1, 1, 3, 4, 2};
  std::vector<double> q(3 * 2, 1.0), k(4 * 2, 0.5), v(4 * 2);
  for (int j = 0; j < 4; ++j)
    v[j * 2] = j, v[j * 2 + 1] = -2.0 * j;
  std::vector<double> out = referenceAttention(s, q, k, v, 0.7, false);
  for (int i = 0; i < 3; ++i) {
    EXPECT_DOUBLE_EQ(out[i * 2], 1.5);
    EXPECT_DOUBLE_EQ(out[i * 2 + 1], -3.0);
  }
  // Causal: query i averages keys 0..i.
  out = referenceAttention(s, q, k, v, 0.7, true);
  for (int i = 0; i < 3; ++i)
    EXPECT_DOUBLE_EQ(out[i * 2], i / 2.0);
}

TEST(ReferenceAttention, SoftmaxWeightsFollowTheScores) {
  // Two keys with scores 0 and ln(3): weights 1/4 and 3/4.
  AttentionShape s{1, 1, 1, 1, 2, 1};
  std::vector<double> q{std::log(3.0)}, k{0.0, 1.0}, v{4.0, 8.0};
  std::vector<double> out = referenceAttention(s, q, k, v, 1.0, false);
  EXPECT_NEAR(out[0], 0.25 * 4.0 + 0.75 * 8.0, 1e-12);
}

TEST(ReferenceAttention, GroupedHeadsShareKeyValueHeads) {
  // 4 query heads over 2 kv heads: heads 0,1 read kv head 0; 2,3 read 1.
  AttentionShape s{1, 4, 2, 1, 1, 1};
  std::vector<double> q(4, 1.0), k(2, 1.0), v{10.0, 20.0};
  std::vector<double> out = referenceAttention(s, q, k, v, 1.0, false);
  EXPECT_EQ(out, (std::vector<double>{10.0, 10.0, 20.0, 20.0}));
}

TEST(ReferenceAttention, CompareMeasuresErrors) {
  ErrorStats same = compare({1.0, 2.0}, {1.0, 2.0});
  EXPECT_EQ(same.maxAbs, 0.0);
  EXPECT_EQ(same.relative, 0.0);
  ErrorStats off = compare({3.0, 4.0}, {0.0, 5.0});
  EXPECT_DOUBLE_EQ(off.maxAbs, 3.0);
  EXPECT_DOUBLE_EQ(off.relative, std::sqrt(10.0) / 5.0);
  ErrorStats nan = compare({std::nan(""), 1.0}, {1.0, 1.0});
  EXPECT_FALSE(nan.finite);
  EXPECT_TRUE(std::isinf(nan.relative));
}

} // namespace
