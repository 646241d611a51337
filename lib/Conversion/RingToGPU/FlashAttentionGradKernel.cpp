//===- FlashAttentionGradKernel.cpp - Block gradients as GPU kernels ------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// The gradient kernels' configurations and the gpu.func each body is built
// into; the body is SimtFlashGradKernel.cpp's.
//
//===----------------------------------------------------------------------===//

#include "FlashAttentionGradKernel.h"
#include "GpuKernelIRBuilder.h"

using namespace mlir;
using namespace mlir::ring;

/// Shared memory the two f32 row tiles may use together, as the forward
/// SIMT kernel's K and V tiles.
constexpr int64_t kTileBytes = 32 * 1024;

int64_t FlashGradKernelConfig::tileRows() const {
  return std::clamp<int64_t>(kTileBytes / (2 * 4 * headDim), 1, 64);
}

std::string FlashGradKernelConfig::name(GradKernelPart part) const {
  std::string type;
  llvm::raw_string_ostream os(type);
  elementType.print(os);
  return std::string("flash_attention_grad_") +
         (part == GradKernelPart::Query ? "dq_" : "dkv_") + type + "_d" +
         std::to_string(headDim) + (causal ? "_causal" : "") + "_simt";
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
  b.setInsertionPointToEnd(module.getBody());
  Type f32 = b.getF32Type(), index = b.getIndexType();
  Type activation = dynamicStridedMemRef(ctx, 4, config.elementType);
  Type rowScalars = dynamicStridedMemRef(ctx, 3, f32);
  Type gradient = dynamicStridedMemRef(ctx, 4, f32);
  auto type = b.getFunctionType(
      {activation, activation, activation, activation, rowScalars, rowScalars,
       gradient, gradient, gradient, f32, f32, index, index, index, index},
      {});
  auto func = gpu::GPUFuncOp::create(b, name, type);
  func->setAttr(gpu::GPUDialect::getKernelFuncAttrName(), b.getUnitAttr());
  func.setKnownBlockSize(
      ArrayRef<int32_t>{static_cast<int32_t>(config.threads()), 1, 1});
  b.setInsertionPointToStart(&func.getBody().front());
  buildSimtFlashGradKernel(b, func, config, part);
  return func;
}
