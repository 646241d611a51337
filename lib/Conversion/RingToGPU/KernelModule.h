//===- KernelModule.h - The gpu.module that holds a module's kernels -----===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// Internal to the ring-to-GPU conversion: the attention kernels and the
// offloaded element-wise loops of a module all live in one gpu.module
// @ring_kernels, so the module embeds one binary.
//
//===----------------------------------------------------------------------===//

#ifndef RINGATTN_LIB_CONVERSION_RINGTOGPU_KERNELMODULE_H
#define RINGATTN_LIB_CONVERSION_RINGTOGPU_KERNELMODULE_H

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/IR/BuiltinOps.h"

namespace mlir {
namespace ring {

/// The module's gpu.module @ring_kernels, created through `builder` (with
/// the module marked a GPU container) on first use.
gpu::GPUModuleOp getOrCreateKernelModule(OpBuilder &builder, ModuleOp module);

} // namespace ring
} // namespace mlir

#endif // RINGATTN_LIB_CONVERSION_RINGTOGPU_KERNELMODULE_H
