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
#include <functional>
#include <limits>
#include <random>

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

std::vector<double> randomValues(std::mt19937 &rng, int64_t n) {
  std::normal_distribution<double> normal(0.0, 1.0);
  std::vector<double> values(n);
  for (double &x : values)
    x = normal(rng);
  return values;
}

// L = sum(dout * attention(q, k, v)), the loss whose gradients
// referenceAttentionGradients returns.
double attentionLoss(const AttentionShape &s, const std::vector<double> &q,
                     const std::vector<double> &k, const std::vector<double> &v,
                     const std::vector<double> &dout, double scale,
                     bool causal) {
  std::vector<double> out = referenceAttention(s, q, k, v, scale, causal);
  double loss = 0;
  for (size_t i = 0; i < out.size(); ++i)
    loss += dout[i] * out[i];
  return loss;
}

// Central differences of the loss with respect to every element of `x`,
// which is one of q, k, v (perturbed in place and restored).
std::vector<double> numericGradient(std::vector<double> &x,
                                    const std::function<double()> &loss) {
  const double step = 1e-6;
  std::vector<double> grad(x.size());
  for (size_t i = 0; i < x.size(); ++i) {
    double saved = x[i];
    x[i] = saved + step;
    double up = loss();
    x[i] = saved - step;
    double down = loss();
    x[i] = saved;
    grad[i] = (up - down) / (2 * step);
  }
  return grad;
}

struct GradientCase {
  AttentionShape shape;
  bool causal;
};

void expectGradientsMatchFiniteDifferences(const GradientCase &c,
                                           unsigned seed) {
  const AttentionShape &s = c.shape;
  SCOPED_TRACE(::testing::Message()
               << "Hq " << s.queryHeads << " Hkv " << s.kvHeads << " Sq "
               << s.queryLen << " Sk " << s.keyLen << " d " << s.headDim
               << (c.causal ? " causal" : " full"));
  std::mt19937 rng(seed);
  const int64_t qSize = s.batch * s.queryHeads * s.queryLen * s.headDim;
  const int64_t kvSize = s.batch * s.kvHeads * s.keyLen * s.headDim;
  std::vector<double> q = randomValues(rng, qSize);
  std::vector<double> k = randomValues(rng, kvSize);
  std::vector<double> v = randomValues(rng, kvSize);
  std::vector<double> dout = randomValues(rng, qSize);
  const double scale = 0.8;
  auto loss = [&] { return attentionLoss(s, q, k, v, dout, scale, c.causal); };

  AttentionGradients analytic =
      referenceAttentionGradients(s, q, k, v, dout, scale, c.causal);
  ASSERT_EQ(analytic.dq.size(), q.size());
  ASSERT_EQ(analytic.dk.size(), k.size());
  ASSERT_EQ(analytic.dv.size(), v.size());

  // Central differences in float64 with step 1e-6 are good to about 1e-9
  // relative here (truncation ~1e-12, rounding ~1e-16 * |L| / step); 1e-7
  // leaves a wide margin yet catches any wrong term, which is O(1) off.
  const double bound = 1e-7;
  struct {
    const char *name;
    std::vector<double> &input;
    const std::vector<double> &grad;
  } checks[] = {
      {"dq", q, analytic.dq}, {"dk", k, analytic.dk}, {"dv", v, analytic.dv}};
  for (auto &check : checks) {
    SCOPED_TRACE(check.name);
    std::vector<double> numeric = numericGradient(check.input, loss);
    ErrorStats err = compare(check.grad, numeric);
    EXPECT_TRUE(err.finite);
    EXPECT_LT(err.relative, bound);
    EXPECT_LT(err.maxAbs, bound);
  }
}

TEST(ReferenceAttentionGradients, MatchFiniteDifferences) {
  // Grouped heads (4 query heads over 2 kv heads), two batches.
  for (bool causal : {false, true})
    expectGradientsMatchFiniteDifferences({{2, 4, 2, 5, 5, 3}, causal}, 1234);
}

TEST(ReferenceAttentionGradients, MatchFiniteDifferencesUnequalLengths) {
  // More keys than queries (under causal the last keys are seen by no query)
  // and more queries than keys (under causal the last rows see every key).
  for (bool causal : {false, true}) {
    expectGradientsMatchFiniteDifferences({{1, 4, 2, 4, 6, 3}, causal}, 99);
    expectGradientsMatchFiniteDifferences({{1, 4, 2, 6, 4, 3}, causal}, 7);
  }
  // One kv head read by every query head, and plain multi-head.
  expectGradientsMatchFiniteDifferences({{1, 3, 1, 4, 4, 2}, true}, 5);
  expectGradientsMatchFiniteDifferences({{1, 2, 2, 4, 4, 2}, false}, 6);
}

TEST(ReferenceAttentionGradients, UnseenKeysGetNoGradient) {
  // Causal with 3 queries over 5 keys: keys 3 and 4 are seen by no query.
  AttentionShape s{1, 2, 1, 3, 5, 2};
  std::mt19937 rng(42);
  std::vector<double> q = randomValues(rng, 2 * 3 * 2);
  std::vector<double> k = randomValues(rng, 5 * 2);
  std::vector<double> v = randomValues(rng, 5 * 2);
  std::vector<double> dout = randomValues(rng, 2 * 3 * 2);
  AttentionGradients g = referenceAttentionGradients(s, q, k, v, dout, 1.0,
                                                     /*causal=*/true);
  for (int j = 0; j < 5; ++j)
    for (int x = 0; x < 2; ++x) {
      if (j < 3) {
        EXPECT_NE(g.dk[j * 2 + x], 0.0);
        EXPECT_NE(g.dv[j * 2 + x], 0.0);
      } else {
        EXPECT_EQ(g.dk[j * 2 + x], 0.0);
        EXPECT_EQ(g.dv[j * 2 + x], 0.0);
      }
    }
  // Query 0 sees key 0 alone: its softmax is constant, so dQ_0 = 0.
  for (int h = 0; h < 2; ++h)
    for (int x = 0; x < 2; ++x)
      EXPECT_EQ(g.dq[h * 3 * 2 + x], 0.0);
}

TEST(ReferenceAttentionGradients, RowsWithoutKeysGiveZeroGradients) {
  // A row sees no key only when keyLen is 0: with j <= i every row i >= 0
  // sees key 0 whenever there is one. Then dq is all zero (no NaN from an
  // empty softmax) and dk, dv are empty.
  AttentionShape s{1, 2, 1, 3, 0, 2};
  std::vector<double> q(2 * 3 * 2, 0.5), dout(2 * 3 * 2, 1.0), none;
  for (bool causal : {false, true}) {
    AttentionGradients g =
        referenceAttentionGradients(s, q, none, none, dout, 1.0, causal);
    EXPECT_EQ(g.dq, std::vector<double>(q.size(), 0.0));
    EXPECT_TRUE(g.dk.empty());
    EXPECT_TRUE(g.dv.empty());
  }
}

TEST(ReferenceLogSumExp, MatchesDirectSum) {
  AttentionShape s{2, 4, 2, 4, 6, 3};
  std::mt19937 rng(2024);
  std::vector<double> q = randomValues(rng, 2 * 4 * 4 * 3);
  std::vector<double> k = randomValues(rng, 2 * 2 * 6 * 3);
  const double scale = 0.6;
  for (bool causal : {false, true}) {
    std::vector<double> lse = referenceLogSumExp(s, q, k, scale, causal);
    ASSERT_EQ(lse.size(), size_t(2 * 4 * 4));
    for (int b = 0; b < 2; ++b)
      for (int h = 0; h < 4; ++h)
        for (int i = 0; i < 4; ++i) {
          // The scores are O(1), so the unshifted sum is exact enough.
          double sum = 0;
          int visible = causal ? i + 1 : 6;
          for (int j = 0; j < visible; ++j) {
            double dot = 0;
            for (int x = 0; x < 3; ++x)
              dot += q[((b * 4 + h) * 4 + i) * 3 + x] *
                     k[((b * 2 + h / 2) * 6 + j) * 3 + x];
            sum += std::exp(scale * dot);
          }
          EXPECT_NEAR(lse[(b * 4 + h) * 4 + i], std::log(sum), 1e-13);
        }
  }
}

TEST(ReferenceLogSumExp, LargeScoresDoNotOverflow) {
  // Every score is 800 (exp(800) overflows a double): lse = 800 + log(n).
  AttentionShape s{1, 1, 1, 3, 4, 1};
  std::vector<double> q(3, 40.0), k(4, 20.0);
  std::vector<double> lse = referenceLogSumExp(s, q, k, 1.0, false);
  for (int i = 0; i < 3; ++i)
    EXPECT_NEAR(lse[i], 800.0 + std::log(4.0), 1e-12);
  lse = referenceLogSumExp(s, q, k, 1.0, true);
  for (int i = 0; i < 3; ++i)
    EXPECT_NEAR(lse[i], 800.0 + std::log(i + 1.0), 1e-12);
}

TEST(ReferenceLogSumExp, RowsWithoutKeysAreMinusInfinity) {
  // With keys, causal or not, every row sees at least key 0: lse is finite,
  // also where there are fewer keys than queries.
  AttentionShape s{1, 2, 1, 5, 2, 2};
  std::mt19937 rng(3);
  std::vector<double> q = randomValues(rng, 2 * 5 * 2);
  std::vector<double> k = randomValues(rng, 2 * 2);
  for (bool causal : {false, true})
    for (double x : referenceLogSumExp(s, q, k, 1.0, causal))
      EXPECT_TRUE(std::isfinite(x));
  // Without keys no row sees one.
  AttentionShape empty{1, 2, 1, 3, 0, 2};
  std::vector<double> none;
  for (bool causal : {false, true})
    for (double x : referenceLogSumExp(empty, q, none, 1.0, causal))
      EXPECT_EQ(x, -std::numeric_limits<double>::infinity());
}

} // namespace
