// Attention over batch and heads collapsed into one dimension, as a
// frontend that lowers 4-D matmuls to linalg.batch_matmul writes it (K
// collapsed, then transposed; the products expanded back), scaled by 0.25:
// raised, run by ring-run, and checked against ring.attention's float64
// reference and, by the reference script, against the source program's
// definition.
// RUN: rm -rf %t && mkdir -p %t
// RUN: ring-opt %s -ring-raise-attention -o %t/raised.mlir
// RUN: FileCheck %s --check-prefix=RAISED --input-file %t/raised.mlir
// RUN: %python %S/Inputs/sdpa_reference.py inputs %t 9 2 2 64 16
// RUN: ring-run %t/raised.mlir --inputs %t/q.npy,%t/k.npy,%t/v.npy --output %t/o.npy --check | FileCheck %s
// RUN: %python %S/Inputs/sdpa_reference.py check %t %t/o.npy 0.25 | FileCheck %s --check-prefix=REFERENCE
// RAISED: ring.attention %{{.*}}, %{{.*}}, %{{.*}} scale 2.500000e-01 : tensor<1x2x64x16xf32>
// RAISED-NOT: linalg.
// CHECK: @attention f32 b=1 hq=2 hkv=2 sq=64 skv=64 d=16:
// CHECK: check: {{.*}} PASS
// REFERENCE: reference: {{.*}} PASS

#id = affine_map<(b, h, i, j) -> (b, h, i, j)>
#q = affine_map<(b, h, i, j, d) -> (b, h, i, d)>
#kt = affine_map<(b, h, i, j, d) -> (b, h, d, j)>
#s = affine_map<(b, h, i, j, d) -> (b, h, i, j)>

func.func @attention(%q: tensor<1x2x64x16xf32>, %k: tensor<1x2x64x16xf32>, %v: tensor<1x2x64x16xf32>) -> (tensor<1x2x64x16xf32>) {
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
