// Tiles larger than the block are clamped to it, and the code does not grow
// with head_dim: a key-tile of 4096 on a handful of tokens used to pad the
// keys to 4096 and never finish compiling, and head_dim 2^31 unrolled the
// P V tiles until memory ran out.
// RUN: ring-opt %s -split-input-file -ring-set-cpu-target=cpu=x86-64-v3 -ring-lower-block-attention="query-tile=4096 key-tile=4096" -canonicalize | FileCheck %s --check-prefix=CLAMP
// RUN: ring-opt %s -split-input-file -ring-set-cpu-target=cpu=x86-64-v3 -ring-lower-block-attention -canonicalize | FileCheck %s

// 8 queries and 13 keys on AVX2 (8 lanes): the query tile is the 8 rows
// (two micro-kernels of 6), the key tile the 13 keys rounded up to two
// vectors, 16, which is one key chunk.
// CLAMP-LABEL: func.func @tiny
// CLAMP: func.func private @__ring_block_attention
// CLAMP-DAG: memref.alloc() {{.*}}: memref<1x16x16xf32>
// CLAMP-DAG: memref.alloc() {{.*}}: memref<12x16xf32>
// CLAMP-DAG: memref.alloc() {{.*}}: memref<6x16xf32>
// CLAMP-NOT: memref<6x4096xf32>
// CLAMP: scf.for %{{.*}} = %c13 to %c16 step %c1
// CHECK-LABEL: func.func @tiny
func.func @tiny(%q: memref<1x1x8x16xf32>, %k: memref<1x1x13x16xf32>, %od: memref<1x1x8x16xf32>, %ld: memref<1x1x8xf32>) {
  ring.block_attention %q, %k, %k into %od, %ld : memref<1x1x8x16xf32>, memref<1x1x13x16xf32>, memref<1x1x13x16xf32> -> memref<1x1x8x16xf32>, memref<1x1x8xf32>
  return
}

// -----

// 8 keys: a key tile of one vector, so the Q K^T register tile narrows to
// 6 x 1.
// CLAMP-LABEL: func.func @one_vector_of_keys
// CLAMP: func.func private @__ring_block_attention
// CLAMP-DAG: memref.alloc() {{.*}}: memref<1x16x8xf32>
// CLAMP-DAG: memref.alloc() {{.*}}: memref<6x8xf32>
// CLAMP: scf.for {{.*}} iter_args({{.*}}) -> (vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>)
// CHECK-LABEL: func.func @one_vector_of_keys
func.func @one_vector_of_keys(%q: memref<1x1x8x16xf32>, %od: memref<1x1x8x16xf32>, %ld: memref<1x1x8xf32>) {
  ring.block_attention %q, %q, %q into %od, %ld : memref<1x1x8x16xf32>, memref<1x1x8x16xf32>, memref<1x1x8x16xf32> -> memref<1x1x8x16xf32>, memref<1x1x8xf32>
  return
}

// -----

// head_dim 1000 = 125 vectors of 8: 62 value panels of 6 x 2 run in a loop
// (the panel's first column is 16 times the induction variable), then the
// last vector as a 6 x 1 tile.
// CHECK-LABEL: func.func @wide_head_dim
// CHECK: func.func private @__ring_block_attention
// CHECK: scf.for %[[P:.*]] = %c0 to %c62 step %c1
// CHECK-NEXT: arith.muli %[[P]], %c16 : index
// CHECK: scf.for {{.*}} iter_args({{.*}}) -> (vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>)
// CHECK: scf.for {{.*}} iter_args({{.*}}) -> (vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>)
func.func @wide_head_dim(%q: memref<1x1x8x1000xf32>, %od: memref<1x1x8x1000xf32>, %ld: memref<1x1x8xf32>) {
  ring.block_attention %q, %q, %q into %od, %ld : memref<1x1x8x1000xf32>, memref<1x1x8x1000xf32>, memref<1x1x8x1000xf32> -> memref<1x1x8x1000xf32>, memref<1x1x8xf32>
  return
}
