// RUN: ring-opt %s -split-input-file -ring-lower-attention -verify-diagnostics | FileCheck %s

// Non-causal f32 attention is one block; the output needs no cast.
// CHECK-LABEL: func.func @f32_noncausal
// CHECK: %[[O:[^:]*]]:2 = ring.block_attention %{{.*}}, %{{.*}}, %{{.*}} into %{{.*}}, %{{.*}} scale 1.250000e-01 :
// CHECK-SAME: -> tensor<1x4x100x64xf32>, tensor<1x4x100xf32>
// CHECK-NOT: arith.truncf
// CHECK: return %[[O]]#0
func.func @f32_noncausal(%q: tensor<1x4x100x64xf32>, %k: tensor<1x4x100x64xf32>) -> tensor<1x4x100x64xf32> {
  %o = ring.attention %q, %k, %k : tensor<1x4x100x64xf32>, tensor<1x4x100x64xf32>, tensor<1x4x100x64xf32>
  return %o : tensor<1x4x100x64xf32>
}

// -----

// Causal positions on one device start at 0 on both sides; bf16 partials stay
// f32 and only the final result is rounded.
// CHECK-LABEL: func.func @bf16_causal
// CHECK: %[[ZERO:.*]] = arith.constant 0 : index
// CHECK: %[[O:[^:]*]]:2 = ring.block_attention %{{.*}}, %{{.*}}, %{{.*}} into %{{.*}}, %{{.*}} causal query_pos(%[[ZERO]], 1) key_pos(%[[ZERO]], 1) scale 5.000000e-01 :
// CHECK-SAME: -> tensor<2x8x16x32xf32>, tensor<2x8x16xf32>
// CHECK: %[[R:.*]] = arith.truncf %[[O]]#0 : tensor<2x8x16x32xf32> to tensor<2x8x16x32xbf16>
// CHECK: return %[[R]]
func.func @bf16_causal(%q: tensor<2x8x16x32xbf16>, %k: tensor<2x2x16x32xbf16>) -> tensor<2x8x16x32xbf16> {
  %o = ring.attention %q, %k, %k causal scale 0.5 : tensor<2x8x16x32xbf16>, tensor<2x2x16x32xbf16>, tensor<2x2x16x32xbf16>
  return %o : tensor<2x8x16x32xbf16>
}

// -----

shard.grid @ring(shape = 4)
func.func @ring_needs_schedule(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{ring attention over @ring must be scheduled before ring-lower-attention; this pipeline lowers single-device attention only}}
  %o = ring.attention %q, %q, %q ring @ring axis 0 : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}
