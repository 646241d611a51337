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

#include "RingAttn/Support/AttentionMask.h"

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
/// The same under `mask`: out_i = sum_j exp(s_ij - lse_i) v_j over the keys
/// i sees, with s_ij the (capped) score and lse_i as referenceLogSumExp's. A
/// row that sees no key is 0, with or without a sink.
std::vector<double> referenceAttention(const AttentionShape &shape,
                                       const std::vector<double> &q,
                                       const std::vector<double> &k,
                                       const std::vector<double> &v,
                                       double scale, const AttentionMask &mask);

/// The gradients of a scalar loss with respect to the attention inputs,
/// shaped like them: `dq` like q ([batch, queryHeads, queryLen, headDim]),
/// `dk` and `dv` like k and v ([batch, kvHeads, keyLen, headDim]).
struct AttentionGradients {
  std::vector<double> dq, dk, dv;
  /// With sinks, the gradient of each query head's sink; else empty.
  std::vector<double> dsinks;
};

/// Gradients of sum(dout * referenceAttention(q, k, v)) with respect to q, k,
/// v, from the definition, row by row in double precision. For row i of
/// query head h, with P_ij = softmax_j(scale * q_i . k_j) over the keys j it
/// may see (as in referenceAttention):
///   dV_j += P_ij dO_i,   dP_ij = dO_i . v_j,
///   dS_ij = P_ij (dP_ij - sum_l P_il dP_il),
///   dQ_i = scale sum_j dS_ij k_j,   dK_j += scale dS_ij q_i.
/// With grouped heads the dK and dV of a kv head sum over the query heads
/// that read it. A row that sees no key contributes nothing (its dQ is 0).
/// `dout` is shaped like the output, [batch, queryHeads, queryLen, headDim].
AttentionGradients referenceAttentionGradients(const AttentionShape &shape,
                                               const std::vector<double> &q,
                                               const std::vector<double> &k,
                                               const std::vector<double> &v,
                                               const std::vector<double> &dout,
                                               double scale, bool causal);
/// The same under `mask`. P_ij = exp(s_ij - lse_i) also leaves out the
/// sink's weight P_i,sink = exp(sink_h - lse_i), so dsink_h = -sum_i
/// P_i,sink D_i over the rows of head h, with D_i = sum_j P_ij dP_ij; a
/// soft-cap multiplies dS_ij by 1 - (s_ij / softCap)^2, the derivative of
/// the cap at the capped score.
AttentionGradients referenceAttentionGradients(
    const AttentionShape &shape, const std::vector<double> &q,
    const std::vector<double> &k, const std::vector<double> &v,
    const std::vector<double> &dout, double scale, const AttentionMask &mask);

/// The natural-log log-sum-exp of scale * q_i . k_j over the keys j that
/// query i may see (as in referenceAttention), one per row:
/// [batch, queryHeads, queryLen]. -inf for a row that sees no key.
std::vector<double> referenceLogSumExp(const AttentionShape &shape,
                                       const std::vector<double> &q,
                                       const std::vector<double> &k,
                                       double scale, bool causal);
/// The same under `mask`: log(sum_j exp(s_ij) + exp(sink_h)) over the keys
/// i sees, the sink's term only with sinks; -inf for a row with neither.
std::vector<double> referenceLogSumExp(const AttentionShape &shape,
                                       const std::vector<double> &q,
                                       const std::vector<double> &k,
                                       double scale, const AttentionMask &mask);

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
