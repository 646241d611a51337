//===- KernelModule.cpp - The gpu.module that holds a module's kernels ---===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception

#include "KernelModule.h"

using namespace mlir;
using namespace mlir::ring;

static constexpr StringLiteral kKernelModule = "ring_kernels";

gpu::GPUModuleOp mlir::ring::getOrCreateKernelModule(OpBuilder &builder,
                                                     ModuleOp module) {
  if (auto existing = module.lookupSymbol<gpu::GPUModuleOp>(kKernelModule))
    return existing;
  module->setAttr(gpu::GPUDialect::getContainerModuleAttrName(),
                  UnitAttr::get(module.getContext()));
  OpBuilder::InsertionGuard guard(builder);
  builder.setInsertionPointToEnd(module.getBody());
  return gpu::GPUModuleOp::create(builder, module.getLoc(), kKernelModule);
}
