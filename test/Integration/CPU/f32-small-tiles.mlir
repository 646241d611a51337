// f32, batch 1, 2 query heads over 2 key/value heads, 100 queries x 100 keys, head_dim 24, causal.
// RUN: ring-run %s --check --seed 7 --query-tile 8 --key-tile 16 | FileCheck %s
// CHECK: @attention f32 b=1 hq=2 hkv=2 sq=100 skv=100 d=24 causal:
// CHECK: check: {{.*}} PASS

func.func @attention(%q: tensor<1x2x100x24xf32>, %k: tensor<1x2x100x24xf32>, %v: tensor<1x2x100x24xf32>) -> tensor<1x2x100x24xf32> {
  %o = ring.attention %q, %k, %v causal : tensor<1x2x100x24xf32>, tensor<1x2x100x24xf32>, tensor<1x2x100x24xf32>
  return %o : tensor<1x2x100x24xf32>
}
