//===- SetCpuTarget.cpp - Name the CPU the module is compiled for ---------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// Attaches `llvm.target` to the module (the host unless options name a CPU)
// and copies its CPU and features onto every llvm.func definition, where
// LLVM's code generator reads them: the JIT and an AOT compile then produce
// code for the CPU the kernels were tiled for, whatever the host is.
//
//===----------------------------------------------------------------------===//

#include "RingAttn/Transforms/CpuTarget.h"
#include "RingAttn/Transforms/Passes.h"

namespace mlir {
namespace ring {
#define GEN_PASS_DEF_RINGSETCPUTARGET
#include "RingAttn/Transforms/Passes.h.inc"
} // namespace ring
} // namespace mlir

using namespace mlir;
using namespace mlir::ring;

namespace {

struct RingSetCpuTargetPass
    : ring::impl::RingSetCpuTargetBase<RingSetCpuTargetPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    LLVM::TargetAttr target = getCpuTarget(module);
    // Options override a target already there; without options the module
    // keeps its own, or gets the host.
    if (!target || !cpu.empty() || !features.empty()) {
      std::string error;
      FailureOr<LLVM::TargetAttr> resolved =
          resolveCpuTarget(&getContext(), cpu, features, error);
      if (failed(resolved)) {
        module.emitError("ring-set-cpu-target: ") << error;
        return signalPassFailure();
      }
      target = *resolved;
      module->setAttr(LLVM::LLVMDialect::getTargetAttrName(), target);
    }
    module.walk([&](LLVM::LLVMFuncOp func) {
      if (func.isExternal())
        return;
      func.setTargetCpuAttr(target.getChip());
      func.setTargetFeaturesAttr(target.getFeatures());
    });
  }
};

} // namespace
