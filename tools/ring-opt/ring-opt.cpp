//===- ring-opt.cpp - The RingAttn pass driver ----------------------------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// mlir-opt plus the ring dialect, its passes and its pipelines.
//
//===----------------------------------------------------------------------===//

#include "RingAttn/Conversion/Passes.h"
#include "RingAttn/Pipelines/Pipelines.h"
#include "RingAttn/Transforms/Passes.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::registerAllPasses();
  mlir::ring::registerRingPasses();
  mlir::ring::registerRingConversionPasses();
  mlir::ring::registerRingPipelines();

  // Everything the pipelines read and write; gpu-module-to-binary
  // translates kernels to LLVM IR inside ring-lower-nvvm.
  mlir::DialectRegistry registry;
  mlir::ring::registerPipelineDialects(registry);

  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "RingAttn optimizer driver\n", registry));
}
