// Packed documents in the CPU kernels: a block takes the bounds [begin,
// end) of each query row's document (two i32 buffers, kernel arguments
// after the destinations). The forward kernel visits only the key tiles
// from the one holding its first row's document begin to its last row's
// document end, and masks each score whose key lies outside its row's
// document (with the causal mask and the block's ragged last tile). The
// gradient kernel skips a (key tile, query tile) pair whose keys miss the
// query tile's documents. Rows past the block's last (register tiles are
// whole) read the last row's bounds, never past the buffers.
// RUN: ring-opt %s -ring-set-cpu-target=cpu=x86-64-v3 -ring-lower-block-attention="query-tile=40 key-tile=24" | FileCheck %s
// RUN: ring-opt %s -ring-set-cpu-target=cpu=x86-64-v3 -ring-lower-block-attention | FileCheck %s --check-prefix=GRAD

func.func @documents(%q: memref<1x2x40x16xf32>, %o: memref<1x2x40x16xf32>, %l: memref<1x2x40xf32>, %begins: memref<40xi32>, %ends: memref<40xi32>, %p: index) {
  ring.block_attention %q, %q, %q into %o, %l causal query_pos(%p, 1) key_pos(%p, 1) documents(%begins, %ends : memref<40xi32>, memref<40xi32>) : memref<1x2x40x16xf32>, memref<1x2x40x16xf32>, memref<1x2x40x16xf32> -> memref<1x2x40x16xf32>, memref<1x2x40xf32>
  %dq = memref.alloc() : memref<1x2x40x16xf32>
  ring.block_attention_grad %q, %q, %q, %q, %l, %l into %dq, %dq, %dq causal query_pos(%p, 1) key_pos(%p, 1) documents(%begins, %ends : memref<40xi32>, memref<40xi32>) : memref<1x2x40x16xf32>, memref<1x2x40x16xf32>, memref<1x2x40x16xf32>, memref<1x2x40xf32> -> memref<1x2x40x16xf32>, memref<1x2x40x16xf32>
  return
}

// CHECK-LABEL: func.func @documents(
// CHECK: call @__ring_block_attention({{.*}}) : ({{.*}}, memref<40xi32, strided<[1], offset: ?>>, memref<40xi32, strided<[1], offset: ?>>) -> ()

// CHECK-LABEL: func.func private @__ring_block_attention(
// CHECK-SAME: %[[BEGINS:[^:]*]]: memref<40xi32, strided<[1], offset: ?>>, %[[ENDS:[^:]*]]: memref<40xi32, strided<[1], offset: ?>>)
// Documents are part of the kernel's signature (causal, windows, length,
// documents).
// CHECK-SAME: ring.kernel_signature = "{{.*}}|1,-1,-1,-1,1|
// The key tiles of query tile q0: up to its last row's document end, from
// the tile holding its first row's document begin.
// CHECK: scf.for %[[Q0:.*]] = %c0 to %c40 step %c40 {
// CHECK: memref.load %[[ENDS]]
// CHECK: %[[DOC_END:.*]] = arith.minsi %{{.*}}, %c40 : index
// CHECK: %[[KEY_END:.*]] = arith.minsi %{{.*}}, %[[DOC_END]] : index
// CHECK: %[[FIRST_ROW:.*]] = arith.minsi %[[Q0]], %c39 : index
// CHECK: memref.load %[[BEGINS]][%[[FIRST_ROW]]]
// CHECK: %[[TILE:.*]] = arith.divui %{{.*}}, %c24 : index
// CHECK: %[[KEY_BEGIN:.*]] = arith.muli %[[TILE]], %c24 : index
// CHECK: scf.for %{{.*}} = %[[KEY_BEGIN]] to %[[KEY_END]] step %c24 {
// Each score: a key of the block (the last tile is ragged), causal, and
// inside its row's document.
// CHECK: %[[IN_BLOCK:.*]] = arith.cmpi slt, %{{.*}} : vector<8xi32>
// CHECK: %[[KEY_POS:.*]] = arith.addi %{{.*}} : vector<8xi32>
// CHECK: %[[CAUSAL:.*]] = arith.cmpi sge, %{{.*}}, %[[KEY_POS]] : vector<8xi32>
// CHECK: %[[ROW_BEGIN:.*]] = memref.load %[[BEGINS]]
// CHECK: %[[ROW_BEGIN_V:.*]] = vector.broadcast %[[ROW_BEGIN]] : i32 to vector<8xi32>
// CHECK: %[[ROW_END:.*]] = memref.load %[[ENDS]]
// CHECK: %[[ROW_END_V:.*]] = vector.broadcast %[[ROW_END]] : i32 to vector<8xi32>
// CHECK: %[[FROM_BEGIN:.*]] = arith.cmpi sge, %[[KEY_POS]], %[[ROW_BEGIN_V]] : vector<8xi32>
// CHECK: %[[BEFORE_END:.*]] = arith.cmpi slt, %[[KEY_POS]], %[[ROW_END_V]] : vector<8xi32>
// CHECK: %[[IN_DOCUMENT:.*]] = arith.andi %[[FROM_BEGIN]], %[[BEFORE_END]]
// CHECK: %[[SEEN:.*]] = arith.andi %[[CAUSAL]], %[[IN_DOCUMENT]]
// CHECK: arith.andi %[[IN_BLOCK]], %[[SEEN]]

// GRAD-LABEL: func.func private @__ring_block_attention_grad(
// GRAD-SAME: %[[BEGINS:[^:]*]]: memref<40xi32, strided<[1], offset: ?>>, %[[ENDS:[^:]*]]: memref<40xi32, strided<[1], offset: ?>>)
// GRAD: scf.for %[[K0:.*]] = %c0 to %c48 step %c48 {
// GRAD-NEXT: scf.for %[[Q0:.*]] = %c0 to %c42 step %c42 {
// GRAD-NEXT: %[[FIRST_ROW:.*]] = arith.minsi %[[Q0]], %c39 : index
// GRAD: %[[LAST_ROW:.*]] = arith.minsi %{{.*}}, %c39 : index
// GRAD: %[[LAST_QUERY:.*]] = arith.addi %{{.*}}, %[[LAST_ROW]] : index
// GRAD-NEXT: %[[FIRST_KEY:.*]] = arith.addi
// GRAD-NEXT: %[[LAST_KEY:.*]] = arith.addi
// GRAD-NEXT: %[[CAUSAL:.*]] = arith.cmpi sge, %[[LAST_QUERY]], %[[FIRST_KEY]] : index
// GRAD: %[[BEGIN:.*]] = memref.load %[[BEGINS]]
// GRAD: %[[BEGIN_I:.*]] = arith.index_cast %[[BEGIN]] : i32 to index
// GRAD: %[[END:.*]] = memref.load %[[ENDS]]
// GRAD: %[[END_I:.*]] = arith.index_cast %[[END]] : i32 to index
// GRAD: %[[REACHES:.*]] = arith.cmpi sge, %[[LAST_KEY]], %[[BEGIN_I]] : index
// GRAD: %[[BEFORE:.*]] = arith.cmpi slt, %[[FIRST_KEY]], %[[END_I]] : index
// GRAD: %[[MEET:.*]] = arith.andi %[[REACHES]], %[[BEFORE]] : i1
// GRAD: %[[BOTH:.*]] = arith.andi %[[CAUSAL]], %[[MEET]] : i1
// GRAD: scf.if %[[BOTH]] {
