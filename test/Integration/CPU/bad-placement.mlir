// An entry laid out by a block placement refuses one that is not a
// permutation before it computes anything: called here (outside any ring,
// as an AOT caller would) with block 1 twice, it says which entry is wrong
// and stops, instead of attending at wrong positions.
// RUN: ring-opt %s -ring-lower-cpu > %t.mlir
// RUN: not --crash mlir-runner %t.mlir -e main -entry-point-result=void -shared-libs=%mlir_runner_utils,%mlir_c_runner_utils,%ringattn_runtime 2>&1 | FileCheck %s
// CHECK: ringattn: entry operand 3, the block placement, lists block 1 at entry 1: a placement lists each of its 2 blocks, 0 to 1, once
// A block out of range is refused the same way.
// RUN: sed -e 's/dense<\[1, 1\]>/dense<[0, 2]>/' %s | ring-opt -ring-lower-cpu > %t-range.mlir
// RUN: not --crash mlir-runner %t-range.mlir -e main -entry-point-result=void -shared-libs=%mlir_runner_utils,%mlir_c_runner_utils,%ringattn_runtime 2>&1 | FileCheck %s --check-prefix=RANGE
// RANGE: ringattn: entry operand 3, the block placement, lists block 2 at entry 1: a placement lists each of its 2 blocks, 0 to 1, once

shard.grid @ring(shape = 1)

func.func @attention(%q: tensor<1x1x8x4xf32>, %k: tensor<1x1x8x4xf32>, %v: tensor<1x1x8x4xf32>, %blocks: tensor<2xi32>) -> tensor<1x1x8x4xf32> {
  %o = ring.attention %q, %k, %v placement(%blocks : tensor<2xi32>) causal ring @ring axis 0 : tensor<1x1x8x4xf32>, tensor<1x1x8x4xf32>, tensor<1x1x8x4xf32>
  return %o : tensor<1x1x8x4xf32>
}

func.func @main() {
  %x = arith.constant dense<1.0> : tensor<1x1x8x4xf32>
  %blocks = arith.constant dense<[1, 1]> : tensor<2xi32>
  %o = call @attention(%x, %x, %x, %blocks) : (tensor<1x1x8x4xf32>, tensor<1x1x8x4xf32>, tensor<1x1x8x4xf32>, tensor<2xi32>) -> tensor<1x1x8x4xf32>
  return
}
