//===- Pipelines.cpp - Named RingAttn pass pipelines ----------------------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception

#include "RingAttn/Pipelines/Pipelines.h"

#include "RingAttn/Transforms/Passes.h"

#include "RingAttn/Conversion/Passes.h"
#include "RingAttn/Conversion/RingToLLVM.h"
#include "RingAttn/Dialect/Ring/IR/RingDialect.h"
#include "RingAttn/Dialect/Ring/Transforms/BufferizableOpInterfaceImpl.h"
#include "RingAttn/Dialect/Ring/Transforms/ShardingInterfaceImpl.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/Arith/Transforms/Passes.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/GPU/Pipelines/Passes.h"
#include "mlir/Dialect/GPU/Transforms/Passes.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Dialect/Shard/Transforms/Passes.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"
#include "mlir/Transforms/Passes.h"

#include "llvm/Support/Program.h"

using namespace mlir;

/// Tensors to buffers. The result becomes an out-parameter the caller
/// allocates; every buffer gets its deallocation. The ring's blocks and
/// merges come out in their buffer form, for the backends to lower.
static void addBufferization(OpPassManager &pm) {
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
}

/// Ring level: describe the entry points, schedule the ring, and express
/// attention as blocks and merges.
static void addRingScheduling(OpPassManager &pm) {
  using namespace ring;
  pm.addPass(createRingExportABI());
  pm.addNestedPass<func::FuncOp>(createRingSchedule());
  pm.addNestedPass<func::FuncOp>(createRingLowerAttention());
}

void ring::buildLowerCPUPipeline(OpPassManager &pm,
                                 const LowerCPUPipelineOptions &options) {
  // The CPU first: the kernels are tiled for its vector registers.
  RingSetCpuTargetOptions target{options.targetCpu, options.targetFeatures};
  pm.addPass(createRingSetCpuTarget(target));
  addRingScheduling(pm);
  pm.addPass(createCanonicalizerPass());
  addBufferization(pm);
  pm.addNestedPass<func::FuncOp>(createRingLowerCombine());
  pm.addPass(createRingLowerBlockAttention(
      {options.queryTile.getValue(), options.keyTile.getValue()}));
  pm.addPass(createRingCheckEntryOperands());
  pm.addNestedPass<func::FuncOp>(createConvertLinalgToLoopsPass());

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
  // Allocations through the runtime, which checks them and frees what a
  // failed rank leaves (RingRuntime.h).
  FinalizeMemRefToLLVMConversionPassOptions memrefToLLVM;
  memrefToLLVM.useGenericFunctions = true;
  pm.addPass(createFinalizeMemRefToLLVMConversionPass(memrefToLLVM));
  // bf16 conversions as integer arithmetic: without AVX-512 BF16, LLVM
  // would call __truncsfbf2, which Debian 12's libgcc does not have.
  arith::ArithExpandOpsPassOptions expand;
  expand.includeBf16 = true;
  pm.addPass(arith::createArithExpandOpsPass(expand));
  // Everything else, ring communication included (RingToLLVM.h), through
  // each dialect's ConvertToLLVMPatternInterface.
  pm.addPass(createConvertToLLVMPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
  pm.addPass(createCanonicalizerPass());
  // Every llvm.func now exists: each gets the module's CPU and features.
  pm.addPass(createRingSetCpuTarget());
  pm.addPass(createRingVerifyLowered());
}

/// The compute capability of "sm_90a" and the like (90), or 0.
static unsigned smVersion(StringRef chip) {
  unsigned sm = 0;
  if (chip.consume_front("sm_"))
    chip.take_while(llvm::isDigit).getAsInteger(10, sm);
  return sm;
}

/// The PTX version a chip needs when the user names none.
static std::string defaultFeatures(unsigned sm) {
  if (sm >= 100)
    return "+ptx87";
  return sm >= 80 ? "+ptx80" : "+ptx60";
}

/// Whether ptxas can turn PTX into machine code here.
static bool havePtxas() {
  return static_cast<bool>(llvm::sys::findProgramByName("ptxas")) ||
         static_cast<bool>(
             llvm::sys::findProgramByName("ptxas", {"/usr/local/cuda/bin"}));
}

void ring::buildLowerNVVMPipeline(OpPassManager &pm,
                                  const LowerNVVMPipelineOptions &options) {
  unsigned sm = smVersion(options.chip.getValue());
  addRingScheduling(pm);
  pm.addPass(createCanonicalizerPass());
  addBufferization(pm);
  pm.addNestedPass<func::FuncOp>(createRingLowerCombine());
  // bf16 mma.sync needs sm_80; older chips get the SIMT kernel. wgmma is
  // sm_90a's alone (the "a" features are not forward compatible).
  bool tensorCores = options.tensorCores.getValue() && sm >= 80;
  pm.addPass(createRingLowerBlockAttentionGPU(
      {tensorCores, tensorCores && options.chip.getValue() == "sm_90a"}));
  pm.addPass(createRingCheckEntryOperands());
  pm.addNestedPass<func::FuncOp>(createConvertLinalgToParallelLoopsPass());
  pm.addPass(createConvertBufferizationToMemRefPass());
  pm.addPass(createRingOffloadToGPU());
  // Device work queues on the rank's stream; the host waits for it only
  // before calls (the ring's shifts) and at the end.
  pm.addNestedPass<func::FuncOp>(createGpuAsyncRegionPass());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());

  // Kernels need no libdevice: exp, exp2 and log run on the special
  // function units, fma is LLVM's, so the PTX is complete even where no CUDA
  // toolkit is around to link libdevice.
  pm.addPass(createRingApproximateGPUMath());
  pm.addPass(createConvertMathToLLVMPass());

  // Upstream's GPU lowering: outline, compile the kernels for the chip,
  // embed them, and lower the host to mgpu* runtime calls. Its gpu-to-llvm
  // lowers the ring communication too, through the ring dialect's
  // ConvertToLLVMPatternInterface (RingToLLVM.h).
  gpu::GPUToNVVMPipelineOptions nvvm;
  nvvm.cubinChip = options.chip.getValue();
  nvvm.cubinFeatures = options.features.empty() ? defaultFeatures(sm)
                                                : options.features.getValue();
  StringRef format = options.format.getValue();
  nvvm.cubinFormat =
      format != "auto" ? format.str() : (havePtxas() ? "fatbin" : "isa");
  gpu::buildLowerToNVVMPassPipeline(pm, nvvm);
  pm.addPass(createRingVerifyLowered());
}

void ring::buildPartitionModelPipeline(
    OpPassManager &pm, const PartitionModelPipelineOptions &options) {
  pm.addPass(createRingRaiseAttention());
  // Forward first: the tokens' split flows from the arguments through the
  // layer, so a weight's gradient (a sum over the split tokens) becomes a
  // partial sum and an all-reduce. Upstream's default, backward first,
  // pulls the replicated gradients' sharding up through attention's
  // backward and gathers the whole sequence on every rank.
  shard::ShardingPropagationOptions propagation;
  propagation.traversal = shard::TraversalOrder::ForwardBackward;
  pm.addNestedPass<func::FuncOp>(shard::createShardingPropagation(propagation));
  pm.addPass(createRingDescribeShardedEntries());
  pm.addNestedPass<func::FuncOp>(shard::createPartition());
  pm.addPass(createCanonicalizerPass());
  RingBlockwiseFeedforwardOptions blockwise;
  blockwise.blockSize = options.blockSize;
  pm.addNestedPass<func::FuncOp>(createRingBlockwiseFeedforward(blockwise));
  // After the blocks: the all-reduce's loops are not the layer's tokens.
  pm.addPass(createRingLowerShardCollectives());
}

void ring::registerRingPipelines() {
  PassPipelineRegistration<PartitionModelPipelineOptions>(
      "ring-partition-model",
      "From a model in upstream dialects with its tokens split over a grid "
      "to one rank's program: attention raised to the ring, the operands' "
      "splits recorded for the caller, the token-wise part blockwise",
      buildPartitionModelPipeline);
  PassPipelineRegistration<LowerCPUPipelineOptions>(
      "ring-lower-cpu",
      "Lower the ring dialect to the LLVM dialect for CPUs: flash-style "
      "tiled vector loops, buffers, and a C interface for each attention "
      "entry point",
      buildLowerCPUPipeline);
  PassPipelineRegistration<LowerNVVMPipelineOptions>(
      "ring-lower-nvvm",
      "Lower the ring dialect for NVIDIA GPUs: flash-attention kernels "
      "(tensor cores for f16/bf16), element-wise kernels, device buffers, "
      "and ring communication as runtime calls, with the kernels compiled "
      "for the chip and embedded in the module",
      buildLowerNVVMPipeline);
}

void ring::registerPipelineDialects(DialectRegistry &registry) {
  registerAllDialects(registry);
  registerAllExtensions(registry);
  registry.insert<RingDialect>();
  registerBufferizableOpInterfaceExternalModels(registry);
  registerShardingInterfaceExternalModels(registry);
  registerConvertRingToLLVMInterface(registry);
  registerAllToLLVMIRTranslations(registry);
}
