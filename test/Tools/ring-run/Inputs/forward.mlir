// One forward entry and no training step (ring-run/grad.mlir lowers it).
func.func @f(%q: tensor<1x1x4x8xf32>, %k: tensor<1x1x4x8xf32>,
             %v: tensor<1x1x4x8xf32>) -> tensor<1x1x4x8xf32> {
  %o = ring.attention %q, %k, %v
      : tensor<1x1x4x8xf32>, tensor<1x1x4x8xf32>, tensor<1x1x4x8xf32>
  return %o : tensor<1x1x4x8xf32>
}
