//===- RingOps.h - Operations of the ring dialect ---------------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception

#ifndef RINGATTN_DIALECT_RING_IR_RINGOPS_H
#define RINGATTN_DIALECT_RING_IR_RINGOPS_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/DestinationStyleOpInterface.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "RingAttn/Dialect/Ring/IR/PositionMask.h"
#include "RingAttn/Dialect/Ring/IR/RingAttributes.h"
#include "RingAttn/Dialect/Ring/IR/RingDialect.h"
#include "RingAttn/Dialect/Ring/IR/RingTypes.h"

#define GET_OP_CLASSES
#include "RingAttn/Dialect/Ring/IR/RingOps.h.inc"

namespace mlir {
namespace ring {

/// The largest ring the ops accept: the runtime and the tools count ranks in
/// C `int`s, and a ring this large is already far beyond any machine.
constexpr int64_t kMaxRingSize = int64_t(1) << 20;

} // namespace ring
} // namespace mlir

#endif // RINGATTN_DIALECT_RING_IR_RINGOPS_H
