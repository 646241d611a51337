//===- FlashAttentionGradKernel.h - Block gradients as GPU kernels -*- C++
//-*-===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// Internal to the ring-to-GPU conversion. Builds the two gpu.funcs that
// compute one ring.block_attention_grad (FlashAttention's backward from the
// global log-sum-exp, docs/Semantics.md): one owns query rows and
// accumulates dQ, the other owns key rows and accumulates dK and dV. Each
// recomputes the probabilities of its pairs, so neither needs the other's
// results, and no two thread blocks write the same gradient row: no atomics,
// and the gradients are the same bits run after run.
//
//===----------------------------------------------------------------------===//

#ifndef RINGATTN_LIB_CONVERSION_RINGTOGPU_FLASHATTENTIONGRADKERNEL_H
#define RINGATTN_LIB_CONVERSION_RINGTOGPU_FLASHATTENTIONGRADKERNEL_H

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"

#include <string>

namespace mlir {
namespace ring {

/// Which gradients a kernel computes, and so which rows its threads own.
enum class GradKernelPart {
  /// dQ: a thread per query row, streaming key/value tiles.
  Query,
  /// dK and dV: a thread per key row, streaming the query and dO tiles of
  /// every query head of its key/value head.
  KeyValue,
};

/// What a gradient kernel is specialized for; sizes, offsets, strides and
/// the scale are kernel arguments, as for the forward kernel.
struct FlashGradKernelConfig {
  Type elementType;
  int64_t headDim;
  bool causal;
  /// mma.sync m16n8k16 on f16/bf16 (sm_80 and newer) instead of f32 FMAs.
  bool tensorCores = false;

  /// Rows (queries or keys) a thread block owns: one a thread on the SIMT
  /// path, 16 a warp (one m16 tile) on tensor cores.
  static constexpr int64_t kRowsPerBlock = 64;
  static constexpr int64_t kWarps = kRowsPerBlock / 16;
  int64_t threads() const { return tensorCores ? 32 * kWarps : kRowsPerBlock; }
  /// Rows of the tiles the block streams through shared memory (keys and
  /// values, or queries and dout).
  int64_t tileRows() const;
  /// Elements per shared row of a tensor-core tile: head_dim plus 16 bytes,
  /// so ldmatrix is conflict-free (as the forward's tiles).
  int64_t tileRowPitch() const { return headDim + 8; }
  /// The dynamic shared memory, tile after tile: on tensor cores the block's
  /// own rows (Q and dout, or K and V, each kRowsPerBlock rows); then each
  /// pipeline stage's two streamed tiles (f32 rows on the SIMT path); then
  /// each stage's lse reference and delta of the streamed rows (f32, the
  /// dk/dv kernel).
  int64_t ownTileBytes() const {
    return tensorCores ? kRowsPerBlock * rowBytes() : 0;
  }
  /// Tensor cores stream through two stages, loading the next tile while
  /// they multiply the current one; the SIMT kernels through one.
  int64_t stages() const { return tensorCores ? 2 : 1; }
  int64_t stageBytes() const { return 2 * tileRows() * rowBytes(); }
  int64_t firstTileOffset(int64_t stage = 0) const {
    return 2 * ownTileBytes() + stage * stageBytes();
  }
  int64_t secondTileOffset(int64_t stage = 0) const {
    return firstTileOffset(stage) + tileRows() * rowBytes();
  }
  int64_t rowScalarsOffset(int64_t stage = 0) const {
    return firstTileOffset(stages()) + stage * 2 * tileRows() * 4;
  }
  int64_t sharedMemoryBytes() const { return rowScalarsOffset(stages()); }
  std::string name(GradKernelPart part) const;

private:
  /// Bytes of a shared row: padded f16/bf16 on tensor cores, f32 otherwise.
  int64_t rowBytes() const;
};

/// Whether the tensor-core gradient kernels can compute blocks of this
/// element type and head dimension (their dK and dV accumulators hold a
/// warp's 16 key rows of head_dim in registers: up to 128).
bool gradTensorCoresSupport(Type elementType, int64_t headDim);

/// The kernel computing `part` of the gradients for `config` in `module`,
/// built on first request. Both parts take (q, k, v, dout, lse, delta, dq,
/// dk, dv, scale * log2(e), scale, query_offset, query_stride, key_offset,
/// key_stride): the activations and dout as
/// memref<?x?x?x?xT, strided<[?, ?, ?, 1], offset: ?>>, lse and delta as
/// memref<?x?x?xf32, ...>, the gradients as memref<?x?x?x?xf32, ...>, which
/// the kernel adds to. Launch Query on a grid of (ceil(query_len /
/// kRowsPerBlock), query_heads, batch) blocks, KeyValue on (ceil(key_len /
/// kRowsPerBlock), kv_heads, batch), each of (threads(), 1, 1) with
/// sharedMemoryBytes() of dynamic shared memory.
gpu::GPUFuncOp getOrCreateFlashGradKernel(gpu::GPUModuleOp module,
                                          const FlashGradKernelConfig &config,
                                          GradKernelPart part);

/// The bodies of a gradient kernel: one thread per owned row with f32
/// FMAs, any element type and head_dim (SimtFlashGradKernel.cpp), and warps
/// of mma.sync tiles (gradTensorCoresSupport(),
/// TensorCoreFlashGradKernel.cpp).
void buildSimtFlashGradKernel(ImplicitLocOpBuilder &b, gpu::GPUFuncOp func,
                              const FlashGradKernelConfig &config,
                              GradKernelPart part);
void buildTensorCoreFlashGradKernel(ImplicitLocOpBuilder &b,
                                    gpu::GPUFuncOp func,
                                    const FlashGradKernelConfig &config,
                                    GradKernelPart part);

} // namespace ring
} // namespace mlir

#endif // RINGATTN_LIB_CONVERSION_RINGTOGPU_FLASHATTENTIONGRADKERNEL_H
