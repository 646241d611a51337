// Grouped-query causal attention written in linalg with its sequence
// split over the 4 ranks of a shard.grid by shard.shard annotations, as a
// frontend that shards a model hands it over: ring-raise-attention makes
// it one ring.attention, upstream's shard-partition (through the ring
// dialect's sharding model) makes that the ring form on local shards, and
// ring-run runs it on 4 in-process ranks. The output is checked by
// ring-run against ring.attention's float64 reference and by the reference
// script against the source program's definition; the training step's
// gradients are checked against float64 too.
// RUN: rm -rf %t && mkdir -p %t
// RUN: ring-opt %s --pass-pipeline='builtin.module(ring-raise-attention,func.func(shard-partition))' -o %t/ring.mlir
// RUN: FileCheck %s --check-prefix=RING --input-file %t/ring.mlir
// RUN: %python %S/../CPU/Inputs/sdpa_reference.py inputs %t 11 4 2 64 16
// RUN: ring-run %t/ring.mlir --inputs %t/q.npy,%t/k.npy,%t/v.npy --output %t/o.npy --check | FileCheck %s
// RUN: %python %S/../CPU/Inputs/sdpa_reference.py check %t %t/o.npy 0.25 causal | FileCheck %s --check-prefix=REFERENCE
// The partitioned entry trains as any ring entry does.
// RUN: ring-run %t/ring.mlir --grad --check --seed 2 | FileCheck %s --check-prefix=GRAD
// RING: func.func @attention(%{{.*}}: tensor<1x4x16x16xf32>, %{{.*}}: tensor<1x2x16x16xf32>, %{{.*}}: tensor<1x2x16x16xf32>) -> tensor<1x4x16x16xf32>
// RING-NEXT: ring.attention %{{.*}}, %{{.*}}, %{{.*}} causal scale 2.500000e-01 ring @ring axis 0 :
// RING-NEXT: return
// CHECK: ring: 4 ranks
// CHECK: check: {{.*}} PASS
// REFERENCE: reference: {{.*}} PASS
// GRAD: check dq: {{.*}} PASS
// GRAD: check dk: {{.*}} PASS
// GRAD: check dv: {{.*}} PASS

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

shard.grid @ring(shape = 4)
func.func @attention(%q: tensor<1x4x64x16xf32>, %k: tensor<1x2x64x16xf32>, %v: tensor<1x2x64x16xf32>) -> (tensor<1x4x64x16xf32>) {
  %seq = shard.sharding @ring split_axes = [[], [], [0]] : !shard.sharding
  %q0 = shard.shard %q to %seq : tensor<1x4x64x16xf32>
  %qs = shard.shard %q0 to %seq annotate_for_users : tensor<1x4x64x16xf32>
  %k0 = shard.shard %k to %seq : tensor<1x2x64x16xf32>
  %ks = shard.shard %k0 to %seq annotate_for_users : tensor<1x2x64x16xf32>
  %v0 = shard.shard %v to %seq : tensor<1x2x64x16xf32>
  %vs = shard.shard %v0 to %seq annotate_for_users : tensor<1x2x64x16xf32>
  %zero = arith.constant 0.0 : f32
  %ke = tensor.empty() : tensor<1x2x2x64x16xf32>
  %kb = linalg.broadcast ins(%ks : tensor<1x2x64x16xf32>) outs(%ke : tensor<1x2x2x64x16xf32>) dimensions = [2]
  %kr = tensor.collapse_shape %kb [[0], [1, 2], [3], [4]] : tensor<1x2x2x64x16xf32> into tensor<1x4x64x16xf32>
  %ve = tensor.empty() : tensor<1x2x2x64x16xf32>
  %vb = linalg.generic {indexing_maps = [#kv, #kvg], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel"]} ins(%vs : tensor<1x2x64x16xf32>) outs(%ve : tensor<1x2x2x64x16xf32>) {
  ^bb0(%x: f32, %out: f32):
    linalg.yield %x : f32
  } -> tensor<1x2x2x64x16xf32>
  %vr = tensor.collapse_shape %vb [[0], [1, 2], [3], [4]] : tensor<1x2x2x64x16xf32> into tensor<1x4x64x16xf32>
  %se = tensor.empty() : tensor<1x4x64x64xf32>
  %sz = linalg.fill ins(%zero : f32) outs(%se : tensor<1x4x64x64xf32>) -> tensor<1x4x64x64xf32>
  %s = linalg.generic {indexing_maps = [#q, #k, #s], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%qs, %kr : tensor<1x4x64x16xf32>, tensor<1x4x64x16xf32>) outs(%sz : tensor<1x4x64x64xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<1x4x64x64xf32>
  %c = arith.constant 0.25 : f32
  %scaled = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%s : tensor<1x4x64x64xf32>) outs(%se : tensor<1x4x64x64xf32>) {
  ^bb0(%x: f32, %out: f32):
    %y = arith.mulf %x, %c : f32
    linalg.yield %y : f32
  } -> tensor<1x4x64x64xf32>
  %ninf = arith.constant 0xFF800000 : f32
  %masked = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%scaled : tensor<1x4x64x64xf32>) outs(%se : tensor<1x4x64x64xf32>) {
  ^bb0(%x: f32, %out: f32):
    %i = linalg.index 2 : index
    %j = linalg.index 3 : index
    %future = arith.cmpi ugt, %j, %i : index
    %y = arith.select %future, %ninf, %x : f32
    linalg.yield %y : f32
  } -> tensor<1x4x64x64xf32>
  %pe = tensor.empty() : tensor<1x4x64x64xf32>
  %p = linalg.softmax dimension(3) ins(%masked : tensor<1x4x64x64xf32>) outs(%pe : tensor<1x4x64x64xf32>) -> tensor<1x4x64x64xf32>
  %oe = tensor.empty() : tensor<1x4x64x16xf32>
  %oz = linalg.fill ins(%zero : f32) outs(%oe : tensor<1x4x64x16xf32>) -> tensor<1x4x64x16xf32>
  %o = linalg.generic {indexing_maps = [#p, #v, #o], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%p, %vr : tensor<1x4x64x64xf32>, tensor<1x4x64x16xf32>) outs(%oz : tensor<1x4x64x16xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<1x4x64x16xf32>
  %o0 = shard.shard %o to %seq : tensor<1x4x64x16xf32>
  %os = shard.shard %o0 to %seq annotate_for_users : tensor<1x4x64x16xf32>
  return %os : tensor<1x4x64x16xf32>
}
