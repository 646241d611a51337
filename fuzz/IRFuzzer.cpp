//===- IRFuzzer.cpp - Fuzzing the IR parser, verifiers and ring passes ----===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// The input is module text. It is parsed and verified in a fresh context with
// every dialect ring-opt has; a module that verifies then goes through each
// ring pass on its own and through the ring-lower-cpu and ring-lower-nvvm
// pipelines, each on a fresh copy. Diagnostics are expected and dropped;
// what the fuzzer looks for is a crash, a sanitizer report or a hang.
//
//===----------------------------------------------------------------------===//

#include "RingAttn/Conversion/Passes.h"
#include "RingAttn/Conversion/RingToLLVM.h"
#include "RingAttn/Dialect/Ring/Transforms/BufferizableOpInterfaceImpl.h"
#include "RingAttn/Dialect/Ring/IR/RingDialect.h"
#include "RingAttn/Pipelines/Pipelines.h"
#include "RingAttn/Transforms/Passes.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"

#include <cstdint>
#include <cstdlib>

using namespace mlir;

namespace {

/// Each ring pass alone (anchored where it runs), then the pipelines. The
/// GPU pipeline emits PTX ("isa"): no ptxas process per input.
const char *const pipelines[] = {
    "ring-export-abi",
    "func.func(ring-schedule)",
    "func.func(ring-lower-attention)",
    "func.func(ring-lower-combine)",
    "ring-lower-block-attention",
    "ring-set-cpu-target",
    "ring-approximate-math",
    "ring-verify-lowered",
    "convert-ring-to-llvm",
    "ring-lower-block-attention-gpu",
    "ring-offload-to-gpu",
    "ring-approximate-gpu-math",
    "ring-lower-cpu",
    "ring-lower-nvvm{format=isa}",
};

const DialectRegistry &registry() {
  static const DialectRegistry *registry = [] {
    auto *r = new DialectRegistry();
    registerAllDialects(*r);
    registerAllExtensions(*r);
    registerAllToLLVMIRTranslations(*r);
    r->insert<ring::RingDialect>();
    ring::registerBufferizableOpInterfaceExternalModels(*r);
    ring::registerConvertRingToLLVMInterface(*r);
    return r;
  }();
  return *registry;
}

void runPipeline(MLIRContext &context, ModuleOp module, const char *pipeline) {
  OwningOpRef<ModuleOp> copy(module.clone());
  PassManager pm(&context, ModuleOp::getOperationName());
  if (failed(parsePassPipeline(pipeline, pm)))
    std::abort(); // the fuzzer's own list is wrong
  (void)pm.run(*copy);
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int *, char ***) {
  ring::registerRingPasses();
  ring::registerRingConversionPasses();
  ring::registerRingPipelines();
  (void)registry();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  MLIRContext context(registry(), MLIRContext::Threading::DISABLED);
  ScopedDiagnosticHandler quiet(&context,
                                [](Diagnostic &) { return success(); });
  ParserConfig config(&context);
  OwningOpRef<ModuleOp> module = parseSourceString<ModuleOp>(
      llvm::StringRef(reinterpret_cast<const char *>(data), size), config);
  if (!module || failed(verify(*module)))
    return 0;
  for (const char *pipeline : pipelines)
    runPipeline(context, *module, pipeline);
  return 0;
}
