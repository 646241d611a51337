// The tensor form of a shift bufferizes to the buffer form, sending from a
// private copy of the source, and from there lowers to runtime calls.
// RUN: ring-opt %s -one-shot-bufferize="bufferize-function-boundaries" | FileCheck %s
// RUN: ring-opt %s -one-shot-bufferize="bufferize-function-boundaries" -convert-ring-to-runtime | FileCheck %s --check-prefix=RT

shard.grid @ring(shape = 4)

// CHECK-LABEL: func.func @shift
// CHECK-SAME: (%[[KV:[^:]*]]: memref<1x2x8x16xf32
// CHECK: %[[COPY:.*]] = memref.alloc() : memref<1x2x8x16xf32>
// CHECK: memref.copy %[[KV]], %[[COPY]]
// CHECK: %[[RECV:.*]] = memref.alloc() : memref<1x2x8x16xf32>
// CHECK: %[[F:.*]] = ring.shift_start %[[COPY]] into %[[RECV]] ring @ring axis 0 offset 2 : memref<1x2x8x16xf32>
// The source's own buffer is free to be overwritten while the copy travels.
// CHECK: linalg.fill {{.*}} outs(%[[KV]] :
// CHECK: %[[R:.*]] = ring.shift_wait %[[F]] : !ring.future<memref<1x2x8x16xf32>>
// CHECK: return %[[R]], %[[KV]]
// RT-LABEL: func.func @shift
// RT: %[[H:.*]] = call @ringattn_shift_start(%{{.*}}, %{{.*}}, %c1024_i64, %c2_i64)
// RT: call @ringattn_shift_wait(%[[H]])
func.func @shift(%kv: tensor<1x2x8x16xf32>) -> (tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>) {
  %f = ring.shift_start %kv ring @ring axis 0 offset 2 : tensor<1x2x8x16xf32>
  %zero = arith.constant 0.0 : f32
  %filled = linalg.fill ins(%zero : f32) outs(%kv : tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32>
  %r = ring.shift_wait %f : !ring.future<tensor<1x2x8x16xf32>>
  return %r, %filled : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>
}
