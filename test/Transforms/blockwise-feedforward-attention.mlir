// ring-blockwise-feedforward beside ring.attention: the projection that
// feeds it is tiled along the tokens; attention is not tileable, so it ends
// the fusion and reads its operands whole.
// RUN: ring-opt %s -ring-blockwise-feedforward=block-size=128 | FileCheck %s

// A declaration has no body to tile.
// CHECK-LABEL: func.func private @declared(
// CHECK-LABEL: func.func @projected(
// CHECK: %[[Q:.*]] = scf.for %{{.*}} = %c0 to %c256 step %c128
// CHECK: linalg.generic {{.*}} ins(%{{.*}}, %{{.*}} : tensor<1x2x128x16xf32>, tensor<16x16xf32>)
// CHECK: ring.attention %[[Q]], %[[Q]], %[[Q]] causal
func.func private @declared(tensor<1x2x256x16xf32>)
func.func @projected(%x: tensor<1x2x256x16xf32>, %w: tensor<16x16xf32>) -> tensor<1x2x256x16xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x2x256x16xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<1x2x256x16xf32>) -> tensor<1x2x256x16xf32>
  %q = linalg.generic {indexing_maps = [affine_map<(b, h, t, f, r) -> (b, h, t, r)>, affine_map<(b, h, t, f, r) -> (r, f)>, affine_map<(b, h, t, f, r) -> (b, h, t, f)>], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%x, %w : tensor<1x2x256x16xf32>, tensor<16x16xf32>) outs(%z : tensor<1x2x256x16xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  } -> tensor<1x2x256x16xf32>
  %o = ring.attention %q, %q, %q causal : tensor<1x2x256x16xf32>, tensor<1x2x256x16xf32>, tensor<1x2x256x16xf32>
  return %o : tensor<1x2x256x16xf32>
}
