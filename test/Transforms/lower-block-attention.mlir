// RUN: ring-opt %s -split-input-file -ring-lower-block-attention -canonicalize | FileCheck %s
// RUN: ring-opt %s -split-input-file -ring-lower-block-attention="query-tile=32 key-tile=32" -canonicalize | FileCheck %s --check-prefix=TILES

// Causal GQA block, seq 1000 (not a multiple of the tile), head_dim 80.
// CHECK-LABEL: func.func @causal_gqa
// The only buffers: the result, and scratch linear in the sequence (1000
// keys padded to 1024); nothing of size seq x seq.
// CHECK-DAG: memref.alloc() {{.*}}: memref<2x8x1000x80xf32>
// CHECK-DAG: memref.alloc() {{.*}}: memref<2x8x1000xf32>
// CHECK-DAG: memref.alloc() {{.*}}: memref<80x1024xf32>
// CHECK-DAG: memref.alloc() {{.*}}: memref<1024x80xf32>
// CHECK-DAG: memref.alloc() {{.*}}: memref<64x80xf32>
// CHECK-DAG: memref.alloc() {{.*}}: memref<4x64xf32>
// CHECK-DAG: memref.alloc() {{.*}}: memref<64x80xf32>
// CHECK-DAG: memref.alloc() {{.*}}: memref<64xf32>
// CHECK-DAG: memref.alloc() {{.*}}: memref<64xf32>
// CHECK-NOT: memref.alloc
// Loop nest: batch, kv head (K transposed once), query heads of the group,
// query tiles, key tiles up to the causal frontier, groups of 4 rows.
// CHECK: scf.for %[[B:.*]] = %{{.*}} to %{{.*}} step
// CHECK:   scf.for %[[KVH:.*]] = %{{.*}} to %{{.*}} step
// CHECK:     scf.for
// CHECK:       memref.store {{.*}} : memref<80x1024xf32>
// CHECK:     scf.for %[[G:.*]] = %{{.*}} to %{{.*}} step
// CHECK:       scf.for %[[Q0:.*]] = %{{.*}} to %{{.*}} step %c64
// CHECK:         %[[END:.*]] = arith.minsi %{{.*}}, %c1000
// CHECK:         scf.for %[[K0:.*]] = %{{.*}} to %[[END]] step %c64
// CHECK:           scf.for %[[RB:.*]] = %{{.*}} to %c64 step %c4
// S = Q K^T: 4 rows x 4 vectors of 16 keys, accumulated over head_dim.
// CHECK:             scf.for {{.*}} iter_args({{.*}}) -> (vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>)
// CHECK-COUNT-16:      vector.fma {{.*}} : vector<16xf32>
// Causal and ragged-tile mask, then the online softmax.
// CHECK:             arith.cmpi sge, {{.*}} : vector<16xi32>
// CHECK:             arith.select {{.*}} : vector<16xi1>, vector<16xf32>
// CHECK:             vector.reduction <maximumf>
// CHECK:             math.exp {{.*}} : vector<16xf32>
// CHECK:             vector.reduction <add>
// O += P V, head_dim 80 = 5 vectors of 16: a group of 4, then 1.
// CHECK:             scf.for {{.*}} -> (vector<16xf32>
// CHECK-COUNT-16:      vector.fma {{.*}} : vector<16xf32>
// CHECK:             scf.for {{.*}} -> (vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>)
// Final normalization: a row with no visible key gets lse = -inf.
// CHECK:         math.log
// CHECK:         arith.select {{.*}}, %{{.*}}, %cst{{.*}} : f32
// TILES-LABEL: func.func @causal_gqa
// TILES-DAG: memref.alloc() {{.*}}: memref<80x1024xf32>
// TILES-DAG: memref.alloc() {{.*}}: memref<32x80xf32>
// TILES: scf.for %{{.*}} = %{{.*}} to %{{.*}} step %c32
func.func @causal_gqa(%q: tensor<2x8x1000x80xf32>, %k: tensor<2x2x1000x80xf32>, %v: tensor<2x2x1000x80xf32>) -> (tensor<2x8x1000x80xf32>, tensor<2x8x1000xf32>) {
  %c0 = arith.constant 0 : index
  %o, %l = ring.block_attention %q, %k, %v causal query_pos(%c0, 1) key_pos(%c0, 1) : tensor<2x8x1000x80xf32>, tensor<2x2x1000x80xf32>, tensor<2x2x1000x80xf32> -> tensor<2x8x1000x80xf32>, tensor<2x8x1000xf32>
  return %o, %l : tensor<2x8x1000x80xf32>, tensor<2x8x1000xf32>
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
func.func @noncausal_bf16(%q: tensor<1x2x128x64xbf16>, %k: tensor<1x2x256x64xbf16>) -> (tensor<1x2x128x64xf32>, tensor<1x2x128xf32>) {
  %o, %l = ring.block_attention %q, %k, %k : tensor<1x2x128x64xbf16>, tensor<1x2x256x64xbf16>, tensor<1x2x256x64xbf16> -> tensor<1x2x128x64xf32>, tensor<1x2x128xf32>
  return %o, %l : tensor<1x2x128x64xf32>, tensor<1x2x128xf32>
}

// -----

// Strided key positions (the striped layout): the causal frontier divides by
// the key stride.
// CHECK-LABEL: func.func @causal_strided
// CHECK: arith.floordivsi %{{.*}}, %c4
// CHECK: arith.muli %{{.*}}, %cst{{.*}} : vector<16xi32>
func.func @causal_strided(%q: tensor<1x1x64x16xf32>, %qo: index, %ko: index) -> tensor<1x1x64x16xf32> {
  %o, %l = ring.block_attention %q, %q, %q causal query_pos(%qo, 4) key_pos(%ko, 4) : tensor<1x1x64x16xf32>, tensor<1x1x64x16xf32>, tensor<1x1x64x16xf32> -> tensor<1x1x64x16xf32>, tensor<1x1x64xf32>
  return %o : tensor<1x1x64x16xf32>
}
