// The whole CPU pipeline: only the LLVM dialect is left, the entry has a C
// interface taking (q, k, v, out) descriptors, and the ABI travels along.
// RUN: ring-opt %s -ring-lower-cpu | FileCheck %s
// RUN: ring-opt %s -ring-lower-cpu="query-tile=16 key-tile=32" | FileCheck %s

// CHECK-NOT: ring.
// CHECK-NOT: func.func
// The entry, control code around kernel calls, is compiled for size; the
// kernel for speed and never inlined (LLVM function attributes).
// CHECK-LABEL: llvm.func @attention
// CHECK-SAME: passthrough = ["optsize"], ring.abi = {causal = true
// CHECK-LABEL: llvm.func @_mlir_ciface_attention(%{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr)
// CHECK-NOT: math.
// CHECK: llvm.func internal @__ring_block_attention
// CHECK-SAME: passthrough = ["noinline"]
func.func @attention(%q: tensor<1x4x100x64xbf16>, %k: tensor<1x2x100x64xbf16>, %v: tensor<1x2x100x64xbf16>) -> tensor<1x4x100x64xbf16> {
  %o = ring.attention %q, %k, %v causal : tensor<1x4x100x64xbf16>, tensor<1x2x100x64xbf16>, tensor<1x2x100x64xbf16>
  return %o : tensor<1x4x100x64xbf16>
}
