// A pre-norm transformer layer written in upstream dialects, as a frontend
// that shards a model hands it over: RMSNorm, Q/K/V projections, causal
// scaled dot-product attention (its softmax as linalg.softmax), the output
// projection, a SiLU MLP, and two residual adds. The tokens of x (and of
// the result) are split over the ranks of @ring by shard.shard; the
// weights are whole on every rank.
//
//   ring-opt examples/layer.mlir -o layer.ring.mlir \
//     --pass-pipeline='builtin.module(ring-partition-model{block-size=16})'
//   ring-run layer.ring.mlir --arguments x.npy,... --expected y.npy --check
//
// ring-partition-model raises the attention to ring.attention, records how
// each operand splits (ring.sharded_abi), partitions the layer onto one
// rank's tokens (the attention becomes the ring) and computes the
// token-wise part block by block. test/Integration/Ring/layer.test runs it
// on 1, 2 and 4 ranks against a float64 reference in plain Python, and its
// bf16 twin (sed -e 's/f32/bf16/g' -e 's/0xFF800000/0xFF80/') on 2 and 4.
#rows = affine_map<(s, c) -> (s, c)>
#row = affine_map<(s, c) -> (s)>
#col = affine_map<(s, c) -> (c)>
#x3 = affine_map<(b, h, s, d, c) -> (s, c)>
#w3 = affine_map<(b, h, s, d, c) -> (c, h, d)>
#qkv = affine_map<(b, h, s, d, c) -> (b, h, s, d)>
#ao = affine_map<(s, c, b, h, d) -> (b, h, s, d)>
#wo = affine_map<(s, c, b, h, d) -> (h, d, c)>
#yo = affine_map<(s, c, b, h, d) -> (s, c)>
#ux = affine_map<(s, f, c) -> (s, c)>
#uw = affine_map<(s, f, c) -> (c, f)>
#uy = affine_map<(s, f, c) -> (s, f)>
#q = affine_map<(b, h, i, j, d) -> (b, h, i, d)>
#k = affine_map<(b, h, i, j, d) -> (b, h, j, d)>
#s = affine_map<(b, h, i, j, d) -> (b, h, i, j)>
#p = affine_map<(b, h, i, d, j) -> (b, h, i, j)>
#v = affine_map<(b, h, i, d, j) -> (b, h, j, d)>
#o = affine_map<(b, h, i, d, j) -> (b, h, i, d)>
#id = affine_map<(b, h, i, j) -> (b, h, i, j)>

shard.grid @ring(shape = 2)

func.func @layer(%x: tensor<64x32xf32>, %g1: tensor<32xf32>,
                 %wq: tensor<32x2x16xf32>, %wk: tensor<32x2x16xf32>,
                 %wv: tensor<32x2x16xf32>, %wo: tensor<2x16x32xf32>,
                 %g2: tensor<32xf32>, %w1: tensor<32x96xf32>,
                 %w2: tensor<96x32xf32>) -> tensor<64x32xf32> {
  %tokens = shard.sharding @ring split_axes = [[0]] : !shard.sharding
  %x0 = shard.shard %x to %tokens : tensor<64x32xf32>
  %xs = shard.shard %x0 to %tokens annotate_for_users : tensor<64x32xf32>
  %zero = arith.constant 0.0 : f32
  %one = arith.constant 1.0 : f32
  %inv = arith.constant 0.03125 : f32
  %eps = arith.constant 1.0e-5 : f32
  %se = tensor.empty() : tensor<64xf32>
  %sz = linalg.fill ins(%zero : f32) outs(%se : tensor<64xf32>) -> tensor<64xf32>
  %te = tensor.empty() : tensor<64x32xf32>
  %tz = linalg.fill ins(%zero : f32) outs(%te : tensor<64x32xf32>) -> tensor<64x32xf32>

  // Attention's RMSNorm.
  %ss1 = linalg.generic {indexing_maps = [#rows, #row], iterator_types = ["parallel", "reduction"]} ins(%xs : tensor<64x32xf32>) outs(%sz : tensor<64xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %sq = arith.mulf %a, %a : f32
    %r = arith.addf %acc, %sq : f32
    linalg.yield %r : f32
  } -> tensor<64xf32>
  %h1 = linalg.generic {indexing_maps = [#rows, #row, #col, #rows], iterator_types = ["parallel", "parallel"]} ins(%xs, %ss1, %g1 : tensor<64x32xf32>, tensor<64xf32>, tensor<32xf32>) outs(%te : tensor<64x32xf32>) {
  ^bb0(%a: f32, %sum: f32, %gain: f32, %out: f32):
    %mean = arith.mulf %sum, %inv : f32
    %m = arith.addf %mean, %eps : f32
    %r = math.rsqrt %m : f32
    %n = arith.mulf %a, %r : f32
    %w = arith.mulf %n, %gain : f32
    linalg.yield %w : f32
  } -> tensor<64x32xf32>

  // Q, K, V: (tokens, model) x (model, heads, head_dim).
  %he = tensor.empty() : tensor<1x2x64x16xf32>
  %hz = linalg.fill ins(%zero : f32) outs(%he : tensor<1x2x64x16xf32>) -> tensor<1x2x64x16xf32>
  %qp = linalg.generic {indexing_maps = [#x3, #w3, #qkv], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%h1, %wq : tensor<64x32xf32>, tensor<32x2x16xf32>) outs(%hz : tensor<1x2x64x16xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<1x2x64x16xf32>
  %kp = linalg.generic {indexing_maps = [#x3, #w3, #qkv], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%h1, %wk : tensor<64x32xf32>, tensor<32x2x16xf32>) outs(%hz : tensor<1x2x64x16xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<1x2x64x16xf32>
  %vp = linalg.generic {indexing_maps = [#x3, #w3, #qkv], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%h1, %wv : tensor<64x32xf32>, tensor<32x2x16xf32>) outs(%hz : tensor<1x2x64x16xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<1x2x64x16xf32>

  // Causal scaled dot-product attention, softmax over the keys.
  %pe = tensor.empty() : tensor<1x2x64x64xf32>
  %pz = linalg.fill ins(%zero : f32) outs(%pe : tensor<1x2x64x64xf32>) -> tensor<1x2x64x64xf32>
  %sc = linalg.generic {indexing_maps = [#q, #k, #s], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%qp, %kp : tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>) outs(%pz : tensor<1x2x64x64xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<1x2x64x64xf32>
  %quarter = arith.constant 0.25 : f32
  %scaled = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%sc : tensor<1x2x64x64xf32>) outs(%pe : tensor<1x2x64x64xf32>) {
  ^bb0(%a: f32, %out: f32):
    %y = arith.mulf %a, %quarter : f32
    linalg.yield %y : f32
  } -> tensor<1x2x64x64xf32>
  %ninf = arith.constant 0xFF800000 : f32
  %masked = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%scaled : tensor<1x2x64x64xf32>) outs(%pe : tensor<1x2x64x64xf32>) {
  ^bb0(%a: f32, %out: f32):
    %i = linalg.index 2 : index
    %j = linalg.index 3 : index
    %future = arith.cmpi ugt, %j, %i : index
    %y = arith.select %future, %ninf, %a : f32
    linalg.yield %y : f32
  } -> tensor<1x2x64x64xf32>
  %pr = linalg.softmax dimension(3) ins(%masked : tensor<1x2x64x64xf32>) outs(%pe : tensor<1x2x64x64xf32>) -> tensor<1x2x64x64xf32>
  %at = linalg.generic {indexing_maps = [#p, #v, #o], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%pr, %vp : tensor<1x2x64x64xf32>, tensor<1x2x64x16xf32>) outs(%hz : tensor<1x2x64x16xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<1x2x64x16xf32>

  // Output projection and the first residual.
  %proj = linalg.generic {indexing_maps = [#ao, #wo, #yo], iterator_types = ["parallel", "parallel", "reduction", "reduction", "reduction"]} ins(%at, %wo : tensor<1x2x64x16xf32>, tensor<2x16x32xf32>) outs(%tz : tensor<64x32xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<64x32xf32>
  %x1 = linalg.generic {indexing_maps = [#rows, #rows, #rows], iterator_types = ["parallel", "parallel"]} ins(%xs, %proj : tensor<64x32xf32>, tensor<64x32xf32>) outs(%te : tensor<64x32xf32>) {
  ^bb0(%a: f32, %b: f32, %out: f32):
    %r = arith.addf %a, %b : f32
    linalg.yield %r : f32
  } -> tensor<64x32xf32>

  // The MLP's RMSNorm.
  %ss2 = linalg.generic {indexing_maps = [#rows, #row], iterator_types = ["parallel", "reduction"]} ins(%x1 : tensor<64x32xf32>) outs(%sz : tensor<64xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %sq = arith.mulf %a, %a : f32
    %r = arith.addf %acc, %sq : f32
    linalg.yield %r : f32
  } -> tensor<64xf32>
  %h2 = linalg.generic {indexing_maps = [#rows, #row, #col, #rows], iterator_types = ["parallel", "parallel"]} ins(%x1, %ss2, %g2 : tensor<64x32xf32>, tensor<64xf32>, tensor<32xf32>) outs(%te : tensor<64x32xf32>) {
  ^bb0(%a: f32, %sum: f32, %gain: f32, %out: f32):
    %mean = arith.mulf %sum, %inv : f32
    %m = arith.addf %mean, %eps : f32
    %r = math.rsqrt %m : f32
    %n = arith.mulf %a, %r : f32
    %w = arith.mulf %n, %gain : f32
    linalg.yield %w : f32
  } -> tensor<64x32xf32>

  // The MLP: (model -> hidden), SiLU, (hidden -> model), the second residual.
  %ue = tensor.empty() : tensor<64x96xf32>
  %uz = linalg.fill ins(%zero : f32) outs(%ue : tensor<64x96xf32>) -> tensor<64x96xf32>
  %up = linalg.generic {indexing_maps = [#ux, #uw, #uy], iterator_types = ["parallel", "parallel", "reduction"]} ins(%h2, %w1 : tensor<64x32xf32>, tensor<32x96xf32>) outs(%uz : tensor<64x96xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<64x96xf32>
  %act = linalg.generic {indexing_maps = [#rows, #rows], iterator_types = ["parallel", "parallel"]} ins(%up : tensor<64x96xf32>) outs(%ue : tensor<64x96xf32>) {
  ^bb0(%a: f32, %out: f32):
    %n = arith.negf %a : f32
    %e = math.exp %n : f32
    %d = arith.addf %one, %e : f32
    %r = arith.divf %a, %d : f32
    linalg.yield %r : f32
  } -> tensor<64x96xf32>
  %down = linalg.generic {indexing_maps = [#ux, #uw, #uy], iterator_types = ["parallel", "parallel", "reduction"]} ins(%act, %w2 : tensor<64x96xf32>, tensor<96x32xf32>) outs(%tz : tensor<64x32xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<64x32xf32>
  %y = linalg.generic {indexing_maps = [#rows, #rows, #rows], iterator_types = ["parallel", "parallel"]} ins(%x1, %down : tensor<64x32xf32>, tensor<64x32xf32>) outs(%te : tensor<64x32xf32>) {
  ^bb0(%a: f32, %b: f32, %out: f32):
    %r = arith.addf %a, %b : f32
    linalg.yield %r : f32
  } -> tensor<64x32xf32>
  %y0 = shard.shard %y to %tokens : tensor<64x32xf32>
  %ys = shard.shard %y0 to %tokens annotate_for_users : tensor<64x32xf32>
  return %ys : tensor<64x32xf32>
}
