// Causal, grouped-query ring attention over four devices with the
// load-balancing zigzag layout. Each rank holds 1024 of the 4096 tokens.
shard.grid @ring(shape = 4)

func.func @attention(%q: tensor<1x8x1024x128xbf16>, %k: tensor<1x2x1024x128xbf16>,
                     %v: tensor<1x2x1024x128xbf16>) -> tensor<1x8x1024x128xbf16> {
  %o = ring.attention %q, %k, %v causal ring @ring axis 0 layout zigzag
      : tensor<1x8x1024x128xbf16>, tensor<1x2x1024x128xbf16>, tensor<1x2x1024x128xbf16>
  return %o : tensor<1x8x1024x128xbf16>
}
