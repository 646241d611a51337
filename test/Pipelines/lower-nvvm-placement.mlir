// A block placement on the GPU is refused, not miscompiled: the ring
// schedule reads the placement on the host, where the GPU backends hold
// only device copies of the operands (docs/GPU.md).
// RUN: not ring-opt %s -ring-lower-nvvm="format=isa" 2>&1 | FileCheck %s
// CHECK: error: host code of a GPU module would access device memory here; only element-wise loops are offloaded
// CHECK-NEXT: ring.attention
shard.grid @ring(shape = 4)
func.func @attention(%q: tensor<1x4x64x32xf32>, %blocks: tensor<16xi32>) -> tensor<1x4x64x32xf32> {
  %o = ring.attention %q, %q, %q placement(%blocks : tensor<16xi32>) causal ring @ring axis 0 : tensor<1x4x64x32xf32>, tensor<1x4x64x32xf32>, tensor<1x4x64x32xf32>
  return %o : tensor<1x4x64x32xf32>
}
