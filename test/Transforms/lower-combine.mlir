// RUN: ring-opt %s -split-input-file -verify-diagnostics -ring-lower-combine | FileCheck %s

// A merge on buffers is one parallel loop over rows: the log-sum-exps merge
// once per row (into the destination, which here is side a's buffer), then
// one FMA per element blends the outputs with side b's weight.
// CHECK-LABEL: func.func @combine
// CHECK-SAME: (%[[OA:.*]]: memref<1x2x8x16xf32>, %[[LA:.*]]: memref<1x2x8xf32>, %[[OB:.*]]: memref<1x2x8x16xf32>, %[[LB:.*]]: memref<1x2x8xf32>)
// CHECK-NOT: memref.alloc
// CHECK: scf.parallel (%[[B:.*]], %[[H:.*]], %[[S:.*]]) = (%c0, %c0, %c0) to (%c1, %c2, %c8)
// CHECK: %[[X:.*]] = memref.load %[[LA]][%[[B]], %[[H]], %[[S]]]
// CHECK: %[[Y:.*]] = memref.load %[[LB]][%[[B]], %[[H]], %[[S]]]
// CHECK: arith.maximumf %[[X]], %[[Y]]
// CHECK: math.exp
// CHECK: math.exp
// CHECK: math.log
// CHECK: memref.store %{{.*}}, %[[LA]][%[[B]], %[[H]], %[[S]]]
// CHECK: %[[W:.*]] = arith.select %{{.*}}, %{{.*}}, %{{.*}} : f32
// CHECK: scf.for %[[D:.*]] = %c0 to %c16
// CHECK-NOT: math.exp
// CHECK: %[[A:.*]] = memref.load %[[OA]][%[[B]], %[[H]], %[[S]], %[[D]]]
// CHECK: %[[C:.*]] = memref.load %[[OB]][%[[B]], %[[H]], %[[S]], %[[D]]]
// CHECK: %[[DELTA:.*]] = arith.subf %[[C]], %[[A]]
// CHECK: %[[F:.*]] = math.fma %[[W]], %[[DELTA]], %[[A]]
// CHECK: memref.store %[[F]], %[[OA]][%[[B]], %[[H]], %[[S]], %[[D]]]
// CHECK-NOT: ring.combine
func.func @combine(%oa: memref<1x2x8x16xf32>, %la: memref<1x2x8xf32>, %ob: memref<1x2x8x16xf32>, %lb: memref<1x2x8xf32>) {
  ring.combine (%oa, %la), (%ob, %lb) into (%oa, %la) : memref<1x2x8x16xf32>, memref<1x2x8xf32>
  return
}

// -----

func.func @combine_tensors(%oa: tensor<1x2x8x16xf32>, %la: tensor<1x2x8xf32>) -> (tensor<1x2x8x16xf32>, tensor<1x2x8xf32>) {
  // expected-error @+1 {{ring-lower-combine lowers merges on buffers; bufferize this one first (one-shot-bufferize)}}
  %o, %l = ring.combine (%oa, %la), (%oa, %la) into (%oa, %la) : tensor<1x2x8x16xf32>, tensor<1x2x8xf32>
  return %o, %l : tensor<1x2x8x16xf32>, tensor<1x2x8xf32>
}
