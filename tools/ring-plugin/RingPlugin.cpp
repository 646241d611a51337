//===- RingPlugin.cpp - The ring dialect and passes as an MLIR plugin -----===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// Loaded by an upstream mlir-opt (the same LLVM/MLIR release, linked against
// the same libMLIR.so):
//
//   mlir-opt --load-dialect-plugin=libRingAttnPlugin.so \
//            --pass-pipeline='builtin.module(ring-lower-cpu)' in.mlir
//
// The dialect plugin registers the ring dialect, its bufferization models
// and, as upstream's standalone-plugin does, the passes and pipelines; the
// pass plugin (--load-pass-plugin) registers the passes and pipelines only.
// Modelled on mlir/examples/standalone/standalone-plugin.
//
//===----------------------------------------------------------------------===//

#include "RingAttn/Conversion/Passes.h"
#include "RingAttn/Conversion/RingToLLVM.h"
#include "RingAttn/Dialect/Ring/IR/RingDialect.h"
#include "RingAttn/Dialect/Ring/Transforms/BufferizableOpInterfaceImpl.h"
#include "RingAttn/Dialect/Ring/Transforms/ShardingInterfaceImpl.h"
#include "RingAttn/Pipelines/Pipelines.h"
#include "RingAttn/Transforms/Passes.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/Plugins/DialectPlugin.h"
#include "mlir/Tools/Plugins/PassPlugin.h"
#include "llvm/Config/llvm-config.h"
#include "llvm/Support/Compiler.h"

#include <mutex>

using namespace mlir;

/// Passes and pipelines, once per process however many times the library
/// is named on the command line.
static void registerRingPassesOnce() {
  static std::once_flag once;
  std::call_once(once, [] {
    ring::registerRingPasses();
    ring::registerRingConversionPasses();
    ring::registerRingPipelines();
  });
}

extern "C" LLVM_ATTRIBUTE_WEAK DialectPluginLibraryInfo
mlirGetDialectPluginInfo() {
  return {MLIR_PLUGIN_API_VERSION, "RingAttn", LLVM_VERSION_STRING,
          [](DialectRegistry *registry) {
            registry->insert<ring::RingDialect>();
            ring::registerBufferizableOpInterfaceExternalModels(*registry);
            ring::registerShardingInterfaceExternalModels(*registry);
            ring::registerConvertRingToLLVMInterface(*registry);
            registerRingPassesOnce();
          }};
}

extern "C" LLVM_ATTRIBUTE_WEAK PassPluginLibraryInfo mlirGetPassPluginInfo() {
  return {MLIR_PLUGIN_API_VERSION, "RingAttnPasses", LLVM_VERSION_STRING,
          []() { registerRingPassesOnce(); }};
}
