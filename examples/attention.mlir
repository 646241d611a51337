// Single-device causal attention, f32, 8 heads of dimension 64.
func.func @attention(%q: tensor<1x8x1000x64xf32>, %k: tensor<1x8x1000x64xf32>,
                     %v: tensor<1x8x1000x64xf32>) -> tensor<1x8x1000x64xf32> {
  %o = ring.attention %q, %k, %v causal
      : tensor<1x8x1000x64xf32>, tensor<1x8x1000x64xf32>, tensor<1x8x1000x64xf32>
  return %o : tensor<1x8x1000x64xf32>
}
