//===- main.cpp - A program built against the installed RingAttn ----------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// Built by test/Packaging/run-consumer.cmake out of tree, with nothing but
// find_package(RingAttn REQUIRED CONFIG): registers the ring dialect and
// its pipelines as ring-opt does, parses a module with a ring.attention,
// runs ring-lower-cpu and fails unless only the LLVM dialect is left.
//
//===----------------------------------------------------------------------===//

#include "RingAttn/Conversion/Passes.h"
#include "RingAttn/Conversion/RingToLLVM.h"
#include "RingAttn/Dialect/Ring/Transforms/BufferizableOpInterfaceImpl.h"
#include "RingAttn/Dialect/Ring/IR/RingDialect.h"
#include "RingAttn/Pipelines/Pipelines.h"
#include "RingAttn/Transforms/Passes.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"

#include "llvm/Support/raw_ostream.h"

static const char *const kModule = R"mlir(
func.func @attention(%q: tensor<1x2x32x16xf32>, %k: tensor<1x2x32x16xf32>,
                     %v: tensor<1x2x32x16xf32>) -> tensor<1x2x32x16xf32> {
  %o = ring.attention %q, %k, %v causal
      : tensor<1x2x32x16xf32>, tensor<1x2x32x16xf32>, tensor<1x2x32x16xf32>
  return %o : tensor<1x2x32x16xf32>
}
)mlir";

int main() {
  mlir::ring::registerRingPasses();
  mlir::ring::registerRingConversionPasses();
  mlir::ring::registerRingPipelines();

  mlir::DialectRegistry registry;
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
  registry.insert<mlir::ring::RingDialect>();
  mlir::ring::registerBufferizableOpInterfaceExternalModels(registry);
  mlir::ring::registerConvertRingToLLVMInterface(registry);
  mlir::MLIRContext context(registry);

  mlir::OwningOpRef<mlir::ModuleOp> module =
      mlir::parseSourceString<mlir::ModuleOp>(kModule, &context);
  if (!module) {
    llvm::errs() << "consumer: the module with ring.attention did not parse\n";
    return 1;
  }
  bool sawAttention = false;
  module->walk([&](mlir::Operation *op) {
    sawAttention |= op->getName().getStringRef() == "ring.attention";
  });
  if (!sawAttention) {
    llvm::errs() << "consumer: no ring.attention in the parsed module\n";
    return 1;
  }

  mlir::PassManager pm(&context);
  if (mlir::failed(
          mlir::parsePassPipeline("ring-lower-cpu", pm, llvm::errs()))) {
    llvm::errs() << "consumer: the ring-lower-cpu pipeline is not registered\n";
    return 1;
  }
  if (mlir::failed(pm.run(*module))) {
    llvm::errs() << "consumer: ring-lower-cpu failed\n";
    return 1;
  }

  int ringOps = 0, otherOps = 0, llvmFuncs = 0;
  module->walk([&](mlir::Operation *op) {
    llvm::StringRef dialect = op->getName().getDialectNamespace();
    if (dialect == "ring") {
      llvm::errs() << "consumer: left after ring-lower-cpu: " << op->getName()
                   << "\n";
      ++ringOps;
    } else if (dialect != "llvm" && !mlir::isa<mlir::ModuleOp>(op)) {
      llvm::errs() << "consumer: not lowered to LLVM: " << op->getName()
                   << "\n";
      ++otherOps;
    }
    if (op->getName().getStringRef() == "llvm.func")
      ++llvmFuncs;
  });
  if (ringOps || otherOps || !llvmFuncs) {
    llvm::errs() << "consumer: " << ringOps << " ring ops and " << otherOps
                 << " other non-LLVM ops left, " << llvmFuncs << " llvm.func\n";
    return 1;
  }
  llvm::outs() << "consumer: ring-lower-cpu left " << llvmFuncs
               << " llvm.func and no ring op\n";
  return 0;
}
