// A sliding window plans the ring at compile time (MaskPlan.h's planRing):
// with 8 ranks of 64 tokens in the contiguous layout, a causal window of
// 100 tokens reaches back into the blocks of the two ranks behind, so the
// ring stops after step 2 (blocks travel 2 hops, not 7) and the gradient's
// partial sums return home in one shift of 8 - 2 = 6 ranks. A window within
// a block needs no ring at all. Zigzag places a rank's late chunk next to
// the next rank's, and a two-sided window needs the ranks ahead, which a
// one-way ring reaches last: both keep every step. Padding plans too: 100
// real tokens on 8 ranks of 64 leave ranks 2 to 7 all padding, so one step
// suffices, and a block is skipped unless some of its queries and keys are
// real.
// RUN: rm -rf %t && split-file %s %t
// RUN: ring-opt %t/forward.mlir -ring-schedule | FileCheck %s --check-prefix=FWD
// RUN: ring-opt %t/grad.mlir -ring-schedule | FileCheck %s --check-prefix=GRAD
// RUN: ring-opt %t/local.mlir -ring-schedule -canonicalize | FileCheck %s --check-prefix=LOCAL
// RUN: ring-opt %t/full-ring.mlir -ring-schedule | FileCheck %s --check-prefix=FULL
// RUN: ring-opt %t/padded.mlir -ring-schedule | FileCheck %s --check-prefix=PAD

//--- forward.mlir
shard.grid @ring(shape = 8)
// FWD-LABEL: func.func @window
// FWD: %[[RANK:.*]] = shard.process_multi_index on @ring axes = [0] : index
// FWD: %[[QOFF:.*]] = arith.muli %[[RANK]], %c64
// Steps 0 and 1 shift the block on; step 2 is peeled and sends nothing.
// FWD: scf.for %{{.*}} = %c0 to %c2 step %c1
// FWD:   ring.shift_start
// FWD:   ring.shift_start
// FWD:   %[[KOFF:.*]] = arith.muli %{{.*}}, %c64
// A block is skipped unless its first key is not after the last query and
// its last key is within 100 tokens of the first query.
// FWD:   %[[LASTQ:.*]] = arith.addi %[[QOFF]], %c63
// FWD:   %[[AHEAD:.*]] = arith.cmpi sle, %[[KOFF]], %[[LASTQ]]
// FWD:   %[[LASTK:.*]] = arith.addi %[[KOFF]], %c63
// FWD:   %[[REACH:.*]] = arith.addi %[[LASTK]], %c100
// FWD:   %[[BEHIND:.*]] = arith.cmpi sle, %[[QOFF]], %[[REACH]]
// FWD:   %[[SEEN:.*]] = arith.andi %[[AHEAD]], %[[BEHIND]]
// FWD:   scf.if %[[SEEN]]
// The block is full, and computed without a mask, when its last key is at
// or before its first query and its last query within 100 tokens of its
// first key.
// FWD:     %[[KEND:.*]] = arith.addi %[[KOFF]], %c63
// FWD:     %[[NOT_AHEAD:.*]] = arith.cmpi sle, %[[KEND]], %[[QOFF]]
// FWD:     %[[QEND:.*]] = arith.addi %[[QOFF]], %c63
// FWD:     %[[KREACH:.*]] = arith.addi %[[KOFF]], %c100
// FWD:     %[[NOT_BEHIND:.*]] = arith.cmpi sle, %[[QEND]], %[[KREACH]]
// FWD:     %[[ALL_SEEN:.*]] = arith.andi %[[NOT_AHEAD]], %[[NOT_BEHIND]]
// FWD:     scf.if %[[ALL_SEEN]]
// FWD-NEXT:  ring.block_attention {{.*}} into {{.*}} scale 2.500000e-01 :
// FWD:     } else {
// FWD-NEXT:  ring.block_attention {{.*}} causal window_left 100 query_pos(%[[QOFF]], 1) key_pos(%[[KOFF]], 1)
// FWD:   ring.shift_wait
// FWD: }
// FWD-NOT: ring.shift_start
// FWD: arith.subi %{{.*}}, %c2
// FWD: ring.block_attention {{.*}} causal window_left 100
// FWD-NOT: ring.shift_start
// FWD: return
func.func @window(%q: tensor<1x2x64x16xf32>) -> tensor<1x2x64x16xf32> {
  %o = ring.attention %q, %q, %q causal window_left 100 ring @ring axis 0 : tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>
  return %o : tensor<1x2x64x16xf32>
}

//--- grad.mlir
shard.grid @ring(shape = 8)
// GRAD-LABEL: func.func @window_grad
// Step 0 shifts K and V; one more step in the loop; the last step (2)
// receives the partial sums but sends no K/V; then the sums go home, 6
// ranks on (2 back).
// GRAD: ring.shift_start %{{.*}} into %{{.*}} ring @ring axis 0 : memref<1x2x64x16xf32>
// GRAD: ring.shift_start %{{.*}} into %{{.*}} ring @ring axis 0 : memref<1x2x64x16xf32>
// GRAD: ring.block_attention_grad {{.*}} causal window_left 100 query_pos
// GRAD: scf.for %{{.*}} = %c1 to %c2 step %c1
// GRAD: ring.block_attention_grad {{.*}} causal window_left 100 query_pos
// GRAD: }
// GRAD-COUNT-2: ring.shift_start %{{.*}} into %{{.*}} ring @ring axis 0 : memref<1x2x64x16xf32>
// GRAD: ring.block_attention_grad {{.*}} causal window_left 100 query_pos
// GRAD: ring.shift_start %{{.*}} into %{{.*}} ring @ring axis 0 offset 6 : memref<1x2x64x16xf32>
// GRAD: ring.shift_start %{{.*}} into %{{.*}} ring @ring axis 0 offset 6 : memref<1x2x64x16xf32>
// GRAD-NOT: ring.shift_start
// GRAD: return
func.func @window_grad(%q: tensor<1x2x64x16xf32>, %o: tensor<1x2x64x16xf32>, %l: tensor<1x2x64xf32>, %do: tensor<1x2x64x16xf32>) -> (tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>) {
  %dq, %dk, %dv = ring.attention_grad %q, %q, %q, %o, %l, %do causal window_left 100 ring @ring axis 0 : tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>, tensor<1x2x64xf32>
  return %dq, %dk, %dv : tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>
}

//--- local.mlir
shard.grid @ring(shape = 8)
// A window of 0 tokens (each query sees only itself): each rank computes
// its own block, and nothing travels, forward or backward.
// LOCAL-LABEL: func.func @self_only
// LOCAL-NOT: ring.shift_start
// LOCAL: ring.block_attention {{.*}} causal window_left 0
// LOCAL-NOT: ring.shift_start
// LOCAL-LABEL: func.func @self_only_grad
// LOCAL-NOT: ring.shift_start
// LOCAL: ring.block_attention_grad {{.*}} causal window_left 0
// LOCAL-NOT: ring.shift_start
// LOCAL: return
func.func @self_only(%q: tensor<1x2x64x16xf32>) -> tensor<1x2x64x16xf32> {
  %o = ring.attention %q, %q, %q causal window_left 0 ring @ring axis 0 : tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>
  return %o : tensor<1x2x64x16xf32>
}
func.func @self_only_grad(%q: tensor<1x2x64x16xf32>, %o: tensor<1x2x64x16xf32>, %l: tensor<1x2x64xf32>, %do: tensor<1x2x64x16xf32>) -> (tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>) {
  %dq, %dk, %dv = ring.attention_grad %q, %q, %q, %o, %l, %do causal window_left 0 ring @ring axis 0 : tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>, tensor<1x2x64xf32>
  return %dq, %dk, %dv : tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>
}

//--- full-ring.mlir
shard.grid @ring(shape = 8)
// FULL-LABEL: func.func @zigzag
// FULL: scf.for %{{.*}} = %c0 to %c7 step %c1
// FULL-LABEL: func.func @two_sided
// FULL: scf.for %{{.*}} = %c0 to %c7 step %c1
func.func @zigzag(%q: tensor<1x2x64x16xf32>) -> tensor<1x2x64x16xf32> {
  %o = ring.attention %q, %q, %q causal window_left 16 ring @ring axis 0 layout zigzag : tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>
  return %o : tensor<1x2x64x16xf32>
}
func.func @two_sided(%q: tensor<1x2x64x16xf32>) -> tensor<1x2x64x16xf32> {
  %o = ring.attention %q, %q, %q window_left 16 window_right 16 ring @ring axis 0 : tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>
  return %o : tensor<1x2x64x16xf32>
}

//--- padded.mlir
shard.grid @ring(shape = 8)
// PAD-LABEL: func.func @padded
// PAD: %[[QOFF:.*]] = arith.muli %{{.*}}, %c64
// PAD: scf.for %{{.*}} = %c0 to %c1 step %c1
// PAD:   %[[KOFF:.*]] = arith.muli %{{.*}}, %c64
// PAD:   %[[CAUSAL:.*]] = arith.cmpi sle, %[[KOFF]]
// PAD:   %[[REALQ:.*]] = arith.cmpi slt, %[[QOFF]], %c100
// PAD:   %[[BOTH:.*]] = arith.andi %[[CAUSAL]], %[[REALQ]]
// PAD:   %[[REALK:.*]] = arith.cmpi slt, %[[KOFF]], %c100
// PAD:   %[[SEEN:.*]] = arith.andi %[[BOTH]], %[[REALK]]
// PAD:   scf.if %[[SEEN]]
// PAD:     ring.block_attention {{.*}} causal length 100 query_pos(%[[QOFF]], 1) key_pos(%[[KOFF]], 1)
func.func @padded(%q: tensor<1x2x64x16xf32>) -> tensor<1x2x64x16xf32> {
  %o = ring.attention %q, %q, %q causal length 100 ring @ring axis 0 : tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>
  return %o : tensor<1x2x64x16xf32>
}
