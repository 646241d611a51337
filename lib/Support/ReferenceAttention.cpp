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
      const double *kBase = &k[((b * s.kvHeads + kvh) * s.keyLen) * d];
      const double *vBase = &v[((b * s.kvHeads + kvh) * s.keyLen) * d];
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
