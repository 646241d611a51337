// RUN: ring-opt %s -split-input-file -ring-lower-block-attention-gpu -verify-diagnostics | FileCheck %s
// RUN: ring-opt %s -split-input-file -ring-lower-block-attention-gpu=tensor-cores=false -verify-diagnostics | FileCheck %s --check-prefix=SIMT

// bf16 with head_dim % 16 == 0: the tensor-core kernel. 100 query rows fit
// one tile of 128; the grid is (1, query heads, batch), and the launch
// provides the Q, K and V tiles as dynamic shared memory: (128 + 2 x 64)
// rows of 64 + 8 bf16. The block is on buffers (after bufferization): the
// launch reads the operands and writes the destinations, and nothing is
// allocated.

// CHECK-LABEL: module attributes {gpu.container_module}
// CHECK-LABEL: func.func @causal_gqa_bf16
// CHECK-SAME: %[[OUT:arg[0-9]+]]: memref<1x4x100x64xf32>, %[[LSE:arg[0-9]+]]: memref<1x4x100xf32>
// CHECK-NOT: memref.alloc
// CHECK-DAG: %[[SMEM:.*]] = arith.constant 36864 : i32
// CHECK-DAG: %[[SCALE:.*]] = arith.constant 0.180336878 : f32
// CHECK: %[[OUTARG:.*]] = memref.cast %[[OUT]] : memref<1x4x100x64xf32> to memref<?x?x?x?xf32, strided<[?, ?, ?, 1], offset: ?>>
// CHECK: %[[LSEARG:.*]] = memref.cast %[[LSE]] : memref<1x4x100xf32> to memref<?x?x?xf32, strided<[?, ?, 1], offset: ?>>
// CHECK: gpu.launch_func @ring_kernels::@flash_attention_bf16_d64_causal_mma blocks in (%c1{{.*}}, %c4, %c1{{.*}}) threads in (%c128, %c1{{.*}}, %c1{{.*}}) dynamic_shared_memory_size %[[SMEM]]
// CHECK-SAME: args(%{{.*}} : memref<?x?x?x?xbf16, {{.*}}>, %{{.*}} : memref<?x?x?x?xbf16, {{.*}}>, %{{.*}} : memref<?x?x?x?xbf16, {{.*}}>, %[[OUTARG]] : {{.*}}, %[[LSEARG]] : {{.*}}, %[[SCALE]] : f32, %arg3 : index, %c2{{.*}} : index, %arg4 : index, %c2{{.*}} : index)
// CHECK-NOT: ring.block_attention
// CHECK: gpu.module @ring_kernels
// CHECK: gpu.func @flash_attention_bf16_d64_causal_mma
// CHECK-NOT: workgroup(
// CHECK-SAME: kernel attributes {known_block_size = array<i32: 128, 1, 1>}
// The dynamic shared memory the Q, K and V tiles are views of.
// CHECK: %[[DYN:.*]] = gpu.dynamic_shared_memory : memref<?xi8, #gpu.address_space<workgroup>>
// GQA: the key/value head is the query head over the group size.
// CHECK: arith.divui
// The tiles.
// CHECK: %[[QT:.*]] = memref.view %[[DYN]][%c0{{.*}}][] : {{.*}} to memref<128x72xbf16, #gpu.address_space<workgroup>>
// CHECK: %[[KT:.*]] = memref.view %[[DYN]][%c18432{{.*}}][] : {{.*}} to memref<64x72xbf16, #gpu.address_space<workgroup>>
// CHECK: %[[VT:.*]] = memref.view %[[DYN]][%c27648{{.*}}][] : {{.*}} to memref<64x72xbf16, #gpu.address_space<workgroup>>
// Prologue: Q (128 rows x 8 chunks / 128 threads) and K(0) (64 x 8 / 128)
// by cp.async, one group.
// CHECK-COUNT-8: nvgpu.device_async_copy %arg0{{.*}}, %[[QT]]{{.*}}, 8 {bypassL1}
// CHECK-COUNT-4: nvgpu.device_async_copy %arg1{{.*}}, %[[KT]]{{.*}}, 8 {bypassL1}
// CHECK: nvgpu.device_async_create_group
// The key loop: wait for K, then V's copies overlap S = Q K^T.
// CHECK: scf.for
// CHECK: nvgpu.device_async_wait %{{.*}} {numGroups = 0 : i32}
// CHECK-NEXT: gpu.barrier
// CHECK-COUNT-4: nvgpu.device_async_copy %arg2{{.*}}, %[[VT]]
// CHECK: %[[VGROUP:.*]] = nvgpu.device_async_create_group
// CHECK: nvgpu.ldmatrix %[[QT]]{{.*}} {numTiles = 4 : i32, transpose = false}
// CHECK: nvgpu.ldmatrix %[[KT]]{{.*}} {numTiles = 4 : i32, transpose = false}
// S: 4 k-slices x 8 key n-tiles x 2 m-tiles.
// CHECK-COUNT-64: nvvm.mma.sync {{.*}} {layoutA = #nvvm.mma_layout<row>, layoutB = #nvvm.mma_layout<col>, multiplicandAPtxType = #nvvm.mma_type<bf16>, multiplicandBPtxType = #nvvm.mma_type<bf16>, shape = #nvvm.shape<m = 16, n = 8, k = 16>}
// Only tiles a warp does not see whole are masked.
// CHECK: scf.if
// CHECK: } else {
// CHECK: arith.select
// CHECK: gpu.shuffle  xor %{{.*}}, %{{.*}}, %{{.*}} : f32
// CHECK: math.exp2
// Wait for V; K(t + 1)'s copies overlap O += P V.
// CHECK: nvgpu.device_async_wait %[[VGROUP]] {numGroups = 0 : i32}
// CHECK-NEXT: gpu.barrier
// CHECK: scf.if
// CHECK-COUNT-4: nvgpu.device_async_copy %arg1{{.*}}, %[[KT]]
// CHECK: nvgpu.device_async_create_group
// CHECK: nvgpu.ldmatrix %[[VT]]{{.*}} {numTiles = 4 : i32, transpose = true}
// P V: 4 key k-slices x 8 head_dim n-tiles x 2 m-tiles.
// CHECK-COUNT-64: nvvm.mma.sync
// CHECK-NOT: nvvm.mma.sync
// Epilogue: every copy drained, then the rows.
// CHECK: nvgpu.device_async_wait %{{.*}} {numGroups = 0 : i32}
// CHECK: gpu.shuffle  xor %{{.*}}, %{{.*}}, %{{.*}} : f32
// CHECK: vector.store {{.*}} : memref<?x?x?x?xf32, strided<[?, ?, ?, 1], offset: ?>>, vector<2xf32>
// CHECK: gpu.return

// SIMT-LABEL: func.func @causal_gqa_bf16
// SIMT: gpu.launch_func @ring_kernels::@flash_attention_bf16_d64_causal_simt
// SIMT-NOT: nvvm.mma.sync
func.func @causal_gqa_bf16(%q: memref<1x4x100x64xbf16>, %k: memref<1x2x80x64xbf16>,
                           %v: memref<1x2x80x64xbf16>, %qo: index, %ko: index,
                           %o: memref<1x4x100x64xf32>, %l: memref<1x4x100xf32>) {
  ring.block_attention %q, %k, %v into %o, %l causal query_pos(%qo, 2) key_pos(%ko, 2)
      : memref<1x4x100x64xbf16>, memref<1x2x80x64xbf16>, memref<1x2x80x64xbf16>
      -> memref<1x4x100x64xf32>, memref<1x4x100xf32>
  return
}

// -----

// f32 (and head_dim 7): the SIMT kernel, one thread per query row with its
// q row and accumulator in private memory; 64 keys of 7 f32 per tile.
// Two blocks of one shape share the kernel; each writes its own
// destinations, which the merge then reads.

// CHECK-LABEL: func.func @two_blocks_f32
// CHECK-SAME: %[[O1:arg3]]: memref<2x2x16x7xf32>, %{{.*}}: memref<2x2x16xf32>, %[[O2:arg5]]: memref<2x2x16x7xf32>
// CHECK: memref.cast %[[O1]] : memref<2x2x16x7xf32> to
// CHECK: gpu.launch_func @ring_kernels::@flash_attention_f32_d7_simt
// CHECK: memref.cast %[[O2]] : memref<2x2x16x7xf32> to
// CHECK: gpu.launch_func @ring_kernels::@flash_attention_f32_d7_simt
// CHECK: ring.combine(%[[O1]], %{{.*}}), (%[[O2]], %{{.*}})
// CHECK: gpu.func @flash_attention_f32_d7_simt
// CHECK-SAME: private(%{{.*}} : memref<7xf32, #gpu.address_space<private>>, %{{.*}} : memref<7xf32, #gpu.address_space<private>>)
// CHECK-SAME: known_block_size = array<i32: 64, 1, 1>
// CHECK: %[[DYN:.*]] = gpu.dynamic_shared_memory
// CHECK: memref.view %[[DYN]][%c0{{.*}}][] : {{.*}} to memref<64x7xf32, #gpu.address_space<workgroup>>
// CHECK: memref.view %[[DYN]][%c1792{{.*}}][] : {{.*}} to memref<64x7xf32, #gpu.address_space<workgroup>>
// CHECK-NOT: nvvm.mma.sync
// CHECK: math.exp2
// CHECK-NOT: gpu.func
func.func @two_blocks_f32(%q: memref<2x2x16x7xf32>, %k: memref<2x2x16x7xf32>,
                          %v: memref<2x2x16x7xf32>,
                          %o: memref<2x2x16x7xf32>, %l: memref<2x2x16xf32>,
                          %o2: memref<2x2x16x7xf32>, %l2: memref<2x2x16xf32>) {
  ring.block_attention %q, %k, %v into %o, %l
      : memref<2x2x16x7xf32>, memref<2x2x16x7xf32>, memref<2x2x16x7xf32>
      -> memref<2x2x16x7xf32>, memref<2x2x16xf32>
  ring.block_attention %q, %k, %v into %o2, %l2
      : memref<2x2x16x7xf32>, memref<2x2x16x7xf32>, memref<2x2x16x7xf32>
      -> memref<2x2x16x7xf32>, memref<2x2x16xf32>
  ring.combine (%o, %l), (%o2, %l2) into (%o, %l)
      : memref<2x2x16x7xf32>, memref<2x2x16xf32>
  return
}

// -----

// f16 with head_dim 72 (not a multiple of 16) falls back to SIMT.
// CHECK-LABEL: func.func @f16_d72
// CHECK: gpu.launch_func @ring_kernels::@flash_attention_f16_d72_simt
func.func @f16_d72(%q: memref<1x1x8x72xf16>, %o: memref<1x1x8x72xf32>,
                   %l: memref<1x1x8xf32>) {
  ring.block_attention %q, %q, %q into %o, %l
      : memref<1x1x8x72xf16>, memref<1x1x8x72xf16>, memref<1x1x8x72xf16>
      -> memref<1x1x8x72xf32>, memref<1x1x8xf32>
  return
}

// -----

// 256-dim heads take 64 query rows a block, one m-tile a warp, so that the
// output fragments fit the registers: (64 + 2 x 64) rows of 256 + 8 f16.
// CHECK-LABEL: func.func @f16_d256
// CHECK: gpu.launch_func @ring_kernels::@flash_attention_f16_d256_mma blocks in (%c1{{.*}}, %c1{{.*}}, %c1{{.*}}) threads in (%c128, %c1{{.*}}, %c1{{.*}}) dynamic_shared_memory_size %c101376_i32
// CHECK: gpu.func @flash_attention_f16_d256_mma
// CHECK: memref.view {{.*}} to memref<64x264xf16, #gpu.address_space<workgroup>>
// CHECK: memref.view {{.*}} to memref<64x264xf16, #gpu.address_space<workgroup>>
// CHECK: memref.view {{.*}} to memref<64x264xf16, #gpu.address_space<workgroup>>
func.func @f16_d256(%q: memref<1x1x8x256xf16>, %o: memref<1x1x8x256xf32>,
                    %l: memref<1x1x8xf32>) {
  ring.block_attention %q, %q, %q into %o, %l
      : memref<1x1x8x256xf16>, memref<1x1x8x256xf16>, memref<1x1x8x256xf16>
      -> memref<1x1x8x256xf32>, memref<1x1x8xf32>
  return
}

// -----

// A final output in bf16 gets its own kernel, which rounds each lane's two
// columns as it stores them (4 bytes, not 8).
// CHECK-LABEL: func.func @final_output_bf16
// CHECK: gpu.launch_func @ring_kernels::@flash_attention_bf16_d32_mma_final
// CHECK: gpu.func @flash_attention_bf16_d32_mma_final({{.*}}, %{{.*}}: memref<?x?x?x?xbf16, strided<[?, ?, ?, 1], offset: ?>>, %{{.*}}: memref<?x?x?xf32, strided<[?, ?, 1], offset: ?>>,
// CHECK: arith.truncf {{.*}} : vector<2xf32> to vector<2xbf16>
// CHECK-NEXT: vector.store {{.*}} : memref<?x?x?x?xbf16, strided<[?, ?, ?, 1], offset: ?>>, vector<2xbf16>
// SIMT-LABEL: func.func @final_output_bf16
// SIMT: gpu.func @flash_attention_bf16_d32_simt_final
// SIMT: arith.truncf {{.*}} : f32 to bf16
func.func @final_output_bf16(%q: memref<1x1x8x32xbf16>, %o: memref<1x1x8x32xbf16>,
                             %l: memref<1x1x8xf32>) {
  ring.block_attention %q, %q, %q into %o, %l
      : memref<1x1x8x32xbf16>, memref<1x1x8x32xbf16>, memref<1x1x8x32xbf16>
      -> memref<1x1x8x32xbf16>, memref<1x1x8xf32>
  return
}

// -----

func.func @huge_head(%q: memref<1x1x4x8192xf32>, %o: memref<1x1x4x8192xf32>,
                     %l: memref<1x1x4xf32>) {
  // expected-error @+1 {{head_dim 8192 is too large for the GPU kernel: its key and value tiles need more than 49152 bytes of shared memory}}
  ring.block_attention %q, %q, %q into %o, %l
      : memref<1x1x4x8192xf32>, memref<1x1x4x8192xf32>, memref<1x1x4x8192xf32>
      -> memref<1x1x4x8192xf32>, memref<1x1x4xf32>
  return
}

// -----

func.func @empty_query(%q: memref<1x1x0x16xf32>, %k: memref<1x1x4x16xf32>,
                       %o: memref<1x1x0x16xf32>, %l: memref<1x1x0xf32>) {
  // expected-error @+1 {{block attention of an empty query block is not supported}}
  ring.block_attention %q, %k, %k into %o, %l
      : memref<1x1x0x16xf32>, memref<1x1x4x16xf32>, memref<1x1x4x16xf32>
      -> memref<1x1x0x16xf32>, memref<1x1x0xf32>
  return
}

// -----

func.func @tensors(%q: tensor<1x1x8x16xf32>, %o: tensor<1x1x8x16xf32>,
                   %l: tensor<1x1x8xf32>) -> tensor<1x1x8x16xf32> {
  // expected-error @+1 {{ring-lower-block-attention-gpu lowers blocks on buffers; bufferize this one first (one-shot-bufferize)}}
  %r:2 = ring.block_attention %q, %q, %q into %o, %l
      : tensor<1x1x8x16xf32>, tensor<1x1x8x16xf32>, tensor<1x1x8x16xf32>
      -> tensor<1x1x8x16xf32>, tensor<1x1x8xf32>
  return %r#0 : tensor<1x1x8x16xf32>
}

// -----

// A block gradient: the dq kernel on (ceil(100 / 64), 4 query heads, 1)
// blocks, then the dk/dv kernel on (ceil(80 / 64), 2 key/value heads, 1).
// bf16 at head_dim 64 runs on tensor cores: 4 warps of 16 rows, the
// block's own 64 rows and two pipeline stages of the streamed 64-row tiles
// in shared memory (6 x 64 rows of 64 + 8 bf16, and two stages of 64 lse
// and delta values: 56320 bytes).
// Without tensor cores: 64 threads, two 64 x 64 f32 row tiles (33280
// bytes). The causal positions and strides reach both kernels.
// CHECK-LABEL: func.func @gradient_causal_gqa
// SIMT-LABEL: func.func @gradient_causal_gqa
// CHECK-DAG: %[[SCALE_LOG2:.*]] = arith.constant 0.180336878 : f32
// CHECK-DAG: %[[SCALE:.*]] = arith.constant 1.250000e-01 : f32
// CHECK-DAG: %[[SMEM:.*]] = arith.constant 56320 : i32
// CHECK: gpu.launch_func @ring_kernels::@flash_attention_grad_dq_bf16_d64_causal_mma blocks in (%c2, %c4, %c1{{.*}}) threads in (%c128, %c1{{.*}}, %c1{{.*}}) dynamic_shared_memory_size %[[SMEM]] args({{.*}}, %[[SCALE_LOG2]] : f32, %[[SCALE]] : f32, %arg9 : index, %c2 : index, %arg10 : index, %c2 : index)
// CHECK-NEXT: gpu.launch_func @ring_kernels::@flash_attention_grad_dkv_bf16_d64_causal_mma blocks in (%c2, %c2, %c1{{.*}}) threads in (%c128, %c1{{.*}}, %c1{{.*}}) dynamic_shared_memory_size %[[SMEM]]
// CHECK-NOT: ring.block_attention_grad
// SIMT-DAG: %[[SIMT_SMEM:.*]] = arith.constant 33280 : i32
// SIMT: gpu.launch_func @ring_kernels::@flash_attention_grad_dq_bf16_d64_causal_simt blocks in (%c2, %c4, %c1{{.*}}) threads in (%c64, %c1{{.*}}, %c1{{.*}}) dynamic_shared_memory_size %[[SIMT_SMEM]]
// SIMT: gpu.launch_func @ring_kernels::@flash_attention_grad_dkv_bf16_d64_causal_simt blocks in (%c2, %c2, %c1{{.*}}) threads in (%c64, %c1{{.*}}, %c1{{.*}}) dynamic_shared_memory_size %[[SIMT_SMEM]]
// The dq kernel: Q, dout and the first K and V tiles by cp.async; then per
// key tile the next K and V tiles' copies into the other stage, a wait for
// all but them, S = Q K^T and dP = dout V^T (4 k-slices x 8 n-tiles each),
// and dQ += dS K (4 k-slices x 8 n-tiles) with K through ldmatrix.trans.
// CHECK: gpu.func @flash_attention_grad_dq_bf16_d64_causal_mma({{.*}}) kernel attributes {known_block_size = array<i32: 128, 1, 1>}
// CHECK: nvgpu.device_async_create_group
// CHECK: scf.for
// CHECK: gpu.barrier
// CHECK: scf.if
// CHECK: nvgpu.device_async_copy
// CHECK: nvgpu.device_async_create_group
// CHECK-NEXT: nvgpu.device_async_wait %{{.*}} {numGroups = 1 : i32}
// CHECK-NEXT: gpu.barrier
// CHECK-COUNT-64: nvvm.mma.sync
// CHECK: math.exp2
// CHECK: nvgpu.ldmatrix {{.*}} {numTiles = 4 : i32, transpose = true}
// CHECK-COUNT-32: nvvm.mma.sync
// CHECK: scf.yield
// CHECK: vector.store
// The dk/dv kernel starts at the first query its first key is visible to.
// CHECK: gpu.func @flash_attention_grad_dkv_bf16_d64_causal_mma({{.*}}) kernel attributes {known_block_size = array<i32: 128, 1, 1>}
// CHECK: arith.ceildivsi
// CHECK-COUNT-64: nvvm.mma.sync
// CHECK: math.exp2
// CHECK-COUNT-64: nvvm.mma.sync
// SIMT: gpu.func @flash_attention_grad_dq_bf16_d64_causal_simt({{.*}}) kernel attributes {known_block_size = array<i32: 64, 1, 1>}
// SIMT: math.exp2
// SIMT: gpu.func @flash_attention_grad_dkv_bf16_d64_causal_simt({{.*}}) kernel attributes {known_block_size = array<i32: 64, 1, 1>}
// SIMT: arith.ceildivsi
// SIMT-NOT: nvvm.mma.sync
func.func @gradient_causal_gqa(
    %q: memref<1x4x100x64xbf16>, %k: memref<1x2x80x64xbf16>,
    %v: memref<1x2x80x64xbf16>, %do: memref<1x4x100x64xbf16>,
    %l: memref<1x4x100xf32>, %dl: memref<1x4x100xf32>,
    %dq: memref<1x4x100x64xf32>, %dk: memref<1x2x80x64xf32>,
    %dv: memref<1x2x80x64xf32>, %qo: index, %ko: index) {
  ring.block_attention_grad %q, %k, %v, %do, %l, %dl into %dq, %dk, %dv
      causal query_pos(%qo, 2) key_pos(%ko, 2) scale 0.125
      : memref<1x4x100x64xbf16>, memref<1x2x80x64xbf16>,
        memref<1x2x80x64xbf16>, memref<1x4x100xf32>
      -> memref<1x4x100x64xf32>, memref<1x2x80x64xf32>
  return
}

// -----

func.func @gradient_empty_keys(%q: memref<1x1x8x16xf32>, %k: memref<1x1x0x16xf32>,
                               %l: memref<1x1x8xf32>, %d: memref<1x1x8x16xf32>,
                               %dk: memref<1x1x0x16xf32>) {
  // expected-error @+1 {{block attention gradient of an empty key/value block is not supported}}
  ring.block_attention_grad %q, %k, %k, %q, %l, %l into %d, %dk, %dk
      : memref<1x1x8x16xf32>, memref<1x1x0x16xf32>, memref<1x1x0x16xf32>, memref<1x1x8xf32>
      -> memref<1x1x8x16xf32>, memref<1x1x0x16xf32>
  return
}

// -----

func.func @gradient_empty_queries(%q: memref<1x1x0x16xf32>, %k: memref<1x1x4x16xf32>,
                                  %l: memref<1x1x0xf32>, %dk: memref<1x1x4x16xf32>) {
  // expected-error @+1 {{block attention gradient of an empty query block is not supported}}
  ring.block_attention_grad %q, %k, %k, %q, %l, %l into %q, %dk, %dk
      : memref<1x1x0x16xf32>, memref<1x1x4x16xf32>, memref<1x1x4x16xf32>, memref<1x1x0xf32>
      -> memref<1x1x0x16xf32>, memref<1x1x4x16xf32>
  return
}

// -----

func.func @gradient_huge_head(%q: memref<1x1x4x8192xf32>, %l: memref<1x1x4xf32>) {
  // expected-error @+1 {{head_dim 8192 is too large for the GPU gradient kernels: their row tiles need more than 49152 bytes of shared memory}}
  ring.block_attention_grad %q, %q, %q, %q, %l, %l into %q, %q, %q
      : memref<1x1x4x8192xf32>, memref<1x1x4x8192xf32>, memref<1x1x4x8192xf32>, memref<1x1x4xf32>
      -> memref<1x1x4x8192xf32>, memref<1x1x4x8192xf32>
  return
}

// -----

func.func @gradient_tensors(%q: tensor<1x1x8x16xf32>, %l: tensor<1x1x8xf32>)
    -> tensor<1x1x8x16xf32> {
  // expected-error @+1 {{ring-lower-block-attention-gpu lowers blocks on buffers; bufferize this one first (one-shot-bufferize)}}
  %r:3 = ring.block_attention_grad %q, %q, %q, %q, %l, %l into %q, %q, %q
      : tensor<1x1x8x16xf32>, tensor<1x1x8x16xf32>, tensor<1x1x8x16xf32>, tensor<1x1x8xf32>
      -> tensor<1x1x8x16xf32>, tensor<1x1x8x16xf32>
  return %r#0 : tensor<1x1x8x16xf32>
}

// -----

// The GPU kernels mask causally only: a windowed block, forward or
// gradient, is refused rather than computed without its window.
func.func @window(%q: memref<1x1x64x64xf16>, %o: memref<1x1x64x64xf32>, %l: memref<1x1x64xf32>, %p: index) {
  // expected-error @+1 {{the GPU kernels do not support sliding windows yet; lower this block for the CPU (ring-lower-block-attention)}}
  ring.block_attention %q, %q, %q into %o, %l causal window_left 8
      query_pos(%p, 1) key_pos(%p, 1)
      : memref<1x1x64x64xf16>, memref<1x1x64x64xf16>, memref<1x1x64x64xf16>
      -> memref<1x1x64x64xf32>, memref<1x1x64xf32>
  return
}

// -----

func.func @window_grad(%q: memref<1x1x64x64xf16>, %l: memref<1x1x64xf32>, %d: memref<1x1x64x64xf32>, %p: index) {
  // expected-error @+1 {{the GPU kernels do not support sliding windows yet}}
  ring.block_attention_grad %q, %q, %q, %q, %l, %l into %d, %d, %d
      window_left 8 window_right 8 query_pos(%p, 1) key_pos(%p, 1)
      : memref<1x1x64x64xf16>, memref<1x1x64x64xf16>, memref<1x1x64x64xf16>,
        memref<1x1x64xf32> -> memref<1x1x64x64xf32>, memref<1x1x64x64xf32>
  return
}

// -----

func.func @softcap(%q: memref<1x1x64x64xf16>, %o: memref<1x1x64x64xf32>, %l: memref<1x1x64xf32>) {
  // expected-error @+1 {{the GPU kernels do not support logit soft-caps yet; lower this block for the CPU (ring-lower-block-attention)}}
  ring.block_attention %q, %q, %q into %o, %l softcap 30.0
      : memref<1x1x64x64xf16>, memref<1x1x64x64xf16>, memref<1x1x64x64xf16>
      -> memref<1x1x64x64xf32>, memref<1x1x64xf32>
  return
}

// -----

func.func @padded(%q: memref<1x1x64x64xf16>, %o: memref<1x1x64x64xf32>, %l: memref<1x1x64xf32>, %p: index) {
  // expected-error @+1 {{the GPU kernels do not support padded sequences (length) yet; lower this block for the CPU (ring-lower-block-attention)}}
  ring.block_attention %q, %q, %q into %o, %l causal length 50
      query_pos(%p, 1) key_pos(%p, 1)
      : memref<1x1x64x64xf16>, memref<1x1x64x64xf16>, memref<1x1x64x64xf16>
      -> memref<1x1x64x64xf32>, memref<1x1x64xf32>
  return
}

// -----

func.func @documents(%q: memref<1x1x64x64xf16>, %o: memref<1x1x64x64xf32>, %l: memref<1x1x64xf32>, %d: memref<64xi32>, %p: index) {
  // expected-error @+1 {{the GPU kernels do not support packed documents yet; lower this block for the CPU (ring-lower-block-attention)}}
  ring.block_attention %q, %q, %q into %o, %l causal
      query_pos(%p, 1) key_pos(%p, 1)
      documents(%d, %d : memref<64xi32>, memref<64xi32>)
      : memref<1x1x64x64xf16>, memref<1x1x64x64xf16>, memref<1x1x64x64xf16>
      -> memref<1x1x64x64xf32>, memref<1x1x64xf32>
  return
}
