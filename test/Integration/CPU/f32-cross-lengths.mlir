// f32, batch 1, 2 query heads over 1 key/value heads, 100 queries x 300 keys, head_dim 32.
// RUN: ring-run %s --check --seed 7 | FileCheck %s
// CHECK: @attention f32 b=1 hq=2 hkv=1 sq=100 skv=300 d=32:
// CHECK: check: {{.*}} PASS

func.func @attention(%q: tensor<1x2x100x32xf32>, %k: tensor<1x1x300x32xf32>, %v: tensor<1x1x300x32xf32>) -> tensor<1x2x100x32xf32> {
  %o = ring.attention %q, %k, %v : tensor<1x2x100x32xf32>, tensor<1x1x300x32xf32>, tensor<1x1x300x32xf32>
  return %o : tensor<1x2x100x32xf32>
}
