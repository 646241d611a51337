// f32, batch 1, 2 query heads over 2 key/value heads, 1 queries x 1 keys, head_dim 16, causal.
// RUN: ring-run %s --check --seed 7 | FileCheck %s
// CHECK: @attention f32 b=1 hq=2 hkv=2 sq=1 skv=1 d=16 causal:
// CHECK: check: {{.*}} PASS

func.func @attention(%q: tensor<1x2x1x16xf32>, %k: tensor<1x2x1x16xf32>, %v: tensor<1x2x1x16xf32>) -> tensor<1x2x1x16xf32> {
  %o = ring.attention %q, %k, %v causal : tensor<1x2x1x16xf32>, tensor<1x2x1x16xf32>, tensor<1x2x1x16xf32>
  return %o : tensor<1x2x1x16xf32>
}
