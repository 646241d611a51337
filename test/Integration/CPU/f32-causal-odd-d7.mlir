// f32, batch 1, 3 query heads over 1 key/value heads, 33 queries x 33 keys, head_dim 7, causal.
// RUN: ring-run %s --check --seed 7 | FileCheck %s
// CHECK: @attention f32 b=1 hq=3 hkv=1 sq=33 skv=33 d=7 causal:
// CHECK: check: {{.*}} PASS

func.func @attention(%q: tensor<1x3x33x7xf32>, %k: tensor<1x1x33x7xf32>, %v: tensor<1x1x33x7xf32>) -> tensor<1x3x33x7xf32> {
  %o = ring.attention %q, %k, %v causal : tensor<1x3x33x7xf32>, tensor<1x1x33x7xf32>, tensor<1x1x33x7xf32>
  return %o : tensor<1x3x33x7xf32>
}
