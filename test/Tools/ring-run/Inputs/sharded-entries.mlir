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

// 25 operands: more than ring-run's C calls take.
func.func @wide(%x: tensor<8x4xf32>, %a1: tensor<4xf32>, %a2: tensor<4xf32>, %a3: tensor<4xf32>, %a4: tensor<4xf32>, %a5: tensor<4xf32>, %a6: tensor<4xf32>, %a7: tensor<4xf32>, %a8: tensor<4xf32>, %a9: tensor<4xf32>, %a10: tensor<4xf32>, %a11: tensor<4xf32>, %a12: tensor<4xf32>, %a13: tensor<4xf32>, %a14: tensor<4xf32>, %a15: tensor<4xf32>, %a16: tensor<4xf32>, %a17: tensor<4xf32>, %a18: tensor<4xf32>, %a19: tensor<4xf32>, %a20: tensor<4xf32>, %a21: tensor<4xf32>, %a22: tensor<4xf32>, %a23: tensor<4xf32>) -> tensor<8x4xf32> {
  %tokens = shard.sharding @ring split_axes = [[0]] : !shard.sharding
  %x0 = shard.shard %x to %tokens : tensor<8x4xf32>
  %e = tensor.empty() : tensor<8x4xf32>
  %y = linalg.generic {indexing_maps = [#rows, #col, #col, #col, #col, #col, #col, #col, #col, #col, #col, #col, #col, #col, #col, #col, #col, #col, #col, #col, #col, #col, #col, #col, #rows], iterator_types = ["parallel", "parallel"]} ins(%x0, %a1, %a2, %a3, %a4, %a5, %a6, %a7, %a8, %a9, %a10, %a11, %a12, %a13, %a14, %a15, %a16, %a17, %a18, %a19, %a20, %a21, %a22, %a23 : tensor<8x4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) outs(%e : tensor<8x4xf32>) {
  ^bb0(%v0: f32, %v1: f32, %v2: f32, %v3: f32, %v4: f32, %v5: f32, %v6: f32, %v7: f32, %v8: f32, %v9: f32, %v10: f32, %v11: f32, %v12: f32, %v13: f32, %v14: f32, %v15: f32, %v16: f32, %v17: f32, %v18: f32, %v19: f32, %v20: f32, %v21: f32, %v22: f32, %v23: f32, %out: f32):
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
    %p12 = arith.mulf %p11, %v12 : f32
    %p13 = arith.mulf %p12, %v13 : f32
    %p14 = arith.mulf %p13, %v14 : f32
    %p15 = arith.mulf %p14, %v15 : f32
    %p16 = arith.mulf %p15, %v16 : f32
    %p17 = arith.mulf %p16, %v17 : f32
    %p18 = arith.mulf %p17, %v18 : f32
    %p19 = arith.mulf %p18, %v19 : f32
    %p20 = arith.mulf %p19, %v20 : f32
    %p21 = arith.mulf %p20, %v21 : f32
    %p22 = arith.mulf %p21, %v22 : f32
    %p23 = arith.mulf %p22, %v23 : f32
    linalg.yield %p23 : f32
  } -> tensor<8x4xf32>
  return %y : tensor<8x4xf32>
}

// A rank-5 operand.
func.func @deep(%x: tensor<2x2x2x2x2xf32>) -> tensor<2x2x2x2x2xf32> {
  %tokens = shard.sharding @ring split_axes = [[0]] : !shard.sharding
  %x0 = shard.shard %x to %tokens : tensor<2x2x2x2x2xf32>
  return %x0 : tensor<2x2x2x2x2xf32>
}
