// Attention written in linalg (causal, scaled by 4; f32, 2 heads, 64
// tokens, head_dim 16), raised by ring-raise-attention, is an entry point
// ring-run compiles, runs and checks against its float64 reference; the
// reference script checks the same result against the source program's
// definition.
// RUN: rm -rf %t && mkdir -p %t
// RUN: ring-opt %s -ring-raise-attention -o %t/raised.mlir
// RUN: %python %S/Inputs/sdpa_reference.py inputs %t 3 2 2 64 16
// RUN: ring-run %t/raised.mlir --inputs %t/q.npy,%t/k.npy,%t/v.npy --output %t/o.npy --check | FileCheck %s
// RUN: %python %S/Inputs/sdpa_reference.py check %t %t/o.npy 4 causal | FileCheck %s --check-prefix=REFERENCE
// CHECK: @attention f32 b=1 hq=2 hkv=2 sq=64 skv=64 d=16 causal:
// CHECK: check: {{.*}} PASS
// REFERENCE: reference: {{.*}} PASS

#q = affine_map<(b, h, i, j, d) -> (b, h, i, d)>
#k = affine_map<(b, h, i, j, d) -> (b, h, j, d)>
#s = affine_map<(b, h, i, j, d) -> (b, h, i, j)>
#p = affine_map<(b, h, i, d, j) -> (b, h, i, j)>
#v = affine_map<(b, h, i, d, j) -> (b, h, j, d)>
#o = affine_map<(b, h, i, d, j) -> (b, h, i, d)>
#id = affine_map<(b, h, i, j) -> (b, h, i, j)>
func.func @attention(%q: tensor<1x2x64x16xf32>, %k: tensor<1x2x64x16xf32>, %v: tensor<1x2x64x16xf32>) -> (tensor<1x2x64x16xf32>) {
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
