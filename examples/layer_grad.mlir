// A training step of examples/layer.mlir, as a frontend's joint graph hands
// it over: the layer's forward, then its backward from dy, the gradient of
// the loss with respect to the output, in upstream dialects. The tokens of
// x, dy, y and dx are split over the ranks of @ring; the weights and their
// gradients are whole on every rank.
//
//   ring-opt examples/layer_grad.mlir -o layer_grad.ring.mlir \
//     --pass-pipeline='builtin.module(ring-partition-model{block-size=16})'
//   ring-run layer_grad.ring.mlir --arguments x.npy,...,dy.npy \
//     --expected y.npy,dx.npy,... --check
//
// ring-raise-attention turns the attention and its backward (dQ = dS K,
// dK = dS^T Q, dV = P^T dO, the softmax's backward as torch decomposes it)
// into ring.attention and ring.attention_grad, so no rank forms the S x S
// probabilities; shard-partition sums each weight's gradient over the
// tokens with shard.all_reduce, which ring-lower-shard-collectives makes a
// ring all-reduce. test/Integration/Ring/layer-grad.test checks every
// result against layer_grad_reference.py (float64, plain Python).
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

#pt = affine_map<(b, h, j, d, i) -> (b, h, i, j)>
#rt = affine_map<(b, h, j, d, i) -> (b, h, i, d)>
#ot = affine_map<(b, h, j, d, i) -> (b, h, j, d)>
#srow = affine_map<(b, h, i, j) -> (b, h, i)>
#lhs = affine_map<(m, n, k) -> (m, k)>
#lhsT = affine_map<(m, n, k) -> (k, m)>
#rhs = affine_map<(m, n, k) -> (k, n)>
#rhsT = affine_map<(m, n, k) -> (n, k)>
#mn = affine_map<(m, n, k) -> (m, n)>
#grow = affine_map<(s, c) -> (c)>
#wgx = affine_map<(b, c, h, d, s) -> (s, c)>
#wgq = affine_map<(b, c, h, d, s) -> (b, h, s, d)>
#wgo = affine_map<(b, c, h, d, s) -> (c, h, d)>
#oga = affine_map<(b, h, d, c, s) -> (b, h, s, d)>
#ogx = affine_map<(b, h, d, c, s) -> (s, c)>
#ogo = affine_map<(b, h, d, c, s) -> (h, d, c)>
#dax = affine_map<(b, h, s, d, c) -> (s, c)>
#daw = affine_map<(b, h, s, d, c) -> (h, d, c)>
#dao = affine_map<(b, h, s, d, c) -> (b, h, s, d)>
#dhq = affine_map<(s, c, b, h, d) -> (b, h, s, d)>
#dhw = affine_map<(s, c, b, h, d) -> (c, h, d)>
#dho = affine_map<(s, c, b, h, d) -> (s, c)>

shard.grid @ring(shape = 2)

func.func @layer_grad(%x: tensor<64x32xf32>, %g1: tensor<32xf32>,
                      %wq: tensor<32x2x16xf32>, %wk: tensor<32x2x16xf32>,
                      %wv: tensor<32x2x16xf32>, %wo: tensor<2x16x32xf32>,
                      %g2: tensor<32xf32>, %w1: tensor<32x96xf32>,
                      %w2: tensor<96x32xf32>, %dy: tensor<64x32xf32>)
    -> (tensor<64x32xf32>, tensor<64x32xf32>, tensor<32xf32>,
        tensor<32x2x16xf32>, tensor<32x2x16xf32>, tensor<32x2x16xf32>,
        tensor<2x16x32xf32>, tensor<32xf32>, tensor<32x96xf32>,
        tensor<96x32xf32>) {
  %tokens = shard.sharding @ring split_axes = [[0]] : !shard.sharding
  %x0 = shard.shard %x to %tokens : tensor<64x32xf32>
  %xs = shard.shard %x0 to %tokens annotate_for_users : tensor<64x32xf32>
  %dy0 = shard.shard %dy to %tokens : tensor<64x32xf32>
  %dys = shard.shard %dy0 to %tokens annotate_for_users : tensor<64x32xf32>
  %whole = shard.sharding @ring split_axes = [[]] : !shard.sharding
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

  // The backward. The MLP: dW2 = act^T dy, dup = (dy W2^T) silu'(up),
  // dW1 = h2^T dup, dh2 = dup W1^T (silu'(u) = s (1 + u (1 - s))).
  %fce = tensor.empty() : tensor<96x32xf32>
  %fcz = linalg.fill ins(%zero : f32) outs(%fce : tensor<96x32xf32>) -> tensor<96x32xf32>
  %dw2 = linalg.matmul indexing_maps = [#lhsT, #rhs, #mn] ins(%act, %dys : tensor<64x96xf32>, tensor<64x32xf32>) outs(%fcz : tensor<96x32xf32>) -> tensor<96x32xf32>
  %dact = linalg.matmul indexing_maps = [#lhs, #rhsT, #mn] ins(%dys, %w2 : tensor<64x32xf32>, tensor<96x32xf32>) outs(%uz : tensor<64x96xf32>) -> tensor<64x96xf32>
  %dup = linalg.generic {indexing_maps = [#rows, #rows, #rows], iterator_types = ["parallel", "parallel"]} ins(%dact, %up : tensor<64x96xf32>, tensor<64x96xf32>) outs(%ue : tensor<64x96xf32>) {
  ^bb0(%g: f32, %u: f32, %out: f32):
    %n = arith.negf %u : f32
    %e = math.exp %n : f32
    %d = arith.addf %one, %e : f32
    %s = arith.divf %one, %d : f32
    %c = arith.subf %one, %s : f32
    %t = arith.mulf %u, %c : f32
    %t1 = arith.addf %one, %t : f32
    %slope = arith.mulf %s, %t1 : f32
    %r = arith.mulf %g, %slope : f32
    linalg.yield %r : f32
  } -> tensor<64x96xf32>
  %cfe = tensor.empty() : tensor<32x96xf32>
  %cfz = linalg.fill ins(%zero : f32) outs(%cfe : tensor<32x96xf32>) -> tensor<32x96xf32>
  %dw1 = linalg.matmul indexing_maps = [#lhsT, #rhs, #mn] ins(%h2, %dup : tensor<64x32xf32>, tensor<64x96xf32>) outs(%cfz : tensor<32x96xf32>) -> tensor<32x96xf32>
  %dh2 = linalg.matmul indexing_maps = [#lhs, #rhsT, #mn] ins(%dup, %w1 : tensor<64x96xf32>, tensor<32x96xf32>) outs(%tz : tensor<64x32xf32>) -> tensor<64x32xf32>

  // The MLP's RMSNorm, h2 = n g2 with n = x1 r, r = rsqrt(mean(x1^2) + eps):
  // dg2 = sum_s dh2 n, and dx1 = dy + r (dn - n mean_c(dn n)), dn = dh2 g2.
  %ce = tensor.empty() : tensor<32xf32>
  %cz = linalg.fill ins(%zero : f32) outs(%ce : tensor<32xf32>) -> tensor<32xf32>
  %gn2 = linalg.generic {indexing_maps = [#rows, #rows, #row, #rows], iterator_types = ["parallel", "parallel"]} ins(%dh2, %x1, %ss2 : tensor<64x32xf32>, tensor<64x32xf32>, tensor<64xf32>) outs(%te : tensor<64x32xf32>) {
  ^bb0(%dh: f32, %a: f32, %sum: f32, %out: f32):
    %mean = arith.mulf %sum, %inv : f32
    %m = arith.addf %mean, %eps : f32
    %r = math.rsqrt %m : f32
    %n = arith.mulf %a, %r : f32
    %p = arith.mulf %dh, %n : f32
    linalg.yield %p : f32
  } -> tensor<64x32xf32>
  %dg2 = linalg.generic {indexing_maps = [#rows, #grow], iterator_types = ["reduction", "parallel"]} ins(%gn2 : tensor<64x32xf32>) outs(%cz : tensor<32xf32>) {
  ^bb0(%p: f32, %acc: f32):
    %t = arith.addf %acc, %p : f32
    linalg.yield %t : f32
  } -> tensor<32xf32>
  %dot2 = linalg.generic {indexing_maps = [#rows, #col, #rows, #row, #row], iterator_types = ["parallel", "reduction"]} ins(%dh2, %g2, %x1, %ss2 : tensor<64x32xf32>, tensor<32xf32>, tensor<64x32xf32>, tensor<64xf32>) outs(%sz : tensor<64xf32>) {
  ^bb0(%dh: f32, %gain: f32, %a: f32, %sum: f32, %acc: f32):
    %mean = arith.mulf %sum, %inv : f32
    %m = arith.addf %mean, %eps : f32
    %r = math.rsqrt %m : f32
    %n = arith.mulf %a, %r : f32
    %dn = arith.mulf %dh, %gain : f32
    %p = arith.mulf %dn, %n : f32
    %t = arith.addf %acc, %p : f32
    linalg.yield %t : f32
  } -> tensor<64xf32>
  %dx1 = linalg.generic {indexing_maps = [#rows, #col, #rows, #row, #row, #rows, #rows], iterator_types = ["parallel", "parallel"]} ins(%dh2, %g2, %x1, %ss2, %dot2, %dys : tensor<64x32xf32>, tensor<32xf32>, tensor<64x32xf32>, tensor<64xf32>, tensor<64xf32>, tensor<64x32xf32>) outs(%te : tensor<64x32xf32>) {
  ^bb0(%dh: f32, %gain: f32, %a: f32, %sum: f32, %dot: f32, %res: f32, %out: f32):
    %mean = arith.mulf %sum, %inv : f32
    %m = arith.addf %mean, %eps : f32
    %r = math.rsqrt %m : f32
    %n = arith.mulf %a, %r : f32
    %dn = arith.mulf %dh, %gain : f32
    %md = arith.mulf %dot, %inv : f32
    %nm = arith.mulf %n, %md : f32
    %df = arith.subf %dn, %nm : f32
    %dxn = arith.mulf %r, %df : f32
    %t = arith.addf %res, %dxn : f32
    linalg.yield %t : f32
  } -> tensor<64x32xf32>

  // The output projection: dWo = at^T dx1 per head, dat = dx1 Wo^T.
  %woe = tensor.empty() : tensor<2x16x32xf32>
  %woz = linalg.fill ins(%zero : f32) outs(%woe : tensor<2x16x32xf32>) -> tensor<2x16x32xf32>
  %dwo = linalg.generic {indexing_maps = [#oga, #ogx, #ogo], iterator_types = ["reduction", "parallel", "parallel", "parallel", "reduction"]} ins(%at, %dx1 : tensor<1x2x64x16xf32>, tensor<64x32xf32>) outs(%woz : tensor<2x16x32xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<2x16x32xf32>
  %dat = linalg.generic {indexing_maps = [#dax, #daw, #dao], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%dx1, %wo : tensor<64x32xf32>, tensor<2x16x32xf32>) outs(%hz : tensor<1x2x64x16xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<1x2x64x16xf32>

  // Attention's backward from dat: dV = P^T dat, dP = dat V^T, the
  // softmax's backward G = dP P, dS = G - P sum_j G, the mask's and the
  // scale's, then dQ = dS K and dK = dS^T Q.
  %re = tensor.empty() : tensor<1x2x64xf32>
  %rz = linalg.fill ins(%zero : f32) outs(%re : tensor<1x2x64xf32>) -> tensor<1x2x64xf32>
  %dvp = linalg.generic {indexing_maps = [#pt, #rt, #ot], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%pr, %dat : tensor<1x2x64x64xf32>, tensor<1x2x64x16xf32>) outs(%hz : tensor<1x2x64x16xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<1x2x64x16xf32>
  %dpr = linalg.generic {indexing_maps = [#q, #k, #s], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%dat, %vp : tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>) outs(%pz : tensor<1x2x64x64xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<1x2x64x64xf32>
  %gw = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%dpr, %pr : tensor<1x2x64x64xf32>, tensor<1x2x64x64xf32>) outs(%pe : tensor<1x2x64x64xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %m = arith.mulf %a, %b : f32
    linalg.yield %m : f32
  } -> tensor<1x2x64x64xf32>
  %gs = linalg.generic {indexing_maps = [#id, #srow], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%gw : tensor<1x2x64x64xf32>) outs(%rz : tensor<1x2x64xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %r = arith.addf %a, %acc : f32
    linalg.yield %r : f32
  } -> tensor<1x2x64xf32>
  %pg = linalg.generic {indexing_maps = [#id, #srow, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%pr, %gs : tensor<1x2x64x64xf32>, tensor<1x2x64xf32>) outs(%pe : tensor<1x2x64x64xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %m = arith.mulf %a, %b : f32
    linalg.yield %m : f32
  } -> tensor<1x2x64x64xf32>
  %dsm = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%gw, %pg : tensor<1x2x64x64xf32>, tensor<1x2x64x64xf32>) outs(%pe : tensor<1x2x64x64xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %d = arith.subf %a, %b : f32
    linalg.yield %d : f32
  } -> tensor<1x2x64x64xf32>
  %dsk = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%dsm : tensor<1x2x64x64xf32>) outs(%pe : tensor<1x2x64x64xf32>) {
  ^bb0(%a: f32, %o: f32):
    %i = linalg.index 2 : index
    %j = linalg.index 3 : index
    %future = arith.cmpi ugt, %j, %i : index
    %kept = arith.select %future, %zero, %a : f32
    linalg.yield %kept : f32
  } -> tensor<1x2x64x64xf32>
  %dsc = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%dsk : tensor<1x2x64x64xf32>) outs(%pe : tensor<1x2x64x64xf32>) {
  ^bb0(%a: f32, %o: f32):
    %scaledGrad = arith.mulf %a, %quarter : f32
    linalg.yield %scaledGrad : f32
  } -> tensor<1x2x64x64xf32>
  %dqp = linalg.generic {indexing_maps = [#p, #v, #o], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%dsc, %kp : tensor<1x2x64x64xf32>, tensor<1x2x64x16xf32>) outs(%hz : tensor<1x2x64x16xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<1x2x64x16xf32>
  %dkp = linalg.generic {indexing_maps = [#pt, #rt, #ot], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%dsc, %qp : tensor<1x2x64x64xf32>, tensor<1x2x64x16xf32>) outs(%hz : tensor<1x2x64x16xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<1x2x64x16xf32>

  // The projections: dW = h1^T d(q|k|v) per head, dh1 = sum of d(q|k|v) W^T.
  %we = tensor.empty() : tensor<32x2x16xf32>
  %wz = linalg.fill ins(%zero : f32) outs(%we : tensor<32x2x16xf32>) -> tensor<32x2x16xf32>
  %dwq = linalg.generic {indexing_maps = [#wgx, #wgq, #wgo], iterator_types = ["reduction", "parallel", "parallel", "parallel", "reduction"]} ins(%h1, %dqp : tensor<64x32xf32>, tensor<1x2x64x16xf32>) outs(%wz : tensor<32x2x16xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<32x2x16xf32>
  %dwk = linalg.generic {indexing_maps = [#wgx, #wgq, #wgo], iterator_types = ["reduction", "parallel", "parallel", "parallel", "reduction"]} ins(%h1, %dkp : tensor<64x32xf32>, tensor<1x2x64x16xf32>) outs(%wz : tensor<32x2x16xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<32x2x16xf32>
  %dwv = linalg.generic {indexing_maps = [#wgx, #wgq, #wgo], iterator_types = ["reduction", "parallel", "parallel", "parallel", "reduction"]} ins(%h1, %dvp : tensor<64x32xf32>, tensor<1x2x64x16xf32>) outs(%wz : tensor<32x2x16xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<32x2x16xf32>
  %dh1 = linalg.generic {indexing_maps = [#dhq, #dhw, #dhq, #dhw, #dhq, #dhw, #dho], iterator_types = ["parallel", "parallel", "reduction", "reduction", "reduction"]} ins(%dqp, %wq, %dkp, %wk, %dvp, %wv : tensor<1x2x64x16xf32>, tensor<32x2x16xf32>, tensor<1x2x64x16xf32>, tensor<32x2x16xf32>, tensor<1x2x64x16xf32>, tensor<32x2x16xf32>) outs(%tz : tensor<64x32xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32, %d: f32, %e: f32, %f: f32, %acc: f32):
    %m1 = arith.mulf %a, %b : f32
    %m2 = arith.mulf %c, %d : f32
    %m3 = arith.mulf %e, %f : f32
    %s1 = arith.addf %acc, %m1 : f32
    %s2 = arith.addf %s1, %m2 : f32
    %s3 = arith.addf %s2, %m3 : f32
    linalg.yield %s3 : f32
  } -> tensor<64x32xf32>

  // Attention's RMSNorm, as the MLP's: dg1, and dx = dx1 + its part.
  %gn1 = linalg.generic {indexing_maps = [#rows, #rows, #row, #rows], iterator_types = ["parallel", "parallel"]} ins(%dh1, %xs, %ss1 : tensor<64x32xf32>, tensor<64x32xf32>, tensor<64xf32>) outs(%te : tensor<64x32xf32>) {
  ^bb0(%dh: f32, %a: f32, %sum: f32, %out: f32):
    %mean = arith.mulf %sum, %inv : f32
    %m = arith.addf %mean, %eps : f32
    %r = math.rsqrt %m : f32
    %n = arith.mulf %a, %r : f32
    %p = arith.mulf %dh, %n : f32
    linalg.yield %p : f32
  } -> tensor<64x32xf32>
  %dg1 = linalg.generic {indexing_maps = [#rows, #grow], iterator_types = ["reduction", "parallel"]} ins(%gn1 : tensor<64x32xf32>) outs(%cz : tensor<32xf32>) {
  ^bb0(%p: f32, %acc: f32):
    %t = arith.addf %acc, %p : f32
    linalg.yield %t : f32
  } -> tensor<32xf32>
  %dot1 = linalg.generic {indexing_maps = [#rows, #col, #rows, #row, #row], iterator_types = ["parallel", "reduction"]} ins(%dh1, %g1, %xs, %ss1 : tensor<64x32xf32>, tensor<32xf32>, tensor<64x32xf32>, tensor<64xf32>) outs(%sz : tensor<64xf32>) {
  ^bb0(%dh: f32, %gain: f32, %a: f32, %sum: f32, %acc: f32):
    %mean = arith.mulf %sum, %inv : f32
    %m = arith.addf %mean, %eps : f32
    %r = math.rsqrt %m : f32
    %n = arith.mulf %a, %r : f32
    %dn = arith.mulf %dh, %gain : f32
    %p = arith.mulf %dn, %n : f32
    %t = arith.addf %acc, %p : f32
    linalg.yield %t : f32
  } -> tensor<64xf32>
  %dx = linalg.generic {indexing_maps = [#rows, #col, #rows, #row, #row, #rows, #rows], iterator_types = ["parallel", "parallel"]} ins(%dh1, %g1, %xs, %ss1, %dot1, %dx1 : tensor<64x32xf32>, tensor<32xf32>, tensor<64x32xf32>, tensor<64xf32>, tensor<64xf32>, tensor<64x32xf32>) outs(%te : tensor<64x32xf32>) {
  ^bb0(%dh: f32, %gain: f32, %a: f32, %sum: f32, %dot: f32, %res: f32, %out: f32):
    %mean = arith.mulf %sum, %inv : f32
    %m = arith.addf %mean, %eps : f32
    %r = math.rsqrt %m : f32
    %n = arith.mulf %a, %r : f32
    %dn = arith.mulf %dh, %gain : f32
    %md = arith.mulf %dot, %inv : f32
    %nm = arith.mulf %n, %md : f32
    %df = arith.subf %dn, %nm : f32
    %dxn = arith.mulf %r, %df : f32
    %t = arith.addf %res, %dxn : f32
    linalg.yield %t : f32
  } -> tensor<64x32xf32>

  %y0 = shard.shard %y to %tokens : tensor<64x32xf32>
  %dx0 = shard.shard %dx to %tokens : tensor<64x32xf32>
  %dg1w = shard.shard %dg1 to %whole : tensor<32xf32>
  %dwqw = shard.shard %dwq to %whole : tensor<32x2x16xf32>
  %dwkw = shard.shard %dwk to %whole : tensor<32x2x16xf32>
  %dwvw = shard.shard %dwv to %whole : tensor<32x2x16xf32>
  %dwow = shard.shard %dwo to %whole : tensor<2x16x32xf32>
  %dg2w = shard.shard %dg2 to %whole : tensor<32xf32>
  %dw1w = shard.shard %dw1 to %whole : tensor<32x96xf32>
  %dw2w = shard.shard %dw2 to %whole : tensor<96x32xf32>
  return %y0, %dx0, %dg1w, %dwqw, %dwkw, %dwvw, %dwow, %dg2w, %dw1w, %dw2w
      : tensor<64x32xf32>, tensor<64x32xf32>, tensor<32xf32>,
        tensor<32x2x16xf32>, tensor<32x2x16xf32>, tensor<32x2x16xf32>,
        tensor<2x16x32xf32>, tensor<32xf32>, tensor<32x96xf32>,
        tensor<96x32xf32>
}
