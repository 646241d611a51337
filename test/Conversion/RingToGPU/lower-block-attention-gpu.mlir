// RUN: ring-opt %s -split-input-file -ring-lower-block-attention-gpu -verify-diagnostics | FileCheck %s
// RUN: ring-opt %s -split-input-file -ring-lower-block-attention-gpu=tensor-cores=false -verify-diagnostics | FileCheck %s --check-prefix=SIMT

// bf16 with head_dim % 16 == 0: the tensor-core kernel. 100 query rows make
// two tiles of 64; the grid is (2, query heads, batch). The block is on
// buffers (after bufferization): the launch reads the operands and writes
// the destinations, and nothing is allocated.

// CHECK-LABEL: module attributes {gpu.container_module}
// CHECK-LABEL: func.func @causal_gqa_bf16
// CHECK-SAME: %[[OUT:arg[0-9]+]]: memref<1x4x100x64xf32>, %[[LSE:arg[0-9]+]]: memref<1x4x100xf32>
// CHECK-NOT: memref.alloc
// The scale 1/sqrt(64) travels in base 2: 0.125 * log2(e).
// CHECK: %[[SCALE:.*]] = arith.constant 0.180336878 : f32
// CHECK: %[[OUTARG:.*]] = memref.cast %[[OUT]] : memref<1x4x100x64xf32> to memref<?x?x?x?xf32, strided<[?, ?, ?, 1], offset: ?>>
// CHECK: %[[LSEARG:.*]] = memref.cast %[[LSE]] : memref<1x4x100xf32> to memref<?x?x?xf32, strided<[?, ?, 1], offset: ?>>
// CHECK: gpu.launch_func @ring_kernels::@flash_attention_bf16_d64_causal_mma blocks in (%c2{{.*}}, %c4, %c1) threads in (%c128, %c1, %c1)
// CHECK-SAME: args(%{{.*}} : memref<?x?x?x?xbf16, {{.*}}>, %{{.*}} : memref<?x?x?x?xbf16, {{.*}}>, %{{.*}} : memref<?x?x?x?xbf16, {{.*}}>, %[[OUTARG]] : {{.*}}, %[[LSEARG]] : {{.*}}, %[[SCALE]] : f32, %arg3 : index, %c2{{.*}} : index, %arg4 : index, %c2{{.*}} : index)
// CHECK-NOT: ring.block_attention
// CHECK: gpu.module @ring_kernels
// CHECK: gpu.func @flash_attention_bf16_d64_causal_mma
// CHECK-SAME: workgroup(%{{.*}} : memref<64x72xbf16, #gpu.address_space<workgroup>>, %{{.*}} : memref<64x72xbf16, #gpu.address_space<workgroup>>)
// CHECK-SAME: kernel attributes {known_block_size = array<i32: 128, 1, 1>}
// The causal frontier of the tile bounds the key loop.
// CHECK: arith.floordivsi
// CHECK: scf.for
// CHECK: gpu.barrier
// CHECK: vector.load {{.*}} {alignment = 16 : i64} : memref<?x?x?x?xbf16, strided<[?, ?, ?, 1], offset: ?>>, vector<8xbf16>
// CHECK: gpu.barrier
// 8 key n-tiles x 4 head_dim k-steps for S, then 4 key k-steps x 8 head_dim
// n-tiles for P V.
// CHECK-COUNT-64: nvvm.mma.sync {{.*}} {layoutA = #nvvm.mma_layout<row>, layoutB = #nvvm.mma_layout<col>, multiplicandAPtxType = #nvvm.mma_type<bf16>, multiplicandBPtxType = #nvvm.mma_type<bf16>, shape = #nvvm.shape<m = 16, n = 8, k = 16>}
// CHECK-NOT: nvvm.mma.sync
// Row sums are reduced over the quad of lanes that share a row.
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
// CHECK-SAME: workgroup(%{{.*}} : memref<64x7xf32, #gpu.address_space<workgroup>>, %{{.*}} : memref<64x7xf32, #gpu.address_space<workgroup>>)
// CHECK-SAME: private(%{{.*}} : memref<7xf32, #gpu.address_space<private>>, %{{.*}} : memref<7xf32, #gpu.address_space<private>>)
// CHECK-SAME: known_block_size = array<i32: 64, 1, 1>
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

// 256-dim heads halve the key tile to keep K and V within 32 KiB.
// CHECK-LABEL: func.func @f16_d256
// CHECK: gpu.func @flash_attention_f16_d256_mma
// CHECK-SAME: workgroup(%{{.*}} : memref<32x264xf16, #gpu.address_space<workgroup>>, %{{.*}} : memref<256x40xf16, #gpu.address_space<workgroup>>)
func.func @f16_d256(%q: memref<1x1x8x256xf16>, %o: memref<1x1x8x256xf32>,
                    %l: memref<1x1x8xf32>) {
  ring.block_attention %q, %q, %q into %o, %l
      : memref<1x1x8x256xf16>, memref<1x1x8x256xf16>, memref<1x1x8x256xf16>
      -> memref<1x1x8x256xf32>, memref<1x1x8xf32>
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
