// Packed documents are run-time data (lib/Transforms/Documents.h). Each
// schedule finds, once per call, the bounds [begin, end) of the document
// of each of its query rows: a loop over the starts per row, keeping the
// last start at or before the row's global position and the first after
// it (the ring's 16 positions when none). The block of a (query chunk,
// key chunk) pair runs only if the mask's other conditions hold and the
// keys meet the chunk's documents: the last key at or after its first
// row's begin, the first key before its last row's end. The blocks carry
// their rows' bounds to the kernels. The ring's length is found at run time
// too: the last step at which any rank's documents meet the block it holds,
// within the static plan; the blocks travel that many hops, and the
// gradient's sums return home by a run-time offset.
// RUN: ring-opt %s -ring-schedule | FileCheck %s
// RUN: ring-opt %s -ring-add-training-steps -ring-export-abi | FileCheck %s --check-prefix=ENTRY
// RUN: ring-opt %s -ring-add-training-steps -ring-schedule | FileCheck %s --check-prefix=GRAD

shard.grid @ring(shape = 2)
func.func @schedule(%q: tensor<1x2x8x16xf32>, %d: tensor<3xi32>) -> tensor<1x2x8x16xf32> {
  %o = ring.attention %q, %q, %q documents(%d : tensor<3xi32>) causal ring @ring axis 0 layout zigzag : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// CHECK-LABEL: func.func @schedule(
// CHECK-SAME: %{{.*}}: tensor<1x2x8x16xf32>, %[[STARTS:.*]]: tensor<3xi32>)
// CHECK-DAG: %[[POSITIONS:.*]] = arith.constant 16 : index
// CHECK: %[[BUFFER:.*]] = bufferization.to_buffer %[[STARTS]] read_only
// CHECK: %[[BEGINS:.*]] = memref.alloc() : memref<8xi32>
// CHECK: %[[ENDS:.*]] = memref.alloc() : memref<8xi32>
// The rows of the first zigzag chunk, then of the second.
// CHECK: scf.for %[[ROW:.*]] = %{{.*}} to %{{.*}} step
// CHECK: %[[POSITION:.*]] = arith.addi %{{.*}}, %[[ROW]] : index
// CHECK: scf.for %{{.*}} = %{{.*}} iter_args(%[[B:.*]] = %{{.*}}, %[[E:.*]] = %[[POSITIONS]]) -> (index, index)
// CHECK: %[[START:.*]] = arith.index_cast
// CHECK: %[[BEFORE:.*]] = arith.cmpi sle, %[[START]], %[[POSITION]]
// CHECK: %[[LATER:.*]] = arith.maxsi %[[B]], %[[START]]
// CHECK: %[[SOONER:.*]] = arith.minsi %[[E]], %[[START]]
// CHECK: arith.select %[[BEFORE]], %[[LATER]], %[[B]]
// CHECK: arith.select %[[BEFORE]], %[[E]], %[[SOONER]]
// CHECK: memref.store %{{.*}}, %[[BEGINS]]
// CHECK: memref.store %{{.*}}, %[[ENDS]]
// CHECK: scf.for
// The first chunk's rows and the span of its documents.
// CHECK: %[[CHUNK_BEGINS:.*]] = memref.subview %[[BEGINS]][0] [4] [1]
// CHECK: %[[CHUNK_BEGINS_T:.*]] = bufferization.to_tensor %[[CHUNK_BEGINS]]
// CHECK: %[[CHUNK_ENDS:.*]] = memref.subview %[[ENDS]][0] [4] [1]
// CHECK: %[[CHUNK_ENDS_T:.*]] = bufferization.to_tensor %[[CHUNK_ENDS]]
// CHECK: %[[FIRST_BEGIN:.*]] = memref.load %[[BEGINS]][%c0]
// CHECK: %[[SPAN_BEGIN:.*]] = arith.index_cast %[[FIRST_BEGIN]]
// CHECK: %[[LAST_BEGIN:.*]] = memref.load %[[BEGINS]][%c3]
// CHECK: %[[SPAN_LAST_BEGIN:.*]] = arith.index_cast %[[LAST_BEGIN]]
// CHECK: %[[LAST_END:.*]] = memref.load %[[ENDS]][%c3]
// CHECK: %[[SPAN_END:.*]] = arith.index_cast %[[LAST_END]]
// The ring's length: over every rank and every step of the static plan
// (here the one step of 2 ranks), the farthest step at which a chunk of
// the rank meets a chunk of the rank that many steps behind.
// CHECK: %[[LENGTH:.*]] = scf.for %{{.*}} = %c0 to %c2 step %c1 iter_args(%[[FOUND:.*]] = %c0) -> (index)
// CHECK: scf.for %[[D:.*]] = %c1 to %c2 step %c1 iter_args(%[[SOFAR:.*]] = %[[FOUND]]) -> (index)
// CHECK: %[[REACH:.*]] = arith.select %{{.*}}, %[[D]], %c0 : index
// CHECK: %[[FARTHEST:.*]] = arith.maxui %[[SOFAR]], %[[REACH]] : index
// CHECK: scf.yield %[[FARTHEST]] : index
// In the ring loop, which runs to that length: causal, then the documents.
// CHECK: scf.for %{{.*}} = %c0 to %[[LENGTH]] step
// CHECK: ring.shift_start
// CHECK: %[[KEY:.*]] = arith.muli
// CHECK: arith.cmpi sle, %[[KEY]]
// CHECK: %[[LAST_KEY:.*]] = arith.addi %[[KEY]], %c3
// CHECK: %[[MEETS:.*]] = arith.cmpi sge, %[[LAST_KEY]], %[[SPAN_BEGIN]]
// CHECK: arith.andi %{{.*}}, %[[MEETS]]
// CHECK: %[[BEFORE_END:.*]] = arith.cmpi slt, %[[KEY]], %[[SPAN_END]]
// CHECK: %[[TAKE:.*]] = arith.andi %{{.*}}, %[[BEFORE_END]]
// CHECK: scf.if %[[TAKE]]
// The pair is full when its keys end at or before its first query, its
// queries share one document and the keys lie in it: then no mask.
// CHECK: %[[KEY_END:.*]] = arith.addi %[[KEY]], %c3
// CHECK: %[[BEHIND:.*]] = arith.cmpi sle, %[[KEY_END]], %[[QUERY:.*]] : index
// CHECK: %[[ONE_DOC:.*]] = arith.cmpi eq, %[[SPAN_LAST_BEGIN]], %[[SPAN_BEGIN]]
// CHECK: arith.andi %[[BEHIND]], %[[ONE_DOC]]
// CHECK: arith.cmpi sge, %[[KEY]], %[[SPAN_BEGIN]]
// CHECK: %[[KEY_LAST:.*]] = arith.addi %[[KEY]], %c3
// CHECK: arith.cmpi slt, %[[KEY_LAST]], %[[SPAN_END]]
// CHECK: %[[FULL:.*]] = arith.andi
// CHECK: scf.if %[[FULL]]
// CHECK: ring.block_attention {{.*}} scale
// CHECK: } else {
// CHECK: ring.block_attention {{.*}} causal query_pos(%[[QUERY]], 1) key_pos(%[[KEY]], 1) documents(%[[CHUNK_BEGINS_T]], %[[CHUNK_ENDS_T]] : tensor<4xi32>, tensor<4xi32>)

func.func @entry(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>, %d: tensor<3xi32>) -> tensor<1x2x8x16xf32> {
  %o = ring.attention %q, %k, %v documents(%d : tensor<3xi32>) causal ring @ring axis 0 layout zigzag : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// The documents are the entry's fourth argument, after any sinks.
// ENTRY-LABEL: func.func @entry(
// ENTRY-SAME: documents = tensor<3xi32>
// ENTRY-LABEL: func.func @entry_grad(
// ENTRY-SAME: %{{[^:]*}}: tensor<3xi32>, %[[DO:[^:]*]]: tensor<1x2x8x16xf32>)
// ENTRY-SAME: documents = tensor<3xi32>, {{.*}}training = true
// ENTRY: ring.attention {{.*}} documents(%{{.*}} : tensor<3xi32>) causal
// ENTRY: ring.attention_grad {{.*}}, %[[DO]] documents(%{{.*}} : tensor<3xi32>) causal

// The gradient's ring runs to the same run-time length, at least 1 (step
// 0 is emitted as the first of a ring that moves); each block's sums then
// return home N - S ranks, an offset known at run time.
// GRAD-LABEL: func.func @entry_grad(
// GRAD: %[[S:.*]] = arith.maxui %{{.*}}, %c1 : index
// GRAD: %[[BACK:.*]] = arith.subi %c2, %[[S]] : index
// GRAD: ring.shift_start {{.*}} dynamic_offset %[[BACK]]
// GRAD: ring.shift_start {{.*}} dynamic_offset %[[BACK]]
