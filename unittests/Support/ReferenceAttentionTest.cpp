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
                     const AttentionMask &mask) {
  std::vector<double> out = referenceAttention(s, q, k, v, scale, mask);
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
  AttentionMask mask;
};

void expectGradientsMatchFiniteDifferences(const GradientCase &c,
                                           unsigned seed) {
  const AttentionShape &s = c.shape;
  SCOPED_TRACE(::testing::Message()
               << "Hq " << s.queryHeads << " Hkv " << s.kvHeads << " Sq "
               << s.queryLen << " Sk " << s.keyLen << " d " << s.headDim
               << (c.mask.causal ? " causal" : " full") << " window "
               << c.mask.windowLeft << "," << c.mask.windowRight << " "
               << c.mask.documentStarts.size() << " document starts "
               << c.mask.sinks.size() << " sinks cap " << c.mask.softCap);
  AttentionMask mask = c.mask;
  std::mt19937 rng(seed);
  const int64_t qSize = s.batch * s.queryHeads * s.queryLen * s.headDim;
  const int64_t kvSize = s.batch * s.kvHeads * s.keyLen * s.headDim;
  std::vector<double> q = randomValues(rng, qSize);
  std::vector<double> k = randomValues(rng, kvSize);
  std::vector<double> v = randomValues(rng, kvSize);
  std::vector<double> dout = randomValues(rng, qSize);
  const double scale = 0.8;
  auto loss = [&] { return attentionLoss(s, q, k, v, dout, scale, mask); };

  AttentionGradients analytic =
      referenceAttentionGradients(s, q, k, v, dout, scale, mask);
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
  } checks[] = {{"dq", q, analytic.dq},
                {"dk", k, analytic.dk},
                {"dv", v, analytic.dv},
                {"dsinks", mask.sinks, analytic.dsinks}};
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
    expectGradientsMatchFiniteDifferences(
        {{2, 4, 2, 5, 5, 3}, AttentionMask::of(causal)}, 1234);
}

TEST(ReferenceAttentionGradients, MatchFiniteDifferencesUnequalLengths) {
  // More keys than queries (under causal the last keys are seen by no query)
  // and more queries than keys (under causal the last rows see every key).
  for (bool causal : {false, true}) {
    expectGradientsMatchFiniteDifferences(
        {{1, 4, 2, 4, 6, 3}, AttentionMask::of(causal)}, 99);
    expectGradientsMatchFiniteDifferences(
        {{1, 4, 2, 6, 4, 3}, AttentionMask::of(causal)}, 7);
  }
  // One kv head read by every query head, and plain multi-head.
  expectGradientsMatchFiniteDifferences(
      {{1, 3, 1, 4, 4, 2}, AttentionMask::of(true)}, 5);
  expectGradientsMatchFiniteDifferences(
      {{1, 2, 2, 4, 4, 2}, AttentionMask::of(false)}, 6);
}

AttentionMask windowed(bool causal, int64_t left, int64_t right) {
  AttentionMask mask = AttentionMask::of(causal);
  mask.windowLeft = left;
  mask.windowRight = right;
  return mask;
}

TEST(ReferenceAttentionGradients, MatchFiniteDifferencesUnderMasks) {
  const AttentionShape s{1, 4, 2, 7, 7, 3};
  AttentionMask documents = AttentionMask::of(true);
  documents.documentStarts = {0, 1, 4}; // a one-token document first
  AttentionMask sinks = windowed(false, 2, 1);
  sinks.sinks = {0.3, -1.2, 2.5, 0.0};
  AttentionMask capped = AttentionMask::of(true);
  capped.softCap = 1.5; // scores reach about 3: the cap bends them
  AttentionMask everything = windowed(true, 3, -1);
  everything.documentStarts = {2, 5};
  everything.sinks = {-0.5, 0.7, 1.1, -2.0};
  everything.softCap = 2.0;
  for (const AttentionMask &mask :
       {windowed(true, 2, -1), windowed(false, 1, 2), windowed(false, 0, 0),
        documents, sinks, capped, everything})
    expectGradientsMatchFiniteDifferences({s, mask}, 31);
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

/// Random q, k, v of `s`, from `seed`.
struct Inputs {
  Inputs(const AttentionShape &s, unsigned seed) : rng(seed) {
    q = randomValues(rng, s.batch * s.queryHeads * s.queryLen * s.headDim);
    k = randomValues(rng, s.batch * s.kvHeads * s.keyLen * s.headDim);
    v = randomValues(rng, s.batch * s.kvHeads * s.keyLen * s.headDim);
  }
  std::mt19937 rng;
  std::vector<double> q, k, v;
};

TEST(ReferenceMasks, AWindowOfNothingSeesItself) {
  // Window 0 on both sides: row i sees key i alone, so out_i = v_i.
  AttentionShape s{1, 2, 2, 6, 6, 4};
  Inputs in(s, 3);
  std::vector<double> out =
      referenceAttention(s, in.q, in.k, in.v, 0.7, windowed(false, 0, 0));
  ErrorStats err = compare(out, in.v);
  EXPECT_LT(err.maxAbs, 1e-15);
}

TEST(ReferenceMasks, AWindowWiderThanTheSequenceChangesNothing) {
  AttentionShape s{1, 4, 2, 6, 6, 3};
  Inputs in(s, 4);
  for (bool causal : {false, true}) {
    std::vector<double> plain =
        referenceAttention(s, in.q, in.k, in.v, 0.5, causal);
    std::vector<double> wide =
        referenceAttention(s, in.q, in.k, in.v, 0.5, windowed(causal, 6, 6));
    EXPECT_EQ(wide, plain);
  }
}

/// Rows [begin, end) of every head of a [1, heads, len, d] tensor.
std::vector<double> rows(const std::vector<double> &x, int64_t heads,
                         int64_t len, int64_t d, int64_t begin, int64_t end) {
  std::vector<double> part;
  for (int64_t h = 0; h < heads; ++h)
    part.insert(part.end(), x.begin() + (h * len + begin) * d,
                x.begin() + (h * len + end) * d);
  return part;
}

TEST(ReferenceMasks, APaddedTailIsTheShorterSequence) {
  // 7 positions of which 5 are real: the real rows are attention over the
  // first 5 alone, the padding rows are 0.
  AttentionShape padded{1, 2, 1, 7, 7, 3}, real{1, 2, 1, 5, 5, 3};
  Inputs in(padded, 5);
  for (bool causal : {false, true}) {
    AttentionMask mask = AttentionMask::of(causal);
    mask.length = 5;
    std::vector<double> out =
        referenceAttention(padded, in.q, in.k, in.v, 0.6, mask);
    // Row t of head h of a [1, heads, 7, 3] tensor starts at (7 h + t) 3.
    auto firstFive = [](const std::vector<double> &x, int64_t heads) {
      std::vector<double> part;
      for (int64_t h = 0; h < heads; ++h)
        for (int64_t e = 0; e < 5 * 3; ++e)
          part.push_back(x[h * 7 * 3 + e]);
      return part;
    };
    std::vector<double> expected =
        referenceAttention(real, firstFive(in.q, 2), firstFive(in.k, 1),
                           firstFive(in.v, 1), 0.6, causal);
    EXPECT_EQ(firstFive(out, 2), expected);
    for (int64_t h = 0; h < 2; ++h)
      for (int64_t e = 5 * 3; e < 7 * 3; ++e)
        EXPECT_EQ(out[h * 7 * 3 + e], 0.0) << "padding row";
  }
}

TEST(ReferenceMasks, PackedDocumentsAreAttendedOneByOne) {
  // Attention over documents packed into one sequence equals attention over
  // each document alone, then packed again.
  const int64_t len = 9, d = 3;
  AttentionShape s{1, 4, 2, len, len, d};
  Inputs in(s, 5);
  AttentionMask packed = AttentionMask::of(true);
  packed.documentStarts = {0, 1, 5};
  std::vector<double> out =
      referenceAttention(s, in.q, in.k, in.v, 0.9, packed);
  const int64_t bounds[] = {0, 1, 5, len};
  for (int n = 0; n < 3; ++n) {
    int64_t begin = bounds[n], end = bounds[n + 1];
    AttentionShape one{1, 4, 2, end - begin, end - begin, d};
    std::vector<double> alone = referenceAttention(
        one, rows(in.q, 4, len, d, begin, end),
        rows(in.k, 2, len, d, begin, end), rows(in.v, 2, len, d, begin, end),
        0.9, /*causal=*/true);
    ErrorStats err = compare(rows(out, 4, len, d, begin, end), alone);
    EXPECT_LT(err.maxAbs, 1e-15) << "document " << n;
  }
}

TEST(ReferenceMasks, ASinkTakesItsShareOfTheSoftmax) {
  // With a sink logit z, lse' = log(exp(lse) + exp(z)) and every
  // probability, so the output, shrinks by exp(lse - lse').
  AttentionShape s{1, 2, 1, 5, 5, 3};
  Inputs in(s, 6);
  AttentionMask sunk = AttentionMask::of(true);
  sunk.sinks = {1.5, -0.25};
  std::vector<double> out = referenceAttention(s, in.q, in.k, in.v, 0.6, true);
  std::vector<double> lse = referenceLogSumExp(s, in.q, in.k, 0.6, true);
  std::vector<double> outSunk =
      referenceAttention(s, in.q, in.k, in.v, 0.6, sunk);
  std::vector<double> lseSunk = referenceLogSumExp(s, in.q, in.k, 0.6, sunk);
  for (int64_t h = 0; h < 2; ++h)
    for (int64_t i = 0; i < 5; ++i) {
      int64_t row = h * 5 + i;
      double expected = std::log(std::exp(lse[row]) + std::exp(sunk.sinks[h]));
      EXPECT_NEAR(lseSunk[row], expected, 1e-14);
      for (int64_t x = 0; x < 3; ++x)
        EXPECT_NEAR(outSunk[row * 3 + x],
                    out[row * 3 + x] * std::exp(lse[row] - expected), 1e-14);
    }
}

TEST(ReferenceMasks, ARowThatSeesNothingIsZeroAndFiniteWithASink) {
  // 4 queries over 2 keys with a window of 0: rows 2 and 3 would see keys 2
  // and 3, which do not exist, so they see nothing.
  AttentionShape s{1, 1, 1, 4, 2, 2};
  Inputs in(s, 7);
  std::vector<double> dout(4 * 2, 1.0);
  for (bool sink : {false, true}) {
    AttentionMask mask = windowed(false, 0, 0);
    if (sink)
      mask.sinks = {0.5};
    std::vector<double> out = referenceAttention(s, in.q, in.k, in.v, 1, mask);
    std::vector<double> lse = referenceLogSumExp(s, in.q, in.k, 1, mask);
    AttentionGradients g =
        referenceAttentionGradients(s, in.q, in.k, in.v, dout, 1, mask);
    for (int64_t i = 2; i < 4; ++i) {
      EXPECT_EQ(out[i * 2], 0.0);
      EXPECT_EQ(out[i * 2 + 1], 0.0);
      EXPECT_EQ(g.dq[i * 2], 0.0);
      EXPECT_EQ(g.dq[i * 2 + 1], 0.0);
      if (sink)
        EXPECT_EQ(lse[i], 0.5); // the sink alone
      else
        EXPECT_EQ(lse[i], -std::numeric_limits<double>::infinity());
    }
    // Rows 0 and 1 see one key each: with a sink its weight is below 1.
    for (int64_t i = 0; i < 2; ++i)
      EXPECT_TRUE(std::isfinite(lse[i]));
    EXPECT_EQ(g.dsinks.size(), sink ? 1u : 0u);
  }
}

TEST(ReferenceMasks, DocumentsAreFoundWithOrWithoutTheFirstStart) {
  AttentionMask listed, implied;
  listed.documentStarts = {0, 3, 4};
  implied.documentStarts = {3, 4};
  for (int64_t position = 0; position < 6; ++position)
    EXPECT_EQ(listed.documentOf(position), implied.documentOf(position));
  EXPECT_EQ(listed.documentOf(2), 0);
  EXPECT_EQ(listed.documentOf(3), 1);
  EXPECT_EQ(listed.documentOf(5), 2);
  EXPECT_TRUE(listed.sees(2, 0));
  EXPECT_FALSE(listed.sees(3, 2));
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
