//===- KernelLaunch.h - Kernel launches that survive bufferization -*- C++
//-*-===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// Internal to the ring-to-GPU conversion. A kernel launch created on tensors
// has to cross bufferization and buffer deallocation, which reject
// operations whose memory effects they cannot see, like gpu.launch_func. It
// crosses them as a call of a private declaration marked with the kernel
// (`ring.launch = @module::@kernel`) whose first three operands are the grid:
// a call reads and writes its memref operands, which is exactly what the
// kernel does. ring-offload-to-gpu replaces such calls with gpu.launch_func.
//
//===----------------------------------------------------------------------===//

#ifndef RINGATTN_LIB_CONVERSION_RINGTOGPU_KERNELLAUNCH_H
#define RINGATTN_LIB_CONVERSION_RINGTOGPU_KERNELLAUNCH_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"

namespace mlir {
namespace ring {

/// The module's gpu.module @ring_kernels, created (with the module marked
/// a GPU container) on first use: every kernel of a module lives there, so
/// the module embeds one binary.
gpu::GPUModuleOp getOrCreateKernelModule(ModuleOp module);

/// Emits the stand-in call launching `kernel` on `grid` blocks (of its known
/// block size) with `args`.
void createKernelLaunchCall(ImplicitLocOpBuilder &b, gpu::GPUFuncOp kernel,
                            gpu::KernelDim3 grid, ValueRange args);

/// Replaces every stand-in call in `module` with a gpu.launch_func and
/// erases the declarations.
LogicalResult materializeKernelLaunches(ModuleOp module);

} // namespace ring
} // namespace mlir

#endif // RINGATTN_LIB_CONVERSION_RINGTOGPU_KERNELLAUNCH_H
