//===- FlashKernelBuilder.h - What both GPU kernel bodies share -*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// Internal to the ring-to-GPU conversion. Every flash-attention kernel
// computes kernel.queryTile() query rows of one (batch, query head) against
// the whole key/value block (GQA: the key/value head of its group):
//
//   for each key tile k0 (stopping at the causal frontier of its rows):
//     K, V tile -> shared memory
//     S = Q K^T * scale * log2(e)            masked entries -inf
//     m' = max(m, rowmax S); P = 2^(S - m'); a = 2^(m - m')
//     l = a l + rowsum P; O = a O + P V
//   out = O / l, lse = ln(2) m + ln(l)       (l = 0: out 0, lse -inf)
//
// Scores live in base 2 so the exponentials are exp2; the log-sum-exp a
// kernel writes is in the natural base, like every other producer of lse.
// Rows past the end of the query block compute on a clamped copy of the
// last row and are never stored; keys past the end are clamped on load and
// masked, so the loops need no divergent bounds around barriers or
// warp-collective instructions.
//
// FlashKernelBuilder holds what the two bodies share: the kernel arguments
// and block coordinates, the mask and the epilogue's normalizer (the
// shared-memory tiles come from GpuKernelIRBuilder). The bodies are
// SimtFlashKernel.cpp and TensorCoreFlashKernel.cpp.
//
//===----------------------------------------------------------------------===//

#ifndef RINGATTN_LIB_CONVERSION_RINGTOGPU_FLASHKERNELBUILDER_H
#define RINGATTN_LIB_CONVERSION_RINGTOGPU_FLASHKERNELBUILDER_H

#include "FlashAttentionKernel.h"

#include "GpuKernelIRBuilder.h"

namespace mlir {
namespace ring {

class FlashKernelBuilder : protected GpuKernelIRBuilder {
protected:
  /// Reads the arguments and block coordinates at the start of `func`.
  FlashKernelBuilder(ImplicitLocOpBuilder &b, gpu::GPUFuncOp func,
                     const FlashKernelConfig &config);

  //===--- Mask and epilogue ---------------------------------------------===//

  Value queryPosition(Value row);
  /// Whether query `row` sees key `keyIndex`: inside the block, and not in
  /// its future when causal.
  Value visible(Value row, Value keyIndex);
  /// The factor that finishes a row's output: 1 / l, or 0 for a row that
  /// saw no key.
  Value rowNormalizer(Value sum);
  /// An f32 output value (scalar or vector) in the type `out` holds.
  Value asOutput(Value x);
  /// lse[row] = ln(2) max + ln(sum), or -inf for a row that saw no key.
  void storeLse(Value row, Value max, Value sum);

  const FlashKernelConfig &config;
  const int64_t headDim;
  const int64_t keyTile;

  Value query, key, value, out, lse, scaleLog2;
  Value queryOffset, queryStride, keyOffset, keyStride;
  /// The tensor maps of q, k and v (warp-specialized kernels only).
  Value queryMap, keyMap, valueMap;
  Value batch, queryHead, kvHead, query0, thread;
  Value queryLen, keyLen;
  /// One past the last key any row of the block may see: the same for every
  /// thread, so the key loop is uniform around its barriers.
  Value keyEnd;

private:
  Value causalKeyEnd();
};

/// The bodies: one thread per row with f32 FMAs (any type and head_dim),
/// and warps of mma.sync tiles (f16/bf16, tensorCoresSupport()), or on
/// sm_90a warpgroups of wgmma tiles (warpgroupMmaSupports()).
void buildSimtFlashKernel(ImplicitLocOpBuilder &b, gpu::GPUFuncOp func,
                          const FlashKernelConfig &config);
void buildTensorCoreFlashKernel(ImplicitLocOpBuilder &b, gpu::GPUFuncOp func,
                                const FlashKernelConfig &config);

} // namespace ring
} // namespace mlir

#endif // RINGATTN_LIB_CONVERSION_RINGTOGPU_FLASHKERNELBUILDER_H
