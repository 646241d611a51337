// Column sums of x over its tokens, which are split over the 4 ranks of
// @ring: each rank sums its own tokens and shard-partition adds the ranks'
// partial sums with shard.all_reduce, which ring-lower-shard-collectives
// writes as a ring all-reduce (in f32 for bf16, rounded once).
#rows = affine_map<(s, c) -> (s, c)>
#col = affine_map<(s, c) -> (c)>

shard.grid @ring(shape = 4)

func.func @column_sums(%x: tensor<64x24xf32>) -> tensor<24xf32> {
  %tokens = shard.sharding @ring split_axes = [[0]] : !shard.sharding
  %whole = shard.sharding @ring split_axes = [[]] : !shard.sharding
  %xs = shard.shard %x to %tokens : tensor<64x24xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<24xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<24xf32>) -> tensor<24xf32>
  %sums = linalg.generic {indexing_maps = [#rows, #col], iterator_types = ["reduction", "parallel"]} ins(%xs : tensor<64x24xf32>) outs(%z : tensor<24xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %t = arith.addf %acc, %a : f32
    linalg.yield %t : f32
  } -> tensor<24xf32>
  %r = shard.shard %sums to %whole : tensor<24xf32>
  return %r : tensor<24xf32>
}
