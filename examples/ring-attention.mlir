// Causal, grouped-query ring attention over four devices with the
// load-balancing zigzag layout: 8 query heads over 2 key/value heads of
// dimension 128, bf16. Each rank holds 512 of the 2048 tokens; only the
// key/value heads travel around the ring.
shard.grid @ring(shape = 4)

func.func @attention(%q: tensor<1x8x512x128xbf16>, %k: tensor<1x2x512x128xbf16>,
                     %v: tensor<1x2x512x128xbf16>) -> tensor<1x8x512x128xbf16> {
  %o = ring.attention %q, %k, %v causal ring @ring axis 0 layout zigzag
      : tensor<1x8x512x128xbf16>, tensor<1x2x512x128xbf16>, tensor<1x2x512x128xbf16>
  return %o : tensor<1x8x512x128xbf16>
}
