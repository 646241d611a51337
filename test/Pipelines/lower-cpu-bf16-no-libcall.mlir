// bf16 results on a CPU without AVX-512 BF16: the f32 -> bf16 rounding is
// integer arithmetic, never a call of __truncsfbf2 (Debian 12's libgcc has
// none, so a JIT or a link would fail on it).
// RUN: ring-opt %s -ring-lower-cpu="target-cpu=x86-64-v3" | mlir-translate --mlir-to-llvmir | llc -O2 | FileCheck %s
// CHECK-LABEL: attention:
// CHECK-NOT: __truncsfbf2
// CHECK-NOT: call{{.*}}bf16
// CHECK: .size attention
func.func @attention(%q: tensor<1x2x32x16xbf16>, %k: tensor<1x2x32x16xbf16>, %v: tensor<1x2x32x16xbf16>) -> tensor<1x2x32x16xbf16> {
  %o = ring.attention %q, %k, %v causal : tensor<1x2x32x16xbf16>, tensor<1x2x32x16xbf16>, tensor<1x2x32x16xbf16>
  return %o : tensor<1x2x32x16xbf16>
}
