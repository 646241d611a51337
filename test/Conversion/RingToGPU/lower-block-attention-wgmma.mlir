// RUN: ring-opt %s -split-input-file -ring-lower-block-attention-gpu=wgmma=true | FileCheck %s

// sm_90a's forward kernel (docs/GPU.md, "The sm_90a kernel (wgmma)"), up to
// head_dim 128 warp-specialized: two consumer warpgroups of 64 query rows
// and a producer warpgroup (384 threads). The launch provides 1024 bytes to
// align the tiles to the swizzle's period, then Q (128 rows), two stages of
// K and V (64 rows each) of 128 bf16, and five mbarriers: 1024 + 32768 +
// 2 x 2 x 16384 + 5 x 8 = 99368 bytes.

// CHECK-LABEL: func.func @causal_bf16_d128
// The host makes a tensor map of each of Q, K and V: boxes of 64 columns
// (one 128-byte swizzled row) by the 128 rows of Q's tile or the 64 of a
// key tile, zero-filled past the end; the kernel takes them as pointers.
// CHECK: %[[QU:.*]] = memref.cast %arg0 : memref<1x2x100x128xbf16> to memref<*xbf16>
// CHECK: %[[QMAP:.*]] = nvgpu.tma.create.descriptor %[[QU]] box[%c1, %c1, %c128, %c64] : memref<*xbf16> -> <tensor = memref<128x64xbf16, 3>, swizzle = swizzle_128b, l2promo = l2promo_128b, oob = zero, interleave = none>
// CHECK: %[[QPTR:.*]] = builtin.unrealized_conversion_cast %[[QMAP]] {{.*}} to !llvm.ptr
// CHECK: %[[KU:.*]] = memref.cast %arg1 {{.*}} to memref<*xbf16>
// CHECK: nvgpu.tma.create.descriptor %[[KU]] box[%c1, %c1, %c64, %c64] : memref<*xbf16> -> <tensor = memref<64x64xbf16, 3>, swizzle = swizzle_128b
// CHECK: %[[VU:.*]] = memref.cast %arg2 {{.*}} to memref<*xbf16>
// CHECK: nvgpu.tma.create.descriptor %[[VU]] box[%c1, %c1, %c64, %c64]
// CHECK: gpu.launch_func @ring_kernels::@flash_attention_bf16_d128_causal_wgmma blocks in (%c1{{.*}}, %c2{{.*}}, %c1{{.*}}) threads in (%c384, %c1{{.*}}, %c1{{.*}}) dynamic_shared_memory_size %c99368_i32
// CHECK-SAME: %[[QPTR]] : !llvm.ptr, %{{.*}} : !llvm.ptr, %{{.*}} : !llvm.ptr)
// Every thread starts with 168 registers (65536 / 384, a multiple of 8):
// the pool setmaxnreg redistributes.
// CHECK: gpu.func @flash_attention_bf16_d128_causal_wgmma
// CHECK-SAME: known_block_size = array<i32: 384, 1, 1>
// CHECK-SAME: nvvm.maxnreg = 168 : i32
// CHECK: %[[DYN:.*]] = gpu.dynamic_shared_memory
// The tiles start at the first 1024-byte boundary of the shared window.
// CHECK: %[[WINDOW:.*]] = memref.extract_aligned_pointer_as_index %[[DYN]]
// CHECK: %[[NEG:.*]] = arith.subi %c0{{.*}}, %[[WINDOW]]
// CHECK: %[[SKIP:.*]] = arith.andi %[[NEG]], %c1023
// CHECK: %[[ALIGNED:.*]] = arith.addi %[[WINDOW]], %[[SKIP]]
// TMA writes the tiles by address: no view of shared memory.
// CHECK-NOT: memref.view
// Descriptors: the 128-byte swizzle (bit 62) and 1024 bytes between 8-row
// groups (64 << 32); V's is MN-major with 8192 bytes (512 << 16) between
// its panels, where K-major operands have the unused 1 (1 << 16).
// 4611686293305360384 = 1 << 62 | 64 << 32 | 1 << 16 (Q, K);
// 4611686293338849280 = 1 << 62 | 64 << 32 | 512 << 16 (V).
// CHECK: arith.ori %{{.*}}, %c4611686293305360384_i64
// CHECK: arith.ori %{{.*}}, %c4611686293338849280_i64
// Thread 0 sets up the mbarriers after the stages (98304 bytes on): Q's and
// each stage's "full" one expect the producer's one arrival (and the bytes
// of its loads), each stage's "empty" one the 256 consumer threads; a fence
// shows them to the TMA unit, a block barrier to the threads.
// CHECK: %[[FIRST:.*]] = arith.cmpi eq, %thread_id_x, %c0
// CHECK: scf.if %[[FIRST]]
// CHECK: arith.addi %[[ALIGNED]], %c98304
// CHECK: nvvm.mbarrier.init %{{.*}}, %c1_i32
// CHECK: nvvm.mbarrier.init %{{.*}}, %c1_i32
// CHECK: nvvm.mbarrier.init %{{.*}}, %c256_i32
// CHECK: nvvm.mbarrier.init %{{.*}}, %c1_i32
// CHECK: nvvm.mbarrier.init %{{.*}}, %c256_i32
// CHECK-NEXT: nvvm.fence.mbarrier.init
// CHECK: gpu.barrier
// CHECK-NOT: gpu.barrier
// The producer warpgroup (threads 256-383) hands its registers to the
// consumers; its first thread issues every load.
// CHECK: %[[PRODUCER:.*]] = arith.cmpi uge, %thread_id_x, %c256
// CHECK: scf.if %[[PRODUCER]]
// CHECK-NEXT: nvvm.setmaxregister decrease 24
// CHECK-NEXT: %[[ISSUER:.*]] = arith.cmpi eq, %thread_id_x, %c256
// CHECK-NEXT: scf.if %[[ISSUER]]
// Q: Q's mbarrier expects its 32768 bytes, then two boxes (columns 0 and
// 64 of rows query0.., this head and batch) into its two panels.
// CHECK: %[[QFULL:.*]] = llvm.inttoptr
// CHECK-NEXT: nvvm.mbarrier.arrive.expect_tx %[[QFULL]], %c32768_i32
// CHECK-NOT: device_async
// CHECK: nvvm.cp.async.bulk.tensor.shared.cluster.global %{{.*}}, %arg10, %[[QFULL]], box[%c0_i32, %{{.*}}, %{{.*}}, %{{.*}}] : !llvm.ptr<7>, !llvm.ptr
// CHECK: arith.addi %[[ALIGNED]], %c16384
// CHECK: nvvm.cp.async.bulk.tensor.shared.cluster.global %{{.*}}, %arg10, %[[QFULL]], box[%c64_i32,
// Each key tile t: wait until stage t % 2 is empty (parity (t / 2) % 2 ^ 1,
// so the first use of a stage passes); its "full" mbarrier expects K(t)'s
// and V(t)'s 2 x 16384 bytes; two boxes of each into the stage.
// CHECK: scf.for %[[KEY0:.*]] = %c0
// CHECK: %[[STAGE:.*]] = arith.remui %{{.*}}, %c2
// CHECK: %[[EMPTYPARITY:.*]] = arith.xori %{{.*}}, %c1_i32
// CHECK: nvvm.mbarrier.try_wait.parity %{{.*}}, %[[EMPTYPARITY]]
// CHECK: %[[FULL:.*]] = llvm.inttoptr
// CHECK-NEXT: nvvm.mbarrier.arrive.expect_tx %[[FULL]], %c32768_i32
// CHECK-NEXT: arith.muli %[[STAGE]], %c32768
// CHECK: %[[ROW:.*]] = arith.index_castui %[[KEY0]] : index to i32
// CHECK: nvvm.cp.async.bulk.tensor.shared.cluster.global %{{.*}}, %arg11, %[[FULL]], box[%c0_i32, %[[ROW]],
// CHECK: nvvm.cp.async.bulk.tensor.shared.cluster.global %{{.*}}, %arg11, %[[FULL]], box[%c64_i32,
// CHECK: nvvm.cp.async.bulk.tensor.shared.cluster.global %{{.*}}, %arg12, %[[FULL]], box[%c0_i32,
// CHECK: nvvm.cp.async.bulk.tensor.shared.cluster.global %{{.*}}, %arg12, %[[FULL]], box[%c64_i32,
// CHECK-NOT: device_async
// CHECK-NOT: wgmma
// The consumers: no block barrier; they wait for Q, then for each tile's
// stage to be full, and empty it when both products have read it.
// CHECK: } else {
// CHECK-NEXT: nvvm.setmaxregister increase 240
// CHECK-NOT: gpu.barrier
// CHECK-NOT: device_async
// CHECK: nvvm.mbarrier.try_wait.parity %{{.*}}, %c0_i32
// CHECK: scf.for
// CHECK: nvvm.mbarrier.try_wait.parity
// S = Q K^T: 8 k-slices of m64n64k16, both K-major, one group.
// CHECK: nvvm.wgmma.fence.aligned
// CHECK-COUNT-8: nvvm.wgmma.mma_async {{.*}} <m = 64, n = 64, k = 16>, D[<f32>, <one>], A[<bf16>, <one>, <row>], B[<bf16>, <one>, <col>]
// CHECK-NEXT: nvvm.wgmma.commit.group.sync.aligned
// CHECK-NEXT: nvvm.wgmma.wait.group.sync.aligned 0
// CHECK-NOT: gpu.barrier
// CHECK: math.exp2
// O += P V: 4 k-slices of 16 keys, m64n128k16, P from registers (four bf16
// pairs a slice, the .rs form as inline PTX), V MN-major (imm-trans-b 1).
// CHECK: nvvm.wgmma.fence.aligned
// CHECK-COUNT-4: llvm.inline_asm has_side_effects asm_dialect = att "{\0A.reg .pred p;\0Asetp.ne.b32 p, 1, 0;\0Awgmma.mma_async.sync.aligned.m64n128k16.f32.bf16.bf16 {$0, {{.*}}, $63}, {$128, $129, $130, $131}, $132, p, 1, 1, 1;\0A}\0A", "=f,{{.*}},r,r,r,r,l"
// CHECK-NEXT: nvvm.wgmma.commit.group.sync.aligned
// CHECK-NEXT: nvvm.wgmma.wait.group.sync.aligned 0
// CHECK-NOT: wgmma.mma_async
// CHECK: nvvm.mbarrier.arrive
// CHECK-NEXT: scf.yield
// CHECK-NOT: wgmma.mma_async
// CHECK-NOT: gpu.barrier
// CHECK: gpu.return
func.func @causal_bf16_d128(%q: memref<1x2x100x128xbf16>, %k: memref<1x1x80x128xbf16>,
                            %v: memref<1x1x80x128xbf16>, %qo: index, %ko: index,
                            %o: memref<1x2x100x128xf32>, %l: memref<1x2x100xf32>) {
  ring.block_attention %q, %k, %v into %o, %l causal query_pos(%qo, 1) key_pos(%ko, 1)
      : memref<1x2x100x128xbf16>, memref<1x1x80x128xbf16>, memref<1x1x80x128xbf16>
      -> memref<1x2x100x128xf32>, memref<1x2x100xf32>
  return
}

// -----

// At head_dim 256 a consumer needs more registers than a producer
// warpgroup would leave it, so two warpgroups (256 threads) share the
// loads: 1024 + 65536 + 2 x 2 x 32768 = 197632 bytes, K and V
// double-buffered with one block barrier a tile.

// CHECK-LABEL: func.func @bf16_d256
// CHECK: gpu.launch_func @ring_kernels::@flash_attention_bf16_d256_wgmma blocks in {{.*}} threads in (%c256, %c1{{.*}}, %c1{{.*}}) dynamic_shared_memory_size %c197632_i32
// CHECK: gpu.func @flash_attention_bf16_d256_wgmma
// CHECK-SAME: known_block_size = array<i32: 256, 1, 1>
// CHECK-NOT: mbarrier
// CHECK-NOT: setmaxregister
// Prologue: Q, K(0) and V(0), one group.
// CHECK: nvgpu.device_async_copy %arg0
// CHECK: nvgpu.device_async_copy %arg1
// CHECK: nvgpu.device_async_copy %arg2
// CHECK: nvgpu.device_async_create_group
// One barrier a tile: K(t) and V(t) landed, made visible to wgmma and to
// the block; then K(t + 1) and V(t + 1) into the other stage.
// CHECK: scf.for
// CHECK: nvgpu.device_async_wait
// CHECK-NEXT: nvvm.fence.proxy {kind = #nvvm.proxy_kind<async.shared>, space = #nvvm.shared_space<cta>}
// CHECK-NEXT: gpu.barrier
// CHECK-NOT: gpu.barrier
// CHECK: %[[STAGE:.*]] = arith.remui %{{.*}}, %c2
// CHECK: scf.if
// CHECK: %[[OTHER:.*]] = arith.subi %c1{{.*}}, %[[STAGE]]
// CHECK: arith.muli %[[OTHER]], %c65536
// CHECK-NOT: gpu.barrier
// CHECK: nvgpu.device_async_copy %arg1
// CHECK-NOT: gpu.barrier
// CHECK: nvgpu.device_async_copy %arg2
// CHECK-NOT: gpu.barrier
// CHECK: nvgpu.device_async_create_group
// CHECK-NOT: gpu.barrier
// CHECK: nvvm.wgmma.mma_async
// CHECK-NOT: gpu.barrier
// CHECK: gpu.return
func.func @bf16_d256(%q: memref<1x1x100x256xbf16>, %o: memref<1x1x100x256xf32>,
                     %l: memref<1x1x100xf32>) {
  ring.block_attention %q, %q, %q into %o, %l
      : memref<1x1x100x256xbf16>, memref<1x1x100x256xbf16>, memref<1x1x100x256xbf16>
      -> memref<1x1x100x256xf32>, memref<1x1x100xf32>
  return
}

// -----

// A head_dim that is not a multiple of 64 keeps the mma.sync kernel; so
// does the backward at any head_dim (it has no wgmma kernel yet).

// CHECK-LABEL: func.func @f16_d96
// CHECK: gpu.launch_func @ring_kernels::@flash_attention_f16_d96_mma
// CHECK-NOT: wgmma
func.func @f16_d96(%q: memref<1x1x8x96xf16>, %o: memref<1x1x8x96xf32>,
                   %l: memref<1x1x8xf32>) {
  ring.block_attention %q, %q, %q into %o, %l
      : memref<1x1x8x96xf16>, memref<1x1x8x96xf16>, memref<1x1x8x96xf16>
      -> memref<1x1x8x96xf32>, memref<1x1x8xf32>
  return
}

// -----

// CHECK-LABEL: func.func @gradient_bf16_d64
// CHECK: gpu.launch_func @ring_kernels::@flash_attention_grad_dq_bf16_d64_mma
// CHECK: gpu.launch_func @ring_kernels::@flash_attention_grad_dkv_bf16_d64_mma
// CHECK-NOT: wgmma
func.func @gradient_bf16_d64(
    %q: memref<1x1x80x64xbf16>, %do: memref<1x1x80x64xbf16>,
    %l: memref<1x1x80xf32>, %dl: memref<1x1x80xf32>,
    %dq: memref<1x1x80x64xf32>, %dk: memref<1x1x80x64xf32>,
    %dv: memref<1x1x80x64xf32>) {
  ring.block_attention_grad %q, %q, %q, %do, %l, %dl into %dq, %dk, %dv
      : memref<1x1x80x64xbf16>, memref<1x1x80x64xbf16>,
        memref<1x1x80x64xbf16>, memref<1x1x80xf32>
      -> memref<1x1x80x64xf32>, memref<1x1x80x64xf32>
  return
}
