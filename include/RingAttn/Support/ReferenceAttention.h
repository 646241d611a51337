//===- ReferenceAttention.h - Plain float64 attention -----------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// The independent reference every kernel is checked against: attention
// computed row by row in double precision, straight from the definition,
// with no tiling and no online softmax.
//
//===----------------------------------------------------------------------===//

#ifndef RINGATTN_SUPPORT_REFERENCEATTENTION_H
#define RINGATTN_SUPPORT_REFERENCEATTENTION_H

#include <cstdint>
#include <vector>

namespace ringattn {

struct AttentionShape {
  int64_t batch, queryHeads, kvHeads, queryLen, keyLen, headDim;
};

/// out[b, h, i, :] = softmax_j(scale * q_i . k_j) v_j over the keys j that
/// query i may see: all of them, or with `causal` those with j <= i. `q`,
/// `k`, `v` are C-ordered [batch, heads, seq, head_dim]. A row that sees no
/// key is 0.
std::vector<double> referenceAttention(const AttentionShape &shape,
                                       const std::vector<double> &q,
                                       const std::vector<double> &k,
                                       const std::vector<double> &v,
                                       double scale, bool causal);

/// How far `actual` is from `expected`. When `actual` holds NaN or inf the
/// distances are infinite, and the counts say which it was.
struct ErrorStats {
  double maxAbs = 0;    ///< max |actual - expected|
  double relative = 0;  ///< ||actual - expected||_2 / ||expected||_2
  bool finite = true;   ///< no NaN or inf in `actual`
  int64_t nanCount = 0; ///< NaN values in `actual`
  int64_t infCount = 0; ///< +-inf values in `actual`
  int64_t count = 0;    ///< values compared
  /// Whether `expected` is free of NaN and inf; when it is not, the inputs
  /// held NaN or inf (the reference of finite inputs is finite).
  bool expectedFinite = true;
};

ErrorStats compare(const std::vector<double> &actual,
                   const std::vector<double> &expected);

} // namespace ringattn

#endif // RINGATTN_SUPPORT_REFERENCEATTENTION_H
