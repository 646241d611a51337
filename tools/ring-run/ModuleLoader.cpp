//===- ModuleLoader.cpp - The input module, lowered for the backend -------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception

#include "ModuleLoader.h"

#include "RingAttn/Pipelines/Pipelines.h"
#include "RingAttn/Transforms/CpuTarget.h"
#include "RingAttn/Transforms/Passes.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"

using namespace mlir;

namespace ringattn {

/// True when the module still has ops above the LLVM dialect (GPU kernel
/// binaries and their launches are as low as a host module goes).
static bool needsLowering(ModuleOp module) {
  bool highLevel = false;
  module.walk([&](Operation *op) {
    if (op != module.getOperation() &&
        !isa<LLVM::LLVMDialect>(op->getDialect()) &&
        !isa<gpu::BinaryOp, gpu::LaunchFuncOp>(op))
      highLevel = true;
  });
  return highLevel;
}

/// Host code lowered for one kind of backend dereferences the operands
/// (CPU) or hands them to kernels (GPU): the other kind would crash.
static llvm::Error checkLoweredForBackend(ModuleOp module,
                                          const RunOptions &options) {
  bool forGpu = !module.getOps<gpu::BinaryOp>().empty();
  if (forGpu == options.onGpu())
    return llvm::Error::success();
  return llvm::createStringError(
      options.inputFile + " was lowered for " +
      (forGpu ? "GPUs (ring-lower-nvvm); run it with --backend gpu or nccl"
              : "the CPU (ring-lower-cpu); run it with --backend threads or "
                "mpi"));
}

/// Runs ring-lower-cpu, or ring-lower-nvvm for the GPU backends.
static llvm::Error lower(ModuleOp module, const FirstErrorHandler &diagnostics,
                         const RunOptions &options) {
  PassManager pm(module.getContext());
  if (options.grad)
    pm.addPass(ring::createRingAddTrainingSteps());
  if (options.onGpu()) {
    ring::LowerNVVMPipelineOptions nvvm;
    nvvm.chip = options.chip;
    ring::buildLowerNVVMPipeline(pm, nvvm);
  } else {
    ring::LowerCPUPipelineOptions cpu;
    cpu.queryTile = options.queryTile;
    cpu.keyTile = options.keyTile;
    cpu.targetCpu = options.targetCpu;
    cpu.targetFeatures = options.targetFeatures;
    ring::buildLowerCPUPipeline(pm, cpu);
  }
  if (succeeded(pm.run(module)))
    return llvm::Error::success();
  std::string pipeline = options.onGpu() ? "ring-lower-nvvm" : "ring-lower-cpu";
  return llvm::createStringError(
      diagnostics.hasError()
          ? diagnostics.where() + pipeline + " failed: " + diagnostics.message()
          : "lowering " + options.inputFile + " with " + pipeline + " failed");
}

llvm::Expected<OwningOpRef<ModuleOp>>
loadModule(MLIRContext &context, llvm::SourceMgr &sourceMgr,
           const FirstErrorHandler &diagnostics, const RunOptions &options) {
  std::string error;
  auto file = openInputFile(options.inputFile, &error);
  if (!file)
    return llvm::createStringError(error);
  sourceMgr.AddNewSourceBuffer(std::move(file), llvm::SMLoc());
  OwningOpRef<ModuleOp> module = parseSourceFile<ModuleOp>(sourceMgr, &context);
  if (!module) // a syntax error, or an op the verifier rejects
    return llvm::createStringError(
        diagnostics.hasError() ? diagnostics.where() + diagnostics.message()
                               : "could not parse " + options.inputFile);
  llvm::Error lowered = needsLowering(*module)
                            ? lower(*module, diagnostics, options)
                            : checkLoweredForBackend(*module, options);
  if (lowered)
    return std::move(lowered);
  return std::move(module);
}

llvm::Error checkHostCanRun(ModuleOp module) {
  LLVM::TargetAttr target = ring::getCpuTarget(module);
  std::string missing = target ? ring::featuresMissingOnHost(target) : "";
  if (missing.empty())
    return llvm::Error::success();
  return llvm::createStringError(
      "the module is compiled for " + target.getChip().str() +
      " with features this CPU lacks (" + missing +
      "); pass --target-cpu naming a CPU this machine runs");
}

} // namespace ringattn
