// The whole GPU pipeline on a causal zigzag ring of 4 GPUs, bf16, GQA.
//
// PTX (format=isa) needs no CUDA toolkit: the kernels are compiled by LLVM's
// NVPTX backend, with exp and log as polynomials and exp2 as ex2.approx, so
// nothing is left for libdevice to supply.
// RUN: ring-opt %s -ring-lower-nvvm="format=isa" | FileCheck %s --check-prefixes=CHECK,PTX
// RUN: ring-opt %s -ring-lower-nvvm="format=isa tensor-cores=false" | FileCheck %s --check-prefixes=CHECK,SIMT
// sm_90a selects the wgmma kernel; plain sm_90 (no "a" features) keeps
// mma.sync.
// RUN: ring-opt %s -ring-lower-nvvm="format=isa chip=sm_90a" | FileCheck %s --check-prefix=SM90A
// RUN: ring-opt %s -ring-lower-nvvm="format=isa chip=sm_90" | FileCheck %s --check-prefix=SM90
// The ring loop allocates no device memory: the K/V double buffer and the
// block results are allocated before it, the natural-order result after it.
// RUN: ring-opt %s -ring-lower-nvvm="format=isa" -mlir-print-ir-after=ring-offload-to-gpu -o /dev/null 2>&1 | FileCheck %s --check-prefix=LOOP
// LOOP-LABEL: func.func @attention
// LOOP: gpu.memcpy
// LOOP: scf.for
// LOOP-NOT: gpu.alloc
// LOOP: gpu.alloc () : memref<1x8x512x128xf32>

// Host: only the LLVM dialect, kernel launches and the binaries are left;
// the ring's communication is runtime calls, the buffers device allocations.
// CHECK-NOT: ring.block_attention
// CHECK-NOT: func.func
// CHECK-NOT: memref.
// CHECK-LABEL: llvm.func @attention
// CHECK-SAME: ring.abi = {causal = true
// CHECK: llvm.call @ringattn_rank()
// CHECK: llvm.call @mgpuMemAlloc
// CHECK: llvm.call @ringattn_shift_start
// Kernels queue on the rank's stream; the host waits before the shifts.
// CHECK: llvm.call @mgpuStreamCreate
// CHECK: gpu.launch_func <%{{.*}} : !llvm.ptr> @ring_kernels::@flash_attention_bf16_d128_causal_{{mma|simt}}
// CHECK: llvm.call @mgpuStreamSynchronize
// CHECK: llvm.call @ringattn_shift_wait
// CHECK: llvm.call @mgpuMemFree
// CHECK-LABEL: llvm.func @_mlir_ciface_attention(%{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr)

// The default chip is sm_80 (bf16 mma.sync), PTX 8.0.
// PTX: gpu.binary @ring_kernels [#gpu.object<#nvvm.target<chip = "sm_80", features = "+ptx80">, {{.*}}assembly = "{{.*}}.version 8.0{{.*}}.target sm_80{{.*}}.entry flash_attention_bf16_d128_causal_mma{{.*}}bar.sync{{.*}}mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32{{.*}}shfl.sync.bfly{{.*}}ex2.approx.ftz.f32
// SIMT: gpu.binary @ring_kernels [#gpu.object<#nvvm.target<chip = "sm_80", features = "+ptx80">, {{.*}}assembly = "{{.*}}.entry flash_attention_bf16_d128_causal_simt
// SIMT-NOT: mma.sync
// On sm_90a the host makes the tensor maps of Q, K and V through the
// runtime, and the kernel's producer loads by TMA on mbarriers.
// SM90A-COUNT-3: llvm.call @mgpuTensorMapEncodeTiledMemref
// SM90A: gpu.launch_func <%{{.*}} : !llvm.ptr> @ring_kernels::@flash_attention_bf16_d128_causal_wgmma {{.*}}, %{{.*}} : !llvm.ptr, %{{.*}} : !llvm.ptr, %{{.*}} : !llvm.ptr)
// SM90A: gpu.binary @ring_kernels [#gpu.object<#nvvm.target<chip = "sm_90a", features = "+ptx80">, {{.*}}assembly = "{{.*}}.target sm_90a{{.*}}.entry flash_attention_bf16_d128_causal_wgmma{{.*}}fence.mbarrier_init.release.cluster{{.*}}mbarrier.arrive.expect_tx.shared.b64{{.*}}cp.async.bulk.tensor.4d.shared::cluster.global.tile.mbarrier::complete_tx::bytes{{.*}}wgmma.fence.sync.aligned{{.*}}wgmma.mma_async.sync.aligned.m64n64k16.f32.bf16.bf16{{.*}}wgmma.commit_group.sync.aligned{{.*}}wgmma.wait_group.sync.aligned
// SM90: gpu.binary @ring_kernels [#gpu.object<#nvvm.target<chip = "sm_90", features = "+ptx80">, {{.*}}assembly = "{{.*}}.entry flash_attention_bf16_d128_causal_mma
// SM90-NOT: wgmma
// CHECK-NOT: __nv_
shard.grid @ring(shape = 4)

func.func @attention(%q: tensor<1x8x512x128xbf16>, %k: tensor<1x2x512x128xbf16>,
                     %v: tensor<1x2x512x128xbf16>) -> tensor<1x8x512x128xbf16> {
  %o = ring.attention %q, %k, %v causal ring @ring axis 0 layout zigzag
      : tensor<1x8x512x128xbf16>, tensor<1x2x512x128xbf16>, tensor<1x2x512x128xbf16>
  return %o : tensor<1x8x512x128xbf16>
}
