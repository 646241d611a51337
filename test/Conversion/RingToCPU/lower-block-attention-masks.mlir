// RUN: ring-opt %s -split-input-file -ring-set-cpu-target=cpu=x86-64-v3 -ring-lower-block-attention -canonicalize | FileCheck %s

// A causal window of 8 tokens: a query tile of 96 rows at q0 visits only
// the key tiles (of 64) from the one holding position q0 - 8, rounded down
// to a tile, to its causal frontier; inside a tile each score is kept iff
// the key is not after the query (causal) and not more than 8 behind it.
// The window is part of the kernel's signature.
// CHECK-LABEL: func.func private @__ring_block_attention
// CHECK-SAME: ring.kernel_signature = "{{.*}}|1,8,-1,-1,0|
// CHECK: scf.for %[[Q0:.*]] = %c0 to %c200 step %c96
// The frontier: one past the last key the tile's last query sees.
// CHECK:   %[[END:.*]] = arith.minsi %{{.*}}, %c200 : index
// The oldest key the first query sees: position q0 - 8.
// CHECK:   %[[FIRSTQ:.*]] = arith.addi %[[QOFF:.*]], %[[Q0]] : index
// CHECK:   %[[REACH:.*]] = arith.subi %[[FIRSTQ]], %c8 : index
// CHECK:   %[[OLDEST:.*]] = arith.subi %[[REACH]], %[[KOFF:.*]] : index
// CHECK:   %[[CLAMPED:.*]] = arith.maxsi %[[OLDEST]], %c0 : index
// CHECK:   %[[FIRST:.*]] = arith.minsi %[[CLAMPED]], %c200 : index
// CHECK:   %[[TILE:.*]] = arith.divui %[[FIRST]], %c64 : index
// CHECK:   %[[BEGIN:.*]] = arith.muli %[[TILE]], %c64 : index
// CHECK:   scf.for %{{.*}} = %[[BEGIN]] to %[[END]] step %c64
// The query's position >= the key's, and the key's + 8 >= the query's
// (after the ragged tail's range check).
// CHECK:   arith.cmpi slt, %{{.*}}, %{{.*}} : vector<8xi32>
// CHECK:   %[[KPOS:.*]] = arith.addi %{{.*}}, %{{.*}} : vector<8xi32>
// CHECK:   %[[QPOS:.*]] = vector.broadcast %{{.*}} : i32 to vector<8xi32>
// CHECK:   %[[AHEAD:.*]] = arith.cmpi sge, %[[QPOS]], %[[KPOS]] : vector<8xi32>
// CHECK:   %[[KREACH:.*]] = arith.addi %[[KPOS]], %{{.*}} : vector<8xi32>
// CHECK:   %[[BEHIND:.*]] = arith.cmpi sge, %[[KREACH]], %[[QPOS]] : vector<8xi32>
// CHECK:   arith.andi %[[AHEAD]], %[[BEHIND]] : vector<8xi1>
func.func @window(%q: memref<1x1x200x16xf32>, %o: memref<1x1x200x16xf32>, %l: memref<1x1x200xf32>, %p: index) {
  ring.block_attention %q, %q, %q into %o, %l causal window_left 8 query_pos(%p, 1) key_pos(%p, 1)
      : memref<1x1x200x16xf32>, memref<1x1x200x16xf32>, memref<1x1x200x16xf32> -> memref<1x1x200x16xf32>, memref<1x1x200xf32>
  return
}

// -----

// The gradient kernel visits a (key tile, query tile) pair only if the
// tiles' nearest rows are within the window: here 4 ahead (not causal), so
// the first key must not be more than 4 past the last query, and 2 behind,
// so the last key must be within 2 of the first query.
// CHECK-LABEL: func.func private @__ring_block_attention_grad
// CHECK-SAME: ring.kernel_signature = "{{.*}}|0,2,4,-1,0|
// CHECK: %[[QREACH:.*]] = arith.addi %{{.*}}, %c4 : index
// CHECK: %[[AHEAD:.*]] = arith.cmpi sge, %[[QREACH]], %{{.*}} : index
// CHECK: %[[KREACH:.*]] = arith.addi %{{.*}}, %c2 : index
// CHECK: %[[BEHIND:.*]] = arith.cmpi sge, %[[KREACH]], %{{.*}} : index
// CHECK: %[[PAIR:.*]] = arith.andi %[[AHEAD]], %[[BEHIND]] : i1
// CHECK: scf.if %[[PAIR]]
func.func @window_grad(%q: memref<1x1x100x16xf32>, %l: memref<1x1x100xf32>, %d: memref<1x1x100x16xf32>, %p: index) {
  ring.block_attention_grad %q, %q, %q, %q, %l, %l into %d, %d, %d
      window_left 2 window_right 4 query_pos(%p, 1) key_pos(%p, 1)
      : memref<1x1x100x16xf32>, memref<1x1x100x16xf32>, memref<1x1x100x16xf32>,
        memref<1x1x100xf32> -> memref<1x1x100x16xf32>, memref<1x1x100x16xf32>
  return
}

// -----

// A logit cap of 30: each score tile is multiplied by 1/30, goes through
// tanh and back times 30 before the mask; the gradient keeps 1 - tanh^2
// per score and multiplies dS by it. The cap is part of the signature
// (its f32 bits). The module holds the gradient's kernel first.
// CHECK-LABEL: func.func private @__ring_block_attention_grad
// CHECK-SAME: ring.kernel_signature = "{{.*}}|1106247680|
// CHECK: %[[GT:.*]] = math.tanh %{{.*}} : vector<8xf32>
// CHECK: %[[SQ:.*]] = arith.mulf %[[GT]], %[[GT]] : vector<8xf32>
// CHECK: %[[SLOPE:.*]] = arith.subf %{{.*}}, %[[SQ]] : vector<8xf32>
// CHECK: vector.store %[[SLOPE]]
// CHECK: %[[DS:.*]] = arith.mulf %{{.*}}, %{{.*}} : vector<8xf32>
// CHECK: %[[KEPT:.*]] = vector.load
// CHECK: arith.mulf %[[DS]], %[[KEPT]] : vector<8xf32>
// CHECK-LABEL: func.func private @__ring_block_attention(
// CHECK-SAME: ring.kernel_signature = "{{.*}}|1106247680|
// CHECK: %[[T:.*]] = math.tanh %{{.*}} : vector<8xf32>
// CHECK: arith.mulf %[[T]], %{{.*}} : vector<8xf32>
func.func @softcap(%q: memref<1x1x64x16xf32>, %o: memref<1x1x64x16xf32>, %l: memref<1x1x64xf32>, %d: memref<1x1x64x16xf32>) {
  ring.block_attention %q, %q, %q into %o, %l softcap 30.0
      : memref<1x1x64x16xf32>, memref<1x1x64x16xf32>, memref<1x1x64x16xf32> -> memref<1x1x64x16xf32>, memref<1x1x64xf32>
  ring.block_attention_grad %q, %q, %q, %q, %l, %l into %d, %d, %d softcap 30.0
      : memref<1x1x64x16xf32>, memref<1x1x64x16xf32>, memref<1x1x64x16xf32>,
        memref<1x1x64xf32> -> memref<1x1x64x16xf32>, memref<1x1x64x16xf32>
  return
}

// -----

// 50 real tokens of 64 positions (offsets from 0): the key loop ends at the
// last real key, and a score is kept only when the query and the key are
// both real. The length is part of the signature: blocks of different
// lengths do not share a kernel.
// CHECK-LABEL: func.func private @__ring_block_attention(
// CHECK-SAME: ring.kernel_signature = "{{.*}}|0,-1,-1,50,0|
// CHECK-DAG: %[[LEN:.*]] = arith.constant dense<50> : vector<8xi32>
// CHECK: %[[REAL:.*]] = arith.subi %c50, %[[KOFF:.*]] : index
// CHECK: %[[CLAMPED:.*]] = arith.maxsi %[[REAL]], %c0 : index
// CHECK: %[[ENDREAL:.*]] = arith.minsi %[[CLAMPED]], %c64 : index
// CHECK: %[[END:.*]] = arith.minsi %[[ENDREAL]], %c64 : index
// CHECK: scf.for %{{.*}} = %c0 to %[[END]] step %c64
// CHECK: %[[QREAL:.*]] = arith.cmpi slt, %[[QPOS:.*]], %[[LEN]] : vector<8xi32>
// CHECK: %[[KREAL:.*]] = arith.cmpi slt, %[[KPOS:.*]], %[[LEN]] : vector<8xi32>
// CHECK: %[[KEEP:.*]] = arith.andi %[[QREAL]], %[[KREAL]] : vector<8xi1>
// CHECK: arith.select %[[KEEP]]
func.func @padded(%q: memref<1x1x64x16xf32>, %o: memref<1x1x64x16xf32>, %l: memref<1x1x64xf32>, %p: index) {
  ring.block_attention %q, %q, %q into %o, %l length 50 query_pos(%p, 1) key_pos(%p, 1)
      : memref<1x1x64x16xf32>, memref<1x1x64x16xf32>, memref<1x1x64x16xf32> -> memref<1x1x64x16xf32>, memref<1x1x64xf32>
  return
}
