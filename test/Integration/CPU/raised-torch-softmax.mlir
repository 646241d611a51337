// Attention without a mask, scaled by 0.125, its softmax as torch-mlir
// lowers torch's decomposition of it (reductions that keep their
// dimension, the subtraction and the exponential as two ops): raised,
// run by ring-run, and checked against ring.attention's float64 reference
// and, by the reference script, against the source program's definition.
// RUN: rm -rf %t && mkdir -p %t
// RUN: ring-opt %s -ring-raise-attention -o %t/raised.mlir
// RUN: FileCheck %s --check-prefix=RAISED --input-file %t/raised.mlir
// RUN: %python %S/Inputs/sdpa_reference.py inputs %t 7 2 2 64 16
// RUN: ring-run %t/raised.mlir --inputs %t/q.npy,%t/k.npy,%t/v.npy --output %t/o.npy --check | FileCheck %s
// RUN: %python %S/Inputs/sdpa_reference.py check %t %t/o.npy 0.125 | FileCheck %s --check-prefix=REFERENCE
// RAISED: ring.attention %{{.*}}, %{{.*}}, %{{.*}} scale 1.250000e-01 : tensor<1x2x64x16xf32>
// RAISED-NOT: linalg.
// CHECK: @attention f32 b=1 hq=2 hkv=2 sq=64 skv=64 d=16:
// CHECK: check: {{.*}} PASS
// REFERENCE: reference: {{.*}} PASS

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

func.func @attention(%q: tensor<1x2x64x16xf32>, %k: tensor<1x2x64x16xf32>, %v: tensor<1x2x64x16xf32>) -> (tensor<1x2x64x16xf32>) {
  %zero = arith.constant 0.0 : f32
  %se = tensor.empty() : tensor<1x2x64x64xf32>
  %sz = linalg.fill ins(%zero : f32) outs(%se : tensor<1x2x64x64xf32>) -> tensor<1x2x64x64xf32>
  %s = linalg.generic {indexing_maps = [#q, #k, #s], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%q, %k : tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>) outs(%sz : tensor<1x2x64x64xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<1x2x64x64xf32>
  %c = arith.constant 0.125 : f32
  %scaled = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%s : tensor<1x2x64x64xf32>) outs(%se : tensor<1x2x64x64xf32>) {
  ^bb0(%x: f32, %out: f32):
    %y = arith.mulf %x, %c : f32
    linalg.yield %y : f32
  } -> tensor<1x2x64x64xf32>
  %re = tensor.empty() : tensor<1x2x64x1xf32>
  %start = arith.constant 0xFF800000 : f32
  %mz = linalg.fill ins(%start : f32) outs(%re : tensor<1x2x64x1xf32>) -> tensor<1x2x64x1xf32>
  %max = linalg.generic {indexing_maps = [#id, #row1], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%scaled : tensor<1x2x64x64xf32>) outs(%mz : tensor<1x2x64x1xf32>) {
  ^bb0(%x: f32, %out: f32):
    %y = arith.maximumf %x, %out : f32
    linalg.yield %y : f32
  } -> tensor<1x2x64x1xf32>
  %diff = linalg.generic {indexing_maps = [#id, #row1, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%scaled, %max : tensor<1x2x64x64xf32>, tensor<1x2x64x1xf32>) outs(%se : tensor<1x2x64x64xf32>) {
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
