//===- RingDialect.cpp - The ring dialect ---------------------------------===//

#include "RingAttn/Dialect/Ring/IR/RingDialect.h"
#include "RingAttn/Dialect/Ring/IR/RingOps.h"

using namespace mlir;
using namespace mlir::ring;

#include "RingAttn/Dialect/Ring/IR/RingOpsDialect.cpp.inc"

void RingDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "RingAttn/Dialect/Ring/IR/RingOps.cpp.inc"
      >();
  registerTypes();
  registerAttributes();
}
