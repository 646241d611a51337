// Found by ring-ir-fuzzer: three blocks returned at once crashed
// -ring-lower-nvvm when the GPU lowering gave blocks of one shape the same
// result buffers. In destination-passing form all three blocks are given
// the same destination here, on purpose: One-Shot Bufferize must still give
// the three live results three buffers.
func.func @shared_kernels(%q: tensor<1x1x32x16xf32>, %p0: index, %p1: index) -> (tensor<1x1x32x16xf32>, tensor<1x1x32x16xf32>, tensor<1x1x32x16xf32>) {
  %o = tensor.empty() : tensor<1x1x32x16xf32>
  %l = tensor.empty() : tensor<1x1x32xf32>
  %a, %la = ring.block_attention %q, %q, %q into %o, %l causal query_pos(%p0, 1) key_pos(%p1, 1) : tensor<1x1x32x16xf32>, tensor<1x1x32x16xf32>, tensor<1x1x32x16xf32> -> tensor<1x1x32x16xf32>, tensor<1x1x32xf32>
  %b, %lb = ring.block_attention %q, %q, %q into %o, %l causal query_pos(%p1, 1) key_pos(%p0, 1) : tensor<1x1x32x16xf32>, tensor<1x1x32x16xf32>, tensor<1x1x32x16xf32> -> tensor<1x1x32x16xf32>, tensor<1x1x32xf32>
  %c, %lc = ring.block_attention %q, %q, %q into %o, %l : tensor<1x1x32x16xf32>, tensor<1x1x32x16xf32>, tensor<1x1x32x16xf32> -> tensor<1x1x32x16xf32>, tensor<1x1x32xf32>
  return %a, %b, %c : tensor<1x1x32x16xf32>, tensor<1x1x32x16xf32>, tensor<1x1x32x16xf32>
}
