//===- RingTypes.cpp - Types of the ring dialect --------------------------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception

#include "RingAttn/Dialect/Ring/IR/RingTypes.h"
#include "RingAttn/Dialect/Ring/IR/RingDialect.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::ring;

#define GET_TYPEDEF_CLASSES
#include "RingAttn/Dialect/Ring/IR/RingOpsTypes.cpp.inc"

void RingDialect::registerTypes() {
  addTypes<
#define GET_TYPEDEF_LIST
#include "RingAttn/Dialect/Ring/IR/RingOpsTypes.cpp.inc"
      >();
}
