// f32, batch 2, 2 query heads over 2 key/value heads, 128 queries x 128 keys, head_dim 64, causal.
// RUN: ring-run %s --check --seed 7 | FileCheck %s
// CHECK: @attention f32 b=2 hq=2 hkv=2 sq=128 skv=128 d=64 causal:
// CHECK: check: {{.*}} PASS

func.func @attention(%q: tensor<2x2x128x64xf32>, %k: tensor<2x2x128x64xf32>, %v: tensor<2x2x128x64xf32>) -> tensor<2x2x128x64xf32> {
  %o = ring.attention %q, %k, %v causal : tensor<2x2x128x64xf32>, tensor<2x2x128x64xf32>, tensor<2x2x128x64xf32>
  return %o : tensor<2x2x128x64xf32>
}
