// ring-raise-attention on a frontend's joint graph, attention's forward and
// backward in one function: both become ring.attention (with its
// log-sum-exp) and ring.attention_grad. Each NEG function differs from the
// backward of attention in one way and keeps every op.
// RUN: ring-opt %s -ring-raise-attention -split-input-file | FileCheck %s

#q = affine_map<(b, h, i, j, d) -> (b, h, i, d)>
#k = affine_map<(b, h, i, j, d) -> (b, h, j, d)>
#s = affine_map<(b, h, i, j, d) -> (b, h, i, j)>
#p = affine_map<(b, h, i, d, j) -> (b, h, i, j)>
#v = affine_map<(b, h, i, d, j) -> (b, h, j, d)>
#o = affine_map<(b, h, i, d, j) -> (b, h, i, d)>
#pt = affine_map<(b, h, j, d, i) -> (b, h, i, j)>
#rt = affine_map<(b, h, j, d, i) -> (b, h, i, d)>
#ot = affine_map<(b, h, j, d, i) -> (b, h, j, d)>
#id = affine_map<(b, h, i, j) -> (b, h, i, j)>
#row = affine_map<(b, h, i, j) -> (b, h, i)>
// The joint graph of a frontend (forward, then backward from dO): the
// forward becomes ring.attention returning its log-sum-exp and the backward
// ring.attention_grad of the same attributes; the S x S probabilities and
// their gradient are gone.
// CHECK-LABEL: func.func @joint(
// CHECK-SAME: %[[Q:[^:]*]]: tensor<1x2x8x4xf32>, %[[K:[^:]*]]: tensor<1x2x8x4xf32>, %[[V:[^:]*]]: tensor<1x2x8x4xf32>, %[[DO:[^:]*]]: tensor<1x2x8x4xf32>)
// CHECK-NEXT: %[[O:.*]], %[[LSE:.*]] = ring.attention %[[Q]], %[[K]], %[[V]] causal scale 5.000000e-01 : tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32> -> tensor<1x2x8xf32>
// CHECK-NEXT: %[[DQ:.*]], %[[DK:.*]], %[[DV:.*]] = ring.attention_grad %[[Q]], %[[K]], %[[V]], %[[O]], %[[LSE]], %[[DO]] causal scale 5.000000e-01
// CHECK-NEXT: return %[[O]], %[[DQ]], %[[DK]], %[[DV]]
func.func @joint(%q: tensor<1x2x8x4xf32>, %k: tensor<1x2x8x4xf32>, %v: tensor<1x2x8x4xf32>, %do: tensor<1x2x8x4xf32>)
    -> (tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32>) {
  %zero = arith.constant 0.0 : f32
  %half = arith.constant 0.5 : f32
  %ninf = arith.constant 0xFF800000 : f32
  %se = tensor.empty() : tensor<1x2x8x8xf32>
  %sz = linalg.fill ins(%zero : f32) outs(%se : tensor<1x2x8x8xf32>) -> tensor<1x2x8x8xf32>
  %he = tensor.empty() : tensor<1x2x8x4xf32>
  %hz = linalg.fill ins(%zero : f32) outs(%he : tensor<1x2x8x4xf32>) -> tensor<1x2x8x4xf32>
  %re = tensor.empty() : tensor<1x2x8xf32>
  %rz = linalg.fill ins(%zero : f32) outs(%re : tensor<1x2x8xf32>) -> tensor<1x2x8xf32>
  // Forward.
  %sc = linalg.generic {indexing_maps = [#q, #k, #s], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%q, %k : tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32>) outs(%sz : tensor<1x2x8x8xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<1x2x8x8xf32>
  %scaled = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%sc : tensor<1x2x8x8xf32>) outs(%se : tensor<1x2x8x8xf32>) {
  ^bb0(%a: f32, %out: f32):
    %y = arith.mulf %a, %half : f32
    linalg.yield %y : f32
  } -> tensor<1x2x8x8xf32>
  %masked = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%scaled : tensor<1x2x8x8xf32>) outs(%se : tensor<1x2x8x8xf32>) {
  ^bb0(%a: f32, %out: f32):
    %i = linalg.index 2 : index
    %j = linalg.index 3 : index
    %future = arith.cmpi ugt, %j, %i : index
    %y = arith.select %future, %ninf, %a : f32
    linalg.yield %y : f32
  } -> tensor<1x2x8x8xf32>
  %pr = linalg.softmax dimension(3) ins(%masked : tensor<1x2x8x8xf32>) outs(%se : tensor<1x2x8x8xf32>) -> tensor<1x2x8x8xf32>
  %out = linalg.generic {indexing_maps = [#p, #v, #o], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%pr, %v : tensor<1x2x8x8xf32>, tensor<1x2x8x4xf32>) outs(%hz : tensor<1x2x8x4xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<1x2x8x4xf32>
  // Backward: dV = P^T dO, dP = dO V^T.
  %dv = linalg.generic {indexing_maps = [#pt, #rt, #ot], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%pr, %do : tensor<1x2x8x8xf32>, tensor<1x2x8x4xf32>) outs(%hz : tensor<1x2x8x4xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<1x2x8x4xf32>
  %dp = linalg.generic {indexing_maps = [#q, #k, #s], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%do, %v : tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32>) outs(%sz : tensor<1x2x8x8xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<1x2x8x8xf32>
  // The softmax's backward: G = dP * P, R = sum_j G, dS = G - P * R.
  %g = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%dp, %pr : tensor<1x2x8x8xf32>, tensor<1x2x8x8xf32>) outs(%se : tensor<1x2x8x8xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %m = arith.mulf %a, %b : f32
    linalg.yield %m : f32
  } -> tensor<1x2x8x8xf32>
  %rs = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%g : tensor<1x2x8x8xf32>) outs(%rz : tensor<1x2x8xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %r = arith.addf %a, %acc : f32
    linalg.yield %r : f32
  } -> tensor<1x2x8xf32>
  %t = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%pr, %rs : tensor<1x2x8x8xf32>, tensor<1x2x8xf32>) outs(%se : tensor<1x2x8x8xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %m = arith.mulf %a, %b : f32
    linalg.yield %m : f32
  } -> tensor<1x2x8x8xf32>
  %dsm = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%g, %t : tensor<1x2x8x8xf32>, tensor<1x2x8x8xf32>) outs(%se : tensor<1x2x8x8xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %d = arith.subf %a, %b : f32
    linalg.yield %d : f32
  } -> tensor<1x2x8x8xf32>
  // The mask's and the scale's backward.
  %dsk = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%dsm : tensor<1x2x8x8xf32>) outs(%se : tensor<1x2x8x8xf32>) {
  ^bb0(%a: f32, %o: f32):
    %i = linalg.index 2 : index
    %j = linalg.index 3 : index
    %future = arith.cmpi ugt, %j, %i : index
    %y = arith.select %future, %zero, %a : f32
    linalg.yield %y : f32
  } -> tensor<1x2x8x8xf32>
  %ds = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%dsk : tensor<1x2x8x8xf32>) outs(%se : tensor<1x2x8x8xf32>) {
  ^bb0(%a: f32, %o: f32):
    %y = arith.mulf %a, %half : f32
    linalg.yield %y : f32
  } -> tensor<1x2x8x8xf32>
  // dQ = dS K, dK = dS^T Q.
  %dq = linalg.generic {indexing_maps = [#p, #v, #o], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%ds, %k : tensor<1x2x8x8xf32>, tensor<1x2x8x4xf32>) outs(%hz : tensor<1x2x8x4xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<1x2x8x4xf32>
  %dk = linalg.generic {indexing_maps = [#pt, #rt, #ot], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%ds, %q : tensor<1x2x8x8xf32>, tensor<1x2x8x4xf32>) outs(%hz : tensor<1x2x8x4xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<1x2x8x4xf32>
  return %out, %dq, %dk, %dv : tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32>
}

// -----

#q = affine_map<(b, h, i, j, d) -> (b, h, i, d)>
#k = affine_map<(b, h, i, j, d) -> (b, h, j, d)>
#s = affine_map<(b, h, i, j, d) -> (b, h, i, j)>
#p = affine_map<(b, h, i, d, j) -> (b, h, i, j)>
#v = affine_map<(b, h, i, d, j) -> (b, h, j, d)>
#o = affine_map<(b, h, i, d, j) -> (b, h, i, d)>
#pt = affine_map<(b, h, j, d, i) -> (b, h, i, j)>
#rt = affine_map<(b, h, j, d, i) -> (b, h, i, d)>
#ot = affine_map<(b, h, j, d, i) -> (b, h, j, d)>
#id = affine_map<(b, h, i, j) -> (b, h, i, j)>
#row = affine_map<(b, h, i, j) -> (b, h, i)>
// The softmax's backward with P * R inside the subtraction, and no
// backward of the mask (P is zero where the forward masked): raised.
// CHECK-LABEL: func.func @fused_difference_unmasked_gradient(
// CHECK: ring.attention {{.*}} causal scale 5.000000e-01
// CHECK-NEXT: ring.attention_grad {{.*}} causal scale 5.000000e-01
// CHECK-NOT: linalg
func.func @fused_difference_unmasked_gradient(%q: tensor<1x2x8x4xf32>, %k: tensor<1x2x8x4xf32>, %v: tensor<1x2x8x4xf32>, %do: tensor<1x2x8x4xf32>)
    -> (tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32>) {
  %zero = arith.constant 0.0 : f32
  %half = arith.constant 0.5 : f32
  %ninf = arith.constant 0xFF800000 : f32
  %se = tensor.empty() : tensor<1x2x8x8xf32>
  %sz = linalg.fill ins(%zero : f32) outs(%se : tensor<1x2x8x8xf32>) -> tensor<1x2x8x8xf32>
  %he = tensor.empty() : tensor<1x2x8x4xf32>
  %hz = linalg.fill ins(%zero : f32) outs(%he : tensor<1x2x8x4xf32>) -> tensor<1x2x8x4xf32>
  %re = tensor.empty() : tensor<1x2x8xf32>
  %rz = linalg.fill ins(%zero : f32) outs(%re : tensor<1x2x8xf32>) -> tensor<1x2x8xf32>
  // Forward.
  %sc = linalg.generic {indexing_maps = [#q, #k, #s], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%q, %k : tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32>) outs(%sz : tensor<1x2x8x8xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<1x2x8x8xf32>
  %scaled = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%sc : tensor<1x2x8x8xf32>) outs(%se : tensor<1x2x8x8xf32>) {
  ^bb0(%a: f32, %out: f32):
    %y = arith.mulf %a, %half : f32
    linalg.yield %y : f32
  } -> tensor<1x2x8x8xf32>
  %masked = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%scaled : tensor<1x2x8x8xf32>) outs(%se : tensor<1x2x8x8xf32>) {
  ^bb0(%a: f32, %out: f32):
    %i = linalg.index 2 : index
    %j = linalg.index 3 : index
    %future = arith.cmpi ugt, %j, %i : index
    %y = arith.select %future, %ninf, %a : f32
    linalg.yield %y : f32
  } -> tensor<1x2x8x8xf32>
  %pr = linalg.softmax dimension(3) ins(%masked : tensor<1x2x8x8xf32>) outs(%se : tensor<1x2x8x8xf32>) -> tensor<1x2x8x8xf32>
  %out = linalg.generic {indexing_maps = [#p, #v, #o], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%pr, %v : tensor<1x2x8x8xf32>, tensor<1x2x8x4xf32>) outs(%hz : tensor<1x2x8x4xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<1x2x8x4xf32>
  // Backward: dV = P^T dO, dP = dO V^T.
  %dv = linalg.generic {indexing_maps = [#pt, #rt, #ot], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%pr, %do : tensor<1x2x8x8xf32>, tensor<1x2x8x4xf32>) outs(%hz : tensor<1x2x8x4xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<1x2x8x4xf32>
  %dp = linalg.generic {indexing_maps = [#q, #k, #s], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%do, %v : tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32>) outs(%sz : tensor<1x2x8x8xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<1x2x8x8xf32>
  // The softmax's backward: G = dP * P, R = sum_j G, dS = G - P * R.
  %g = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%dp, %pr : tensor<1x2x8x8xf32>, tensor<1x2x8x8xf32>) outs(%se : tensor<1x2x8x8xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %m = arith.mulf %a, %b : f32
    linalg.yield %m : f32
  } -> tensor<1x2x8x8xf32>
  %rs = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%g : tensor<1x2x8x8xf32>) outs(%rz : tensor<1x2x8xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %r = arith.addf %a, %acc : f32
    linalg.yield %r : f32
  } -> tensor<1x2x8xf32>
  %dsm = linalg.generic {indexing_maps = [#id, #id, #row, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%g, %pr, %rs : tensor<1x2x8x8xf32>, tensor<1x2x8x8xf32>, tensor<1x2x8xf32>) outs(%se : tensor<1x2x8x8xf32>) {
  ^bb0(%a: f32, %pp: f32, %r: f32, %o: f32):
    %m = arith.mulf %r, %pp : f32
    %d = arith.subf %a, %m : f32
    linalg.yield %d : f32
  } -> tensor<1x2x8x8xf32>
  // The mask's and the scale's backward.
  %ds = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%dsm : tensor<1x2x8x8xf32>) outs(%se : tensor<1x2x8x8xf32>) {
  ^bb0(%a: f32, %o: f32):
    %y = arith.mulf %a, %half : f32
    linalg.yield %y : f32
  } -> tensor<1x2x8x8xf32>
  // dQ = dS K, dK = dS^T Q.
  %dq = linalg.generic {indexing_maps = [#p, #v, #o], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%ds, %k : tensor<1x2x8x8xf32>, tensor<1x2x8x4xf32>) outs(%hz : tensor<1x2x8x4xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<1x2x8x4xf32>
  %dk = linalg.generic {indexing_maps = [#pt, #rt, #ot], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%ds, %q : tensor<1x2x8x8xf32>, tensor<1x2x8x4xf32>) outs(%hz : tensor<1x2x8x4xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<1x2x8x4xf32>
  return %out, %dq, %dk, %dv : tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32>
}

// -----

#q = affine_map<(b, h, i, j, d) -> (b, h, i, d)>
#k = affine_map<(b, h, i, j, d) -> (b, h, j, d)>
#s = affine_map<(b, h, i, j, d) -> (b, h, i, j)>
#p = affine_map<(b, h, i, d, j) -> (b, h, i, j)>
#v = affine_map<(b, h, i, d, j) -> (b, h, j, d)>
#o = affine_map<(b, h, i, d, j) -> (b, h, i, d)>
#pt = affine_map<(b, h, j, d, i) -> (b, h, i, j)>
#rt = affine_map<(b, h, j, d, i) -> (b, h, i, d)>
#ot = affine_map<(b, h, j, d, i) -> (b, h, j, d)>
#id = affine_map<(b, h, i, j) -> (b, h, i, j)>
#row = affine_map<(b, h, i, j) -> (b, h, i)>
// NEG: the backward scales by 0.25, the forward by 0.5.
// CHECK-LABEL: func.func @neg_backward_scale_differs(
// CHECK: linalg.softmax
// CHECK-NOT: ring.attention
func.func @neg_backward_scale_differs(%q: tensor<1x2x8x4xf32>, %k: tensor<1x2x8x4xf32>, %v: tensor<1x2x8x4xf32>, %do: tensor<1x2x8x4xf32>)
    -> (tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32>) {
  %zero = arith.constant 0.0 : f32
  %half = arith.constant 0.5 : f32
  %quarter = arith.constant 0.25 : f32
  %ninf = arith.constant 0xFF800000 : f32
  %se = tensor.empty() : tensor<1x2x8x8xf32>
  %sz = linalg.fill ins(%zero : f32) outs(%se : tensor<1x2x8x8xf32>) -> tensor<1x2x8x8xf32>
  %he = tensor.empty() : tensor<1x2x8x4xf32>
  %hz = linalg.fill ins(%zero : f32) outs(%he : tensor<1x2x8x4xf32>) -> tensor<1x2x8x4xf32>
  %re = tensor.empty() : tensor<1x2x8xf32>
  %rz = linalg.fill ins(%zero : f32) outs(%re : tensor<1x2x8xf32>) -> tensor<1x2x8xf32>
  // Forward.
  %sc = linalg.generic {indexing_maps = [#q, #k, #s], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%q, %k : tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32>) outs(%sz : tensor<1x2x8x8xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<1x2x8x8xf32>
  %scaled = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%sc : tensor<1x2x8x8xf32>) outs(%se : tensor<1x2x8x8xf32>) {
  ^bb0(%a: f32, %out: f32):
    %y = arith.mulf %a, %half : f32
    linalg.yield %y : f32
  } -> tensor<1x2x8x8xf32>
  %masked = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%scaled : tensor<1x2x8x8xf32>) outs(%se : tensor<1x2x8x8xf32>) {
  ^bb0(%a: f32, %out: f32):
    %i = linalg.index 2 : index
    %j = linalg.index 3 : index
    %future = arith.cmpi ugt, %j, %i : index
    %y = arith.select %future, %ninf, %a : f32
    linalg.yield %y : f32
  } -> tensor<1x2x8x8xf32>
  %pr = linalg.softmax dimension(3) ins(%masked : tensor<1x2x8x8xf32>) outs(%se : tensor<1x2x8x8xf32>) -> tensor<1x2x8x8xf32>
  %out = linalg.generic {indexing_maps = [#p, #v, #o], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%pr, %v : tensor<1x2x8x8xf32>, tensor<1x2x8x4xf32>) outs(%hz : tensor<1x2x8x4xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<1x2x8x4xf32>
  // Backward: dV = P^T dO, dP = dO V^T.
  %dv = linalg.generic {indexing_maps = [#pt, #rt, #ot], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%pr, %do : tensor<1x2x8x8xf32>, tensor<1x2x8x4xf32>) outs(%hz : tensor<1x2x8x4xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<1x2x8x4xf32>
  %dp = linalg.generic {indexing_maps = [#q, #k, #s], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%do, %v : tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32>) outs(%sz : tensor<1x2x8x8xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<1x2x8x8xf32>
  // The softmax's backward: G = dP * P, R = sum_j G, dS = G - P * R.
  %g = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%dp, %pr : tensor<1x2x8x8xf32>, tensor<1x2x8x8xf32>) outs(%se : tensor<1x2x8x8xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %m = arith.mulf %a, %b : f32
    linalg.yield %m : f32
  } -> tensor<1x2x8x8xf32>
  %rs = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%g : tensor<1x2x8x8xf32>) outs(%rz : tensor<1x2x8xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %r = arith.addf %a, %acc : f32
    linalg.yield %r : f32
  } -> tensor<1x2x8xf32>
  %t = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%pr, %rs : tensor<1x2x8x8xf32>, tensor<1x2x8xf32>) outs(%se : tensor<1x2x8x8xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %m = arith.mulf %a, %b : f32
    linalg.yield %m : f32
  } -> tensor<1x2x8x8xf32>
  %dsm = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%g, %t : tensor<1x2x8x8xf32>, tensor<1x2x8x8xf32>) outs(%se : tensor<1x2x8x8xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %d = arith.subf %a, %b : f32
    linalg.yield %d : f32
  } -> tensor<1x2x8x8xf32>
  // The mask's and the scale's backward.
  %dsk = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%dsm : tensor<1x2x8x8xf32>) outs(%se : tensor<1x2x8x8xf32>) {
  ^bb0(%a: f32, %o: f32):
    %i = linalg.index 2 : index
    %j = linalg.index 3 : index
    %future = arith.cmpi ugt, %j, %i : index
    %y = arith.select %future, %zero, %a : f32
    linalg.yield %y : f32
  } -> tensor<1x2x8x8xf32>
  %ds = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%dsk : tensor<1x2x8x8xf32>) outs(%se : tensor<1x2x8x8xf32>) {
  ^bb0(%a: f32, %o: f32):
    %y = arith.mulf %a, %quarter : f32
    linalg.yield %y : f32
  } -> tensor<1x2x8x8xf32>
  // dQ = dS K, dK = dS^T Q.
  %dq = linalg.generic {indexing_maps = [#p, #v, #o], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%ds, %k : tensor<1x2x8x8xf32>, tensor<1x2x8x4xf32>) outs(%hz : tensor<1x2x8x4xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<1x2x8x4xf32>
  %dk = linalg.generic {indexing_maps = [#pt, #rt, #ot], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%ds, %q : tensor<1x2x8x8xf32>, tensor<1x2x8x4xf32>) outs(%hz : tensor<1x2x8x4xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<1x2x8x4xf32>
  return %out, %dq, %dk, %dv : tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32>
}

// -----

#q = affine_map<(b, h, i, j, d) -> (b, h, i, d)>
#k = affine_map<(b, h, i, j, d) -> (b, h, j, d)>
#s = affine_map<(b, h, i, j, d) -> (b, h, i, j)>
#p = affine_map<(b, h, i, d, j) -> (b, h, i, j)>
#v = affine_map<(b, h, i, d, j) -> (b, h, j, d)>
#o = affine_map<(b, h, i, d, j) -> (b, h, i, d)>
#pt = affine_map<(b, h, j, d, i) -> (b, h, i, j)>
#rt = affine_map<(b, h, j, d, i) -> (b, h, i, d)>
#ot = affine_map<(b, h, j, d, i) -> (b, h, j, d)>
#id = affine_map<(b, h, i, j) -> (b, h, i, j)>
#row = affine_map<(b, h, i, j) -> (b, h, i)>
// NEG: the gradient of the scores is also returned.
// CHECK-LABEL: func.func @neg_dscores_used_elsewhere(
// CHECK: linalg.softmax
// CHECK-NOT: ring.attention
func.func @neg_dscores_used_elsewhere(%q: tensor<1x2x8x4xf32>, %k: tensor<1x2x8x4xf32>, %v: tensor<1x2x8x4xf32>, %do: tensor<1x2x8x4xf32>)
    -> (tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32>, tensor<1x2x8x8xf32>) {
  %zero = arith.constant 0.0 : f32
  %half = arith.constant 0.5 : f32
  %ninf = arith.constant 0xFF800000 : f32
  %se = tensor.empty() : tensor<1x2x8x8xf32>
  %sz = linalg.fill ins(%zero : f32) outs(%se : tensor<1x2x8x8xf32>) -> tensor<1x2x8x8xf32>
  %he = tensor.empty() : tensor<1x2x8x4xf32>
  %hz = linalg.fill ins(%zero : f32) outs(%he : tensor<1x2x8x4xf32>) -> tensor<1x2x8x4xf32>
  %re = tensor.empty() : tensor<1x2x8xf32>
  %rz = linalg.fill ins(%zero : f32) outs(%re : tensor<1x2x8xf32>) -> tensor<1x2x8xf32>
  // Forward.
  %sc = linalg.generic {indexing_maps = [#q, #k, #s], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%q, %k : tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32>) outs(%sz : tensor<1x2x8x8xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<1x2x8x8xf32>
  %scaled = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%sc : tensor<1x2x8x8xf32>) outs(%se : tensor<1x2x8x8xf32>) {
  ^bb0(%a: f32, %out: f32):
    %y = arith.mulf %a, %half : f32
    linalg.yield %y : f32
  } -> tensor<1x2x8x8xf32>
  %masked = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%scaled : tensor<1x2x8x8xf32>) outs(%se : tensor<1x2x8x8xf32>) {
  ^bb0(%a: f32, %out: f32):
    %i = linalg.index 2 : index
    %j = linalg.index 3 : index
    %future = arith.cmpi ugt, %j, %i : index
    %y = arith.select %future, %ninf, %a : f32
    linalg.yield %y : f32
  } -> tensor<1x2x8x8xf32>
  %pr = linalg.softmax dimension(3) ins(%masked : tensor<1x2x8x8xf32>) outs(%se : tensor<1x2x8x8xf32>) -> tensor<1x2x8x8xf32>
  %out = linalg.generic {indexing_maps = [#p, #v, #o], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%pr, %v : tensor<1x2x8x8xf32>, tensor<1x2x8x4xf32>) outs(%hz : tensor<1x2x8x4xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<1x2x8x4xf32>
  // Backward: dV = P^T dO, dP = dO V^T.
  %dv = linalg.generic {indexing_maps = [#pt, #rt, #ot], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%pr, %do : tensor<1x2x8x8xf32>, tensor<1x2x8x4xf32>) outs(%hz : tensor<1x2x8x4xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<1x2x8x4xf32>
  %dp = linalg.generic {indexing_maps = [#q, #k, #s], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%do, %v : tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32>) outs(%sz : tensor<1x2x8x8xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<1x2x8x8xf32>
  // The softmax's backward: G = dP * P, R = sum_j G, dS = G - P * R.
  %g = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%dp, %pr : tensor<1x2x8x8xf32>, tensor<1x2x8x8xf32>) outs(%se : tensor<1x2x8x8xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %m = arith.mulf %a, %b : f32
    linalg.yield %m : f32
  } -> tensor<1x2x8x8xf32>
  %rs = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%g : tensor<1x2x8x8xf32>) outs(%rz : tensor<1x2x8xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %r = arith.addf %a, %acc : f32
    linalg.yield %r : f32
  } -> tensor<1x2x8xf32>
  %t = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%pr, %rs : tensor<1x2x8x8xf32>, tensor<1x2x8xf32>) outs(%se : tensor<1x2x8x8xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %m = arith.mulf %a, %b : f32
    linalg.yield %m : f32
  } -> tensor<1x2x8x8xf32>
  %dsm = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%g, %t : tensor<1x2x8x8xf32>, tensor<1x2x8x8xf32>) outs(%se : tensor<1x2x8x8xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %d = arith.subf %a, %b : f32
    linalg.yield %d : f32
  } -> tensor<1x2x8x8xf32>
  // The mask's and the scale's backward.
  %dsk = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%dsm : tensor<1x2x8x8xf32>) outs(%se : tensor<1x2x8x8xf32>) {
  ^bb0(%a: f32, %o: f32):
    %i = linalg.index 2 : index
    %j = linalg.index 3 : index
    %future = arith.cmpi ugt, %j, %i : index
    %y = arith.select %future, %zero, %a : f32
    linalg.yield %y : f32
  } -> tensor<1x2x8x8xf32>
  %ds = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%dsk : tensor<1x2x8x8xf32>) outs(%se : tensor<1x2x8x8xf32>) {
  ^bb0(%a: f32, %o: f32):
    %y = arith.mulf %a, %half : f32
    linalg.yield %y : f32
  } -> tensor<1x2x8x8xf32>
  // dQ = dS K, dK = dS^T Q.
  %dq = linalg.generic {indexing_maps = [#p, #v, #o], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%ds, %k : tensor<1x2x8x8xf32>, tensor<1x2x8x4xf32>) outs(%hz : tensor<1x2x8x4xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<1x2x8x4xf32>
  %dk = linalg.generic {indexing_maps = [#pt, #rt, #ot], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%ds, %q : tensor<1x2x8x8xf32>, tensor<1x2x8x4xf32>) outs(%hz : tensor<1x2x8x4xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<1x2x8x4xf32>
  return %out, %dq, %dk, %dv, %ds : tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32>, tensor<1x2x8x8xf32>
}

// -----

#q = affine_map<(b, h, i, j, d) -> (b, h, i, d)>
#k = affine_map<(b, h, i, j, d) -> (b, h, j, d)>
#s = affine_map<(b, h, i, j, d) -> (b, h, i, j)>
#p = affine_map<(b, h, i, d, j) -> (b, h, i, j)>
#v = affine_map<(b, h, i, d, j) -> (b, h, j, d)>
#o = affine_map<(b, h, i, d, j) -> (b, h, i, d)>
#pt = affine_map<(b, h, j, d, i) -> (b, h, i, j)>
#rt = affine_map<(b, h, j, d, i) -> (b, h, i, d)>
#ot = affine_map<(b, h, j, d, i) -> (b, h, j, d)>
#id = affine_map<(b, h, i, j) -> (b, h, i, j)>
#row = affine_map<(b, h, i, j) -> (b, h, i)>
// NEG: the backward masks the future keys, the forward does not.
// CHECK-LABEL: func.func @neg_gradient_masked_forward_not(
// CHECK: linalg.softmax
// CHECK-NOT: ring.attention
func.func @neg_gradient_masked_forward_not(%q: tensor<1x2x8x4xf32>, %k: tensor<1x2x8x4xf32>, %v: tensor<1x2x8x4xf32>, %do: tensor<1x2x8x4xf32>)
    -> (tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32>) {
  %zero = arith.constant 0.0 : f32
  %half = arith.constant 0.5 : f32
  %ninf = arith.constant 0xFF800000 : f32
  %se = tensor.empty() : tensor<1x2x8x8xf32>
  %sz = linalg.fill ins(%zero : f32) outs(%se : tensor<1x2x8x8xf32>) -> tensor<1x2x8x8xf32>
  %he = tensor.empty() : tensor<1x2x8x4xf32>
  %hz = linalg.fill ins(%zero : f32) outs(%he : tensor<1x2x8x4xf32>) -> tensor<1x2x8x4xf32>
  %re = tensor.empty() : tensor<1x2x8xf32>
  %rz = linalg.fill ins(%zero : f32) outs(%re : tensor<1x2x8xf32>) -> tensor<1x2x8xf32>
  // Forward.
  %sc = linalg.generic {indexing_maps = [#q, #k, #s], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%q, %k : tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32>) outs(%sz : tensor<1x2x8x8xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<1x2x8x8xf32>
  %scaled = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%sc : tensor<1x2x8x8xf32>) outs(%se : tensor<1x2x8x8xf32>) {
  ^bb0(%a: f32, %out: f32):
    %y = arith.mulf %a, %half : f32
    linalg.yield %y : f32
  } -> tensor<1x2x8x8xf32>
  %pr = linalg.softmax dimension(3) ins(%scaled : tensor<1x2x8x8xf32>) outs(%se : tensor<1x2x8x8xf32>) -> tensor<1x2x8x8xf32>
  %out = linalg.generic {indexing_maps = [#p, #v, #o], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%pr, %v : tensor<1x2x8x8xf32>, tensor<1x2x8x4xf32>) outs(%hz : tensor<1x2x8x4xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<1x2x8x4xf32>
  // Backward: dV = P^T dO, dP = dO V^T.
  %dv = linalg.generic {indexing_maps = [#pt, #rt, #ot], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%pr, %do : tensor<1x2x8x8xf32>, tensor<1x2x8x4xf32>) outs(%hz : tensor<1x2x8x4xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<1x2x8x4xf32>
  %dp = linalg.generic {indexing_maps = [#q, #k, #s], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%do, %v : tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32>) outs(%sz : tensor<1x2x8x8xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<1x2x8x8xf32>
  // The softmax's backward: G = dP * P, R = sum_j G, dS = G - P * R.
  %g = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%dp, %pr : tensor<1x2x8x8xf32>, tensor<1x2x8x8xf32>) outs(%se : tensor<1x2x8x8xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %m = arith.mulf %a, %b : f32
    linalg.yield %m : f32
  } -> tensor<1x2x8x8xf32>
  %rs = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%g : tensor<1x2x8x8xf32>) outs(%rz : tensor<1x2x8xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %r = arith.addf %a, %acc : f32
    linalg.yield %r : f32
  } -> tensor<1x2x8xf32>
  %t = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%pr, %rs : tensor<1x2x8x8xf32>, tensor<1x2x8xf32>) outs(%se : tensor<1x2x8x8xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %m = arith.mulf %a, %b : f32
    linalg.yield %m : f32
  } -> tensor<1x2x8x8xf32>
  %dsm = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%g, %t : tensor<1x2x8x8xf32>, tensor<1x2x8x8xf32>) outs(%se : tensor<1x2x8x8xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %d = arith.subf %a, %b : f32
    linalg.yield %d : f32
  } -> tensor<1x2x8x8xf32>
  // The mask's and the scale's backward.
  %dsk = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%dsm : tensor<1x2x8x8xf32>) outs(%se : tensor<1x2x8x8xf32>) {
  ^bb0(%a: f32, %o: f32):
    %i = linalg.index 2 : index
    %j = linalg.index 3 : index
    %future = arith.cmpi ugt, %j, %i : index
    %y = arith.select %future, %zero, %a : f32
    linalg.yield %y : f32
  } -> tensor<1x2x8x8xf32>
  %ds = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%dsk : tensor<1x2x8x8xf32>) outs(%se : tensor<1x2x8x8xf32>) {
  ^bb0(%a: f32, %o: f32):
    %y = arith.mulf %a, %half : f32
    linalg.yield %y : f32
  } -> tensor<1x2x8x8xf32>
  // dQ = dS K, dK = dS^T Q.
  %dq = linalg.generic {indexing_maps = [#p, #v, #o], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%ds, %k : tensor<1x2x8x8xf32>, tensor<1x2x8x4xf32>) outs(%hz : tensor<1x2x8x4xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<1x2x8x4xf32>
  %dk = linalg.generic {indexing_maps = [#pt, #rt, #ot], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%ds, %q : tensor<1x2x8x8xf32>, tensor<1x2x8x4xf32>) outs(%hz : tensor<1x2x8x4xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<1x2x8x4xf32>
  return %out, %dq, %dk, %dv : tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32>
}

// -----

#q = affine_map<(b, h, i, j, d) -> (b, h, i, d)>
#k = affine_map<(b, h, i, j, d) -> (b, h, j, d)>
#s = affine_map<(b, h, i, j, d) -> (b, h, i, j)>
#p = affine_map<(b, h, i, d, j) -> (b, h, i, j)>
#v = affine_map<(b, h, i, d, j) -> (b, h, j, d)>
#o = affine_map<(b, h, i, d, j) -> (b, h, i, d)>
#pt = affine_map<(b, h, j, d, i) -> (b, h, i, j)>
#rt = affine_map<(b, h, j, d, i) -> (b, h, i, d)>
#ot = affine_map<(b, h, j, d, i) -> (b, h, j, d)>
#id = affine_map<(b, h, i, j) -> (b, h, i, j)>
#row = affine_map<(b, h, i, j) -> (b, h, i)>
// NEG: dS = G - R, the row sums not weighted by P.
// CHECK-LABEL: func.func @neg_row_sums_unweighted(
// CHECK: linalg.softmax
// CHECK-NOT: ring.attention
func.func @neg_row_sums_unweighted(%q: tensor<1x2x8x4xf32>, %k: tensor<1x2x8x4xf32>, %v: tensor<1x2x8x4xf32>, %do: tensor<1x2x8x4xf32>)
    -> (tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32>) {
  %zero = arith.constant 0.0 : f32
  %half = arith.constant 0.5 : f32
  %ninf = arith.constant 0xFF800000 : f32
  %se = tensor.empty() : tensor<1x2x8x8xf32>
  %sz = linalg.fill ins(%zero : f32) outs(%se : tensor<1x2x8x8xf32>) -> tensor<1x2x8x8xf32>
  %he = tensor.empty() : tensor<1x2x8x4xf32>
  %hz = linalg.fill ins(%zero : f32) outs(%he : tensor<1x2x8x4xf32>) -> tensor<1x2x8x4xf32>
  %re = tensor.empty() : tensor<1x2x8xf32>
  %rz = linalg.fill ins(%zero : f32) outs(%re : tensor<1x2x8xf32>) -> tensor<1x2x8xf32>
  // Forward.
  %sc = linalg.generic {indexing_maps = [#q, #k, #s], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%q, %k : tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32>) outs(%sz : tensor<1x2x8x8xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<1x2x8x8xf32>
  %scaled = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%sc : tensor<1x2x8x8xf32>) outs(%se : tensor<1x2x8x8xf32>) {
  ^bb0(%a: f32, %out: f32):
    %y = arith.mulf %a, %half : f32
    linalg.yield %y : f32
  } -> tensor<1x2x8x8xf32>
  %masked = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%scaled : tensor<1x2x8x8xf32>) outs(%se : tensor<1x2x8x8xf32>) {
  ^bb0(%a: f32, %out: f32):
    %i = linalg.index 2 : index
    %j = linalg.index 3 : index
    %future = arith.cmpi ugt, %j, %i : index
    %y = arith.select %future, %ninf, %a : f32
    linalg.yield %y : f32
  } -> tensor<1x2x8x8xf32>
  %pr = linalg.softmax dimension(3) ins(%masked : tensor<1x2x8x8xf32>) outs(%se : tensor<1x2x8x8xf32>) -> tensor<1x2x8x8xf32>
  %out = linalg.generic {indexing_maps = [#p, #v, #o], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%pr, %v : tensor<1x2x8x8xf32>, tensor<1x2x8x4xf32>) outs(%hz : tensor<1x2x8x4xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<1x2x8x4xf32>
  // Backward: dV = P^T dO, dP = dO V^T.
  %dv = linalg.generic {indexing_maps = [#pt, #rt, #ot], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%pr, %do : tensor<1x2x8x8xf32>, tensor<1x2x8x4xf32>) outs(%hz : tensor<1x2x8x4xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<1x2x8x4xf32>
  %dp = linalg.generic {indexing_maps = [#q, #k, #s], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%do, %v : tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32>) outs(%sz : tensor<1x2x8x8xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<1x2x8x8xf32>
  // The softmax's backward: G = dP * P, R = sum_j G, dS = G - P * R.
  %g = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%dp, %pr : tensor<1x2x8x8xf32>, tensor<1x2x8x8xf32>) outs(%se : tensor<1x2x8x8xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %m = arith.mulf %a, %b : f32
    linalg.yield %m : f32
  } -> tensor<1x2x8x8xf32>
  %rs = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%g : tensor<1x2x8x8xf32>) outs(%rz : tensor<1x2x8xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %r = arith.addf %a, %acc : f32
    linalg.yield %r : f32
  } -> tensor<1x2x8xf32>
  %dsm = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%g, %rs : tensor<1x2x8x8xf32>, tensor<1x2x8xf32>) outs(%se : tensor<1x2x8x8xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %d = arith.subf %a, %b : f32
    linalg.yield %d : f32
  } -> tensor<1x2x8x8xf32>
  // The mask's and the scale's backward.
  %dsk = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%dsm : tensor<1x2x8x8xf32>) outs(%se : tensor<1x2x8x8xf32>) {
  ^bb0(%a: f32, %o: f32):
    %i = linalg.index 2 : index
    %j = linalg.index 3 : index
    %future = arith.cmpi ugt, %j, %i : index
    %y = arith.select %future, %zero, %a : f32
    linalg.yield %y : f32
  } -> tensor<1x2x8x8xf32>
  %ds = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%dsk : tensor<1x2x8x8xf32>) outs(%se : tensor<1x2x8x8xf32>) {
  ^bb0(%a: f32, %o: f32):
    %y = arith.mulf %a, %half : f32
    linalg.yield %y : f32
  } -> tensor<1x2x8x8xf32>
  // dQ = dS K, dK = dS^T Q.
  %dq = linalg.generic {indexing_maps = [#p, #v, #o], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%ds, %k : tensor<1x2x8x8xf32>, tensor<1x2x8x4xf32>) outs(%hz : tensor<1x2x8x4xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<1x2x8x4xf32>
  %dk = linalg.generic {indexing_maps = [#pt, #rt, #ot], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%ds, %q : tensor<1x2x8x8xf32>, tensor<1x2x8x4xf32>) outs(%hz : tensor<1x2x8x4xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<1x2x8x4xf32>
  return %out, %dq, %dk, %dv : tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32>
}

// -----

#q = affine_map<(b, h, i, j, d) -> (b, h, i, d)>
#k = affine_map<(b, h, i, j, d) -> (b, h, j, d)>
#s = affine_map<(b, h, i, j, d) -> (b, h, i, j)>
#p = affine_map<(b, h, i, d, j) -> (b, h, i, j)>
#v = affine_map<(b, h, i, d, j) -> (b, h, j, d)>
#o = affine_map<(b, h, i, d, j) -> (b, h, i, d)>
#pt = affine_map<(b, h, j, d, i) -> (b, h, i, j)>
#rt = affine_map<(b, h, j, d, i) -> (b, h, i, d)>
#ot = affine_map<(b, h, j, d, i) -> (b, h, j, d)>
#id = affine_map<(b, h, i, j) -> (b, h, i, j)>
#row = affine_map<(b, h, i, j) -> (b, h, i)>
// NEG: dV = P^T Q, not P^T dO.
// CHECK-LABEL: func.func @neg_dvalue_of_query(
// CHECK: linalg.softmax
// CHECK-NOT: ring.attention
func.func @neg_dvalue_of_query(%q: tensor<1x2x8x4xf32>, %k: tensor<1x2x8x4xf32>, %v: tensor<1x2x8x4xf32>, %do: tensor<1x2x8x4xf32>)
    -> (tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32>) {
  %zero = arith.constant 0.0 : f32
  %half = arith.constant 0.5 : f32
  %ninf = arith.constant 0xFF800000 : f32
  %se = tensor.empty() : tensor<1x2x8x8xf32>
  %sz = linalg.fill ins(%zero : f32) outs(%se : tensor<1x2x8x8xf32>) -> tensor<1x2x8x8xf32>
  %he = tensor.empty() : tensor<1x2x8x4xf32>
  %hz = linalg.fill ins(%zero : f32) outs(%he : tensor<1x2x8x4xf32>) -> tensor<1x2x8x4xf32>
  %re = tensor.empty() : tensor<1x2x8xf32>
  %rz = linalg.fill ins(%zero : f32) outs(%re : tensor<1x2x8xf32>) -> tensor<1x2x8xf32>
  // Forward.
  %sc = linalg.generic {indexing_maps = [#q, #k, #s], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%q, %k : tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32>) outs(%sz : tensor<1x2x8x8xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<1x2x8x8xf32>
  %scaled = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%sc : tensor<1x2x8x8xf32>) outs(%se : tensor<1x2x8x8xf32>) {
  ^bb0(%a: f32, %out: f32):
    %y = arith.mulf %a, %half : f32
    linalg.yield %y : f32
  } -> tensor<1x2x8x8xf32>
  %masked = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%scaled : tensor<1x2x8x8xf32>) outs(%se : tensor<1x2x8x8xf32>) {
  ^bb0(%a: f32, %out: f32):
    %i = linalg.index 2 : index
    %j = linalg.index 3 : index
    %future = arith.cmpi ugt, %j, %i : index
    %y = arith.select %future, %ninf, %a : f32
    linalg.yield %y : f32
  } -> tensor<1x2x8x8xf32>
  %pr = linalg.softmax dimension(3) ins(%masked : tensor<1x2x8x8xf32>) outs(%se : tensor<1x2x8x8xf32>) -> tensor<1x2x8x8xf32>
  %out = linalg.generic {indexing_maps = [#p, #v, #o], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%pr, %v : tensor<1x2x8x8xf32>, tensor<1x2x8x4xf32>) outs(%hz : tensor<1x2x8x4xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<1x2x8x4xf32>
  // Backward: dV = P^T dO, dP = dO V^T.
  %dv = linalg.generic {indexing_maps = [#pt, #rt, #ot], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%pr, %q : tensor<1x2x8x8xf32>, tensor<1x2x8x4xf32>) outs(%hz : tensor<1x2x8x4xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<1x2x8x4xf32>
  %dp = linalg.generic {indexing_maps = [#q, #k, #s], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%do, %v : tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32>) outs(%sz : tensor<1x2x8x8xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<1x2x8x8xf32>
  // The softmax's backward: G = dP * P, R = sum_j G, dS = G - P * R.
  %g = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%dp, %pr : tensor<1x2x8x8xf32>, tensor<1x2x8x8xf32>) outs(%se : tensor<1x2x8x8xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %m = arith.mulf %a, %b : f32
    linalg.yield %m : f32
  } -> tensor<1x2x8x8xf32>
  %rs = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%g : tensor<1x2x8x8xf32>) outs(%rz : tensor<1x2x8xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %r = arith.addf %a, %acc : f32
    linalg.yield %r : f32
  } -> tensor<1x2x8xf32>
  %t = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%pr, %rs : tensor<1x2x8x8xf32>, tensor<1x2x8xf32>) outs(%se : tensor<1x2x8x8xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %m = arith.mulf %a, %b : f32
    linalg.yield %m : f32
  } -> tensor<1x2x8x8xf32>
  %dsm = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%g, %t : tensor<1x2x8x8xf32>, tensor<1x2x8x8xf32>) outs(%se : tensor<1x2x8x8xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %d = arith.subf %a, %b : f32
    linalg.yield %d : f32
  } -> tensor<1x2x8x8xf32>
  // The mask's and the scale's backward.
  %dsk = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%dsm : tensor<1x2x8x8xf32>) outs(%se : tensor<1x2x8x8xf32>) {
  ^bb0(%a: f32, %o: f32):
    %i = linalg.index 2 : index
    %j = linalg.index 3 : index
    %future = arith.cmpi ugt, %j, %i : index
    %y = arith.select %future, %zero, %a : f32
    linalg.yield %y : f32
  } -> tensor<1x2x8x8xf32>
  %ds = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%dsk : tensor<1x2x8x8xf32>) outs(%se : tensor<1x2x8x8xf32>) {
  ^bb0(%a: f32, %o: f32):
    %y = arith.mulf %a, %half : f32
    linalg.yield %y : f32
  } -> tensor<1x2x8x8xf32>
  // dQ = dS K, dK = dS^T Q.
  %dq = linalg.generic {indexing_maps = [#p, #v, #o], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%ds, %k : tensor<1x2x8x8xf32>, tensor<1x2x8x4xf32>) outs(%hz : tensor<1x2x8x4xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<1x2x8x4xf32>
  %dk = linalg.generic {indexing_maps = [#pt, #rt, #ot], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%ds, %q : tensor<1x2x8x8xf32>, tensor<1x2x8x4xf32>) outs(%hz : tensor<1x2x8x4xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<1x2x8x4xf32>
  return %out, %dq, %dk, %dv : tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32>
}
