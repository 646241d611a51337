//===- Pipelines.cpp - Named RingAttn pass pipelines ----------------------===//

#include "RingAttn/Transforms/Passes.h"

#include "RingAttn/Conversion/Passes.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

void ring::buildLowerCPUPipeline(OpPassManager &pm,
                                 const LowerCPUPipelineOptions &options) {
  // Ring level: describe the entry points, then turn attention into tiled
  // loops on buffers bridged from tensors.
  pm.addPass(createRingExportABI());
  pm.addNestedPass<func::FuncOp>(createRingSchedule());
  pm.addNestedPass<func::FuncOp>(createRingLowerAttention());
  pm.addNestedPass<func::FuncOp>(createRingLowerCombine());
  pm.addNestedPass<func::FuncOp>(createRingLowerBlockAttention(
      {options.queryTile.getValue(), options.keyTile.getValue()}));
  pm.addPass(createCanonicalizerPass());

  // Tensors to buffers. The result becomes an out-parameter the caller
  // allocates; every scratch buffer gets its deallocation.
  pm.addPass(createConvertElementwiseToLinalgPass());
  bufferization::OneShotBufferizePassOptions bufferize;
  bufferize.bufferizeFunctionBoundaries = true;
  bufferize.functionBoundaryTypeConversion =
      bufferization::LayoutMapOption::IdentityLayoutMap;
  pm.addPass(bufferization::createOneShotBufferizePass(bufferize));
  bufferization::BufferResultsToOutParamsPassOptions outParams;
  outParams.hoistStaticAllocs = true;
  outParams.modifyPublicFunctions = true;
  pm.addPass(bufferization::createBufferResultsToOutParamsPass(outParams));
  bufferization::buildBufferDeallocationPipeline(pm);
  pm.addNestedPass<func::FuncOp>(createConvertLinalgToLoopsPass());
  pm.addPass(createConvertRingToRuntime());

  // Loops and vectors to the LLVM dialect.
  pm.addPass(createRingApproximateMath());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  pm.addPass(createLoopInvariantCodeMotionPass());
  pm.addPass(createConvertVectorToSCFPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createSCFToControlFlowPass());
  pm.addPass(createConvertVectorToLLVMPass());
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createFinalizeMemRefToLLVMConversionPass());
  pm.addPass(createConvertMathToLLVMPass());
  pm.addPass(createArithToLLVMConversionPass());
  pm.addPass(createConvertIndexToLLVMPass());
  pm.addPass(createConvertFuncToLLVMPass());
  pm.addPass(createConvertControlFlowToLLVMPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createRingVerifyLowered());
}

void ring::registerRingPipelines() {
  PassPipelineRegistration<LowerCPUPipelineOptions>(
      "ring-lower-cpu",
      "Lower the ring dialect to the LLVM dialect for CPUs: flash-style "
      "tiled vector loops, buffers, and a C interface for each attention "
      "entry point",
      buildLowerCPUPipeline);
}
