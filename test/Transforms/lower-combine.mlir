// RUN: ring-opt %s -ring-lower-combine | FileCheck %s

// Two element-wise generics updating the first pair in place: out first
// (it needs the old lse_a), then lse.
// CHECK-LABEL: func.func @combine
// CHECK-SAME: (%[[OA:.*]]: tensor<1x2x8x16xf32>, %[[LA:.*]]: tensor<1x2x8xf32>, %[[OB:.*]]: tensor<1x2x8x16xf32>, %[[LB:.*]]: tensor<1x2x8xf32>)
// CHECK: %[[O:.*]] = linalg.generic
// CHECK-SAME: ins(%[[OB]], %[[LA]], %[[LB]] : tensor<1x2x8x16xf32>, tensor<1x2x8xf32>, tensor<1x2x8xf32>) outs(%[[OA]] : tensor<1x2x8x16xf32>)
// CHECK: arith.maximumf
// CHECK: math.exp
// CHECK: math.exp
// CHECK: arith.divf
// CHECK: %[[L:.*]] = linalg.generic
// CHECK-SAME: ins(%[[LB]] : tensor<1x2x8xf32>) outs(%[[LA]] : tensor<1x2x8xf32>)
// CHECK: math.log
// CHECK: return %[[O]], %[[L]]
func.func @combine(%oa: tensor<1x2x8x16xf32>, %la: tensor<1x2x8xf32>, %ob: tensor<1x2x8x16xf32>, %lb: tensor<1x2x8xf32>) -> (tensor<1x2x8x16xf32>, tensor<1x2x8xf32>) {
  %o, %l = ring.combine (%oa, %la), (%ob, %lb) : tensor<1x2x8x16xf32>, tensor<1x2x8xf32>
  return %o, %l : tensor<1x2x8x16xf32>, tensor<1x2x8xf32>
}
