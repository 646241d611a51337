//===- RingAttributes.cpp - Attributes of the ring dialect ----------------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception

#include "RingAttn/Dialect/Ring/IR/RingAttributes.h"
#include "RingAttn/Dialect/Ring/IR/RingDialect.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::ring;

#include "RingAttn/Dialect/Ring/IR/RingEnums.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "RingAttn/Dialect/Ring/IR/RingAttributes.cpp.inc"

void RingDialect::registerAttributes() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "RingAttn/Dialect/Ring/IR/RingAttributes.cpp.inc"
      >();
}
