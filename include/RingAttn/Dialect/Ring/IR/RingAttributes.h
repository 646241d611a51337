//===- RingAttributes.h - Attributes of the ring dialect --------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception

#ifndef RINGATTN_DIALECT_RING_IR_RINGATTRIBUTES_H
#define RINGATTN_DIALECT_RING_IR_RINGATTRIBUTES_H

#include "mlir/IR/Attributes.h"
#include "mlir/IR/BuiltinAttributes.h"

#include "RingAttn/Dialect/Ring/IR/RingEnums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "RingAttn/Dialect/Ring/IR/RingAttributes.h.inc"

#endif // RINGATTN_DIALECT_RING_IR_RINGATTRIBUTES_H
