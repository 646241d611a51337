// A block placement lays the ring out at run time: rank r's local block j
// sits at global block %blocks[r * P/N + j], so every chunk offset is read
// from the placement (the query chunks' from this rank's entries, the key
// chunks' from those of the rank the block came from), and each chunk pair
// is skipped at run time unless the mask lets it interact. The positions
// are run-time data, so a window cannot cut the ring short as it does on a
// static layout (ring-schedule-window.mlir): all N - 1 shifts stay. A ring
// of one with a placement keeps its blocks' positions too, instead of
// becoming single-device attention in natural order.
// RUN: rm -rf %t && split-file %s %t
// RUN: ring-opt %t/forward.mlir -ring-schedule | FileCheck %s --check-prefix=FWD
// RUN: ring-opt %t/grad.mlir -ring-schedule | FileCheck %s --check-prefix=GRAD
// RUN: ring-opt %t/one.mlir -ring-schedule -canonicalize | FileCheck %s --check-prefix=ONE

//--- forward.mlir
shard.grid @ring(shape = 4)
// FWD-LABEL: func.func @placed
// FWD: %[[RANK:.*]] = shard.process_multi_index on @ring axes = [0] : index
// This rank's two blocks of 32: entries 2r and 2r + 1.
// FWD: %[[FIRST:.*]] = arith.muli %[[RANK]], %c2
// FWD: %[[B0:.*]] = tensor.extract %[[P:.*]][%[[FIRST]]] : tensor<8xi32>
// FWD: %[[I0:.*]] = arith.index_cast %[[B0]] : i32 to index
// FWD: %[[Q0:.*]] = arith.muli %[[I0]], %c32
// FWD: %[[NEXT:.*]] = arith.addi %[[FIRST]], %c1
// FWD: tensor.extract %[[P]][%[[NEXT]]] : tensor<8xi32>
// A window of 10 tokens still keeps every step: 0 to 3, the last peeled.
// FWD: scf.for %[[S:.*]] = %c0 to %c3 step %c1
// FWD:   ring.shift_start
// FWD:   ring.shift_start
// The key blocks came from rank (r - s) mod 4.
// FWD:   %[[PLUS:.*]] = arith.addi %[[RANK]], %c4
// FWD:   %[[BACK:.*]] = arith.subi %[[PLUS]], %[[S]]
// FWD:   %[[SOURCE:.*]] = arith.remui %[[BACK]], %c4
// FWD:   %[[KFIRST:.*]] = arith.muli %[[SOURCE]], %c2
// FWD:   %[[KB0:.*]] = tensor.extract %[[P]][%[[KFIRST]]] : tensor<8xi32>
// FWD:   %[[KI0:.*]] = arith.index_cast %[[KB0]] : i32 to index
// FWD:   %[[K0:.*]] = arith.muli %[[KI0]], %c32
// FWD:   %[[LASTQ:.*]] = arith.addi %[[Q0]], %c31
// FWD:   %[[AHEAD:.*]] = arith.cmpi sle, %[[K0]], %[[LASTQ]]
// FWD:   %[[SEEN:.*]] = arith.andi %[[AHEAD]], %{{.*}}
// FWD:   scf.if %[[SEEN]]
// FWD:     ring.block_attention {{.*}} causal window_left 10 query_pos(%[[Q0]], 1) key_pos(%[[K0]], 1)
// FWD-COUNT-3: ring.block_attention
// FWD:   ring.shift_wait
// FWD: }
// FWD-NOT: ring.shift_start
// FWD: return
func.func @placed(%q: tensor<1x2x64x16xf32>, %p: tensor<8xi32>) -> tensor<1x2x64x16xf32> {
  %o = ring.attention %q, %q, %q placement(%p : tensor<8xi32>) causal window_left 10 ring @ring axis 0 : tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>
  return %o : tensor<1x2x64x16xf32>
}

//--- grad.mlir
shard.grid @ring(shape = 4)
// GRAD-LABEL: func.func @placed_grad
// GRAD: tensor.extract %{{.*}} : tensor<8xi32>
// GRAD: ring.block_attention_grad {{.*}} causal window_left 10 query_pos
// Steps 1 and 2 in the loop, step 3 peeled: the window cuts none.
// GRAD: scf.for %{{.*}} = %c1 to %c3 step %c1
// GRAD:   tensor.extract %{{.*}} : tensor<8xi32>
// GRAD:   ring.block_attention_grad
func.func @placed_grad(%q: tensor<1x2x64x16xf32>, %l: tensor<1x2x64xf32>, %p: tensor<8xi32>) -> tensor<1x2x64x16xf32> {
  %dq, %dk, %dv = ring.attention_grad %q, %q, %q, %q, %l, %q placement(%p : tensor<8xi32>) causal window_left 10 ring @ring axis 0 : tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>, tensor<1x2x64xf32>
  return %dq : tensor<1x2x64x16xf32>
}

//--- one.mlir
shard.grid @one(shape = 1)
// ONE-LABEL: func.func @placed_one
// Two blocks on one rank: each query block against each key block, at the
// offsets the placement gives, and no shift.
// ONE-NOT: ring.shift_start
// ONE: tensor.extract %{{.*}} : tensor<2xi32>
// ONE-COUNT-4: ring.block_attention {{.*}} causal query_pos
// ONE-NOT: ring.shift_start
// ONE: return
func.func @placed_one(%q: tensor<1x2x64x16xf32>, %p: tensor<2xi32>) -> tensor<1x2x64x16xf32> {
  %o = ring.attention %q, %q, %q placement(%p : tensor<2xi32>) causal ring @one axis 0 : tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>
  return %o : tensor<1x2x64x16xf32>
}
