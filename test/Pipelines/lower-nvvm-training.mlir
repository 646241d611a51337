// A training step through the whole GPU pipeline: a causal zigzag ring of 4
// GPUs, bf16, GQA. The forward is recomputed with its log-sum-exp, then the
// backward ring launches the two gradient kernels for each block pair while
// K, V and the dK/dV partial sums travel; it compiles to PTX (format=isa)
// with nothing left for libdevice.
// RUN: ring-opt %s -ring-add-training-steps -ring-lower-nvvm="format=isa" | FileCheck %s
// The backward allocates and copies nothing from its first block gradient
// to its last: step 0, the ring loop (K and V bf16, then the dK/dV partial
// sums in f32, shifted while the kernels run), the last step, and the
// partial sums' final shift home. Its buffers are allocated before.
// RUN: ring-opt %s -ring-add-training-steps -ring-lower-nvvm="format=isa" -mlir-print-ir-after=ring-offload-to-gpu -o /dev/null 2>&1 | FileCheck %s --check-prefix=LOOP
// LOOP-LABEL: func.func @attention_grad
// LOOP: gpu.launch_func @ring_kernels::@flash_attention_grad_dq_bf16_d128_causal_mma
// LOOP-NOT: gpu.alloc
// LOOP-NOT: gpu.memcpy
// LOOP: scf.for
// LOOP-NOT: gpu.alloc
// LOOP-NOT: gpu.memcpy
// LOOP: ring.shift_start {{.*}} : memref<1x2x128x128xbf16>
// LOOP-NOT: gpu.alloc
// LOOP-NOT: gpu.memcpy
// LOOP: ring.shift_start {{.*}} : memref<1x2x128x128xf32>
// LOOP-NOT: gpu.alloc
// LOOP-NOT: gpu.memcpy
// LOOP: gpu.launch_func @ring_kernels::@flash_attention_grad_dkv_bf16_d128_causal_mma
// LOOP-NOT: gpu.alloc
// LOOP-NOT: gpu.memcpy
// LOOP: ring.shift_wait {{.*}} : !ring.future<memref<1x2x128x128xf32>>
// LOOP-NOT: gpu.alloc
// LOOP-NOT: gpu.memcpy
// LOOP: gpu.launch_func @ring_kernels::@flash_attention_grad_dkv_bf16_d128_causal_mma
// LOOP-NOT: gpu.alloc
// LOOP-NOT: gpu.memcpy
// LOOP: ring.shift_start {{.*}} : memref<1x2x128x128xf32>
// LOOP-NOT: gpu.alloc
// LOOP-NOT: gpu.memcpy
// LOOP: ring.shift_wait {{.*}} : !ring.future<memref<1x2x128x128xf32>>

// CHECK-LABEL: llvm.func @attention_grad
// CHECK-SAME: training = true
// CHECK: gpu.launch_func <%{{.*}} : !llvm.ptr> @ring_kernels::@flash_attention_bf16_d128_causal_mma
// CHECK: llvm.call @ringattn_shift_start
// CHECK: gpu.launch_func <%{{.*}} : !llvm.ptr> @ring_kernels::@flash_attention_grad_dq_bf16_d128_causal_mma
// CHECK: gpu.launch_func <%{{.*}} : !llvm.ptr> @ring_kernels::@flash_attention_grad_dkv_bf16_d128_causal_mma
// CHECK: llvm.call @ringattn_shift_wait
// CHECK-LABEL: llvm.func @_mlir_ciface_attention_grad
// CHECK: gpu.binary @ring_kernels [#gpu.object<#nvvm.target<chip = "sm_80", features = "+ptx80">, {{.*}}.entry flash_attention_grad_dq_bf16_d128_causal_mma{{.*}}ex2.approx.ftz.f32{{.*}}.entry flash_attention_grad_dkv_bf16_d128_causal_mma
// CHECK-NOT: __nv_
shard.grid @ring(shape = 4)

func.func @attention(%q: tensor<1x8x128x128xbf16>, %k: tensor<1x2x128x128xbf16>,
                     %v: tensor<1x2x128x128xbf16>) -> tensor<1x8x128x128xbf16> {
  %o = ring.attention %q, %k, %v causal ring @ring axis 0 layout zigzag
      : tensor<1x8x128x128xbf16>, tensor<1x2x128x128xbf16>, tensor<1x2x128x128xbf16>
  return %o : tensor<1x8x128x128xbf16>
}
