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

// -----

#q = affine_map<(b, h, i, j, d) -> (b, h, i, d)>
#k = affine_map<(b, h, i, j, d) -> (b, h, j, d)>
#s = affine_map<(b, h, i, j, d) -> (b, h, i, j)>
#p = affine_map<(b, h, i, d, j) -> (b, h, i, j)>
#v = affine_map<(b, h, i, d, j) -> (b, h, j, d)>
#o = affine_map<(b, h, i, d, j) -> (b, h, i, d)>
#id = affine_map<(b, h, i, j) -> (b, h, i, j)>
#row = affine_map<(b, h, i, j) -> (b, h, i)>
#kv = affine_map<(b, h, g, j, d) -> (b, h, j, d)>
#kvg = affine_map<(b, h, g, j, d) -> (b, h, g, j, d)>
// The softmax expanded as upstream decomposes linalg.softmax: a maximum from
// NaN (arith.maxnumf ignores it), exp(S - max), a sum from zero, a division.
// CHECK-LABEL: func.func @expanded_softmax(
// CHECK-NEXT: ring.attention %{{.*}}, %{{.*}}, %{{.*}} causal scale 2.500000e-01 : tensor<1x2x64x16xf32>
// CHECK-NEXT: return
func.func @expanded_softmax(%q: tensor<1x2x64x16xf32>, %k: tensor<1x2x64x16xf32>, %v: tensor<1x2x64x16xf32>) -> (tensor<1x2x64x16xf32>) {
  %zero = arith.constant 0.0 : f32
  %se = tensor.empty() : tensor<1x2x64x64xf32>
  %sz = linalg.fill ins(%zero : f32) outs(%se : tensor<1x2x64x64xf32>) -> tensor<1x2x64x64xf32>
  %s = linalg.generic {indexing_maps = [#q, #k, #s], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%q, %k : tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>) outs(%sz : tensor<1x2x64x64xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<1x2x64x64xf32>
  %c = arith.constant 0.25 : f32
  %scaled = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%s : tensor<1x2x64x64xf32>) outs(%se : tensor<1x2x64x64xf32>) {
  ^bb0(%x: f32, %out: f32):
    %y = arith.mulf %x, %c : f32
    linalg.yield %y : f32
  } -> tensor<1x2x64x64xf32>
  %ninf = arith.constant 0xFF800000 : f32
  %masked = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%scaled : tensor<1x2x64x64xf32>) outs(%se : tensor<1x2x64x64xf32>) {
  ^bb0(%x: f32, %out: f32):
    %i = linalg.index 2 : index
    %j = linalg.index 3 : index
    %future = arith.cmpi ugt, %j, %i : index
    %y = arith.select %future, %ninf, %x : f32
    linalg.yield %y : f32
  } -> tensor<1x2x64x64xf32>
  %re = tensor.empty() : tensor<1x2x64xf32>
  %start = arith.constant 0xFFC00000 : f32
  %mz = linalg.fill ins(%start : f32) outs(%re : tensor<1x2x64xf32>) -> tensor<1x2x64xf32>
  %max = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%masked : tensor<1x2x64x64xf32>) outs(%mz : tensor<1x2x64xf32>) {
  ^bb0(%x: f32, %out: f32):
    %y = arith.maxnumf %x, %out : f32
    linalg.yield %y : f32
  } -> tensor<1x2x64xf32>
  %exp = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%masked, %max : tensor<1x2x64x64xf32>, tensor<1x2x64xf32>) outs(%se : tensor<1x2x64x64xf32>) {
  ^bb0(%x: f32, %mx: f32, %out: f32):
    %d = arith.subf %x, %mx : f32
    %y = math.exp %d : f32
    linalg.yield %y : f32
  } -> tensor<1x2x64x64xf32>
  %sum0 = arith.constant 0.0 : f32
  %sz0 = linalg.fill ins(%sum0 : f32) outs(%re : tensor<1x2x64xf32>) -> tensor<1x2x64xf32>
  %sum = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%exp : tensor<1x2x64x64xf32>) outs(%sz0 : tensor<1x2x64xf32>) {
  ^bb0(%x: f32, %out: f32):
    %y = arith.addf %x, %out : f32
    linalg.yield %y : f32
  } -> tensor<1x2x64xf32>
  %p = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%exp, %sum : tensor<1x2x64x64xf32>, tensor<1x2x64xf32>) outs(%se : tensor<1x2x64x64xf32>) {
  ^bb0(%x: f32, %t: f32, %out: f32):
    %y = arith.divf %x, %t : f32
    linalg.yield %y : f32
  } -> tensor<1x2x64x64xf32>
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
#row = affine_map<(b, h, i, j) -> (b, h, i)>
#kv = affine_map<(b, h, g, j, d) -> (b, h, j, d)>
#kvg = affine_map<(b, h, g, j, d) -> (b, h, g, j, d)>
// Grouped-query attention: K and V repeated from 2 heads to the query's 4
// (repeat_interleave: a broadcast adding dimension 2, then collapsed), K by
// linalg.broadcast, V by a generic; the raised op takes them unrepeated.
// CHECK-LABEL: func.func @grouped_heads(
// CHECK-SAME: %[[Q:[^:]*]]: tensor<1x4x64x16xf32>, %[[K:[^:]*]]: tensor<1x2x64x16xf32>, %[[V:[^:]*]]: tensor<1x2x64x16xf32>)
// CHECK-NEXT: %[[O:.*]] = ring.attention %[[Q]], %[[K]], %[[V]] scale 1.000000e+00 : tensor<1x4x64x16xf32>, tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>
// CHECK-NEXT: return %[[O]]
func.func @grouped_heads(%q: tensor<1x4x64x16xf32>, %k: tensor<1x2x64x16xf32>, %v: tensor<1x2x64x16xf32>) -> (tensor<1x4x64x16xf32>) {
  %zero = arith.constant 0.0 : f32
  %ke = tensor.empty() : tensor<1x2x2x64x16xf32>
  %kb = linalg.broadcast ins(%k : tensor<1x2x64x16xf32>) outs(%ke : tensor<1x2x2x64x16xf32>) dimensions = [2]
  %kr = tensor.collapse_shape %kb [[0], [1, 2], [3], [4]] : tensor<1x2x2x64x16xf32> into tensor<1x4x64x16xf32>
  %ve = tensor.empty() : tensor<1x2x2x64x16xf32>
  %vb = linalg.generic {indexing_maps = [#kv, #kvg], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel"]} ins(%v : tensor<1x2x64x16xf32>) outs(%ve : tensor<1x2x2x64x16xf32>) {
  ^bb0(%x: f32, %out: f32):
    linalg.yield %x : f32
  } -> tensor<1x2x2x64x16xf32>
  %vr = tensor.collapse_shape %vb [[0], [1, 2], [3], [4]] : tensor<1x2x2x64x16xf32> into tensor<1x4x64x16xf32>
  %se = tensor.empty() : tensor<1x4x64x64xf32>
  %sz = linalg.fill ins(%zero : f32) outs(%se : tensor<1x4x64x64xf32>) -> tensor<1x4x64x64xf32>
  %s = linalg.generic {indexing_maps = [#q, #k, #s], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%q, %kr : tensor<1x4x64x16xf32>, tensor<1x4x64x16xf32>) outs(%sz : tensor<1x4x64x64xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<1x4x64x64xf32>
  %pe = tensor.empty() : tensor<1x4x64x64xf32>
  %p = linalg.softmax dimension(3) ins(%s : tensor<1x4x64x64xf32>) outs(%pe : tensor<1x4x64x64xf32>) -> tensor<1x4x64x64xf32>
  %oe = tensor.empty() : tensor<1x4x64x16xf32>
  %oz = linalg.fill ins(%zero : f32) outs(%oe : tensor<1x4x64x16xf32>) -> tensor<1x4x64x16xf32>
  %o = linalg.generic {indexing_maps = [#p, #v, #o], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%p, %vr : tensor<1x4x64x64xf32>, tensor<1x4x64x16xf32>) outs(%oz : tensor<1x4x64x16xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<1x4x64x16xf32>
  return %o : tensor<1x4x64x16xf32>
}

// -----

#q = affine_map<(b, h, i, j, d) -> (b, h, i, d)>
#k = affine_map<(b, h, i, j, d) -> (b, h, j, d)>
#s = affine_map<(b, h, i, j, d) -> (b, h, i, j)>
#p = affine_map<(b, h, i, d, j) -> (b, h, i, j)>
#v = affine_map<(b, h, i, d, j) -> (b, h, j, d)>
#o = affine_map<(b, h, i, d, j) -> (b, h, i, d)>
#id = affine_map<(b, h, i, j) -> (b, h, i, j)>
#row = affine_map<(b, h, i, j) -> (b, h, i)>
#kv = affine_map<(b, h, g, j, d) -> (b, h, j, d)>
#kvg = affine_map<(b, h, g, j, d) -> (b, h, g, j, d)>
// Both: grouped heads and the expanded softmax, its maximum arith.maximumf
// from -inf.
// CHECK-LABEL: func.func @grouped_heads_expanded(
// CHECK-NEXT: ring.attention %{{.*}}, %{{.*}}, %{{.*}} causal scale 1.000000e+00 : tensor<1x4x64x16xf32>, tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>
// CHECK-NEXT: return
func.func @grouped_heads_expanded(%q: tensor<1x4x64x16xf32>, %k: tensor<1x2x64x16xf32>, %v: tensor<1x2x64x16xf32>) -> (tensor<1x4x64x16xf32>) {
  %zero = arith.constant 0.0 : f32
  %ke = tensor.empty() : tensor<1x2x2x64x16xf32>
  %kb = linalg.broadcast ins(%k : tensor<1x2x64x16xf32>) outs(%ke : tensor<1x2x2x64x16xf32>) dimensions = [2]
  %kr = tensor.collapse_shape %kb [[0], [1, 2], [3], [4]] : tensor<1x2x2x64x16xf32> into tensor<1x4x64x16xf32>
  %ve = tensor.empty() : tensor<1x2x2x64x16xf32>
  %vb = linalg.generic {indexing_maps = [#kv, #kvg], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel"]} ins(%v : tensor<1x2x64x16xf32>) outs(%ve : tensor<1x2x2x64x16xf32>) {
  ^bb0(%x: f32, %out: f32):
    linalg.yield %x : f32
  } -> tensor<1x2x2x64x16xf32>
  %vr = tensor.collapse_shape %vb [[0], [1, 2], [3], [4]] : tensor<1x2x2x64x16xf32> into tensor<1x4x64x16xf32>
  %se = tensor.empty() : tensor<1x4x64x64xf32>
  %sz = linalg.fill ins(%zero : f32) outs(%se : tensor<1x4x64x64xf32>) -> tensor<1x4x64x64xf32>
  %s = linalg.generic {indexing_maps = [#q, #k, #s], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%q, %kr : tensor<1x4x64x16xf32>, tensor<1x4x64x16xf32>) outs(%sz : tensor<1x4x64x64xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<1x4x64x64xf32>
  %ninf = arith.constant 0xFF800000 : f32
  %masked = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%s : tensor<1x4x64x64xf32>) outs(%se : tensor<1x4x64x64xf32>) {
  ^bb0(%x: f32, %out: f32):
    %i = linalg.index 2 : index
    %j = linalg.index 3 : index
    %future = arith.cmpi ugt, %j, %i : index
    %y = arith.select %future, %ninf, %x : f32
    linalg.yield %y : f32
  } -> tensor<1x4x64x64xf32>
  %re = tensor.empty() : tensor<1x4x64xf32>
  %start = arith.constant 0xFF800000 : f32
  %mz = linalg.fill ins(%start : f32) outs(%re : tensor<1x4x64xf32>) -> tensor<1x4x64xf32>
  %max = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%masked : tensor<1x4x64x64xf32>) outs(%mz : tensor<1x4x64xf32>) {
  ^bb0(%x: f32, %out: f32):
    %y = arith.maximumf %x, %out : f32
    linalg.yield %y : f32
  } -> tensor<1x4x64xf32>
  %exp = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%masked, %max : tensor<1x4x64x64xf32>, tensor<1x4x64xf32>) outs(%se : tensor<1x4x64x64xf32>) {
  ^bb0(%x: f32, %mx: f32, %out: f32):
    %d = arith.subf %x, %mx : f32
    %y = math.exp %d : f32
    linalg.yield %y : f32
  } -> tensor<1x4x64x64xf32>
  %sum0 = arith.constant 0.0 : f32
  %sz0 = linalg.fill ins(%sum0 : f32) outs(%re : tensor<1x4x64xf32>) -> tensor<1x4x64xf32>
  %sum = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%exp : tensor<1x4x64x64xf32>) outs(%sz0 : tensor<1x4x64xf32>) {
  ^bb0(%x: f32, %out: f32):
    %y = arith.addf %x, %out : f32
    linalg.yield %y : f32
  } -> tensor<1x4x64xf32>
  %p = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%exp, %sum : tensor<1x4x64x64xf32>, tensor<1x4x64xf32>) outs(%se : tensor<1x4x64x64xf32>) {
  ^bb0(%x: f32, %t: f32, %out: f32):
    %y = arith.divf %x, %t : f32
    linalg.yield %y : f32
  } -> tensor<1x4x64x64xf32>
  %oe = tensor.empty() : tensor<1x4x64x16xf32>
  %oz = linalg.fill ins(%zero : f32) outs(%oe : tensor<1x4x64x16xf32>) -> tensor<1x4x64x16xf32>
  %o = linalg.generic {indexing_maps = [#p, #v, #o], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%p, %vr : tensor<1x4x64x64xf32>, tensor<1x4x64x16xf32>) outs(%oz : tensor<1x4x64x16xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<1x4x64x16xf32>
  return %o : tensor<1x4x64x16xf32>
}

// -----

#q = affine_map<(b, h, i, j, d) -> (b, h, i, d)>
#k = affine_map<(b, h, i, j, d) -> (b, h, j, d)>
#s = affine_map<(b, h, i, j, d) -> (b, h, i, j)>
#p = affine_map<(b, h, i, d, j) -> (b, h, i, j)>
#v = affine_map<(b, h, i, d, j) -> (b, h, j, d)>
#o = affine_map<(b, h, i, d, j) -> (b, h, i, d)>
#id = affine_map<(b, h, i, j) -> (b, h, i, j)>
#row = affine_map<(b, h, i, j) -> (b, h, i)>
#kv = affine_map<(b, h, g, j, d) -> (b, h, j, d)>
#kvg = affine_map<(b, h, g, j, d) -> (b, h, g, j, d)>
// NEG: the expansion's sum starts at 1, not 0.
// CHECK-LABEL: func.func @neg_sum_starts_at_one(
// CHECK-NOT: ring.attention
// CHECK: math.exp
// CHECK: arith.divf
// CHECK-NOT: ring.attention
func.func @neg_sum_starts_at_one(%q: tensor<1x2x64x16xf32>, %k: tensor<1x2x64x16xf32>, %v: tensor<1x2x64x16xf32>) -> (tensor<1x2x64x16xf32>) {
  %zero = arith.constant 0.0 : f32
  %se = tensor.empty() : tensor<1x2x64x64xf32>
  %sz = linalg.fill ins(%zero : f32) outs(%se : tensor<1x2x64x64xf32>) -> tensor<1x2x64x64xf32>
  %s = linalg.generic {indexing_maps = [#q, #k, #s], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%q, %k : tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>) outs(%sz : tensor<1x2x64x64xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<1x2x64x64xf32>
  %re = tensor.empty() : tensor<1x2x64xf32>
  %start = arith.constant 0xFFC00000 : f32
  %mz = linalg.fill ins(%start : f32) outs(%re : tensor<1x2x64xf32>) -> tensor<1x2x64xf32>
  %max = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%s : tensor<1x2x64x64xf32>) outs(%mz : tensor<1x2x64xf32>) {
  ^bb0(%x: f32, %out: f32):
    %y = arith.maxnumf %x, %out : f32
    linalg.yield %y : f32
  } -> tensor<1x2x64xf32>
  %exp = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%s, %max : tensor<1x2x64x64xf32>, tensor<1x2x64xf32>) outs(%se : tensor<1x2x64x64xf32>) {
  ^bb0(%x: f32, %mx: f32, %out: f32):
    %d = arith.subf %x, %mx : f32
    %y = math.exp %d : f32
    linalg.yield %y : f32
  } -> tensor<1x2x64x64xf32>
  %sum0 = arith.constant 1.0 : f32
  %sz0 = linalg.fill ins(%sum0 : f32) outs(%re : tensor<1x2x64xf32>) -> tensor<1x2x64xf32>
  %sum = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%exp : tensor<1x2x64x64xf32>) outs(%sz0 : tensor<1x2x64xf32>) {
  ^bb0(%x: f32, %out: f32):
    %y = arith.addf %x, %out : f32
    linalg.yield %y : f32
  } -> tensor<1x2x64xf32>
  %p = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%exp, %sum : tensor<1x2x64x64xf32>, tensor<1x2x64xf32>) outs(%se : tensor<1x2x64x64xf32>) {
  ^bb0(%x: f32, %t: f32, %out: f32):
    %y = arith.divf %x, %t : f32
    linalg.yield %y : f32
  } -> tensor<1x2x64x64xf32>
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
#row = affine_map<(b, h, i, j) -> (b, h, i)>
#kv = affine_map<(b, h, g, j, d) -> (b, h, j, d)>
#kvg = affine_map<(b, h, g, j, d) -> (b, h, g, j, d)>
// NEG: the maximum starts at 0, so it is not the row's own maximum.
// CHECK-LABEL: func.func @neg_maximum_starts_at_zero(
// CHECK-NOT: ring.attention
// CHECK: arith.maximumf
// CHECK-NOT: ring.attention
func.func @neg_maximum_starts_at_zero(%q: tensor<1x2x64x16xf32>, %k: tensor<1x2x64x16xf32>, %v: tensor<1x2x64x16xf32>) -> (tensor<1x2x64x16xf32>) {
  %zero = arith.constant 0.0 : f32
  %se = tensor.empty() : tensor<1x2x64x64xf32>
  %sz = linalg.fill ins(%zero : f32) outs(%se : tensor<1x2x64x64xf32>) -> tensor<1x2x64x64xf32>
  %s = linalg.generic {indexing_maps = [#q, #k, #s], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%q, %k : tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>) outs(%sz : tensor<1x2x64x64xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<1x2x64x64xf32>
  %re = tensor.empty() : tensor<1x2x64xf32>
  %start = arith.constant 0.0 : f32
  %mz = linalg.fill ins(%start : f32) outs(%re : tensor<1x2x64xf32>) -> tensor<1x2x64xf32>
  %max = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%s : tensor<1x2x64x64xf32>) outs(%mz : tensor<1x2x64xf32>) {
  ^bb0(%x: f32, %out: f32):
    %y = arith.maximumf %x, %out : f32
    linalg.yield %y : f32
  } -> tensor<1x2x64xf32>
  %exp = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%s, %max : tensor<1x2x64x64xf32>, tensor<1x2x64xf32>) outs(%se : tensor<1x2x64x64xf32>) {
  ^bb0(%x: f32, %mx: f32, %out: f32):
    %d = arith.subf %x, %mx : f32
    %y = math.exp %d : f32
    linalg.yield %y : f32
  } -> tensor<1x2x64x64xf32>
  %sum0 = arith.constant 0.0 : f32
  %sz0 = linalg.fill ins(%sum0 : f32) outs(%re : tensor<1x2x64xf32>) -> tensor<1x2x64xf32>
  %sum = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%exp : tensor<1x2x64x64xf32>) outs(%sz0 : tensor<1x2x64xf32>) {
  ^bb0(%x: f32, %out: f32):
    %y = arith.addf %x, %out : f32
    linalg.yield %y : f32
  } -> tensor<1x2x64xf32>
  %p = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%exp, %sum : tensor<1x2x64x64xf32>, tensor<1x2x64xf32>) outs(%se : tensor<1x2x64x64xf32>) {
  ^bb0(%x: f32, %t: f32, %out: f32):
    %y = arith.divf %x, %t : f32
    linalg.yield %y : f32
  } -> tensor<1x2x64x64xf32>
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
#row = affine_map<(b, h, i, j) -> (b, h, i)>
#kv = affine_map<(b, h, g, j, d) -> (b, h, j, d)>
#kvg = affine_map<(b, h, g, j, d) -> (b, h, g, j, d)>
// NEG: arith.maximumf propagates the NaN it starts from: the program's
// probabilities are NaN, and raising would make them numbers.
// CHECK-LABEL: func.func @neg_maximumf_starts_at_nan(
// CHECK-NOT: ring.attention
// CHECK: arith.maximumf
// CHECK-NOT: ring.attention
func.func @neg_maximumf_starts_at_nan(%q: tensor<1x2x64x16xf32>, %k: tensor<1x2x64x16xf32>, %v: tensor<1x2x64x16xf32>) -> (tensor<1x2x64x16xf32>) {
  %zero = arith.constant 0.0 : f32
  %se = tensor.empty() : tensor<1x2x64x64xf32>
  %sz = linalg.fill ins(%zero : f32) outs(%se : tensor<1x2x64x64xf32>) -> tensor<1x2x64x64xf32>
  %s = linalg.generic {indexing_maps = [#q, #k, #s], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%q, %k : tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>) outs(%sz : tensor<1x2x64x64xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<1x2x64x64xf32>
  %re = tensor.empty() : tensor<1x2x64xf32>
  %start = arith.constant 0xFFC00000 : f32
  %mz = linalg.fill ins(%start : f32) outs(%re : tensor<1x2x64xf32>) -> tensor<1x2x64xf32>
  %max = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%s : tensor<1x2x64x64xf32>) outs(%mz : tensor<1x2x64xf32>) {
  ^bb0(%x: f32, %out: f32):
    %y = arith.maximumf %x, %out : f32
    linalg.yield %y : f32
  } -> tensor<1x2x64xf32>
  %exp = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%s, %max : tensor<1x2x64x64xf32>, tensor<1x2x64xf32>) outs(%se : tensor<1x2x64x64xf32>) {
  ^bb0(%x: f32, %mx: f32, %out: f32):
    %d = arith.subf %x, %mx : f32
    %y = math.exp %d : f32
    linalg.yield %y : f32
  } -> tensor<1x2x64x64xf32>
  %sum0 = arith.constant 0.0 : f32
  %sz0 = linalg.fill ins(%sum0 : f32) outs(%re : tensor<1x2x64xf32>) -> tensor<1x2x64xf32>
  %sum = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%exp : tensor<1x2x64x64xf32>) outs(%sz0 : tensor<1x2x64xf32>) {
  ^bb0(%x: f32, %out: f32):
    %y = arith.addf %x, %out : f32
    linalg.yield %y : f32
  } -> tensor<1x2x64xf32>
  %p = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%exp, %sum : tensor<1x2x64x64xf32>, tensor<1x2x64xf32>) outs(%se : tensor<1x2x64x64xf32>) {
  ^bb0(%x: f32, %t: f32, %out: f32):
    %y = arith.divf %x, %t : f32
    linalg.yield %y : f32
  } -> tensor<1x2x64x64xf32>
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
#row = affine_map<(b, h, i, j) -> (b, h, i)>
#kv = affine_map<(b, h, g, j, d) -> (b, h, j, d)>
#kvg = affine_map<(b, h, g, j, d) -> (b, h, g, j, d)>
// The heads repeated whole (torch's repeat, dimension 1 added): query head
// h reads key/value head h % 2, not ring.attention's h / 2, so the repeats
// stay and the op attends over the 4 repeated heads.
// CHECK-LABEL: func.func @heads_repeated_whole(
// CHECK-SAME: %[[Q:[^:]*]]: tensor<1x4x64x16xf32>, %[[K:[^:]*]]: tensor<1x2x64x16xf32>, %[[V:[^:]*]]: tensor<1x2x64x16xf32>)
// CHECK: %[[KB:.*]] = linalg.broadcast ins(%[[K]] : {{.*}}) dimensions = [1]
// CHECK-NEXT: %[[KR:.*]] = tensor.collapse_shape %[[KB]]
// CHECK: %[[VB:.*]] = linalg.broadcast ins(%[[V]] : {{.*}}) dimensions = [1]
// CHECK-NEXT: %[[VR:.*]] = tensor.collapse_shape %[[VB]]
// CHECK-NEXT: ring.attention %[[Q]], %[[KR]], %[[VR]] scale 1.000000e+00 : tensor<1x4x64x16xf32>, tensor<1x4x64x16xf32>, tensor<1x4x64x16xf32>
func.func @heads_repeated_whole(%q: tensor<1x4x64x16xf32>, %k: tensor<1x2x64x16xf32>, %v: tensor<1x2x64x16xf32>) -> (tensor<1x4x64x16xf32>) {
  %zero = arith.constant 0.0 : f32
  %ke = tensor.empty() : tensor<1x2x2x64x16xf32>
  %kb = linalg.broadcast ins(%k : tensor<1x2x64x16xf32>) outs(%ke : tensor<1x2x2x64x16xf32>) dimensions = [1]
  %kr = tensor.collapse_shape %kb [[0], [1, 2], [3], [4]] : tensor<1x2x2x64x16xf32> into tensor<1x4x64x16xf32>
  %ve = tensor.empty() : tensor<1x2x2x64x16xf32>
  %vb = linalg.broadcast ins(%v : tensor<1x2x64x16xf32>) outs(%ve : tensor<1x2x2x64x16xf32>) dimensions = [1]
  %vr = tensor.collapse_shape %vb [[0], [1, 2], [3], [4]] : tensor<1x2x2x64x16xf32> into tensor<1x4x64x16xf32>
  %se = tensor.empty() : tensor<1x4x64x64xf32>
  %sz = linalg.fill ins(%zero : f32) outs(%se : tensor<1x4x64x64xf32>) -> tensor<1x4x64x64xf32>
  %s = linalg.generic {indexing_maps = [#q, #k, #s], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%q, %kr : tensor<1x4x64x16xf32>, tensor<1x4x64x16xf32>) outs(%sz : tensor<1x4x64x64xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<1x4x64x64xf32>
  %pe = tensor.empty() : tensor<1x4x64x64xf32>
  %p = linalg.softmax dimension(3) ins(%s : tensor<1x4x64x64xf32>) outs(%pe : tensor<1x4x64x64xf32>) -> tensor<1x4x64x64xf32>
  %oe = tensor.empty() : tensor<1x4x64x16xf32>
  %oz = linalg.fill ins(%zero : f32) outs(%oe : tensor<1x4x64x16xf32>) -> tensor<1x4x64x16xf32>
  %o = linalg.generic {indexing_maps = [#p, #v, #o], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%p, %vr : tensor<1x4x64x64xf32>, tensor<1x4x64x16xf32>) outs(%oz : tensor<1x4x64x16xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<1x4x64x16xf32>
  return %o : tensor<1x4x64x16xf32>
}

// -----

#q = affine_map<(b, h, i, j, d) -> (b, h, i, d)>
#k = affine_map<(b, h, i, j, d) -> (b, h, j, d)>
#s = affine_map<(b, h, i, j, d) -> (b, h, i, j)>
#p = affine_map<(b, h, i, d, j) -> (b, h, i, j)>
#v = affine_map<(b, h, i, d, j) -> (b, h, j, d)>
#o = affine_map<(b, h, i, d, j) -> (b, h, i, d)>
#id = affine_map<(b, h, i, j) -> (b, h, i, j)>
#row = affine_map<(b, h, i, j) -> (b, h, i)>
#kv = affine_map<(b, h, g, j, d) -> (b, h, j, d)>
#kvg = affine_map<(b, h, g, j, d) -> (b, h, g, j, d)>
// K repeated to 4 heads, V given with 4: ring.attention takes K and V of
// one shape, so K's repeat stays.
// CHECK-LABEL: func.func @only_keys_repeated(
// CHECK-SAME: %[[Q:[^:]*]]: tensor<1x4x64x16xf32>, %[[K:[^:]*]]: tensor<1x2x64x16xf32>, %[[V:[^:]*]]: tensor<1x4x64x16xf32>)
// CHECK: %[[KB:.*]] = linalg.broadcast ins(%[[K]] : {{.*}}) dimensions = [2]
// CHECK-NEXT: %[[KR:.*]] = tensor.collapse_shape %[[KB]]
// CHECK-NEXT: ring.attention %[[Q]], %[[KR]], %[[V]] scale 1.000000e+00 : tensor<1x4x64x16xf32>, tensor<1x4x64x16xf32>, tensor<1x4x64x16xf32>
func.func @only_keys_repeated(%q: tensor<1x4x64x16xf32>, %k: tensor<1x2x64x16xf32>, %v: tensor<1x4x64x16xf32>) -> (tensor<1x4x64x16xf32>) {
  %zero = arith.constant 0.0 : f32
  %ke = tensor.empty() : tensor<1x2x2x64x16xf32>
  %kb = linalg.broadcast ins(%k : tensor<1x2x64x16xf32>) outs(%ke : tensor<1x2x2x64x16xf32>) dimensions = [2]
  %kr = tensor.collapse_shape %kb [[0], [1, 2], [3], [4]] : tensor<1x2x2x64x16xf32> into tensor<1x4x64x16xf32>
  %se = tensor.empty() : tensor<1x4x64x64xf32>
  %sz = linalg.fill ins(%zero : f32) outs(%se : tensor<1x4x64x64xf32>) -> tensor<1x4x64x64xf32>
  %s = linalg.generic {indexing_maps = [#q, #k, #s], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%q, %kr : tensor<1x4x64x16xf32>, tensor<1x4x64x16xf32>) outs(%sz : tensor<1x4x64x64xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<1x4x64x64xf32>
  %pe = tensor.empty() : tensor<1x4x64x64xf32>
  %p = linalg.softmax dimension(3) ins(%s : tensor<1x4x64x64xf32>) outs(%pe : tensor<1x4x64x64xf32>) -> tensor<1x4x64x64xf32>
  %oe = tensor.empty() : tensor<1x4x64x16xf32>
  %oz = linalg.fill ins(%zero : f32) outs(%oe : tensor<1x4x64x16xf32>) -> tensor<1x4x64x16xf32>
  %o = linalg.generic {indexing_maps = [#p, #v, #o], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%p, %v : tensor<1x4x64x64xf32>, tensor<1x4x64x16xf32>) outs(%oz : tensor<1x4x64x16xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<1x4x64x16xf32>
  return %o : tensor<1x4x64x16xf32>
}

// -----

#q = affine_map<(b, h, i, j, d) -> (b, h, i, d)>
#k = affine_map<(b, h, i, j, d) -> (b, h, j, d)>
#s = affine_map<(b, h, i, j, d) -> (b, h, i, j)>
#p = affine_map<(b, h, i, d, j) -> (b, h, i, j)>
#v = affine_map<(b, h, i, d, j) -> (b, h, j, d)>
#o = affine_map<(b, h, i, d, j) -> (b, h, i, d)>
#id = affine_map<(b, h, i, j) -> (b, h, i, j)>
#row = affine_map<(b, h, i, j) -> (b, h, i)>
#row1 = affine_map<(b, h, i, j) -> (b, h, i, 0)>
#kv = affine_map<(b, h, g, j, d) -> (b, h, j, d)>
#kvg = affine_map<(b, h, g, j, d) -> (b, h, g, j, d)>
// The softmax as torch-mlir lowers torch's decomposition of it: reductions
// that keep their dimension ([1, 2, 64, 1], read at (b, h, i, 0)), the
// maximum arith.maximumf from -inf, the subtraction and the exponential as
// two ops.
// CHECK-LABEL: func.func @torch_softmax(
// CHECK-NEXT: ring.attention %{{.*}}, %{{.*}}, %{{.*}} causal scale 2.500000e-01 : tensor<1x2x64x16xf32>
// CHECK-NEXT: return
func.func @torch_softmax(%q: tensor<1x2x64x16xf32>, %k: tensor<1x2x64x16xf32>, %v: tensor<1x2x64x16xf32>) -> (tensor<1x2x64x16xf32>) {
  %zero = arith.constant 0.0 : f32
  %se = tensor.empty() : tensor<1x2x64x64xf32>
  %sz = linalg.fill ins(%zero : f32) outs(%se : tensor<1x2x64x64xf32>) -> tensor<1x2x64x64xf32>
  %s = linalg.generic {indexing_maps = [#q, #k, #s], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%q, %k : tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>) outs(%sz : tensor<1x2x64x64xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<1x2x64x64xf32>
  %c = arith.constant 0.25 : f32
  %scaled = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%s : tensor<1x2x64x64xf32>) outs(%se : tensor<1x2x64x64xf32>) {
  ^bb0(%x: f32, %out: f32):
    %y = arith.mulf %x, %c : f32
    linalg.yield %y : f32
  } -> tensor<1x2x64x64xf32>
  %ninf = arith.constant 0xFF800000 : f32
  %masked = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%scaled : tensor<1x2x64x64xf32>) outs(%se : tensor<1x2x64x64xf32>) {
  ^bb0(%x: f32, %out: f32):
    %i = linalg.index 2 : index
    %j = linalg.index 3 : index
    %future = arith.cmpi ugt, %j, %i : index
    %y = arith.select %future, %ninf, %x : f32
    linalg.yield %y : f32
  } -> tensor<1x2x64x64xf32>
  %re = tensor.empty() : tensor<1x2x64x1xf32>
  %start = arith.constant 0xFF800000 : f32
  %mz = linalg.fill ins(%start : f32) outs(%re : tensor<1x2x64x1xf32>) -> tensor<1x2x64x1xf32>
  %max = linalg.generic {indexing_maps = [#id, #row1], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%masked : tensor<1x2x64x64xf32>) outs(%mz : tensor<1x2x64x1xf32>) {
  ^bb0(%x: f32, %out: f32):
    %y = arith.maximumf %x, %out : f32
    linalg.yield %y : f32
  } -> tensor<1x2x64x1xf32>
  %diff = linalg.generic {indexing_maps = [#id, #row1, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%masked, %max : tensor<1x2x64x64xf32>, tensor<1x2x64x1xf32>) outs(%se : tensor<1x2x64x64xf32>) {
  ^bb0(%x: f32, %mx: f32, %out: f32):
    %d = arith.subf %x, %mx : f32
    linalg.yield %d : f32
  } -> tensor<1x2x64x64xf32>
  %exp = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%diff : tensor<1x2x64x64xf32>) outs(%se : tensor<1x2x64x64xf32>) {
  ^bb0(%x: f32, %out: f32):
    %y = math.exp %x : f32
    linalg.yield %y : f32
  } -> tensor<1x2x64x64xf32>
  %sum0 = arith.constant 0.0 : f32
  %sz0 = linalg.fill ins(%sum0 : f32) outs(%re : tensor<1x2x64x1xf32>) -> tensor<1x2x64x1xf32>
  %sum = linalg.generic {indexing_maps = [#id, #row1], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%exp : tensor<1x2x64x64xf32>) outs(%sz0 : tensor<1x2x64x1xf32>) {
  ^bb0(%x: f32, %out: f32):
    %y = arith.addf %x, %out : f32
    linalg.yield %y : f32
  } -> tensor<1x2x64x1xf32>
  %p = linalg.generic {indexing_maps = [#id, #row1, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%exp, %sum : tensor<1x2x64x64xf32>, tensor<1x2x64x1xf32>) outs(%se : tensor<1x2x64x64xf32>) {
  ^bb0(%x: f32, %t: f32, %out: f32):
    %y = arith.divf %x, %t : f32
    linalg.yield %y : f32
  } -> tensor<1x2x64x64xf32>
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
#row = affine_map<(b, h, i, j) -> (b, h, i)>
#row1 = affine_map<(b, h, i, j) -> (b, h, i, 0)>
#kv = affine_map<(b, h, g, j, d) -> (b, h, j, d)>
#kvg = affine_map<(b, h, g, j, d) -> (b, h, g, j, d)>
// NEG: the torch form's difference S - max is also returned.
// CHECK-LABEL: func.func @neg_difference_used_elsewhere(
// CHECK-NOT: ring.attention
// CHECK: math.exp
// CHECK-NOT: ring.attention
func.func @neg_difference_used_elsewhere(%q: tensor<1x2x64x16xf32>, %k: tensor<1x2x64x16xf32>, %v: tensor<1x2x64x16xf32>) -> (tensor<1x2x64x16xf32>, tensor<1x2x64x64xf32>) {
  %zero = arith.constant 0.0 : f32
  %se = tensor.empty() : tensor<1x2x64x64xf32>
  %sz = linalg.fill ins(%zero : f32) outs(%se : tensor<1x2x64x64xf32>) -> tensor<1x2x64x64xf32>
  %s = linalg.generic {indexing_maps = [#q, #k, #s], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%q, %k : tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>) outs(%sz : tensor<1x2x64x64xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<1x2x64x64xf32>
  %re = tensor.empty() : tensor<1x2x64x1xf32>
  %start = arith.constant 0xFF800000 : f32
  %mz = linalg.fill ins(%start : f32) outs(%re : tensor<1x2x64x1xf32>) -> tensor<1x2x64x1xf32>
  %max = linalg.generic {indexing_maps = [#id, #row1], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%s : tensor<1x2x64x64xf32>) outs(%mz : tensor<1x2x64x1xf32>) {
  ^bb0(%x: f32, %out: f32):
    %y = arith.maximumf %x, %out : f32
    linalg.yield %y : f32
  } -> tensor<1x2x64x1xf32>
  %diff = linalg.generic {indexing_maps = [#id, #row1, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%s, %max : tensor<1x2x64x64xf32>, tensor<1x2x64x1xf32>) outs(%se : tensor<1x2x64x64xf32>) {
  ^bb0(%x: f32, %mx: f32, %out: f32):
    %d = arith.subf %x, %mx : f32
    linalg.yield %d : f32
  } -> tensor<1x2x64x64xf32>
  %exp = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%diff : tensor<1x2x64x64xf32>) outs(%se : tensor<1x2x64x64xf32>) {
  ^bb0(%x: f32, %out: f32):
    %y = math.exp %x : f32
    linalg.yield %y : f32
  } -> tensor<1x2x64x64xf32>
  %sum0 = arith.constant 0.0 : f32
  %sz0 = linalg.fill ins(%sum0 : f32) outs(%re : tensor<1x2x64x1xf32>) -> tensor<1x2x64x1xf32>
  %sum = linalg.generic {indexing_maps = [#id, #row1], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%exp : tensor<1x2x64x64xf32>) outs(%sz0 : tensor<1x2x64x1xf32>) {
  ^bb0(%x: f32, %out: f32):
    %y = arith.addf %x, %out : f32
    linalg.yield %y : f32
  } -> tensor<1x2x64x1xf32>
  %p = linalg.generic {indexing_maps = [#id, #row1, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%exp, %sum : tensor<1x2x64x64xf32>, tensor<1x2x64x1xf32>) outs(%se : tensor<1x2x64x64xf32>) {
  ^bb0(%x: f32, %t: f32, %out: f32):
    %y = arith.divf %x, %t : f32
    linalg.yield %y : f32
  } -> tensor<1x2x64x64xf32>
  %oe = tensor.empty() : tensor<1x2x64x16xf32>
  %oz = linalg.fill ins(%zero : f32) outs(%oe : tensor<1x2x64x16xf32>) -> tensor<1x2x64x16xf32>
  %o = linalg.generic {indexing_maps = [#p, #v, #o], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%p, %v : tensor<1x2x64x64xf32>, tensor<1x2x64x16xf32>) outs(%oz : tensor<1x2x64x16xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<1x2x64x16xf32>
  return %o, %diff : tensor<1x2x64x16xf32>, tensor<1x2x64x64xf32>
}

// -----

#id = affine_map<(b, h, i, j) -> (b, h, i, j)>
#q = affine_map<(b, h, i, j, d) -> (b, h, i, d)>
#kt = affine_map<(b, h, i, j, d) -> (b, h, d, j)>
#s = affine_map<(b, h, i, j, d) -> (b, h, i, j)>
// Batch and heads collapsed into one dimension for linalg.batch_matmul, K
// transposed before the collapse, both results expanded back.
// CHECK-LABEL: func.func @batch_matmul_heads_collapsed(
// CHECK-SAME: %[[Q:[^:]*]]: tensor<1x2x64x16xf32>, %[[K:[^:]*]]: tensor<1x2x64x16xf32>, %[[V:[^:]*]]: tensor<1x2x64x16xf32>)
// CHECK-NEXT: %[[O:.*]] = ring.attention %[[Q]], %[[K]], %[[V]] scale 2.500000e-01 : tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>
// CHECK-NEXT: return %[[O]]
func.func @batch_matmul_heads_collapsed(%q: tensor<1x2x64x16xf32>, %k: tensor<1x2x64x16xf32>, %v: tensor<1x2x64x16xf32>) -> (tensor<1x2x64x16xf32>) {
  %zero = arith.constant 0.0 : f32
  %c = arith.constant 0.25 : f32
  %qc = tensor.collapse_shape %q [[0, 1], [2], [3]] : tensor<1x2x64x16xf32> into tensor<2x64x16xf32>
  %kte = tensor.empty() : tensor<1x2x16x64xf32>
  %kt = linalg.transpose ins(%k : tensor<1x2x64x16xf32>) outs(%kte : tensor<1x2x16x64xf32>) permutation = [0, 1, 3, 2]
  %ktc = tensor.collapse_shape %kt [[0, 1], [2], [3]] : tensor<1x2x16x64xf32> into tensor<2x16x64xf32>
  %se3 = tensor.empty() : tensor<2x64x64xf32>
  %sz3 = linalg.fill ins(%zero : f32) outs(%se3 : tensor<2x64x64xf32>) -> tensor<2x64x64xf32>
  %s3 = linalg.batch_matmul ins(%qc, %ktc : tensor<2x64x16xf32>, tensor<2x16x64xf32>) outs(%sz3 : tensor<2x64x64xf32>) -> tensor<2x64x64xf32>
  %s = tensor.expand_shape %s3 [[0, 1], [2], [3]] output_shape [1, 2, 64, 64] : tensor<2x64x64xf32> into tensor<1x2x64x64xf32>
  %se = tensor.empty() : tensor<1x2x64x64xf32>
  %scaled = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%s : tensor<1x2x64x64xf32>) outs(%se : tensor<1x2x64x64xf32>) {
  ^bb0(%x: f32, %out: f32):
    %y = arith.mulf %x, %c : f32
    linalg.yield %y : f32
  } -> tensor<1x2x64x64xf32>
  %pe = tensor.empty() : tensor<1x2x64x64xf32>
  %p = linalg.softmax dimension(3) ins(%scaled : tensor<1x2x64x64xf32>) outs(%pe : tensor<1x2x64x64xf32>) -> tensor<1x2x64x64xf32>
  %pc = tensor.collapse_shape %p [[0, 1], [2], [3]] : tensor<1x2x64x64xf32> into tensor<2x64x64xf32>
  %vc = tensor.collapse_shape %v [[0, 1], [2], [3]] : tensor<1x2x64x16xf32> into tensor<2x64x16xf32>
  %oe = tensor.empty() : tensor<2x64x16xf32>
  %oz = linalg.fill ins(%zero : f32) outs(%oe : tensor<2x64x16xf32>) -> tensor<2x64x16xf32>
  %o3 = linalg.batch_matmul ins(%pc, %vc : tensor<2x64x64xf32>, tensor<2x64x16xf32>) outs(%oz : tensor<2x64x16xf32>) -> tensor<2x64x16xf32>
  %o = tensor.expand_shape %o3 [[0, 1], [2], [3]] output_shape [1, 2, 64, 16] : tensor<2x64x16xf32> into tensor<1x2x64x16xf32>
  return %o : tensor<1x2x64x16xf32>
}

// -----

#id = affine_map<(b, h, i, j) -> (b, h, i, j)>
#q = affine_map<(b, h, i, j, d) -> (b, h, i, d)>
#kt = affine_map<(b, h, i, j, d) -> (b, h, d, j)>
#s = affine_map<(b, h, i, j, d) -> (b, h, i, j)>
// K collapsed, then transposed.
// CHECK-LABEL: func.func @transposed_after_collapse(
// CHECK-NEXT: ring.attention %{{.*}}, %{{.*}}, %{{.*}} scale 2.500000e-01 :
// CHECK-NEXT: return
func.func @transposed_after_collapse(%q: tensor<1x2x64x16xf32>, %k: tensor<1x2x64x16xf32>, %v: tensor<1x2x64x16xf32>) -> (tensor<1x2x64x16xf32>) {
  %zero = arith.constant 0.0 : f32
  %c = arith.constant 0.25 : f32
  %qc = tensor.collapse_shape %q [[0, 1], [2], [3]] : tensor<1x2x64x16xf32> into tensor<2x64x16xf32>
  %kc = tensor.collapse_shape %k [[0, 1], [2], [3]] : tensor<1x2x64x16xf32> into tensor<2x64x16xf32>
  %kte = tensor.empty() : tensor<2x16x64xf32>
  %ktc = linalg.transpose ins(%kc : tensor<2x64x16xf32>) outs(%kte : tensor<2x16x64xf32>) permutation = [0, 2, 1]
  %se3 = tensor.empty() : tensor<2x64x64xf32>
  %sz3 = linalg.fill ins(%zero : f32) outs(%se3 : tensor<2x64x64xf32>) -> tensor<2x64x64xf32>
  %s3 = linalg.batch_matmul ins(%qc, %ktc : tensor<2x64x16xf32>, tensor<2x16x64xf32>) outs(%sz3 : tensor<2x64x64xf32>) -> tensor<2x64x64xf32>
  %s = tensor.expand_shape %s3 [[0, 1], [2], [3]] output_shape [1, 2, 64, 64] : tensor<2x64x64xf32> into tensor<1x2x64x64xf32>
  %se = tensor.empty() : tensor<1x2x64x64xf32>
  %scaled = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%s : tensor<1x2x64x64xf32>) outs(%se : tensor<1x2x64x64xf32>) {
  ^bb0(%x: f32, %out: f32):
    %y = arith.mulf %x, %c : f32
    linalg.yield %y : f32
  } -> tensor<1x2x64x64xf32>
  %pe = tensor.empty() : tensor<1x2x64x64xf32>
  %p = linalg.softmax dimension(3) ins(%scaled : tensor<1x2x64x64xf32>) outs(%pe : tensor<1x2x64x64xf32>) -> tensor<1x2x64x64xf32>
  %pc = tensor.collapse_shape %p [[0, 1], [2], [3]] : tensor<1x2x64x64xf32> into tensor<2x64x64xf32>
  %vc = tensor.collapse_shape %v [[0, 1], [2], [3]] : tensor<1x2x64x16xf32> into tensor<2x64x16xf32>
  %oe = tensor.empty() : tensor<2x64x16xf32>
  %oz = linalg.fill ins(%zero : f32) outs(%oe : tensor<2x64x16xf32>) -> tensor<2x64x16xf32>
  %o3 = linalg.batch_matmul ins(%pc, %vc : tensor<2x64x64xf32>, tensor<2x64x16xf32>) outs(%oz : tensor<2x64x16xf32>) -> tensor<2x64x16xf32>
  %o = tensor.expand_shape %o3 [[0, 1], [2], [3]] output_shape [1, 2, 64, 16] : tensor<2x64x16xf32> into tensor<1x2x64x16xf32>
  return %o : tensor<1x2x64x16xf32>
}

// -----

#id = affine_map<(b, h, i, j) -> (b, h, i, j)>
#q = affine_map<(b, h, i, j, d) -> (b, h, i, d)>
#kt = affine_map<(b, h, i, j, d) -> (b, h, d, j)>
#s = affine_map<(b, h, i, j, d) -> (b, h, i, j)>
// Q K^T on 4-D tensors over a transposed K (the contraction reads it
// [b, h, d, j]); P V over collapsed heads.
// CHECK-LABEL: func.func @transposed_keys_4d(
// CHECK-NEXT: ring.attention %{{.*}}, %{{.*}}, %{{.*}} scale 2.500000e-01 :
// CHECK-NEXT: return
func.func @transposed_keys_4d(%q: tensor<1x2x64x16xf32>, %k: tensor<1x2x64x16xf32>, %v: tensor<1x2x64x16xf32>) -> (tensor<1x2x64x16xf32>) {
  %zero = arith.constant 0.0 : f32
  %c = arith.constant 0.25 : f32
  %kte = tensor.empty() : tensor<1x2x16x64xf32>
  %kt = linalg.transpose ins(%k : tensor<1x2x64x16xf32>) outs(%kte : tensor<1x2x16x64xf32>) permutation = [0, 1, 3, 2]
  %se = tensor.empty() : tensor<1x2x64x64xf32>
  %sz = linalg.fill ins(%zero : f32) outs(%se : tensor<1x2x64x64xf32>) -> tensor<1x2x64x64xf32>
  %s = linalg.generic {indexing_maps = [#q, #kt, #s], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%q, %kt : tensor<1x2x64x16xf32>, tensor<1x2x16x64xf32>) outs(%sz : tensor<1x2x64x64xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<1x2x64x64xf32>
  %scaled = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%s : tensor<1x2x64x64xf32>) outs(%se : tensor<1x2x64x64xf32>) {
  ^bb0(%x: f32, %out: f32):
    %y = arith.mulf %x, %c : f32
    linalg.yield %y : f32
  } -> tensor<1x2x64x64xf32>
  %pe = tensor.empty() : tensor<1x2x64x64xf32>
  %p = linalg.softmax dimension(3) ins(%scaled : tensor<1x2x64x64xf32>) outs(%pe : tensor<1x2x64x64xf32>) -> tensor<1x2x64x64xf32>
  %pc = tensor.collapse_shape %p [[0, 1], [2], [3]] : tensor<1x2x64x64xf32> into tensor<2x64x64xf32>
  %vc = tensor.collapse_shape %v [[0, 1], [2], [3]] : tensor<1x2x64x16xf32> into tensor<2x64x16xf32>
  %oe = tensor.empty() : tensor<2x64x16xf32>
  %oz = linalg.fill ins(%zero : f32) outs(%oe : tensor<2x64x16xf32>) -> tensor<2x64x16xf32>
  %o3 = linalg.batch_matmul ins(%pc, %vc : tensor<2x64x64xf32>, tensor<2x64x16xf32>) outs(%oz : tensor<2x64x16xf32>) -> tensor<2x64x16xf32>
  %o = tensor.expand_shape %o3 [[0, 1], [2], [3]] output_shape [1, 2, 64, 16] : tensor<2x64x16xf32> into tensor<1x2x64x16xf32>
  return %o : tensor<1x2x64x16xf32>
}

// -----

#id = affine_map<(b, h, i, j) -> (b, h, i, j)>
#q = affine_map<(b, h, i, j, d) -> (b, h, i, d)>
#kt = affine_map<(b, h, i, j, d) -> (b, h, d, j)>
#s = affine_map<(b, h, i, j, d) -> (b, h, i, j)>
// NEG: P V over collapsed heads accumulates into ones, not zeros.
// CHECK-LABEL: func.func @neg_batched_into_ones(
// CHECK-NOT: ring.attention
// CHECK: linalg.batch_matmul
// CHECK: linalg.batch_matmul
// CHECK-NOT: ring.attention
func.func @neg_batched_into_ones(%q: tensor<1x2x64x16xf32>, %k: tensor<1x2x64x16xf32>, %v: tensor<1x2x64x16xf32>) -> (tensor<1x2x64x16xf32>) {
  %zero = arith.constant 0.0 : f32
  %c = arith.constant 0.25 : f32
  %qc = tensor.collapse_shape %q [[0, 1], [2], [3]] : tensor<1x2x64x16xf32> into tensor<2x64x16xf32>
  %kte = tensor.empty() : tensor<1x2x16x64xf32>
  %kt = linalg.transpose ins(%k : tensor<1x2x64x16xf32>) outs(%kte : tensor<1x2x16x64xf32>) permutation = [0, 1, 3, 2]
  %ktc = tensor.collapse_shape %kt [[0, 1], [2], [3]] : tensor<1x2x16x64xf32> into tensor<2x16x64xf32>
  %se3 = tensor.empty() : tensor<2x64x64xf32>
  %sz3 = linalg.fill ins(%zero : f32) outs(%se3 : tensor<2x64x64xf32>) -> tensor<2x64x64xf32>
  %s3 = linalg.batch_matmul ins(%qc, %ktc : tensor<2x64x16xf32>, tensor<2x16x64xf32>) outs(%sz3 : tensor<2x64x64xf32>) -> tensor<2x64x64xf32>
  %s = tensor.expand_shape %s3 [[0, 1], [2], [3]] output_shape [1, 2, 64, 64] : tensor<2x64x64xf32> into tensor<1x2x64x64xf32>
  %se = tensor.empty() : tensor<1x2x64x64xf32>
  %scaled = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%s : tensor<1x2x64x64xf32>) outs(%se : tensor<1x2x64x64xf32>) {
  ^bb0(%x: f32, %out: f32):
    %y = arith.mulf %x, %c : f32
    linalg.yield %y : f32
  } -> tensor<1x2x64x64xf32>
  %pe = tensor.empty() : tensor<1x2x64x64xf32>
  %p = linalg.softmax dimension(3) ins(%scaled : tensor<1x2x64x64xf32>) outs(%pe : tensor<1x2x64x64xf32>) -> tensor<1x2x64x64xf32>
  %pc = tensor.collapse_shape %p [[0, 1], [2], [3]] : tensor<1x2x64x64xf32> into tensor<2x64x64xf32>
  %vc = tensor.collapse_shape %v [[0, 1], [2], [3]] : tensor<1x2x64x16xf32> into tensor<2x64x16xf32>
  %oe = tensor.empty() : tensor<2x64x16xf32>
  %one = arith.constant 1.0 : f32
  %oz = linalg.fill ins(%one : f32) outs(%oe : tensor<2x64x16xf32>) -> tensor<2x64x16xf32>
  %o3 = linalg.batch_matmul ins(%pc, %vc : tensor<2x64x64xf32>, tensor<2x64x16xf32>) outs(%oz : tensor<2x64x16xf32>) -> tensor<2x64x16xf32>
  %o = tensor.expand_shape %o3 [[0, 1], [2], [3]] output_shape [1, 2, 64, 16] : tensor<2x64x16xf32> into tensor<1x2x64x16xf32>
  return %o : tensor<1x2x64x16xf32>
}
