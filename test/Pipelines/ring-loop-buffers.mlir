// After bufferization the ring loop neither allocates nor copies: each
// block's destination is allocated before the loop, the kernels own their
// scratch, the key/value blocks alternate between two buffer pairs, and the
// running result is updated in place. Nothing is sent after the last step.
// RUN: ring-opt %s -ring-lower-cpu -mlir-print-ir-after=convert-linalg-to-loops -o /dev/null 2>&1 | FileCheck %s

shard.grid @ring(shape = 4)

// CHECK-LABEL: func.func @attention
// CHECK: shard.process_multi_index on @ring
// CHECK: scf.for %{{.*}} = %c0 to %c3 step %c1 {
// CHECK-NOT: memref.alloc
// CHECK-NOT: memref.copy
// CHECK: %[[K:.*]] = ring.shift_start %{{.*}} into %{{.*}} ring @ring axis 0 : memref<1x2x64x32xf16>
// CHECK-NOT: memref.alloc
// CHECK-NOT: memref.copy
// CHECK: %[[V:.*]] = ring.shift_start %{{.*}} into %{{.*}} ring @ring axis 0 : memref<1x2x64x32xf16>
// CHECK-NOT: memref.alloc
// CHECK-NOT: memref.copy
// CHECK: ring.shift_wait %[[K]]
// CHECK: ring.shift_wait %[[V]]
// CHECK-NEXT: }
// CHECK-NOT: ring.shift_start
// CHECK: return
func.func @attention(%q: tensor<1x4x64x32xf16>, %k: tensor<1x2x64x32xf16>, %v: tensor<1x2x64x32xf16>) -> tensor<1x4x64x32xf16> {
  %o = ring.attention %q, %k, %v causal ring @ring axis 0 layout zigzag : tensor<1x4x64x32xf16>, tensor<1x2x64x32xf16>, tensor<1x2x64x32xf16>
  return %o : tensor<1x4x64x32xf16>
}
