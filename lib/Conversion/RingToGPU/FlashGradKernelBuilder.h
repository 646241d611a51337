//===- FlashGradKernelBuilder.h - What the gradient bodies share -*- C++
//-*-===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// Internal to the ring-to-GPU conversion. Both gradient kernels (dq; dk and
// dv) recompute the probabilities of their (query, key) pairs from the
// global log-sum-exp, in base 2 like the forward:
//
//   P  = 2^(s * scale * log2(e) - lse * log2(e))   0 masked or lse = -inf
//   dP = dout . v          dS = P (dP - delta)
//   dq += scale dS k       dk += scale dS q        dv += P dout
//
// and skip, under a causal mask, the tiles no owned row interacts with: the
// dq kernel stops at its last row's key frontier, the dk/dv kernel starts at
// the first query its first key is visible to. The bounds are the same for
// every thread of a block, so the loops stay uniform around their barriers.
//
// FlashGradKernelBuilder holds what the bodies share: the kernel arguments
// (FlashAttentionGradKernel.h), the block coordinates, those bounds, and
// the probability. The bodies are SimtFlashGradKernel.cpp (any element
// type) and TensorCoreFlashGradKernel.cpp (mma.sync, f16/bf16).
//
//===----------------------------------------------------------------------===//

#ifndef RINGATTN_LIB_CONVERSION_RINGTOGPU_FLASHGRADKERNELBUILDER_H
#define RINGATTN_LIB_CONVERSION_RINGTOGPU_FLASHGRADKERNELBUILDER_H

#include "FlashAttentionGradKernel.h"
#include "GpuKernelIRBuilder.h"

namespace mlir {
namespace ring {

class FlashGradKernelBuilder : protected GpuKernelIRBuilder {
protected:
  /// Reads the arguments and block coordinates at the start of `func`.
  FlashGradKernelBuilder(ImplicitLocOpBuilder &b, gpu::GPUFuncOp func,
                         const FlashGradKernelConfig &config);

  /// What a probability's base-2 exponent subtracts: lse * log2(e), or +inf
  /// for a row that saw no key, whose probabilities are then 0.
  Value probabilityReference(Value rowLse);
  /// P of a score s = q . k: 2^(s * scale * log2(e) - reference), 0 where
  /// not `visible` (null: everything is).
  Value probability(Value visible, Value score, Value reference);
  /// Whether query `queryIndex` may see key `keyIndex` under the causal
  /// mask; null when there is none.
  Value causallyVisible(Value queryIndex, Value keyIndex);
  /// The dq kernel's key loop bound: one past the last key any of the
  /// block's query rows sees.
  Value keyEnd();
  /// The dk/dv kernel's query loop start: the first query any of the
  /// block's key rows is seen by.
  Value queryBegin();
  /// The dk/dv kernel's shared f32 rows of the streamed queries' lse
  /// reference and delta (tileRows each) of pipeline stage `stage` (null:
  /// the first).
  std::pair<Value, Value> rowScalarTiles(Value stage = nullptr);
  /// Fills them for the query tile at query0 of `queryHead`: a thread a
  /// row, rows past the end clamped.
  void stageRowScalars(Value queryHead, Value query0, Value references,
                       Value deltas);

  const FlashGradKernelConfig &config;
  const int64_t headDim, tileRows;
  Value query, key, value, dout, lse, delta, dq, dk, dv, scaleLog2, scale;
  Value queryOffset, queryStride, keyOffset, keyStride;
  /// Block coordinates: `head` is a query head in the dq kernel, a
  /// key/value head in the dk/dv kernel; `row0` the first owned row.
  Value batch, head, row0, thread, queryLen, keyLen, group;
};

} // namespace ring
} // namespace mlir

#endif // RINGATTN_LIB_CONVERSION_RINGTOGPU_FLASHGRADKERNELBUILDER_H
