//===- ShardingInterfaceImpl.h - Partitioning ring ops ----------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// External models of upstream's ShardingInterface, kept out of the dialect
// library as upstream keeps linalg's
// (mlir/lib/Dialect/Linalg/Transforms/ShardingInterfaceImpl.cpp).
//
//===----------------------------------------------------------------------===//

#ifndef RINGATTN_DIALECT_RING_TRANSFORMS_SHARDINGINTERFACEIMPL_H
#define RINGATTN_DIALECT_RING_TRANSFORMS_SHARDINGINTERFACEIMPL_H

namespace mlir {
class DialectRegistry;

namespace ring {
/// Lets upstream's sharding propagation and `shard-partition` take a
/// single-device ring.attention or ring.attention_grad: when its
/// activations (query, keys, values, outputs, gradients) are split along
/// the sequence over one grid axis, it is partitioned into the ring form on
/// that axis; when nothing is split it stays whole.
void registerShardingInterfaceExternalModels(DialectRegistry &registry);
} // namespace ring
} // namespace mlir

#endif // RINGATTN_DIALECT_RING_TRANSFORMS_SHARDINGINTERFACEIMPL_H
