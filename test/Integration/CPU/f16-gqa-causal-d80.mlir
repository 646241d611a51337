// f16, batch 1, 4 query heads over 2 key/value heads, 1000 queries x 1000 keys, head_dim 80, causal.
// RUN: ring-run %s --check --seed 7 | FileCheck %s
// CHECK: @attention f16 b=1 hq=4 hkv=2 sq=1000 skv=1000 d=80 causal:
// CHECK: check: {{.*}} PASS

func.func @attention(%q: tensor<1x4x1000x80xf16>, %k: tensor<1x2x1000x80xf16>, %v: tensor<1x2x1000x80xf16>) -> tensor<1x4x1000x80xf16> {
  %o = ring.attention %q, %k, %v causal : tensor<1x4x1000x80xf16>, tensor<1x2x1000x80xf16>, tensor<1x2x1000x80xf16>
  return %o : tensor<1x4x1000x80xf16>
}
