// f32, batch 1, 2 query heads over 2 key/value heads, 130 queries x 130 keys, head_dim 256, causal.
// RUN: ring-run %s --check --seed 7 | FileCheck %s
// CHECK: @attention f32 b=1 hq=2 hkv=2 sq=130 skv=130 d=256 causal:
// CHECK: check: {{.*}} PASS

func.func @attention(%q: tensor<1x2x130x256xf32>, %k: tensor<1x2x130x256xf32>, %v: tensor<1x2x130x256xf32>) -> tensor<1x2x130x256xf32> {
  %o = ring.attention %q, %k, %v causal : tensor<1x2x130x256xf32>, tensor<1x2x130x256xf32>, tensor<1x2x130x256xf32>
  return %o : tensor<1x2x130x256xf32>
}
