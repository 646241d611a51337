//===- WarpgroupMmaIRBuilder.h - sm_90a wgmma IR ----------------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// Internal to the ring-to-GPU conversion. What the sm_90a forward kernel
// (TensorCoreFlashKernel.cpp with FlashKernelConfig::warpgroupMma) builds
// per warpgroup: tiles in 128-byte-swizzled shared memory, their wgmma
// matrix descriptors, and chains of wgmma.mma_async m64nNk16 with f32
// accumulators.
//
// A swizzled tile of R rows and C (a multiple of 64) 16-bit columns is C / 64
// panels of R rows of 128 bytes; the 16-byte chunk c of row r sits at chunk
// c ^ (r % 8) of its row (CUTLASS's Swizzle<3, 4, 3>, TMA's
// CU_TENSOR_MAP_SWIZZLE_128B). Panels start on 1024-byte boundaries of the
// shared window, since wgmma swizzles absolute address bits. Such a tile is
// the canonical layout wgmma reads (PTX ISA, "Shared Memory Matrix Layout"):
// K-major with 8-row groups 1024 bytes apart (Q, K), or, for V (keys x
// head_dim, the B operand of P V), MN-major with the panels as the
// 64-column groups.
//
// A can also come from registers (wgmma's .rs form: P of P V, straight from
// the scores' accumulators as FlashAttention-3 keeps it). Its fragment is
// mma.sync's A fragment of the warp's 16 rows (PTX ISA, "Matrix Fragments
// for wgmma.m64nNk16"). MLIR 22's nvvm.wgmma.mma_async has no such form, so
// it is inline PTX, written as that op's own lowering writes its PTX.
//
// The accumulator of m64nNk16 gives warp w of the warpgroup rows 16 w to
// 16 w + 15 and each lane, per 8-column slice, the elements mma.sync's C
// fragment would (MmaSyncFragmentLayout.h): element 4 j + e of a lane is
// mma.sync's C element e of n-tile j.
//
//===----------------------------------------------------------------------===//

#ifndef RINGATTN_LIB_CONVERSION_RINGTOGPU_WARPGROUPMMAIRBUILDER_H
#define RINGATTN_LIB_CONVERSION_RINGTOGPU_WARPGROUPMMAIRBUILDER_H

#include "mlir/IR/ImplicitLocOpBuilder.h"

namespace mlir {
namespace ring {

/// The byte layout of 128-byte-swizzled tiles, on the host as well: what
/// the kernel builder and the tests both rely on.
struct SwizzledTileLayout {
  static constexpr int64_t kRowBytes = 128;
  static constexpr int64_t kChunkBytes = 16;
  /// The bytes between two 8-row groups: the descriptors' K-major stride.
  static constexpr int64_t kGroupBytes = 8 * kRowBytes;
  /// The byte offset of byte `byteInRow` of row `row` in a tile of `rows`
  /// rows.
  static constexpr int64_t offset(int64_t row, int64_t byteInRow,
                                  int64_t rows) {
    int64_t chunk = (byteInRow % kRowBytes) / kChunkBytes;
    return (byteInRow / kRowBytes) * rows * kRowBytes + row * kRowBytes +
           (chunk ^ (row % 8)) * kChunkBytes + byteInRow % kChunkBytes;
  }
};

class WarpgroupMmaIRBuilder {
public:
  /// `element` is f16 or bf16; `thread` the thread's index in its block.
  WarpgroupMmaIRBuilder(ImplicitLocOpBuilder &b, Type element, Value thread);

  /// Where element `col` of row `row` of a swizzled tile of `rows` rows
  /// sits in its [panels x rows] x 64 view: (view row, view column). `col`
  /// is a multiple of 8 or within the chunk of one.
  std::pair<Value, Value> place(Value row, Value col, int64_t rows);

  /// The wgmma descriptor of the operand starting at `address` (bytes, in
  /// the shared window): K-major, or MN-major with `panelBytes` between its
  /// 64-column groups.
  Value kMajorDescriptor(Value address);
  Value mnMajorDescriptor(Value address, int64_t panelBytes);
  /// `descriptor` moved by `bytes` (a k-slice further along the same tile,
  /// or a pipeline stage further).
  Value advance(Value descriptor, int64_t bytes);
  Value advance(Value descriptor, Value bytes);

  /// acc += A B over the k16 slices (descA[s], descB[s]): one
  /// wgmma.mma_async m64nNk16 each, N = acc.size() * 2, issued as one group
  /// and waited for. B is K-major, or MN-major with `transposeB`.
  void multiply(SmallVector<Value> &acc, ArrayRef<Value> descA,
                ArrayRef<Value> descB, bool transposeB);
  /// The same with A from registers: aSlices[s] holds k-slice s's four
  /// operand registers (i32, or f16 pairs) in mma.sync's A layout.
  void multiplyRegisterA(SmallVector<Value> &acc,
                         ArrayRef<SmallVector<Value, 4>> aSlices,
                         ArrayRef<Value> descB, bool transposeB);

  /// Orders this thread's generic-proxy writes to shared memory (stores,
  /// cp.async) before later wgmma reads of it (the async proxy); a barrier
  /// must still follow for other threads' reads.
  void fenceSharedForAsyncProxy();

  /// The thread's warpgroup.
  Value warpgroup;

private:
  Value idx(int64_t v);
  Value descriptor(Value address, int64_t leadingBytes, int64_t strideBytes);
  /// One wgmma group of `slices` products on the accumulators `acc`, each
  /// built by `product` from the accumulator struct it adds to.
  void group(SmallVector<Value> &acc, size_t slices,
             function_ref<Value(Value packed, size_t slice)> product);
  /// A 32-bit operand register as inline PTX takes it.
  Value asI32(Value reg);

  ImplicitLocOpBuilder &b;
  Type element;
};

} // namespace ring
} // namespace mlir

#endif // RINGATTN_LIB_CONVERSION_RINGTOGPU_WARPGROUPMMAIRBUILDER_H
