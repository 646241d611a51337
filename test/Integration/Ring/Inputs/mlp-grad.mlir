// The backward of the layer's MLP, y = silu(x W1) W2, over a ring of 4,
// for the loss sum(y * dy): the tokens of x and dy are split, the weights
// whole. shard-partition sums the weights' gradients and the loss over the
// tokens with shard.all_reduce, which ring-lower-shard-collectives writes
// as a ring all-reduce.
//   dW2 = silu(h)^T dy     dh = (dy W2^T) * silu'(h)
//   dW1 = x^T dh           dx = dh W1^T           (h = x W1)
#xw = affine_map<(s, f, c) -> (s, c)>
#w = affine_map<(s, f, c) -> (c, f)>
#out = affine_map<(s, f, c) -> (s, f)>
#lhsT = affine_map<(m, n, k) -> (k, m)>
#rhs = affine_map<(m, n, k) -> (k, n)>
#rhsT = affine_map<(m, n, k) -> (n, k)>
#lhs = affine_map<(m, n, k) -> (m, k)>
#mn = affine_map<(m, n, k) -> (m, n)>
#id = affine_map<(s, f) -> (s, f)>
#all = affine_map<(s, c) -> ()>

shard.grid @ring(shape = 4)

func.func @mlp_grad(%x: tensor<48x32xf32>, %w1: tensor<32x96xf32>,
                    %w2: tensor<96x32xf32>, %dy: tensor<48x32xf32>)
    -> (tensor<48x32xf32>, tensor<32x96xf32>, tensor<96x32xf32>,
        tensor<f32>) {
  %tokens = shard.sharding @ring split_axes = [[0]] : !shard.sharding
  %whole = shard.sharding @ring split_axes = [[]] : !shard.sharding
  %xs = shard.shard %x to %tokens : tensor<48x32xf32>
  %dys = shard.shard %dy to %tokens : tensor<48x32xf32>
  %zero = arith.constant 0.0 : f32
  %one = arith.constant 1.0 : f32

  // h = x W1, and silu(h) and silu'(h) = s (1 + h (1 - s)), s = sigmoid(h).
  %sf0 = tensor.empty() : tensor<48x96xf32>
  %sf = linalg.fill ins(%zero : f32) outs(%sf0 : tensor<48x96xf32>) -> tensor<48x96xf32>
  %h = linalg.matmul indexing_maps = [#lhs, #rhs, #mn]
      ins(%xs, %w1 : tensor<48x32xf32>, tensor<32x96xf32>)
      outs(%sf : tensor<48x96xf32>) -> tensor<48x96xf32>
  %act:2 = linalg.generic {indexing_maps = [#id, #id, #id],
                           iterator_types = ["parallel", "parallel"]}
      ins(%h : tensor<48x96xf32>) outs(%sf0, %sf0 : tensor<48x96xf32>, tensor<48x96xf32>) {
  ^bb0(%v: f32, %o0: f32, %o1: f32):
    %neg = arith.negf %v : f32
    %e = math.exp %neg : f32
    %den = arith.addf %one, %e : f32
    %s = arith.divf %one, %den : f32
    %a = arith.mulf %v, %s : f32
    %oms = arith.subf %one, %s : f32
    %t = arith.mulf %v, %oms : f32
    %u = arith.addf %one, %t : f32
    %d = arith.mulf %s, %u : f32
    linalg.yield %a, %d : f32, f32
  } -> (tensor<48x96xf32>, tensor<48x96xf32>)

  // dW2 = a^T dy: a sum over the tokens.
  %fc0 = tensor.empty() : tensor<96x32xf32>
  %fc = linalg.fill ins(%zero : f32) outs(%fc0 : tensor<96x32xf32>) -> tensor<96x32xf32>
  %dw2 = linalg.matmul indexing_maps = [#lhsT, #rhs, #mn]
      ins(%act#0, %dys : tensor<48x96xf32>, tensor<48x32xf32>)
      outs(%fc : tensor<96x32xf32>) -> tensor<96x32xf32>

  // dh = (dy W2^T) * silu'(h).
  %da = linalg.matmul indexing_maps = [#lhs, #rhsT, #mn]
      ins(%dys, %w2 : tensor<48x32xf32>, tensor<96x32xf32>)
      outs(%sf : tensor<48x96xf32>) -> tensor<48x96xf32>
  %dh = linalg.generic {indexing_maps = [#id, #id, #id],
                        iterator_types = ["parallel", "parallel"]}
      ins(%da, %act#1 : tensor<48x96xf32>, tensor<48x96xf32>) outs(%sf0 : tensor<48x96xf32>) {
  ^bb0(%g: f32, %d: f32, %o: f32):
    %p = arith.mulf %g, %d : f32
    linalg.yield %p : f32
  } -> tensor<48x96xf32>

  // dW1 = x^T dh: a sum over the tokens.
  %cf0 = tensor.empty() : tensor<32x96xf32>
  %cf = linalg.fill ins(%zero : f32) outs(%cf0 : tensor<32x96xf32>) -> tensor<32x96xf32>
  %dw1 = linalg.matmul indexing_maps = [#lhsT, #rhs, #mn]
      ins(%xs, %dh : tensor<48x32xf32>, tensor<48x96xf32>)
      outs(%cf : tensor<32x96xf32>) -> tensor<32x96xf32>

  // dx = dh W1^T: the tokens' own.
  %sc0 = tensor.empty() : tensor<48x32xf32>
  %sc = linalg.fill ins(%zero : f32) outs(%sc0 : tensor<48x32xf32>) -> tensor<48x32xf32>
  %dx = linalg.matmul indexing_maps = [#lhs, #rhsT, #mn]
      ins(%dh, %w1 : tensor<48x96xf32>, tensor<32x96xf32>)
      outs(%sc : tensor<48x32xf32>) -> tensor<48x32xf32>

  // The loss, sum(y * dy) with y = silu(h) W2: a sum over every token.
  %y = linalg.matmul indexing_maps = [#lhs, #rhs, #mn]
      ins(%act#0, %w2 : tensor<48x96xf32>, tensor<96x32xf32>)
      outs(%sc : tensor<48x32xf32>) -> tensor<48x32xf32>
  %l0 = tensor.empty() : tensor<f32>
  %l = linalg.fill ins(%zero : f32) outs(%l0 : tensor<f32>) -> tensor<f32>
  %loss = linalg.generic {indexing_maps = [#id, #id, #all],
                          iterator_types = ["reduction", "reduction"]}
      ins(%y, %dys : tensor<48x32xf32>, tensor<48x32xf32>) outs(%l : tensor<f32>) {
  ^bb0(%a: f32, %g: f32, %acc: f32):
    %p = arith.mulf %a, %g : f32
    %t = arith.addf %acc, %p : f32
    linalg.yield %t : f32
  } -> tensor<f32>

  %dxs = shard.shard %dx to %tokens : tensor<48x32xf32>
  %dw1s = shard.shard %dw1 to %whole : tensor<32x96xf32>
  %dw2s = shard.shard %dw2 to %whole : tensor<96x32xf32>
  %losss = shard.shard %loss to %whole : tensor<f32>
  return %dxs, %dw1s, %dw2s, %losss
      : tensor<48x32xf32>, tensor<32x96xf32>, tensor<96x32xf32>, tensor<f32>
}
