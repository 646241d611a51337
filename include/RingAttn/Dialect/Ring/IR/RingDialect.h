//===- RingDialect.h - The ring dialect -------------------------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception

#ifndef RINGATTN_DIALECT_RING_IR_RINGDIALECT_H
#define RINGATTN_DIALECT_RING_IR_RINGDIALECT_H

#include "mlir/Dialect/Shard/IR/ShardDialect.h"
#include "mlir/IR/Dialect.h"

#include "RingAttn/Dialect/Ring/IR/RingOpsDialect.h.inc"

#endif // RINGATTN_DIALECT_RING_IR_RINGDIALECT_H
