//===- RingOps.h - Operations of the ring dialect ---------------*- C++ -*-===//

#ifndef RINGATTN_DIALECT_RING_IR_RINGOPS_H
#define RINGATTN_DIALECT_RING_IR_RINGOPS_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "RingAttn/Dialect/Ring/IR/RingAttributes.h"
#include "RingAttn/Dialect/Ring/IR/RingDialect.h"
#include "RingAttn/Dialect/Ring/IR/RingTypes.h"

#define GET_OP_CLASSES
#include "RingAttn/Dialect/Ring/IR/RingOps.h.inc"

#endif // RINGATTN_DIALECT_RING_IR_RINGOPS_H
