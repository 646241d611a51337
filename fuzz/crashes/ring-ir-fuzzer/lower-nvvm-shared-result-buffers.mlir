

// Blocks of one signature share one kernel function (a ring's blocks at
// different positions call it with their offsets); another signature (here
// non-causal) gets its own. Kernels are private, with internal linkage, and
// their scratch is allocated once, in the caller.
// CHECK-LABEL: func.func @shared_kernels
// Three outputs and their lse, and one set of eight scratch buffers.
// CHECK-COUNT-14: memref.alloc()
// CHECK-NOT: memref.alloc()
// CHECK: call @[[CAUSAL:__ring_block_attention[_0-9]*]](%{{.*}}, %{{.*}}, %{{.*}}, %[[P0:arg[0-9]+]], %[[P1:arg[0-9]+]], %{{.*}})
// CHECK: call @[[CAUSAL]](%{{.*}}, %{{.*}}, %{{.*}}, %[[P1]], %[[P0]], %{{.*}})
// CHECK: call @[[FULL:__ring_block_attention[_0-9]*]](
// CHECK-DAG: func.func private @[[CAUSAL]]({{.*}}) attributes {llvm.linkage = #llvm.linkage<internal>}
// CHECK-DAG: func.func private @[[FULL]]({{.*}}) attributes {llvm.linkage = #llvm.linkage<internal>}
// CHECK-NOT: func.func private
func.func @shared_kernels(%q: tensor<1x1x32x16xf32>, %p0: index, %p1: index) -> (tensor<1x1x32x16xf32>, tensor<1x1x32x16xf32>, tensor<1x1x32x16xf32>) {
  %a, %la = ring.block_attention %q, %q, %q causal query_pos(%p0, 1) key_pos(%p1, 1) : tensor<1x1x32x16xf32>, tensor<1x1x32x16xf32>, tensor<1x1x32x16xf32> -> tensor<1x1x32x16xf32>, tensor<1x1x32xf32>
  %b, %lb = ring.block_attention %q, %q, %q causal query_pos(%p1, 1) key_pos(%p0, 1) : tensor<1x1x32x16xf32>, tensor<1x1x32x16xf32>, tensor<1x1x32x16xf32> -> tensor<1x1x32x16xf32>, tensor<1x1x32xf32>
  %c, %lc = ring.block_attention %q, %q, %q : tensor<1x1x32x16xf32>, tensor<1x1x32x16xf32>, tensor<1x1x32x16xf32> -> tensor<1x1x32x16xf32>, tensor<1x1x32xf32>
  return %a, %b, %c : tensor<1x1x32x16xf32>, tensor<1x1x32x16xf32>, tensor<1x1x32x16xf32>
}
