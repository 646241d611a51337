// Sharded model entries for ring-run's tests: x's tokens (dimension 0) are
// split over the 2 ranks of @ring, everything else is whole.
#rows = affine_map<(s, c) -> (s, c)>
#col = affine_map<(s, c) -> (c)>

shard.grid @ring(shape = 2)

// y = x * w, w broadcast over the tokens.
func.func @scale(%x: tensor<8x4xf32>, %w: tensor<4xf32>) -> tensor<8x4xf32> {
  %tokens = shard.sharding @ring split_axes = [[0]] : !shard.sharding
  %x0 = shard.shard %x to %tokens : tensor<8x4xf32>
  %e = tensor.empty() : tensor<8x4xf32>
  %y = linalg.generic {indexing_maps = [#rows, #col, #rows], iterator_types = ["parallel", "parallel"]} ins(%x0, %w : tensor<8x4xf32>, tensor<4xf32>) outs(%e : tensor<8x4xf32>) {
  ^bb0(%a: f32, %b: f32, %out: f32):
    %m = arith.mulf %a, %b : f32
    linalg.yield %m : f32
  } -> tensor<8x4xf32>
  %y0 = shard.shard %y to %tokens : tensor<8x4xf32>
  %ys = shard.shard %y0 to %tokens annotate_for_users : tensor<8x4xf32>
  return %ys : tensor<8x4xf32>
}

// Two results.
func.func @pair(%x: tensor<8x4xf32>) -> (tensor<8x4xf32>, tensor<8x4xf32>) {
  %tokens = shard.sharding @ring split_axes = [[0]] : !shard.sharding
  %x0 = shard.shard %x to %tokens : tensor<8x4xf32>
  return %x0, %x0 : tensor<8x4xf32>, tensor<8x4xf32>
}

// An i32 argument (every argument is used: upstream's shard-partition
// crashes on an unused one).
func.func @ints(%x: tensor<8x4xf32>, %n: tensor<4xi32>) -> tensor<8x4xf32> {
  %tokens = shard.sharding @ring split_axes = [[0]] : !shard.sharding
  %x0 = shard.shard %x to %tokens : tensor<8x4xf32>
  %e = tensor.empty() : tensor<8x4xf32>
  %y = linalg.generic {indexing_maps = [#rows, #col, #rows], iterator_types = ["parallel", "parallel"]} ins(%x0, %n : tensor<8x4xf32>, tensor<4xi32>) outs(%e : tensor<8x4xf32>) {
  ^bb0(%a: f32, %b: i32, %out: f32):
    %f = arith.sitofp %b : i32 to f32
    %s = arith.addf %a, %f : f32
    linalg.yield %s : f32
  } -> tensor<8x4xf32>
  return %y : tensor<8x4xf32>
}

// 13 operands: more than ring-run's C calls take.
func.func @wide(%x: tensor<8x4xf32>, %a1: tensor<4xf32>, %a2: tensor<4xf32>, %a3: tensor<4xf32>, %a4: tensor<4xf32>, %a5: tensor<4xf32>, %a6: tensor<4xf32>, %a7: tensor<4xf32>, %a8: tensor<4xf32>, %a9: tensor<4xf32>, %a10: tensor<4xf32>, %a11: tensor<4xf32>) -> tensor<8x4xf32> {
  %tokens = shard.sharding @ring split_axes = [[0]] : !shard.sharding
  %x0 = shard.shard %x to %tokens : tensor<8x4xf32>
  %e = tensor.empty() : tensor<8x4xf32>
  %y = linalg.generic {indexing_maps = [#rows, #col, #col, #col, #col, #col, #col, #col, #col, #col, #col, #col, #rows], iterator_types = ["parallel", "parallel"]} ins(%x0, %a1, %a2, %a3, %a4, %a5, %a6, %a7, %a8, %a9, %a10, %a11 : tensor<8x4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) outs(%e : tensor<8x4xf32>) {
  ^bb0(%v0: f32, %v1: f32, %v2: f32, %v3: f32, %v4: f32, %v5: f32, %v6: f32, %v7: f32, %v8: f32, %v9: f32, %v10: f32, %v11: f32, %out: f32):
    %p1 = arith.mulf %v0, %v1 : f32
    %p2 = arith.mulf %p1, %v2 : f32
    %p3 = arith.mulf %p2, %v3 : f32
    %p4 = arith.mulf %p3, %v4 : f32
    %p5 = arith.mulf %p4, %v5 : f32
    %p6 = arith.mulf %p5, %v6 : f32
    %p7 = arith.mulf %p6, %v7 : f32
    %p8 = arith.mulf %p7, %v8 : f32
    %p9 = arith.mulf %p8, %v9 : f32
    %p10 = arith.mulf %p9, %v10 : f32
    %p11 = arith.mulf %p10, %v11 : f32
    linalg.yield %p11 : f32
  } -> tensor<8x4xf32>
  return %y : tensor<8x4xf32>
}

// A rank-5 operand.
func.func @deep(%x: tensor<2x2x2x2x2xf32>) -> tensor<2x2x2x2x2xf32> {
  %tokens = shard.sharding @ring split_axes = [[0]] : !shard.sharding
  %x0 = shard.shard %x to %tokens : tensor<2x2x2x2x2xf32>
  return %x0 : tensor<2x2x2x2x2xf32>
}
