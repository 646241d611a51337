// Training steps at the edges, each checked against float64 gradients:
// no keys at all (every row sees nothing: out and gradients exactly 0,
// never NaN), head_dim 1 causal, and bf16 cross-attention with a ragged
// key tile (3 queries over 37 keys).
// RUN: ring-run %s --entry nokeys --grad --check | FileCheck %s
// RUN: ring-run %s --entry d1 --grad --check | FileCheck %s
// RUN: ring-run %s --entry cross --grad --check | FileCheck %s
// CHECK-COUNT-4: check {{.*}} PASS
// CHECK-NOT: FAIL

func.func @nokeys(%q: tensor<1x2x8x16xf32>, %k: tensor<1x1x0x16xf32>, %v: tensor<1x1x0x16xf32>) -> tensor<1x2x8x16xf32> {
  %o = ring.attention %q, %k, %v : tensor<1x2x8x16xf32>, tensor<1x1x0x16xf32>, tensor<1x1x0x16xf32>
  return %o : tensor<1x2x8x16xf32>
}
func.func @d1(%q: tensor<1x2x5x1xf32>, %k: tensor<1x2x5x1xf32>, %v: tensor<1x2x5x1xf32>) -> tensor<1x2x5x1xf32> {
  %o = ring.attention %q, %k, %v causal : tensor<1x2x5x1xf32>, tensor<1x2x5x1xf32>, tensor<1x2x5x1xf32>
  return %o : tensor<1x2x5x1xf32>
}
func.func @cross(%q: tensor<1x2x3x8xbf16>, %k: tensor<1x1x37x8xbf16>, %v: tensor<1x1x37x8xbf16>) -> tensor<1x2x3x8xbf16> {
  %o = ring.attention %q, %k, %v : tensor<1x2x3x8xbf16>, tensor<1x1x37x8xbf16>, tensor<1x1x37x8xbf16>
  return %o : tensor<1x2x3x8xbf16>
}
