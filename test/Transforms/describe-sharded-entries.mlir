// ring-describe-sharded-entries records how a public function's operands
// split from their shard.shard annotations, and refuses a sharding that
// ring-run cannot feed, naming the operand.
// RUN: ring-opt %s -split-input-file -ring-describe-sharded-entries -verify-diagnostics | FileCheck %s

// x and the result split along their tokens over the 4 ranks of @ring;
// the weight, unannotated, is whole on every rank.
// CHECK-LABEL: func.func @layer
// CHECK-SAME: attributes {llvm.emit_c_interface, ring.sharded_abi = {argument_splits = array<i64: 0, -1>, arguments = [tensor<8x4xf32>, tensor<4x4xf32>], ranks = 4 : i64, result_splits = array<i64: 0>, results = [tensor<8x4xf32>]}}
shard.grid @ring(shape = 4)
func.func @layer(%x: tensor<8x4xf32>, %w: tensor<4x4xf32>) -> tensor<8x4xf32> {
  %tokens = shard.sharding @ring split_axes = [[0]] : !shard.sharding
  %x0 = shard.shard %x to %tokens : tensor<8x4xf32>
  %y = shard.shard %x0 to %tokens annotate_for_users : tensor<8x4xf32>
  return %y : tensor<8x4xf32>
}

// A function with no annotation, and a private one, are not entries.
// CHECK-LABEL: func.func @plain(
// CHECK-NOT: ring.sharded_abi
// CHECK-LABEL: func.func private @helper(
// CHECK-NOT: ring.sharded_abi
func.func @plain(%x: tensor<8x4xf32>) -> tensor<8x4xf32> {
  return %x : tensor<8x4xf32>
}
func.func private @helper(%x: tensor<8x4xf32>) -> tensor<8x4xf32> {
  %tokens = shard.sharding @ring split_axes = [[0]] : !shard.sharding
  %x0 = shard.shard %x to %tokens : tensor<8x4xf32>
  return %x0 : tensor<8x4xf32>
}

// -----

shard.grid @grid(shape = 2x2)
func.func @two_dimensions(%x: tensor<8x4xf32>) -> tensor<8x4xf32> {
  %both = shard.sharding @grid split_axes = [[0], [1]] : !shard.sharding
  // expected-error @below {{argument #0 of @two_dimensions is split along dimensions 0 and 1: ring-run splits an operand along one dimension over one grid axis, or holds it whole}}
  %x0 = shard.shard %x to %both : tensor<8x4xf32>
  return %x0 : tensor<8x4xf32>
}

// -----

shard.grid @grid(shape = 2x2)
func.func @two_axes(%x: tensor<8x4xf32>) -> tensor<8x4xf32> {
  %s = shard.sharding @grid split_axes = [[0, 1]] : !shard.sharding
  // expected-error @below {{argument #0 of @two_axes is split along dimension 0 over 2 grid axes}}
  %x0 = shard.shard %x to %s : tensor<8x4xf32>
  return %x0 : tensor<8x4xf32>
}

// -----

shard.grid @grid(shape = 2x2)
func.func @grid_of_two_axes(%x: tensor<8x4xf32>) -> tensor<8x4xf32> {
  %s = shard.sharding @grid split_axes = [[1]] : !shard.sharding
  // expected-error @below {{argument #0 of @grid_of_two_axes is split over a grid of 2 axes}}
  %x0 = shard.shard %x to %s : tensor<8x4xf32>
  return %x0 : tensor<8x4xf32>
}

// -----

shard.grid @ring(shape = ?)
func.func @dynamic(%x: tensor<8x4xf32>) -> tensor<8x4xf32> {
  %s = shard.sharding @ring split_axes = [[0]] : !shard.sharding
  // expected-error @below {{argument #0 of @dynamic is split over a grid axis of dynamic size}}
  %x0 = shard.shard %x to %s : tensor<8x4xf32>
  return %x0 : tensor<8x4xf32>
}

// -----

shard.grid @ring(shape = 2)
func.func @halo(%x: tensor<8x4xf32>) -> tensor<8x4xf32> {
  %s = shard.sharding @ring split_axes = [[0]] halo_sizes = [1, 1] : !shard.sharding
  // expected-error @below {{argument #0 of @halo has halos or uneven shards}}
  %x0 = shard.shard %x to %s : tensor<8x4xf32>
  return %x0 : tensor<8x4xf32>
}

// -----

shard.grid @grid(shape = 2x2)
func.func @result(%x: tensor<8x4xf32>) -> tensor<8x4xf32> {
  %s = shard.sharding @grid split_axes = [[0], [1]] : !shard.sharding
  // expected-error @below {{result #0 of @result is split along dimensions 0 and 1}}
  %y = shard.shard %x to %s annotate_for_users : tensor<8x4xf32>
  return %y : tensor<8x4xf32>
}

// -----

shard.grid @a(shape = 2)
shard.grid @b(shape = 4)
// expected-error @below {{argument #1 of @two_grids is split over @b but argument #0 over @a: a sharded entry runs on one grid}}
func.func @two_grids(%x: tensor<8x4xf32>, %z: tensor<8x4xf32>) -> tensor<8x4xf32> {
  %sa = shard.sharding @a split_axes = [[0]] : !shard.sharding
  %sb = shard.sharding @b split_axes = [[0]] : !shard.sharding
  %x0 = shard.shard %x to %sa : tensor<8x4xf32>
  %z0 = shard.shard %z to %sb : tensor<8x4xf32>
  return %x0 : tensor<8x4xf32>
}

// -----

shard.grid @ring(shape = 2)
// expected-error @below {{argument #1 of @scalar is not a ranked tensor}}
func.func @scalar(%x: tensor<8x4xf32>, %n: index) -> tensor<8x4xf32> {
  %s = shard.sharding @ring split_axes = [[0]] : !shard.sharding
  %x0 = shard.shard %x to %s : tensor<8x4xf32>
  return %x0 : tensor<8x4xf32>
}
