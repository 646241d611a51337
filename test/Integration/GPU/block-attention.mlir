// Single-GPU attention against the float64 reference: the tensor-core kernel
// (bf16/f16, head_dim % 16 == 0) and the SIMT kernel (f32, head_dim 80 and
// 72), ragged tiles (200 queries, 136 keys), GQA, causal and not.
// RUN: ring-run %s --backend gpu --entry bf16_causal --check --seed 1 | FileCheck %s
// RUN: ring-run %s --backend gpu --entry bf16_full --check --seed 2 | FileCheck %s
// RUN: ring-run %s --backend gpu --entry f16_gqa_d64 --check --seed 3 | FileCheck %s
// RUN: ring-run %s --backend gpu --entry f32_causal_d80 --check --seed 4 | FileCheck %s
// RUN: ring-run %s --backend gpu --entry bf16_d72 --check --seed 5 | FileCheck %s
// RUN: ring-run %s --backend gpu --entry f16_cross --check --seed 6 | FileCheck %s
// CHECK: check: {{.*}} PASS

func.func @bf16_causal(%q: tensor<2x4x200x128xbf16>, %k: tensor<2x4x200x128xbf16>, %v: tensor<2x4x200x128xbf16>) -> tensor<2x4x200x128xbf16> {
  %o = ring.attention %q, %k, %v causal : tensor<2x4x200x128xbf16>, tensor<2x4x200x128xbf16>, tensor<2x4x200x128xbf16>
  return %o : tensor<2x4x200x128xbf16>
}

func.func @bf16_full(%q: tensor<1x4x256x128xbf16>, %k: tensor<1x4x256x128xbf16>, %v: tensor<1x4x256x128xbf16>) -> tensor<1x4x256x128xbf16> {
  %o = ring.attention %q, %k, %v : tensor<1x4x256x128xbf16>, tensor<1x4x256x128xbf16>, tensor<1x4x256x128xbf16>
  return %o : tensor<1x4x256x128xbf16>
}

func.func @f16_gqa_d64(%q: tensor<1x8x192x64xf16>, %k: tensor<1x2x192x64xf16>, %v: tensor<1x2x192x64xf16>) -> tensor<1x8x192x64xf16> {
  %o = ring.attention %q, %k, %v causal : tensor<1x8x192x64xf16>, tensor<1x2x192x64xf16>, tensor<1x2x192x64xf16>
  return %o : tensor<1x8x192x64xf16>
}

func.func @f32_causal_d80(%q: tensor<1x2x130x80xf32>, %k: tensor<1x2x130x80xf32>, %v: tensor<1x2x130x80xf32>) -> tensor<1x2x130x80xf32> {
  %o = ring.attention %q, %k, %v causal : tensor<1x2x130x80xf32>, tensor<1x2x130x80xf32>, tensor<1x2x130x80xf32>
  return %o : tensor<1x2x130x80xf32>
}

func.func @bf16_d72(%q: tensor<1x2x100x72xbf16>, %k: tensor<1x2x100x72xbf16>, %v: tensor<1x2x100x72xbf16>) -> tensor<1x2x100x72xbf16> {
  %o = ring.attention %q, %k, %v : tensor<1x2x100x72xbf16>, tensor<1x2x100x72xbf16>, tensor<1x2x100x72xbf16>
  return %o : tensor<1x2x100x72xbf16>
}

func.func @f16_cross(%q: tensor<1x2x64x256xf16>, %k: tensor<1x2x136x256xf16>, %v: tensor<1x2x136x256xf16>) -> tensor<1x2x64x256xf16> {
  %o = ring.attention %q, %k, %v : tensor<1x2x64x256xf16>, tensor<1x2x136x256xf16>, tensor<1x2x136x256xf16>
  return %o : tensor<1x2x64x256xf16>
}
