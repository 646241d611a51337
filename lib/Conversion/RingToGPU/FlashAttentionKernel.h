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
  /// The output is final and in `elementType`, rounded as it is stored;
  /// otherwise an f32 partial.
  bool finalOutput = false;
  /// sm_90a's warpgroup MMA (wgmma) instead of mma.sync: two warpgroups of
  /// 64 query rows; Q, K and V sit in 128-byte-swizzled shared memory
  /// (warpgroupMmaSupports()). Implies tensorCores.
  bool warpgroupMma = false;

  /// wgmma up to head_dim 128: a third warpgroup, the producer, streams Q
  /// and the K/V tiles into shared memory behind mbarriers while the two
  /// consumer warpgroups compute (FlashAttention-3's warp specialization).
  /// One producer thread issues every load through the Tensor Memory
  /// Accelerator (TmaLoadIRBuilder.h), from tensor maps the launch passes.
  /// Larger head dims need more registers per consumer thread (243-255)
  /// than a producer warpgroup leaves them (kConsumerRegisters), so they
  /// keep the block-wide double-buffered pipeline of cp.async copies.
  bool warpSpecialized() const { return warpgroupMma && headDim <= 128; }
  /// setmaxnreg's split of the 64K registers between the warpgroups of a
  /// warp-specialized block: 128 x 24 + 256 x 240 = 64,512, FlashAttention-
  /// 3's. The producer's one thread only computes TMA coordinates.
  static constexpr int64_t kProducerRegisters = 24;
  static constexpr int64_t kConsumerRegisters = 240;
  /// The registers a thread of a warp-specialized block starts with: what
  /// 384 threads may have of the 64K (a multiple of 8), and so the CTA's
  /// register pool that setmaxnreg redistributes. The kernel pins it with
  /// `.maxnreg` (ptxas would otherwise start a light kernel lower, and the
  /// consumers' setmaxnreg.inc would wait forever for registers the pool
  /// does not have).
  int64_t launchRegisters() const {
    return (kRegistersPerBlock / threads()) / 8 * 8;
  }
  static constexpr int64_t kRegistersPerBlock = 64 * 1024;
  /// Warps that compute in a tensor-core block: four of mma.sync, or two
  /// warpgroups of four; the SIMT kernel runs one thread per row.
  int64_t warps() const { return warpgroupMma ? 8 : 4; }
  /// The producer warpgroup's warps, after the computing ones.
  int64_t producerWarps() const { return warpSpecialized() ? 4 : 0; }
  static constexpr int64_t kSimtQueryTile = 64;
  /// Query rows one warp owns on the tensor-core path: two m16 tiles up to
  /// head_dim 128 (FlashAttention-2's 128-row block), one at larger head
  /// dims so the output accumulators (16 x 256 / 32 = 128 floats a lane)
  /// leave room for the scores without spilling. A wgmma m64 tile gives
  /// each warp of its warpgroup 16 rows.
  int64_t rowsPerWarp() const {
    return headDim <= 128 && !warpgroupMma ? 32 : 16;
  }
  /// Query rows per thread block.
  int64_t queryTile() const {
    return tensorCores ? warps() * rowsPerWarp() : kSimtQueryTile;
  }
  int64_t threads() const {
    return tensorCores ? 32 * (warps() + producerWarps()) : kSimtQueryTile;
  }
  /// Keys per shared-memory tile.
  int64_t keyTile() const;
  /// Elements per shared-memory row of the mma.sync tiles: head_dim plus
  /// 16 bytes, so the eight rows an ldmatrix phase reads start four banks
  /// apart and no two share a bank. The wgmma tiles are unpadded.
  int64_t tileRowPitch() const { return headDim + (warpgroupMma ? 0 : 8); }
  /// K/V stages in shared memory: the wgmma kernel double-buffers them, so
  /// that the next tile's loads overlap the whole of this one's work.
  int64_t stages() const { return warpgroupMma ? 2 : 1; }
  /// The dynamic shared memory, tile after tile: Q (tensor cores only),
  /// then each stage's K and V. The byte offsets of stage 0's tiles, the
  /// bytes of a stage, and the bytes a launch must provide: with wgmma, the
  /// offsets count from the first 1024-byte boundary of the shared window
  /// (a 128-byte swizzle repeats every 1024 bytes, and wgmma reads it from
  /// absolute addresses), so a launch provides kSwizzleAlignment more.
  int64_t keyTileOffset() const;
  int64_t valueTileOffset() const { return keyTileOffset() + keyTileBytes(); }
  int64_t stageBytes() const { return 2 * keyTileBytes(); }
  /// The warp-specialized kernel's mbarriers follow the stages (from the
  /// same boundary): Q's, then each stage's "full" and "empty" one. A TMA
  /// box lands at a 128-byte-aligned address and swizzles by address bits
  /// as wgmma reads them: every tile starts on a 1024-byte boundary.
  int64_t barrierOffset() const {
    return keyTileOffset() + stages() * stageBytes();
  }
  int64_t barrierBytes() const {
    return warpSpecialized() ? 8 * (1 + 2 * stages()) : 0;
  }
  int64_t sharedMemoryBytes() const {
    return (warpgroupMma ? kSwizzleAlignment : 0) + barrierOffset() +
           barrierBytes();
  }
  static constexpr int64_t kSwizzleAlignment = 1024;
  std::string name() const;

private:
  /// Bytes of one row of a tile: padded f16/bf16 on tensor cores, f32 on
  /// the SIMT path.
  int64_t tileRowBytes() const;
  int64_t keyTileBytes() const { return keyTile() * tileRowBytes(); }
};

/// Whether the tensor-core kernel can compute blocks of this element type
/// and head dimension.
bool tensorCoresSupport(Type elementType, int64_t headDim);
/// Whether the wgmma kernel can: head_dim a multiple of the 64 elements of
/// a swizzled 128-byte row.
bool warpgroupMmaSupports(Type elementType, int64_t headDim);

/// The box a warp-specialized kernel's tensor map of q (`query`) or of k
/// and v describes, in memref order [batch, heads, rows, head_dim]: one
/// head's rows of a tile by 64 columns, swizzled 128 bytes.
SmallVector<int64_t, 4> flashTensorMapBox(const FlashKernelConfig &config,
                                          bool query);

/// Rows of the f32 tiles a SIMT kernel streams through shared memory two at
/// a time (K and V, or Q and dout): 32 KiB together, at most 64 rows.
int64_t simtTileRows(int64_t headDim);

/// The kernel for `config` in `module`, built on first request. Its
/// arguments are (q, k, v, out, lse, scale * log2(e), query_offset,
/// query_stride, key_offset, key_stride): q, k, v are
/// memref<?x?x?x?xT, strided<[?, ?, ?, 1], offset: ?>>, out the same in f32
/// (in T with finalOutput),
/// lse memref<?x?x?xf32, strided<[?, ?, 1], offset: ?>>; a warp-specialized
/// kernel takes three !llvm.ptr more, the tensor maps of q, k and v
/// (flashTensorMapBox()). Launch it on a grid
/// of (ceil(query_len / queryTile()), query_heads, batch) blocks of
/// (threads(), 1, 1) with sharedMemoryBytes() of dynamic shared memory.
gpu::GPUFuncOp getOrCreateFlashKernel(gpu::GPUModuleOp module,
                                      const FlashKernelConfig &config);

} // namespace ring
} // namespace mlir

#endif // RINGATTN_LIB_CONVERSION_RINGTOGPU_FLASHATTENTIONKERNEL_H
