//===- FlashAttentionKernel.cpp - Block attention as a GPU kernel ---------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// The kernels' configurations and the gpu.func each body is built into. The
// algorithm both bodies share is FlashKernelBuilder.h's; the bodies are
// SimtFlashKernel.cpp and TensorCoreFlashKernel.cpp.
//
//===----------------------------------------------------------------------===//

#include "FlashAttentionKernel.h"
#include "FlashKernelBuilder.h"
#include "GpuKernelIRBuilder.h"
#include "TmaLoadIRBuilder.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"

using namespace mlir;
using namespace mlir::ring;

/// Shared memory the SIMT kernel's f32 K and V tiles may use together.
constexpr int64_t kSimtTileBytes = 32 * 1024;

int64_t mlir::ring::simtTileRows(int64_t headDim) {
  return std::clamp<int64_t>(kSimtTileBytes / (2 * 4 * headDim), 1, 64);
}

bool mlir::ring::tensorCoresSupport(Type elementType, int64_t headDim) {
  return (elementType.isF16() || elementType.isBF16()) && headDim % 16 == 0 &&
         headDim <= 256;
}

bool mlir::ring::warpgroupMmaSupports(Type elementType, int64_t headDim) {
  return tensorCoresSupport(elementType, headDim) && headDim % 64 == 0;
}

int64_t FlashKernelConfig::keyTile() const {
  // FlashAttention-2's 128 x 64 tile on sm_80 and sm_90: 64 keys. A warp's
  // S (32 x 64 / 32 floats a lane) and O (32 x head_dim / 32) fragments
  // then fill the 255 registers; at head_dim 128 the causal kernel spills
  // 52 bytes, yet on an H200 the 64-key tile beat the spill-free 32-key one
  // by 4% (causal) and 9% (not) (docs/bench/gpu.md, 2026-12-04): half the
  // barriers, row reductions and O rescales per key. Head_dim 96 and 112
  // spill 70-100 bytes at 64 keys, unmeasured on a GPU, so they keep 32.
  // wgmma: FlashAttention-3's 128 x 64 at every head_dim it supports.
  if (tensorCores)
    return headDim > 80 && headDim < 128 && !warpgroupMma ? 32 : 64;
  return simtTileRows(headDim);
}

int64_t FlashKernelConfig::tileRowBytes() const {
  if (!tensorCores)
    return headDim * 4;
  return tileRowPitch() * elementType.getIntOrFloatBitWidth() / 8;
}

int64_t FlashKernelConfig::keyTileOffset() const {
  return tensorCores ? queryTile() * tileRowBytes() : 0;
}

std::string FlashKernelConfig::name() const {
  std::string type;
  llvm::raw_string_ostream os(type);
  elementType.print(os);
  return "flash_attention_" + type + "_d" + std::to_string(headDim) +
         (causal ? "_causal" : "") +
         (warpgroupMma  ? "_wgmma"
          : tensorCores ? "_mma"
                        : "_simt") +
         (finalOutput ? "_final" : "");
}

SmallVector<int64_t, 4>
mlir::ring::flashTensorMapBox(const FlashKernelConfig &config, bool query) {
  return {1, 1, query ? config.queryTile() : config.keyTile(),
          TmaLoadIRBuilder::kPanelColumns};
}

gpu::GPUFuncOp
mlir::ring::getOrCreateFlashKernel(gpu::GPUModuleOp module,
                                   const FlashKernelConfig &config) {
  std::string name = config.name();
  if (auto existing = module.lookupSymbol<gpu::GPUFuncOp>(name))
    return existing;

  MLIRContext *ctx = module.getContext();
  ImplicitLocOpBuilder b(module.getLoc(), ctx);
  Type activation = dynamicStridedMemRef(ctx, 4, config.elementType);
  Type index = b.getIndexType();
  Type outElement = config.finalOutput ? config.elementType : b.getF32Type();
  SmallVector<Type> arguments = {activation,
                                 activation,
                                 activation,
                                 dynamicStridedMemRef(ctx, 4, outElement),
                                 dynamicStridedMemRef(ctx, 3, b.getF32Type()),
                                 b.getF32Type(),
                                 index,
                                 index,
                                 index,
                                 index};
  if (config.warpSpecialized())
    arguments.append(3, LLVM::LLVMPointerType::get(ctx));
  auto type = b.getFunctionType(arguments, {});
  gpu::GPUFuncOp func = createKernel(b, module, name, type, config.threads());
  if (config.warpSpecialized())
    func->setAttr(NVVM::NVVMDialect::getMaxnregAttrName(),
                  b.getI32IntegerAttr(config.launchRegisters()));
  if (config.tensorCores)
    buildTensorCoreFlashKernel(b, func, config);
  else
    buildSimtFlashKernel(b, func, config);
  return func;
}
