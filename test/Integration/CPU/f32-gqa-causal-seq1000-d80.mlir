// f32, batch 2, 4 query heads over 2 key/value heads, 1000 queries x 1000 keys, head_dim 80, causal.
// RUN: ring-run %s --check --seed 7 | FileCheck %s
// CHECK: @attention f32 b=2 hq=4 hkv=2 sq=1000 skv=1000 d=80 causal:
// CHECK: check: {{.*}} PASS

func.func @attention(%q: tensor<2x4x1000x80xf32>, %k: tensor<2x2x1000x80xf32>, %v: tensor<2x2x1000x80xf32>) -> tensor<2x4x1000x80xf32> {
  %o = ring.attention %q, %k, %v causal : tensor<2x4x1000x80xf32>, tensor<2x2x1000x80xf32>, tensor<2x2x1000x80xf32>
  return %o : tensor<2x4x1000x80xf32>
}
