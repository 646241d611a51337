//===- Dialects.cpp - C API of the ring dialect and its passes ------------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception

#include "RingAttn-c/Dialects.h"

#include "RingAttn/Conversion/Passes.h"
#include "RingAttn/Conversion/RingToLLVM.h"
#include "RingAttn/Dialect/Ring/IR/RingDialect.h"
#include "RingAttn/Dialect/Ring/Transforms/BufferizableOpInterfaceImpl.h"
#include "RingAttn/Dialect/Ring/Transforms/ShardingInterfaceImpl.h"
#include "RingAttn/Pipelines/Pipelines.h"
#include "RingAttn/Transforms/Passes.h"

#include "mlir/CAPI/IR.h"
#include "mlir/CAPI/Registration.h"

#include <mutex>

MLIR_DEFINE_CAPI_DIALECT_REGISTRATION(Ring, ring, mlir::ring::RingDialect)

void mlirRingRegisterExternalModels(MlirDialectRegistry registry) {
  mlir::ring::registerBufferizableOpInterfaceExternalModels(*unwrap(registry));
  mlir::ring::registerShardingInterfaceExternalModels(*unwrap(registry));
  mlir::ring::registerConvertRingToLLVMInterface(*unwrap(registry));
}

void mlirRegisterRingPasses(void) {
  static std::once_flag once;
  std::call_once(once, [] {
    mlir::ring::registerRingPasses();
    mlir::ring::registerRingConversionPasses();
    mlir::ring::registerRingPipelines();
  });
}
