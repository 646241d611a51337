//===- GpuKernelIRBuilder.h - What every GPU kernel body uses ---*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// Internal to the ring-to-GPU conversion. The vocabulary the forward
// (FlashKernelBuilder.h) and backward (FlashGradKernel.cpp) kernel bodies
// share beside the attention math of AttentionIRBuilder: unsigned index
// arithmetic, uniform conditionals, clamped row indices, and tiles of the
// dynamic shared memory every kernel takes at launch.
//
//===----------------------------------------------------------------------===//

#ifndef RINGATTN_LIB_CONVERSION_RINGTOGPU_GPUKERNELIRBUILDER_H
#define RINGATTN_LIB_CONVERSION_RINGTOGPU_GPUKERNELIRBUILDER_H

#include "AttentionIR/AttentionIRBuilder.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"

namespace mlir {
namespace ring {

class GpuKernelIRBuilder : protected AttentionIRBuilder {
protected:
  /// Creates the kernel's view of its dynamic shared memory at `b`'s
  /// insertion point, the start of `func`.
  GpuKernelIRBuilder(ImplicitLocOpBuilder &b, gpu::GPUFuncOp func);

  Value ult(Value x, Value y);
  Value divui(Value x, int64_t y);
  Value remui(Value x, int64_t y);
  void ifThen(Value cond, function_ref<void()> body);
  void ifThenElse(Value cond, function_ref<void()> thenBody,
                  function_ref<void()> elseBody);
  /// `row` clamped to the last of `len` rows: out-of-range threads compute
  /// on a copy of the last row, so loops stay uniform, and never store it.
  Value clampRow(Value row, Value len);

  /// A `shape` tile of `element` at `byteOffset` of the kernel's dynamic
  /// shared memory.
  Value sharedTile(int64_t byteOffset, ArrayRef<int64_t> shape, Type element);
  /// The same at a run-time offset (a pipeline stage's).
  Value sharedTile(Value byteOffset, ArrayRef<int64_t> shape, Type element);
  MemRefType privateType(ArrayRef<int64_t> shape, Type element);
  /// The byte address of the dynamic shared memory in the shared window:
  /// what wgmma descriptors and alignment to a swizzle's period need.
  Value sharedWindowAddress();

  gpu::GPUFuncOp func;

private:
  Value dynamicShared;
};

/// A gpu.func kernel `name` of `type` and `threads` threads a block at the
/// end of `module`, with `b` set to the start of its body.
gpu::GPUFuncOp createKernel(ImplicitLocOpBuilder &b, gpu::GPUModuleOp module,
                            StringRef name, FunctionType type, int64_t threads);

/// memref<?x...x?xT, strided<[?, ..., ?, 1], offset: ?>>: the type a kernel
/// takes each operand as, so one kernel serves every block of a module.
MemRefType dynamicStridedMemRef(MLIRContext *ctx, int64_t rank, Type element);

} // namespace ring
} // namespace mlir

#endif // RINGATTN_LIB_CONVERSION_RINGTOGPU_GPUKERNELIRBUILDER_H
