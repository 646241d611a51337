//===- RingTypes.h - Types of the ring dialect ------------------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception

#ifndef RINGATTN_DIALECT_RING_IR_RINGTYPES_H
#define RINGATTN_DIALECT_RING_IR_RINGTYPES_H

#include "mlir/IR/Types.h"

#define GET_TYPEDEF_CLASSES
#include "RingAttn/Dialect/Ring/IR/RingOpsTypes.h.inc"

#endif // RINGATTN_DIALECT_RING_IR_RINGTYPES_H
