// bf16, batch 1, 4 query heads over 1 key/value heads, 257 queries x 257 keys, head_dim 128, causal.
// RUN: ring-run %s --check --seed 7 | FileCheck %s
// CHECK: @attention bf16 b=1 hq=4 hkv=1 sq=257 skv=257 d=128 causal:
// CHECK: check: {{.*}} PASS

func.func @attention(%q: tensor<1x4x257x128xbf16>, %k: tensor<1x1x257x128xbf16>, %v: tensor<1x1x257x128xbf16>) -> tensor<1x4x257x128xbf16> {
  %o = ring.attention %q, %k, %v causal : tensor<1x4x257x128xbf16>, tensor<1x1x257x128xbf16>, tensor<1x1x257x128xbf16>
  return %o : tensor<1x4x257x128xbf16>
}
