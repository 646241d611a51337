// RUN: ring-opt %s -split-input-file -ring-set-cpu-target=cpu=x86-64-v3 -ring-lower-block-attention -canonicalize | FileCheck %s
// RUN: ring-opt %s -split-input-file -ring-set-cpu-target=cpu=x86-64-v4 -ring-lower-block-attention -canonicalize | FileCheck %s --check-prefix=AVX512
// RUN: ring-opt %s -split-input-file -ring-set-cpu-target=cpu=x86-64-v3 -ring-lower-block-attention="query-tile=32 key-tile=32" -canonicalize | FileCheck %s --check-prefix=TILES

// Causal GQA block, seq 1000 (not a multiple of the tile), head_dim 80, on
// AVX2 (default prefix: 8 lanes, 6 x 2 register tiles) and AVX-512 (16 lanes,
// 6 x 4 register tiles).
// CHECK-LABEL: func.func @causal_gqa
// The block becomes a call; the kernel writes the destinations.
// CHECK-NOT: memref.alloc
// CHECK: call @__ring_block_attention(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}) : (memref<2x8x1000x80xf32, strided<[?, ?, ?, 1], offset: ?>>, memref<2x2x1000x80xf32, strided<[?, ?, ?, 1], offset: ?>>, memref<2x2x1000x80xf32, strided<[?, ?, ?, 1], offset: ?>>, index, index, memref<2x8x1000x80xf32>, memref<2x8x1000xf32>) -> ()
// The kernel's only buffers: its scratch, linear in the sequence (1000
// keys padded to 1024; K in 64 panels of 16 keys, V in 5 panels of 16
// columns); nothing of size seq x seq.
// CHECK: func.func private @__ring_block_attention
// CHECK-DAG: memref.alloc() {{.*}}: memref<64x80x16xf32>
// CHECK-DAG: memref.alloc() {{.*}}: memref<5x1024x16xf32>
// CHECK-DAG: memref.alloc() {{.*}}: memref<96x80xf32>
// CHECK-DAG: memref.alloc() {{.*}}: memref<6x64xf32>
// CHECK-DAG: memref.alloc() {{.*}}: memref<6xf32>
// CHECK-DAG: memref.alloc() {{.*}}: memref<96x80xf32>
// CHECK-DAG: memref.alloc() {{.*}}: memref<96xf32>
// CHECK-DAG: memref.alloc() {{.*}}: memref<96xf32>
// CHECK-NOT: memref.alloc
// Loop nest: batch, kv head (K and V packed once), query heads of the
// group, query tiles, key tiles up to the causal frontier, groups of 6 rows
// (only those holding valid rows), key chunks of 16.
// CHECK: scf.for %[[B:.*]] = %{{.*}} to %{{.*}} step
// CHECK:   scf.for %[[KVH:.*]] = %{{.*}} to %{{.*}} step
// CHECK:     scf.for
// CHECK:       memref.store {{.*}} : memref<64x80x16xf32>
// CHECK:     scf.for %[[G:.*]] = %{{.*}} to %{{.*}} step
// CHECK:       scf.for %[[Q0:.*]] = %{{.*}} to %{{.*}} step %c96
// CHECK:         %[[END:.*]] = arith.minsi %{{.*}}, %c1000
// CHECK:         %[[ROWS:.*]] = arith.muli %{{.*}}, %c6
// CHECK:         scf.for %[[K0:.*]] = %{{.*}} to %[[END]] step %c64
// CHECK:           scf.for %[[RB:.*]] = %{{.*}} to %[[ROWS]] step %c6
// CHECK:             scf.for %{{.*}} = %c0 to %c64 step %c16
// S = Q K^T: 6 rows x 2 vectors of 8 keys, accumulated over head_dim.
// CHECK:               scf.for {{.*}} iter_args({{.*}}) -> (vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>)
// CHECK-COUNT-12:        vector.fma {{.*}} : vector<8xf32>
// Causal and ragged-tile mask, stored to the score rows.
// CHECK:               arith.cmpi sge, {{.*}} : vector<8xi32>
// CHECK:               arith.select {{.*}} : vector<8xi1>, vector<8xf32>
// CHECK:               vector.store {{.*}} : memref<6x64xf32>, vector<8xf32>
// The online softmax of each row, in place.
// CHECK:             vector.reduction <maximumf>
// CHECK:             math.exp {{.*}} : vector<8xf32>
// CHECK:             vector.reduction <add>
// O += P V, head_dim 80 = 10 vectors of 8: five 6 x 2 tiles.
// CHECK-COUNT-5:     scf.for {{.*}} -> (vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>)
// Final normalization: a row with no visible key gets lse = -inf.
// CHECK:         math.log
// CHECK:         arith.select {{.*}}, %{{.*}}, %cst{{.*}} : f32
// The scratch is freed before the kernel returns.
// CHECK-COUNT-8: memref.dealloc
// CHECK-NEXT: return
// AVX512-LABEL: func.func @causal_gqa
// AVX512-DAG: memref.alloc() {{.*}}: memref<16x80x64xf32>
// AVX512-DAG: memref.alloc() {{.*}}: memref<2x1024x64xf32>
// The default key tile is two key chunks of 6 rows x 4 vectors of 16 keys:
// 128 keys, their scores in a 6 x 128 scratch row.
// AVX512-DAG: memref.alloc() {{.*}}: memref<6x128xf32>
// AVX512: scf.for %{{.*}} to %{{.*}} step %c128
// AVX512: scf.for %{{.*}} to %{{.*}} step %c6
// AVX512: scf.for %{{.*}} = %c0 to %c128 step %c64
// AVX512: scf.for {{.*}} iter_args({{.*}}) -> (vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>)
// AVX512-COUNT-24: vector.fma {{.*}} : vector<16xf32>
// head_dim 80 = 5 vectors of 16: a 6 x 4 tile, then 6 x 1.
// AVX512: math.exp {{.*}} : vector<16xf32>
// AVX512: scf.for {{.*}} -> (vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>)
// AVX512: scf.for {{.*}} -> (vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>)
// A 32-row query tile rounds up to 36 rows (six micro-kernels).
// TILES-LABEL: func.func @causal_gqa
// TILES-DAG: memref.alloc() {{.*}}: memref<36x80xf32>
// TILES-DAG: memref.alloc() {{.*}}: memref<6x32xf32>
// TILES: scf.for %{{.*}} = %{{.*}} to %{{.*}} step %c32
func.func @causal_gqa(%q: memref<2x8x1000x80xf32>, %k: memref<2x2x1000x80xf32>, %v: memref<2x2x1000x80xf32>, %o: memref<2x8x1000x80xf32>, %l: memref<2x8x1000xf32>) {
  %c0 = arith.constant 0 : index
  ring.block_attention %q, %k, %v into %o, %l causal query_pos(%c0, 1) key_pos(%c0, 1) : memref<2x8x1000x80xf32>, memref<2x2x1000x80xf32>, memref<2x2x1000x80xf32> -> memref<2x8x1000x80xf32>, memref<2x8x1000xf32>
  return
}

// -----

// Non-causal with whole tiles: no mask at all, every key tile visited, and
// bf16 inputs widened to f32 as they are packed.
// CHECK-LABEL: func.func @noncausal_bf16
// CHECK-NOT: arith.floordivsi
// CHECK: arith.extf {{.*}} : bf16 to f32
// CHECK: scf.for %{{.*}} = %c0 to %c256 step %c64
// CHECK-NOT: arith.cmpi
// CHECK: vector.reduction <maximumf>
// AVX512-LABEL: func.func @noncausal_bf16
func.func @noncausal_bf16(%q: memref<1x2x128x64xbf16>, %k: memref<1x2x256x64xbf16>, %o: memref<1x2x128x64xf32>, %l: memref<1x2x128xf32>) {
  ring.block_attention %q, %k, %k into %o, %l : memref<1x2x128x64xbf16>, memref<1x2x256x64xbf16>, memref<1x2x256x64xbf16> -> memref<1x2x128x64xf32>, memref<1x2x128xf32>
  return
}

// -----

// A final output in bf16: the kernel rounds each normalized f32 vector as it
// stores it.
// CHECK-LABEL: func.func @final_output_bf16
// CHECK: call @__ring_block_attention{{.*}} -> ()
// CHECK: func.func private @__ring_block_attention
// CHECK: arith.truncf {{.*}} : vector<8xf32> to vector<8xbf16>
// CHECK-NEXT: vector.store {{.*}} : memref<1x1x32x16xbf16>, vector<8xbf16>
// AVX512-LABEL: func.func @final_output_bf16
// AVX512: arith.truncf {{.*}} : vector<16xf32> to vector<16xbf16>
func.func @final_output_bf16(%q: memref<1x1x32x16xbf16>, %o: memref<1x1x32x16xbf16>, %l: memref<1x1x32xf32>) {
  ring.block_attention %q, %q, %q into %o, %l : memref<1x1x32x16xbf16>, memref<1x1x32x16xbf16>, memref<1x1x32x16xbf16> -> memref<1x1x32x16xbf16>, memref<1x1x32xf32>
  return
}

// -----

// Strided key positions (the striped layout): the causal frontier divides by
// the key stride.
// CHECK-LABEL: func.func @causal_strided
// CHECK: arith.floordivsi %{{.*}}, %c4
// CHECK: arith.muli %{{.*}}, %cst{{.*}} : vector<8xi32>
// AVX512-LABEL: func.func @causal_strided
// AVX512: arith.muli %{{.*}}, %cst{{.*}} : vector<16xi32>
func.func @causal_strided(%q: memref<1x1x64x16xf32>, %qo: index, %ko: index, %o: memref<1x1x64x16xf32>, %l: memref<1x1x64xf32>) {
  ring.block_attention %q, %q, %q into %o, %l causal query_pos(%qo, 4) key_pos(%ko, 4) : memref<1x1x64x16xf32>, memref<1x1x64x16xf32>, memref<1x1x64x16xf32> -> memref<1x1x64x16xf32>, memref<1x1x64xf32>
  return
}

// -----

// Blocks of one signature share one kernel function (a ring's blocks at
// different positions call it with their offsets, views at any offset
// through one strided type); another signature (here non-causal) gets its
// own. Kernels are private, with internal linkage, and own their scratch:
// the caller allocates nothing. The caller, now control code, is compiled
// for size; the kernels for speed, never inlined into it.
// CHECK-LABEL: func.func @shared_kernels
// CHECK-SAME: attributes {passthrough = ["optsize"]}
// CHECK-NOT: memref.alloc()
// CHECK: call @[[CAUSAL:__ring_block_attention[_0-9]*]](%{{[^,]*}}, %{{[^,]*}}, %{{[^,]*}}, %[[P0:arg[0-9]+]], %[[P1:arg[0-9]+]], %[[A:arg[0-9]+]], %[[LA:arg[0-9]+]])
// CHECK: call @[[CAUSAL]](%{{[^,]*}}, %{{[^,]*}}, %{{[^,]*}}, %[[P1]], %[[P0]], %{{[^,]*}}, %{{[^,]*}})
// CHECK: call @[[FULL:__ring_block_attention[_0-9]*]](
// CHECK-DAG: func.func private @[[CAUSAL]]({{.*}}) attributes {llvm.linkage = #llvm.linkage<internal>, passthrough = ["noinline"], ring.kernel_signature = "{{.*}}"}
// CHECK-DAG: func.func private @[[FULL]]({{.*}}) attributes {llvm.linkage = #llvm.linkage<internal>, passthrough = ["noinline"], ring.kernel_signature = "{{.*}}"}
// CHECK-NOT: func.func private
func.func @shared_kernels(%q: memref<1x1x64x16xf32>, %p0: index, %p1: index, %a: memref<1x1x32x16xf32>, %la: memref<1x1x32xf32>, %b: memref<1x1x32x16xf32>, %lb: memref<1x1x32xf32>) {
  %first = memref.subview %q[0, 0, 0, 0] [1, 1, 32, 16] [1, 1, 1, 1] : memref<1x1x64x16xf32> to memref<1x1x32x16xf32, strided<[1024, 1024, 16, 1]>>
  %second = memref.subview %q[0, 0, 32, 0] [1, 1, 32, 16] [1, 1, 1, 1] : memref<1x1x64x16xf32> to memref<1x1x32x16xf32, strided<[1024, 1024, 16, 1], offset: 512>>
  ring.block_attention %first, %first, %first into %a, %la causal query_pos(%p0, 1) key_pos(%p1, 1) : memref<1x1x32x16xf32, strided<[1024, 1024, 16, 1]>>, memref<1x1x32x16xf32, strided<[1024, 1024, 16, 1]>>, memref<1x1x32x16xf32, strided<[1024, 1024, 16, 1]>> -> memref<1x1x32x16xf32>, memref<1x1x32xf32>
  ring.block_attention %second, %second, %second into %b, %lb causal query_pos(%p1, 1) key_pos(%p0, 1) : memref<1x1x32x16xf32, strided<[1024, 1024, 16, 1], offset: 512>>, memref<1x1x32x16xf32, strided<[1024, 1024, 16, 1], offset: 512>>, memref<1x1x32x16xf32, strided<[1024, 1024, 16, 1], offset: 512>> -> memref<1x1x32x16xf32>, memref<1x1x32xf32>
  ring.block_attention %first, %first, %first into %a, %la : memref<1x1x32x16xf32, strided<[1024, 1024, 16, 1]>>, memref<1x1x32x16xf32, strided<[1024, 1024, 16, 1]>>, memref<1x1x32x16xf32, strided<[1024, 1024, 16, 1]>> -> memref<1x1x32x16xf32>, memref<1x1x32xf32>
  return
}
