//===- ReferenceAttention.cpp - Plain float64 attention -------------------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception

#include "RingAttn/Support/ReferenceAttention.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace ringattn {

std::vector<double> referenceAttention(const AttentionShape &s,
                                       const std::vector<double> &q,
                                       const std::vector<double> &k,
                                       const std::vector<double> &v,
                                       double scale, bool causal) {
  const int64_t d = s.headDim, group = s.queryHeads / s.kvHeads;
  std::vector<double> out(s.batch * s.queryHeads * s.queryLen * d, 0.0);
  std::vector<double> scores(s.keyLen);
  for (int64_t b = 0; b < s.batch; ++b)
    for (int64_t h = 0; h < s.queryHeads; ++h) {
      const int64_t kvh = h / group;
      // data() + offset: with no keys the vectors are empty, and indexing
      // one would be undefined.
      const double *kBase = k.data() + ((b * s.kvHeads + kvh) * s.keyLen) * d;
      const double *vBase = v.data() + ((b * s.kvHeads + kvh) * s.keyLen) * d;
      for (int64_t i = 0; i < s.queryLen; ++i) {
        const double *qi = &q[((b * s.queryHeads + h) * s.queryLen + i) * d];
        double *oi = &out[((b * s.queryHeads + h) * s.queryLen + i) * d];
        int64_t visible = causal ? std::min(i + 1, s.keyLen) : s.keyLen;
        if (visible <= 0)
          continue;
        double max = -std::numeric_limits<double>::infinity();
        for (int64_t j = 0; j < visible; ++j) {
          double dot = 0;
          for (int64_t x = 0; x < d; ++x)
            dot += qi[x] * kBase[j * d + x];
          scores[j] = scale * dot;
          max = std::max(max, scores[j]);
        }
        double sum = 0;
        for (int64_t j = 0; j < visible; ++j) {
          scores[j] = std::exp(scores[j] - max);
          sum += scores[j];
        }
        for (int64_t j = 0; j < visible; ++j)
          for (int64_t x = 0; x < d; ++x)
            oi[x] += scores[j] / sum * vBase[j * d + x];
      }
    }
  return out;
}

AttentionGradients referenceAttentionGradients(const AttentionShape &s,
                                               const std::vector<double> &q,
                                               const std::vector<double> &k,
                                               const std::vector<double> &v,
                                               const std::vector<double> &dout,
                                               double scale, bool causal) {
  const int64_t d = s.headDim, group = s.queryHeads / s.kvHeads;
  AttentionGradients g;
  g.dq.assign(s.batch * s.queryHeads * s.queryLen * d, 0.0);
  g.dk.assign(s.batch * s.kvHeads * s.keyLen * d, 0.0);
  g.dv.assign(s.batch * s.kvHeads * s.keyLen * d, 0.0);
  std::vector<double> p(s.keyLen), dp(s.keyLen);
  for (int64_t b = 0; b < s.batch; ++b)
    for (int64_t h = 0; h < s.queryHeads; ++h) {
      const int64_t kvOffset = ((b * s.kvHeads + h / group) * s.keyLen) * d;
      // data() + offset rather than &k[offset]: keyLen may be 0.
      const double *kBase = k.data() + kvOffset;
      const double *vBase = v.data() + kvOffset;
      double *dkBase = g.dk.data() + kvOffset;
      double *dvBase = g.dv.data() + kvOffset;
      for (int64_t i = 0; i < s.queryLen; ++i) {
        const int64_t rowOffset = ((b * s.queryHeads + h) * s.queryLen + i) * d;
        const double *qi = q.data() + rowOffset;
        const double *doi = dout.data() + rowOffset;
        double *dqi = g.dq.data() + rowOffset;
        int64_t visible = causal ? std::min(i + 1, s.keyLen) : s.keyLen;
        if (visible <= 0)
          continue;
        // P_ij, the softmax over the visible keys.
        double max = -std::numeric_limits<double>::infinity();
        for (int64_t j = 0; j < visible; ++j) {
          double dot = 0;
          for (int64_t x = 0; x < d; ++x)
            dot += qi[x] * kBase[j * d + x];
          p[j] = scale * dot;
          max = std::max(max, p[j]);
        }
        double sum = 0;
        for (int64_t j = 0; j < visible; ++j) {
          p[j] = std::exp(p[j] - max);
          sum += p[j];
        }
        for (int64_t j = 0; j < visible; ++j)
          p[j] /= sum;
        // dP_ij = dO_i . v_j and D_i = sum_l P_il dP_il.
        double rowDot = 0;
        for (int64_t j = 0; j < visible; ++j) {
          double dot = 0;
          for (int64_t x = 0; x < d; ++x)
            dot += doi[x] * vBase[j * d + x];
          dp[j] = dot;
          rowDot += p[j] * dot;
        }
        for (int64_t j = 0; j < visible; ++j) {
          double ds = p[j] * (dp[j] - rowDot);
          for (int64_t x = 0; x < d; ++x) {
            dvBase[j * d + x] += p[j] * doi[x];
            dqi[x] += scale * ds * kBase[j * d + x];
            dkBase[j * d + x] += scale * ds * qi[x];
          }
        }
      }
    }
  return g;
}

std::vector<double> referenceLogSumExp(const AttentionShape &s,
                                       const std::vector<double> &q,
                                       const std::vector<double> &k,
                                       double scale, bool causal) {
  const int64_t d = s.headDim, group = s.queryHeads / s.kvHeads;
  std::vector<double> lse(s.batch * s.queryHeads * s.queryLen,
                          -std::numeric_limits<double>::infinity());
  std::vector<double> scores(s.keyLen);
  for (int64_t b = 0; b < s.batch; ++b)
    for (int64_t h = 0; h < s.queryHeads; ++h) {
      const double *kBase =
          k.data() + ((b * s.kvHeads + h / group) * s.keyLen) * d;
      for (int64_t i = 0; i < s.queryLen; ++i) {
        const int64_t row = (b * s.queryHeads + h) * s.queryLen + i;
        const double *qi = q.data() + row * d;
        int64_t visible = causal ? std::min(i + 1, s.keyLen) : s.keyLen;
        if (visible <= 0)
          continue;
        double max = -std::numeric_limits<double>::infinity();
        for (int64_t j = 0; j < visible; ++j) {
          double dot = 0;
          for (int64_t x = 0; x < d; ++x)
            dot += qi[x] * kBase[j * d + x];
          scores[j] = scale * dot;
          max = std::max(max, scores[j]);
        }
        double sum = 0;
        for (int64_t j = 0; j < visible; ++j)
          sum += std::exp(scores[j] - max);
        lse[row] = max + std::log(sum);
      }
    }
  return lse;
}

ErrorStats compare(const std::vector<double> &actual,
                   const std::vector<double> &expected) {
  ErrorStats stats;
  double diff2 = 0, ref2 = 0;
  stats.count = static_cast<int64_t>(actual.size());
  for (size_t i = 0; i < actual.size(); ++i) {
    if (std::isnan(actual[i]))
      ++stats.nanCount;
    else if (std::isinf(actual[i]))
      ++stats.infCount;
    if (!std::isfinite(expected[i]))
      stats.expectedFinite = false;
    double diff = actual[i] - expected[i];
    stats.maxAbs = std::max(stats.maxAbs, std::fabs(diff));
    diff2 += diff * diff;
    ref2 += expected[i] * expected[i];
  }
  stats.relative = ref2 > 0 ? std::sqrt(diff2 / ref2) : std::sqrt(diff2);
  stats.finite = stats.nanCount == 0 && stats.infCount == 0;
  if (!stats.finite) {
    stats.maxAbs = std::numeric_limits<double>::infinity();
    stats.relative = std::numeric_limits<double>::infinity();
  }
  return stats;
}

} // namespace ringattn
