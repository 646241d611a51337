//===- TmaLoadIRBuilder.h - sm_90 TMA tile loads IR -------------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// Internal to the ring-to-GPU conversion. How the warp-specialized sm_90a
// kernel's producer (TensorCoreFlashKernel.cpp) loads Q, K and V: one thread
// issues cp.async.bulk.tensor copies through the Tensor Memory Accelerator,
// which write a swizzled tile (WarpgroupMmaIRBuilder.h) and count their bytes
// on an mbarrier's transaction count (PTX ISA, "cp.async.bulk.tensor").
//
// A tensor map (CUtensorMap, made on the host by nvgpu.tma.create.descriptor:
// LowerBlockAttentionToGPU.cpp) describes one operand, a [batch, heads, rows,
// head_dim] memref, with a box of kPanelColumns x rows x 1 x 1 elements and
// CU_TENSOR_MAP_SWIZZLE_128B: each box lands as one 128-byte-swizzled panel
// of the tile, so a tile of head_dim columns is head_dim / 64 boxes. Rows
// past the end of the operand are zero-filled; their bytes still count.
//
//===----------------------------------------------------------------------===//

#ifndef RINGATTN_LIB_CONVERSION_RINGTOGPU_TMALOADIRBUILDER_H
#define RINGATTN_LIB_CONVERSION_RINGTOGPU_TMALOADIRBUILDER_H

#include "mlir/IR/ImplicitLocOpBuilder.h"

namespace mlir {
namespace ring {

class TmaLoadIRBuilder {
public:
  /// Columns of one box: a 128-byte swizzled row of 16-bit elements.
  static constexpr int64_t kPanelColumns = 64;

  TmaLoadIRBuilder(ImplicitLocOpBuilder &b, Type element, int64_t headDim)
      : b(b), element(element), headDim(headDim) {}

  /// The bytes a tile of `rows` rows brings: what an mbarrier expects.
  int64_t tileBytes(int64_t rows) const;
  /// Rows [row0, row0 + rows) of (batch, head) of the operand `map` (an
  /// !llvm.ptr to its tensor map) into the swizzled tile at shared-window
  /// address `tile` (an index, 1024-byte aligned), completing on `barrier`
  /// (an !llvm.ptr<3>).
  void loadTile(Value map, Value tile, Value batch, Value head, Value row0,
                int64_t rows, Value barrier);

private:
  ImplicitLocOpBuilder &b;
  Type element;
  int64_t headDim;
};

} // namespace ring
} // namespace mlir

#endif // RINGATTN_LIB_CONVERSION_RINGTOGPU_TMALOADIRBUILDER_H
