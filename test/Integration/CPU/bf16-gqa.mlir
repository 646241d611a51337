// bf16, batch 2, 4 query heads over 2 key/value heads, 200 queries x 200 keys, head_dim 64.
// RUN: ring-run %s --check --seed 7 | FileCheck %s
// CHECK: @attention bf16 b=2 hq=4 hkv=2 sq=200 skv=200 d=64:
// CHECK: check: {{.*}} PASS

func.func @attention(%q: tensor<2x4x200x64xbf16>, %k: tensor<2x2x200x64xbf16>, %v: tensor<2x2x200x64xbf16>) -> tensor<2x4x200x64xbf16> {
  %o = ring.attention %q, %k, %v : tensor<2x4x200x64xbf16>, tensor<2x2x200x64xbf16>, tensor<2x2x200x64xbf16>
  return %o : tensor<2x4x200x64xbf16>
}
