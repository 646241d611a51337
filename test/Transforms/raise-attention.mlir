// ring-raise-attention turns scaled dot-product attention written in linalg
// on tensors (a model from an upstream frontend) into one ring.attention,
// and leaves near misses alone: each NEG function below differs from
// attention in one way and keeps every op.
// RUN: ring-opt %s -ring-raise-attention -split-input-file | FileCheck %s

#q = affine_map<(b, h, i, j, d) -> (b, h, i, d)>
#k = affine_map<(b, h, i, j, d) -> (b, h, j, d)>
#s = affine_map<(b, h, i, j, d) -> (b, h, i, j)>
#p = affine_map<(b, h, i, d, j) -> (b, h, i, j)>
#v = affine_map<(b, h, i, d, j) -> (b, h, j, d)>
#o = affine_map<(b, h, i, d, j) -> (b, h, i, d)>
#id = affine_map<(b, h, i, j) -> (b, h, i, j)>
// The scale (S * 4) and the causal mask become the op's attributes.
// CHECK-LABEL: func.func @causal_scaled(
// CHECK-SAME: %[[Q:[^:]*]]: tensor<1x2x64x16xf32>, %[[K:[^:]*]]: tensor<1x2x64x16xf32>, %[[V:[^:]*]]: tensor<1x2x64x16xf32>)
// CHECK-NEXT: %[[O:.*]] = ring.attention %[[Q]], %[[K]], %[[V]] causal scale 4.000000e+00 : tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>
// CHECK-NEXT: return %[[O]]
func.func @causal_scaled(%q: tensor<1x2x64x16xf32>, %k: tensor<1x2x64x16xf32>, %v: tensor<1x2x64x16xf32>) -> (tensor<1x2x64x16xf32>) {
  %zero = arith.constant 0.0 : f32
  %c = arith.constant 4.0 : f32
  %ninf = arith.constant 0xFF800000 : f32
  %se = tensor.empty() : tensor<1x2x64x64xf32>
  %sz = linalg.fill ins(%zero : f32) outs(%se : tensor<1x2x64x64xf32>) -> tensor<1x2x64x64xf32>
  %s = linalg.generic {indexing_maps = [#q, #k, #s], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%q, %k : tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>) outs(%sz : tensor<1x2x64x64xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<1x2x64x64xf32>
  %e1 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%s : tensor<1x2x64x64xf32>) outs(%se : tensor<1x2x64x64xf32>) {
  ^bb0(%x: f32, %out: f32):
    %y = arith.mulf %x, %c : f32
    linalg.yield %y : f32
  } -> tensor<1x2x64x64xf32>
  %e2 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%e1 : tensor<1x2x64x64xf32>) outs(%se : tensor<1x2x64x64xf32>) {
  ^bb0(%x: f32, %out: f32):
    %i = linalg.index 2 : index
    %j = linalg.index 3 : index
    %future = arith.cmpi ugt, %j, %i : index
    %y = arith.select %future, %ninf, %x : f32
    linalg.yield %y : f32
  } -> tensor<1x2x64x64xf32>
  %pe = tensor.empty() : tensor<1x2x64x64xf32>
  %p = linalg.softmax dimension(3) ins(%e2 : tensor<1x2x64x64xf32>) outs(%pe : tensor<1x2x64x64xf32>) -> tensor<1x2x64x64xf32>
  %oe = tensor.empty() : tensor<1x2x64x16xf32>
  %oz = linalg.fill ins(%zero : f32) outs(%oe : tensor<1x2x64x16xf32>) -> tensor<1x2x64x16xf32>
  %o = linalg.generic {indexing_maps = [#p, #v, #o], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%p, %v : tensor<1x2x64x64xf32>, tensor<1x2x64x16xf32>) outs(%oz : tensor<1x2x64x16xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<1x2x64x16xf32>
  return %o : tensor<1x2x64x16xf32>
}

// -----

#q = affine_map<(b, h, i, j, d) -> (b, h, i, d)>
#k = affine_map<(b, h, i, j, d) -> (b, h, j, d)>
#s = affine_map<(b, h, i, j, d) -> (b, h, i, j)>
#p = affine_map<(b, h, i, d, j) -> (b, h, i, j)>
#v = affine_map<(b, h, i, d, j) -> (b, h, j, d)>
#o = affine_map<(b, h, i, d, j) -> (b, h, i, d)>
#id = affine_map<(b, h, i, j) -> (b, h, i, j)>
// bf16, the mask spelled i < j and applied before a division by 4.
// CHECK-LABEL: func.func @mask_then_divide(
// CHECK-NEXT: ring.attention %{{.*}}, %{{.*}}, %{{.*}} causal scale 2.500000e-01 : tensor<1x2x64x16xbf16>
// CHECK-NEXT: return
func.func @mask_then_divide(%q: tensor<1x2x64x16xbf16>, %k: tensor<1x2x64x16xbf16>, %v: tensor<1x2x64x16xbf16>) -> (tensor<1x2x64x16xbf16>) {
  %zero = arith.constant 0.0 : bf16
  %c = arith.constant 4.0 : bf16
  %ninf = arith.constant 0xFF80 : bf16
  %se = tensor.empty() : tensor<1x2x64x64xbf16>
  %sz = linalg.fill ins(%zero : bf16) outs(%se : tensor<1x2x64x64xbf16>) -> tensor<1x2x64x64xbf16>
  %s = linalg.generic {indexing_maps = [#q, #k, #s], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%q, %k : tensor<1x2x64x16xbf16>, tensor<1x2x64x16xbf16>) outs(%sz : tensor<1x2x64x64xbf16>) {
  ^bb0(%a: bf16, %b: bf16, %acc: bf16):
    %m = arith.mulf %a, %b : bf16
    %r = arith.addf %acc, %m : bf16
    linalg.yield %r : bf16
  } -> tensor<1x2x64x64xbf16>
  %e1 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%s : tensor<1x2x64x64xbf16>) outs(%se : tensor<1x2x64x64xbf16>) {
  ^bb0(%x: bf16, %out: bf16):
    %i = linalg.index 2 : index
    %j = linalg.index 3 : index
    %future = arith.cmpi slt, %i, %j : index
    %y = arith.select %future, %ninf, %x : bf16
    linalg.yield %y : bf16
  } -> tensor<1x2x64x64xbf16>
  %e2 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%e1 : tensor<1x2x64x64xbf16>) outs(%se : tensor<1x2x64x64xbf16>) {
  ^bb0(%x: bf16, %out: bf16):
    %y = arith.divf %x, %c : bf16
    linalg.yield %y : bf16
  } -> tensor<1x2x64x64xbf16>
  %pe = tensor.empty() : tensor<1x2x64x64xbf16>
  %p = linalg.softmax dimension(3) ins(%e2 : tensor<1x2x64x64xbf16>) outs(%pe : tensor<1x2x64x64xbf16>) -> tensor<1x2x64x64xbf16>
  %oe = tensor.empty() : tensor<1x2x64x16xbf16>
  %oz = linalg.fill ins(%zero : bf16) outs(%oe : tensor<1x2x64x16xbf16>) -> tensor<1x2x64x16xbf16>
  %o = linalg.generic {indexing_maps = [#p, #v, #o], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%p, %v : tensor<1x2x64x64xbf16>, tensor<1x2x64x16xbf16>) outs(%oz : tensor<1x2x64x16xbf16>) {
  ^bb0(%a: bf16, %b: bf16, %acc: bf16):
    %m = arith.mulf %a, %b : bf16
    %r = arith.addf %acc, %m : bf16
    linalg.yield %r : bf16
  } -> tensor<1x2x64x16xbf16>
  return %o : tensor<1x2x64x16xbf16>
}

// -----

#q = affine_map<(b, h, i, j, d) -> (b, h, i, d)>
#k = affine_map<(b, h, i, j, d) -> (b, h, j, d)>
#s = affine_map<(b, h, i, j, d) -> (b, h, i, j)>
#p = affine_map<(b, h, i, d, j) -> (b, h, i, j)>
#v = affine_map<(b, h, i, d, j) -> (b, h, j, d)>
#o = affine_map<(b, h, i, d, j) -> (b, h, i, d)>
#id = affine_map<(b, h, i, j) -> (b, h, i, j)>
// No scale and no mask: the op's scale is 1, not its default.
// CHECK-LABEL: func.func @unscaled(
// CHECK-NEXT: ring.attention %{{.*}}, %{{.*}}, %{{.*}} scale 1.000000e+00 :
// CHECK-NEXT: return
func.func @unscaled(%q: tensor<1x2x64x16xf32>, %k: tensor<1x2x64x16xf32>, %v: tensor<1x2x64x16xf32>) -> (tensor<1x2x64x16xf32>) {
  %zero = arith.constant 0.0 : f32
  %c = arith.constant 4.0 : f32
  %ninf = arith.constant 0xFF800000 : f32
  %se = tensor.empty() : tensor<1x2x64x64xf32>
  %sz = linalg.fill ins(%zero : f32) outs(%se : tensor<1x2x64x64xf32>) -> tensor<1x2x64x64xf32>
  %s = linalg.generic {indexing_maps = [#q, #k, #s], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%q, %k : tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>) outs(%sz : tensor<1x2x64x64xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<1x2x64x64xf32>
  %pe = tensor.empty() : tensor<1x2x64x64xf32>
  %p = linalg.softmax dimension(3) ins(%s : tensor<1x2x64x64xf32>) outs(%pe : tensor<1x2x64x64xf32>) -> tensor<1x2x64x64xf32>
  %oe = tensor.empty() : tensor<1x2x64x16xf32>
  %oz = linalg.fill ins(%zero : f32) outs(%oe : tensor<1x2x64x16xf32>) -> tensor<1x2x64x16xf32>
  %o = linalg.generic {indexing_maps = [#p, #v, #o], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%p, %v : tensor<1x2x64x64xf32>, tensor<1x2x64x16xf32>) outs(%oz : tensor<1x2x64x16xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<1x2x64x16xf32>
  return %o : tensor<1x2x64x16xf32>
}

// -----

#q = affine_map<(b, h, i, j, d) -> (b, h, i, d)>
#k = affine_map<(b, h, i, j, d) -> (b, h, j, d)>
#s = affine_map<(b, h, i, j, d) -> (b, h, i, j)>
#p = affine_map<(b, h, i, d, j) -> (b, h, i, j)>
#v = affine_map<(b, h, i, d, j) -> (b, h, j, d)>
#o = affine_map<(b, h, i, d, j) -> (b, h, i, d)>
#id = affine_map<(b, h, i, j) -> (b, h, i, j)>
// NEG: a softmax over the queries.
// CHECK-LABEL: func.func @neg_softmax_over_queries(
// CHECK-NOT: ring.attention
// CHECK: linalg.softmax dimension(2)
// CHECK-NOT: ring.attention
func.func @neg_softmax_over_queries(%q: tensor<1x2x64x16xf32>, %k: tensor<1x2x64x16xf32>, %v: tensor<1x2x64x16xf32>) -> (tensor<1x2x64x16xf32>) {
  %zero = arith.constant 0.0 : f32
  %c = arith.constant 4.0 : f32
  %ninf = arith.constant 0xFF800000 : f32
  %se = tensor.empty() : tensor<1x2x64x64xf32>
  %sz = linalg.fill ins(%zero : f32) outs(%se : tensor<1x2x64x64xf32>) -> tensor<1x2x64x64xf32>
  %s = linalg.generic {indexing_maps = [#q, #k, #s], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%q, %k : tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>) outs(%sz : tensor<1x2x64x64xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<1x2x64x64xf32>
  %e1 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%s : tensor<1x2x64x64xf32>) outs(%se : tensor<1x2x64x64xf32>) {
  ^bb0(%x: f32, %out: f32):
    %y = arith.mulf %x, %c : f32
    linalg.yield %y : f32
  } -> tensor<1x2x64x64xf32>
  %e2 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%e1 : tensor<1x2x64x64xf32>) outs(%se : tensor<1x2x64x64xf32>) {
  ^bb0(%x: f32, %out: f32):
    %i = linalg.index 2 : index
    %j = linalg.index 3 : index
    %future = arith.cmpi ugt, %j, %i : index
    %y = arith.select %future, %ninf, %x : f32
    linalg.yield %y : f32
  } -> tensor<1x2x64x64xf32>
  %pe = tensor.empty() : tensor<1x2x64x64xf32>
  %p = linalg.softmax dimension(2) ins(%e2 : tensor<1x2x64x64xf32>) outs(%pe : tensor<1x2x64x64xf32>) -> tensor<1x2x64x64xf32>
  %oe = tensor.empty() : tensor<1x2x64x16xf32>
  %oz = linalg.fill ins(%zero : f32) outs(%oe : tensor<1x2x64x16xf32>) -> tensor<1x2x64x16xf32>
  %o = linalg.generic {indexing_maps = [#p, #v, #o], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%p, %v : tensor<1x2x64x64xf32>, tensor<1x2x64x16xf32>) outs(%oz : tensor<1x2x64x16xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<1x2x64x16xf32>
  return %o : tensor<1x2x64x16xf32>
}

// -----

#q = affine_map<(b, h, i, j, d) -> (b, h, i, d)>
#k = affine_map<(b, h, i, j, d) -> (b, h, j, d)>
#s = affine_map<(b, h, i, j, d) -> (b, h, i, j)>
#p = affine_map<(b, h, i, d, j) -> (b, h, i, j)>
#v = affine_map<(b, h, i, d, j) -> (b, h, j, d)>
#o = affine_map<(b, h, i, d, j) -> (b, h, i, d)>
#id = affine_map<(b, h, i, j) -> (b, h, i, j)>
// NEG: a mask that hides the past, not the future.
// CHECK-LABEL: func.func @neg_anti_causal(
// CHECK-NOT: ring.attention
// CHECK: arith.cmpi ult
// CHECK: linalg.softmax
// CHECK-NOT: ring.attention
func.func @neg_anti_causal(%q: tensor<1x2x64x16xf32>, %k: tensor<1x2x64x16xf32>, %v: tensor<1x2x64x16xf32>) -> (tensor<1x2x64x16xf32>) {
  %zero = arith.constant 0.0 : f32
  %c = arith.constant 4.0 : f32
  %ninf = arith.constant 0xFF800000 : f32
  %se = tensor.empty() : tensor<1x2x64x64xf32>
  %sz = linalg.fill ins(%zero : f32) outs(%se : tensor<1x2x64x64xf32>) -> tensor<1x2x64x64xf32>
  %s = linalg.generic {indexing_maps = [#q, #k, #s], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%q, %k : tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>) outs(%sz : tensor<1x2x64x64xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<1x2x64x64xf32>
  %e1 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%s : tensor<1x2x64x64xf32>) outs(%se : tensor<1x2x64x64xf32>) {
  ^bb0(%x: f32, %out: f32):
    %y = arith.mulf %x, %c : f32
    linalg.yield %y : f32
  } -> tensor<1x2x64x64xf32>
  %e2 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%e1 : tensor<1x2x64x64xf32>) outs(%se : tensor<1x2x64x64xf32>) {
  ^bb0(%x: f32, %out: f32):
    %i = linalg.index 2 : index
    %j = linalg.index 3 : index
    %future = arith.cmpi ult, %j, %i : index
    %y = arith.select %future, %ninf, %x : f32
    linalg.yield %y : f32
  } -> tensor<1x2x64x64xf32>
  %pe = tensor.empty() : tensor<1x2x64x64xf32>
  %p = linalg.softmax dimension(3) ins(%e2 : tensor<1x2x64x64xf32>) outs(%pe : tensor<1x2x64x64xf32>) -> tensor<1x2x64x64xf32>
  %oe = tensor.empty() : tensor<1x2x64x16xf32>
  %oz = linalg.fill ins(%zero : f32) outs(%oe : tensor<1x2x64x16xf32>) -> tensor<1x2x64x16xf32>
  %o = linalg.generic {indexing_maps = [#p, #v, #o], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%p, %v : tensor<1x2x64x64xf32>, tensor<1x2x64x16xf32>) outs(%oz : tensor<1x2x64x16xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<1x2x64x16xf32>
  return %o : tensor<1x2x64x16xf32>
}

// -----

#q = affine_map<(b, h, i, j, d) -> (b, h, i, d)>
#k = affine_map<(b, h, i, j, d) -> (b, h, j, d)>
#s = affine_map<(b, h, i, j, d) -> (b, h, i, j)>
#p = affine_map<(b, h, i, d, j) -> (b, h, i, j)>
#v = affine_map<(b, h, i, d, j) -> (b, h, j, d)>
#o = affine_map<(b, h, i, d, j) -> (b, h, i, d)>
#id = affine_map<(b, h, i, j) -> (b, h, i, j)>
// NEG: the scores are also returned, so they must stay.
// CHECK-LABEL: func.func @neg_scores_used_elsewhere(
// CHECK-NOT: ring.attention
// CHECK: linalg.softmax
// CHECK-NOT: ring.attention
func.func @neg_scores_used_elsewhere(%q: tensor<1x2x64x16xf32>, %k: tensor<1x2x64x16xf32>, %v: tensor<1x2x64x16xf32>) -> (tensor<1x2x64x16xf32>, tensor<1x2x64x64xf32>) {
  %zero = arith.constant 0.0 : f32
  %c = arith.constant 4.0 : f32
  %ninf = arith.constant 0xFF800000 : f32
  %se = tensor.empty() : tensor<1x2x64x64xf32>
  %sz = linalg.fill ins(%zero : f32) outs(%se : tensor<1x2x64x64xf32>) -> tensor<1x2x64x64xf32>
  %s = linalg.generic {indexing_maps = [#q, #k, #s], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%q, %k : tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>) outs(%sz : tensor<1x2x64x64xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<1x2x64x64xf32>
  %e1 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%s : tensor<1x2x64x64xf32>) outs(%se : tensor<1x2x64x64xf32>) {
  ^bb0(%x: f32, %out: f32):
    %y = arith.mulf %x, %c : f32
    linalg.yield %y : f32
  } -> tensor<1x2x64x64xf32>
  %e2 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%e1 : tensor<1x2x64x64xf32>) outs(%se : tensor<1x2x64x64xf32>) {
  ^bb0(%x: f32, %out: f32):
    %i = linalg.index 2 : index
    %j = linalg.index 3 : index
    %future = arith.cmpi ugt, %j, %i : index
    %y = arith.select %future, %ninf, %x : f32
    linalg.yield %y : f32
  } -> tensor<1x2x64x64xf32>
  %pe = tensor.empty() : tensor<1x2x64x64xf32>
  %p = linalg.softmax dimension(3) ins(%e2 : tensor<1x2x64x64xf32>) outs(%pe : tensor<1x2x64x64xf32>) -> tensor<1x2x64x64xf32>
  %oe = tensor.empty() : tensor<1x2x64x16xf32>
  %oz = linalg.fill ins(%zero : f32) outs(%oe : tensor<1x2x64x16xf32>) -> tensor<1x2x64x16xf32>
  %o = linalg.generic {indexing_maps = [#p, #v, #o], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%p, %v : tensor<1x2x64x64xf32>, tensor<1x2x64x16xf32>) outs(%oz : tensor<1x2x64x16xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<1x2x64x16xf32>
  return %o, %s : tensor<1x2x64x16xf32>, tensor<1x2x64x64xf32>
}

// -----

#q = affine_map<(b, h, i, j, d) -> (b, h, i, d)>
#k = affine_map<(b, h, i, j, d) -> (b, h, j, d)>
#s = affine_map<(b, h, i, j, d) -> (b, h, i, j)>
#p = affine_map<(b, h, i, d, j) -> (b, h, i, j)>
#v = affine_map<(b, h, i, d, j) -> (b, h, j, d)>
#o = affine_map<(b, h, i, d, j) -> (b, h, i, d)>
#id = affine_map<(b, h, i, j) -> (b, h, i, j)>
// NEG: P V accumulates into 4, not into zeros.
// CHECK-LABEL: func.func @neg_accumulates(
// CHECK-NOT: ring.attention
// CHECK: linalg.softmax
// CHECK-NOT: ring.attention
func.func @neg_accumulates(%q: tensor<1x2x64x16xf32>, %k: tensor<1x2x64x16xf32>, %v: tensor<1x2x64x16xf32>) -> (tensor<1x2x64x16xf32>) {
  %zero = arith.constant 0.0 : f32
  %c = arith.constant 4.0 : f32
  %ninf = arith.constant 0xFF800000 : f32
  %se = tensor.empty() : tensor<1x2x64x64xf32>
  %sz = linalg.fill ins(%zero : f32) outs(%se : tensor<1x2x64x64xf32>) -> tensor<1x2x64x64xf32>
  %s = linalg.generic {indexing_maps = [#q, #k, #s], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%q, %k : tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>) outs(%sz : tensor<1x2x64x64xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<1x2x64x64xf32>
  %e1 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%s : tensor<1x2x64x64xf32>) outs(%se : tensor<1x2x64x64xf32>) {
  ^bb0(%x: f32, %out: f32):
    %y = arith.mulf %x, %c : f32
    linalg.yield %y : f32
  } -> tensor<1x2x64x64xf32>
  %e2 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%e1 : tensor<1x2x64x64xf32>) outs(%se : tensor<1x2x64x64xf32>) {
  ^bb0(%x: f32, %out: f32):
    %i = linalg.index 2 : index
    %j = linalg.index 3 : index
    %future = arith.cmpi ugt, %j, %i : index
    %y = arith.select %future, %ninf, %x : f32
    linalg.yield %y : f32
  } -> tensor<1x2x64x64xf32>
  %pe = tensor.empty() : tensor<1x2x64x64xf32>
  %p = linalg.softmax dimension(3) ins(%e2 : tensor<1x2x64x64xf32>) outs(%pe : tensor<1x2x64x64xf32>) -> tensor<1x2x64x64xf32>
  %oe = tensor.empty() : tensor<1x2x64x16xf32>
  %oz = linalg.fill ins(%c : f32) outs(%oe : tensor<1x2x64x16xf32>) -> tensor<1x2x64x16xf32>
  %o = linalg.generic {indexing_maps = [#p, #v, #o], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%p, %v : tensor<1x2x64x64xf32>, tensor<1x2x64x16xf32>) outs(%oz : tensor<1x2x64x16xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<1x2x64x16xf32>
  return %o : tensor<1x2x64x16xf32>
}

// -----

#q = affine_map<(b, h, i, j, d) -> (b, h, i, d)>
#k = affine_map<(b, h, i, j, d) -> (b, h, j, d)>
#s = affine_map<(b, h, i, j, d) -> (b, h, i, j)>
#p = affine_map<(b, h, i, d, j) -> (b, h, i, j)>
#v = affine_map<(b, h, i, d, j) -> (b, h, j, d)>
#o = affine_map<(b, h, i, d, j) -> (b, h, i, d)>
#id = affine_map<(b, h, i, j) -> (b, h, i, j)>
// NEG: K is read at the query's position, not the key's.
// CHECK-LABEL: func.func @neg_keys_at_query_position(
// CHECK-NOT: ring.attention
// CHECK: linalg.softmax
// CHECK-NOT: ring.attention
func.func @neg_keys_at_query_position(%q: tensor<1x2x64x16xf32>, %k: tensor<1x2x64x16xf32>, %v: tensor<1x2x64x16xf32>) -> (tensor<1x2x64x16xf32>) {
  %zero = arith.constant 0.0 : f32
  %c = arith.constant 4.0 : f32
  %ninf = arith.constant 0xFF800000 : f32
  %se = tensor.empty() : tensor<1x2x64x64xf32>
  %sz = linalg.fill ins(%zero : f32) outs(%se : tensor<1x2x64x64xf32>) -> tensor<1x2x64x64xf32>
  %s = linalg.generic {indexing_maps = [#q, #q, #s], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%q, %k : tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>) outs(%sz : tensor<1x2x64x64xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<1x2x64x64xf32>
  %e1 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%s : tensor<1x2x64x64xf32>) outs(%se : tensor<1x2x64x64xf32>) {
  ^bb0(%x: f32, %out: f32):
    %y = arith.mulf %x, %c : f32
    linalg.yield %y : f32
  } -> tensor<1x2x64x64xf32>
  %e2 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%e1 : tensor<1x2x64x64xf32>) outs(%se : tensor<1x2x64x64xf32>) {
  ^bb0(%x: f32, %out: f32):
    %i = linalg.index 2 : index
    %j = linalg.index 3 : index
    %future = arith.cmpi ugt, %j, %i : index
    %y = arith.select %future, %ninf, %x : f32
    linalg.yield %y : f32
  } -> tensor<1x2x64x64xf32>
  %pe = tensor.empty() : tensor<1x2x64x64xf32>
  %p = linalg.softmax dimension(3) ins(%e2 : tensor<1x2x64x64xf32>) outs(%pe : tensor<1x2x64x64xf32>) -> tensor<1x2x64x64xf32>
  %oe = tensor.empty() : tensor<1x2x64x16xf32>
  %oz = linalg.fill ins(%zero : f32) outs(%oe : tensor<1x2x64x16xf32>) -> tensor<1x2x64x16xf32>
  %o = linalg.generic {indexing_maps = [#p, #v, #o], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%p, %v : tensor<1x2x64x64xf32>, tensor<1x2x64x16xf32>) outs(%oz : tensor<1x2x64x16xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<1x2x64x16xf32>
  return %o : tensor<1x2x64x16xf32>
}
