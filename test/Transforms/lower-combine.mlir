// RUN: ring-opt %s -ring-lower-combine | FileCheck %s

// A per-row generic merges the log-sum-exps in place and leaves the weight
// of side b in lse_b's buffer; a per-element generic then blends the outputs
// in place with one FMA.
// CHECK-LABEL: func.func @combine
// CHECK-SAME: (%[[OA:.*]]: tensor<1x2x8x16xf32>, %[[LA:.*]]: tensor<1x2x8xf32>, %[[OB:.*]]: tensor<1x2x8x16xf32>, %[[LB:.*]]: tensor<1x2x8xf32>)
// CHECK: %[[ROWS:.*]]:2 = linalg.generic
// CHECK-SAME: outs(%[[LA]], %[[LB]] : tensor<1x2x8xf32>, tensor<1x2x8xf32>)
// CHECK: arith.maximumf
// CHECK: math.exp
// CHECK: math.exp
// CHECK: math.log
// CHECK: arith.divf
// CHECK: linalg.yield
// CHECK: %[[O:.*]] = linalg.generic
// CHECK-SAME: ins(%[[OB]], %[[ROWS]]#1 : tensor<1x2x8x16xf32>, tensor<1x2x8xf32>) outs(%[[OA]] : tensor<1x2x8x16xf32>)
// CHECK-NOT: math.exp
// CHECK: math.fma
// CHECK: return %[[O]], %[[ROWS]]#0
func.func @combine(%oa: tensor<1x2x8x16xf32>, %la: tensor<1x2x8xf32>, %ob: tensor<1x2x8x16xf32>, %lb: tensor<1x2x8xf32>) -> (tensor<1x2x8x16xf32>, tensor<1x2x8xf32>) {
  %o, %l = ring.combine (%oa, %la), (%ob, %lb) : tensor<1x2x8x16xf32>, tensor<1x2x8xf32>
  return %o, %l : tensor<1x2x8x16xf32>, tensor<1x2x8xf32>
}
