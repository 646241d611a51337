//===- FlashAttentionGradKernel.cpp - Block gradients as GPU kernels ------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// The gradient kernels' configurations and the gpu.func each body is built
// into; the bodies are SimtFlashGradKernel.cpp's and
// TensorCoreFlashGradKernel.cpp's.
//
//===----------------------------------------------------------------------===//

#include "FlashAttentionGradKernel.h"
#include "FlashAttentionKernel.h"
#include "GpuKernelIRBuilder.h"

using namespace mlir;
using namespace mlir::ring;

bool mlir::ring::gradTensorCoresSupport(Type elementType, int64_t headDim) {
  return tensorCoresSupport(elementType, headDim) && headDim <= 128;
}

int64_t FlashGradKernelConfig::tileRows() const {
  // A warp's scores and dP (16 x tileRows each) share the registers with
  // its 16 x head_dim accumulators (two of them in the dk/dv kernel).
  if (tensorCores)
    return headDim <= 64 ? 64 : 32;
  return simtTileRows(headDim);
}

int64_t FlashGradKernelConfig::rowBytes() const {
  if (!tensorCores)
    return headDim * 4;
  return tileRowPitch() * elementType.getIntOrFloatBitWidth() / 8;
}

std::string FlashGradKernelConfig::name(GradKernelPart part) const {
  std::string type;
  llvm::raw_string_ostream os(type);
  elementType.print(os);
  return std::string("flash_attention_grad_") +
         (part == GradKernelPart::Query ? "dq_" : "dkv_") + type + "_d" +
         std::to_string(headDim) + (causal ? "_causal" : "") +
         (tensorCores ? "_mma" : "_simt");
}

gpu::GPUFuncOp
mlir::ring::getOrCreateFlashGradKernel(gpu::GPUModuleOp module,
                                       const FlashGradKernelConfig &config,
                                       GradKernelPart part) {
  std::string name = config.name(part);
  if (auto existing = module.lookupSymbol<gpu::GPUFuncOp>(name))
    return existing;

  MLIRContext *ctx = module.getContext();
  ImplicitLocOpBuilder b(module.getLoc(), ctx);
  Type f32 = b.getF32Type(), index = b.getIndexType();
  Type activation = dynamicStridedMemRef(ctx, 4, config.elementType);
  Type rowScalars = dynamicStridedMemRef(ctx, 3, f32);
  Type gradient = dynamicStridedMemRef(ctx, 4, f32);
  auto type = b.getFunctionType(
      {activation, activation, activation, activation, rowScalars, rowScalars,
       gradient, gradient, gradient, f32, f32, index, index, index, index},
      {});
  gpu::GPUFuncOp func = createKernel(b, module, name, type, config.threads());
  if (config.tensorCores)
    buildTensorCoreFlashGradKernel(b, func, config, part);
  else
    buildSimtFlashGradKernel(b, func, config, part);
  return func;
}
