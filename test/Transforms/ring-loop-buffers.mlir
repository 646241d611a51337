// After bufferization the ring loop neither allocates nor copies: the block
// scratch sits at the function entry, the key/value blocks alternate between
// two buffer pairs, and the running result is updated in place. Nothing is
// sent after the last step.
// RUN: ring-opt %s -ring-lower-cpu -mlir-print-ir-after=convert-ring-to-runtime -o /dev/null 2>&1 | FileCheck %s

shard.grid @ring(shape = 4)

// CHECK-LABEL: func.func @attention
// CHECK: call @ringattn_rank()
// CHECK: scf.for %{{.*}} = %c0 to %c3 step %c1 {
// CHECK-NOT: memref.alloc
// CHECK-NOT: memref.copy
// CHECK: %[[K:.*]] = func.call @ringattn_shift_start(%{{.*}}, %{{.*}}, %c8192_i64{{.*}}, %c1_i64{{.*}})
// CHECK-NOT: memref.alloc
// CHECK-NOT: memref.copy
// CHECK: %[[V:.*]] = func.call @ringattn_shift_start(%{{.*}}, %{{.*}}, %c8192_i64{{.*}}, %c1_i64{{.*}})
// CHECK-NOT: memref.alloc
// CHECK-NOT: memref.copy
// CHECK: call @ringattn_shift_wait(%[[K]])
// CHECK: call @ringattn_shift_wait(%[[V]])
// CHECK-NEXT: }
// CHECK-NOT: call @ringattn_shift_start
// CHECK: return
func.func @attention(%q: tensor<1x4x64x32xf16>, %k: tensor<1x2x64x32xf16>, %v: tensor<1x2x64x32xf16>) -> tensor<1x4x64x32xf16> {
  %o = ring.attention %q, %k, %v causal ring @ring axis 0 layout zigzag : tensor<1x4x64x32xf16>, tensor<1x2x64x32xf16>, tensor<1x2x64x32xf16>
  return %o : tensor<1x4x64x32xf16>
}
