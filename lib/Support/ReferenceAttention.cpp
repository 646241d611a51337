//===- ReferenceAttention.cpp - Plain float64 attention -------------------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception

#include "RingAttn/Support/ReferenceAttention.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace ringattn {

namespace {

/// One query row's softmax under a mask: the keys it sees, their (capped)
/// scores and probabilities, and the row's log-sum-exp, the sink included.
struct RowSoftmax {
  std::vector<int64_t> keys;
  std::vector<double> scores, p;
  double lse = -std::numeric_limits<double>::infinity();
  double sinkWeight = 0; ///< P_i,sink
};

/// Row i of query head h: `qi` its query, `kBase` the keys of its kv head.
void softmaxRow(const AttentionShape &s, const AttentionMask &mask,
                const double *qi, const double *kBase, double scale, int64_t h,
                int64_t i, RowSoftmax &row) {
  const int64_t d = s.headDim;
  row.keys.clear();
  row.scores.clear();
  row.p.clear();
  for (int64_t j = 0; j < s.keyLen; ++j) {
    if (!mask.sees(i, j))
      continue;
    double dot = 0;
    for (int64_t x = 0; x < d; ++x)
      dot += qi[x] * kBase[j * d + x];
    double score = scale * dot;
    if (mask.softCap > 0)
      score = mask.softCap * std::tanh(score / mask.softCap);
    row.keys.push_back(j);
    row.scores.push_back(score);
  }
  bool sink = !mask.sinks.empty();
  double max = sink ? mask.sinks[h] : -std::numeric_limits<double>::infinity();
  for (double score : row.scores)
    max = std::max(max, score);
  row.lse = max;
  row.sinkWeight = 0;
  if (row.keys.empty() && !sink)
    return;
  double sum = sink ? std::exp(mask.sinks[h] - max) : 0;
  for (double score : row.scores)
    sum += std::exp(score - max);
  row.lse = max + std::log(sum);
  for (double score : row.scores)
    row.p.push_back(std::exp(score - row.lse));
  if (sink)
    row.sinkWeight = std::exp(mask.sinks[h] - row.lse);
}

/// Calls `visit(h, qRow, kvOffset, row)` for every query row of every head
/// h, with `qRow` the row's offset in q and `kvOffset` its kv head's in k
/// and v, in row order.
template <typename Visit>
void forEachRow(const AttentionShape &s, const AttentionMask &mask,
                const std::vector<double> &q, const std::vector<double> &k,
                double scale, Visit visit) {
  const int64_t d = s.headDim, group = s.queryHeads / s.kvHeads;
  RowSoftmax row;
  for (int64_t b = 0; b < s.batch; ++b)
    for (int64_t h = 0; h < s.queryHeads; ++h) {
      const int64_t kvOffset = ((b * s.kvHeads + h / group) * s.keyLen) * d;
      for (int64_t i = 0; i < s.queryLen; ++i) {
        const int64_t qRow = ((b * s.queryHeads + h) * s.queryLen + i) * d;
        // data() + offset: with no keys the vectors are empty, and indexing
        // one would be undefined.
        softmaxRow(s, mask, q.data() + qRow, k.data() + kvOffset, scale, h, i,
                   row);
        visit(h, qRow, kvOffset, row);
      }
    }
}

} // namespace

std::vector<double>
referenceAttention(const AttentionShape &s, const std::vector<double> &q,
                   const std::vector<double> &k, const std::vector<double> &v,
                   double scale, const AttentionMask &mask) {
  const int64_t d = s.headDim;
  std::vector<double> out(s.batch * s.queryHeads * s.queryLen * d, 0.0);
  forEachRow(
      s, mask, q, k, scale,
      [&](int64_t, int64_t qRow, int64_t kvOffset, const RowSoftmax &row) {
        for (size_t n = 0; n < row.keys.size(); ++n) {
          const double *vj = v.data() + kvOffset + row.keys[n] * d;
          for (int64_t x = 0; x < d; ++x)
            out[qRow + x] += row.p[n] * vj[x];
        }
      });
  return out;
}

std::vector<double> referenceAttention(const AttentionShape &s,
                                       const std::vector<double> &q,
                                       const std::vector<double> &k,
                                       const std::vector<double> &v,
                                       double scale, bool causal) {
  return referenceAttention(s, q, k, v, scale, AttentionMask::of(causal));
}

AttentionGradients referenceAttentionGradients(
    const AttentionShape &s, const std::vector<double> &q,
    const std::vector<double> &k, const std::vector<double> &v,
    const std::vector<double> &dout, double scale, const AttentionMask &mask) {
  const int64_t d = s.headDim;
  AttentionGradients g;
  g.dq.assign(s.batch * s.queryHeads * s.queryLen * d, 0.0);
  g.dk.assign(s.batch * s.kvHeads * s.keyLen * d, 0.0);
  g.dv.assign(s.batch * s.kvHeads * s.keyLen * d, 0.0);
  if (!mask.sinks.empty())
    g.dsinks.assign(s.queryHeads, 0.0);
  std::vector<double> dp;
  forEachRow(
      s, mask, q, k, scale,
      [&](int64_t h, int64_t qRow, int64_t kvOffset, const RowSoftmax &row) {
        const double *qi = q.data() + qRow;
        const double *doi = dout.data() + qRow;
        // dP_ij = dO_i . v_j and D_i = sum_j P_ij dP_ij.
        dp.assign(row.keys.size(), 0.0);
        double rowDot = 0;
        for (size_t n = 0; n < row.keys.size(); ++n) {
          const double *vj = v.data() + kvOffset + row.keys[n] * d;
          for (int64_t x = 0; x < d; ++x)
            dp[n] += doi[x] * vj[x];
          rowDot += row.p[n] * dp[n];
        }
        for (size_t n = 0; n < row.keys.size(); ++n) {
          const int64_t kj = kvOffset + row.keys[n] * d;
          double ds = row.p[n] * (dp[n] - rowDot);
          if (mask.softCap > 0) {
            double capped = row.scores[n] / mask.softCap;
            ds *= 1 - capped * capped;
          }
          for (int64_t x = 0; x < d; ++x) {
            g.dv[kj + x] += row.p[n] * doi[x];
            g.dq[qRow + x] += scale * ds * k[kj + x];
            g.dk[kj + x] += scale * ds * qi[x];
          }
        }
        if (!g.dsinks.empty())
          g.dsinks[h] -= row.sinkWeight * rowDot;
      });
  return g;
}

AttentionGradients referenceAttentionGradients(const AttentionShape &s,
                                               const std::vector<double> &q,
                                               const std::vector<double> &k,
                                               const std::vector<double> &v,
                                               const std::vector<double> &dout,
                                               double scale, bool causal) {
  return referenceAttentionGradients(s, q, k, v, dout, scale,
                                     AttentionMask::of(causal));
}

std::vector<double> referenceLogSumExp(const AttentionShape &s,
                                       const std::vector<double> &q,
                                       const std::vector<double> &k,
                                       double scale,
                                       const AttentionMask &mask) {
  std::vector<double> lse;
  lse.reserve(s.batch * s.queryHeads * s.queryLen);
  forEachRow(s, mask, q, k, scale,
             [&](int64_t, int64_t, int64_t, const RowSoftmax &row) {
               lse.push_back(row.lse);
             });
  return lse;
}

std::vector<double> referenceLogSumExp(const AttentionShape &s,
                                       const std::vector<double> &q,
                                       const std::vector<double> &k,
                                       double scale, bool causal) {
  return referenceLogSumExp(s, q, k, scale, AttentionMask::of(causal));
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
