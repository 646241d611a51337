// f32, batch 1, 4 query heads over 4 key/value heads, 128 queries x 128 keys, head_dim 64.
// RUN: ring-run %s --check --seed 7 | FileCheck %s
// CHECK: @attention f32 b=1 hq=4 hkv=4 sq=128 skv=128 d=64:
// CHECK: check: {{.*}} PASS

func.func @attention(%q: tensor<1x4x128x64xf32>, %k: tensor<1x4x128x64xf32>, %v: tensor<1x4x128x64xf32>) -> tensor<1x4x128x64xf32> {
  %o = ring.attention %q, %k, %v : tensor<1x4x128x64xf32>, tensor<1x4x128x64xf32>, tensor<1x4x128x64xf32>
  return %o : tensor<1x4x128x64xf32>
}
