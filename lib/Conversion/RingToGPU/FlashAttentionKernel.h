//===- FlashAttentionKernel.h - Block attention as a GPU kernel -*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// Internal to the ring-to-GPU conversion. Builds the gpu.func that computes
// one ring.block_attention: a thread block owns a tile of query rows of one
// (batch, query head), streams the key/value block through shared memory in
// tiles, and keeps an online softmax in f32 (FlashAttention-2's forward).
//
//===----------------------------------------------------------------------===//

#ifndef RINGATTN_LIB_CONVERSION_RINGTOGPU_FLASHATTENTIONKERNEL_H
#define RINGATTN_LIB_CONVERSION_RINGTOGPU_FLASHATTENTIONKERNEL_H

#include "mlir/Dialect/GPU/IR/GPUDialect.h"

#include <string>

namespace mlir {
namespace ring {

/// What a kernel is specialized for. Sizes, offsets, strides and the scale
/// are kernel arguments, so one kernel serves every block of a module.
struct FlashKernelConfig {
  Type elementType;
  int64_t headDim;
  bool causal;
  /// mma.sync m16n8k16 on f16/bf16 (sm_80 and newer) instead of f32 FMAs.
  bool tensorCores;

  /// Query rows per thread block: 4 warps x 16 rows, or one row per thread.
  static constexpr int64_t kQueryTile = 64;
  int64_t threads() const { return tensorCores ? 128 : kQueryTile; }
  /// Keys per shared-memory tile: as many as keep K and V tiles in 32 KiB.
  int64_t keyTile() const;
  std::string name() const;
};

/// Whether the tensor-core kernel can compute blocks of this element type
/// and head dimension.
bool tensorCoresSupport(Type elementType, int64_t headDim);

/// The kernel for `config` in `module`, built on first request. Its
/// arguments are (q, k, v, out, lse, scale * log2(e), query_offset,
/// query_stride, key_offset, key_stride): q, k, v are
/// memref<?x?x?x?xT, strided<[?, ?, ?, 1], offset: ?>>, out the same in f32,
/// lse memref<?x?x?xf32, strided<[?, ?, 1], offset: ?>>. Launch it on a grid
/// of (ceil(query_len / kQueryTile), query_heads, batch) blocks of
/// (threads(), 1, 1).
gpu::GPUFuncOp getOrCreateFlashKernel(gpu::GPUModuleOp module,
                                      const FlashKernelConfig &config);

} // namespace ring
} // namespace mlir

#endif // RINGATTN_LIB_CONVERSION_RINGTOGPU_FLASHATTENTIONKERNEL_H
