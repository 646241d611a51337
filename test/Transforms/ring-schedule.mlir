// RUN: ring-opt %s -split-input-file -ring-schedule -verify-diagnostics | FileCheck %s

shard.grid @ring(shape = 4)

// Causal GQA, contiguous layout, 4 ranks: a loop over the first 3 steps, the
// last step peeled; only the 2 key/value heads travel, double-buffered.
// CHECK-LABEL: func.func @causal_contiguous
// CHECK: %[[RANK:.*]] = shard.process_multi_index on @ring axes = [0] : index
// CHECK: %[[KA:.*]] = memref.alloc() : memref<1x2x64x32xbf16>
// CHECK: memref.copy
// CHECK: %[[VA:.*]] = memref.alloc() : memref<1x2x64x32xbf16>
// CHECK: memref.copy
// CHECK: %[[KB:.*]] = memref.alloc() : memref<1x2x64x32xbf16>
// CHECK: %[[VB:.*]] = memref.alloc() : memref<1x2x64x32xbf16>
// This rank's queries sit at 64 r + t.
// CHECK: %[[QOFF:.*]] = arith.muli %[[RANK]], %c64
// CHECK: scf.for %[[STEP:.*]] = %{{.*}} to %c3 step
// CHECK-NOT: memref.alloc
// CHECK-NOT: memref.copy
// CHECK:   %[[KCUR:.*]] = arith.select %[[EVEN:.*]], %[[KA]], %[[KB]]
// CHECK:   %[[KNEXT:.*]] = arith.select %[[EVEN]], %[[KB]], %[[KA]]
// CHECK:   %[[FK:.*]] = ring.shift_start %[[KCUR]] into %[[KNEXT]] ring @ring axis 0 : memref<1x2x64x32xbf16>
// CHECK:   %[[FV:.*]] = ring.shift_start %{{.*}} into %{{.*}} ring @ring axis 0 : memref<1x2x64x32xbf16>
// The block this rank holds at step s came from rank (r - s) mod 4.
// CHECK:   %[[SRC:.*]] = arith.remui
// CHECK:   %[[KOFF:.*]] = arith.muli %[[SRC]], %c64
// Skipped when its first key comes after its last query.
// CHECK:   %[[VISIBLE:.*]] = arith.cmpi sle, %[[KOFF]]
// CHECK:   scf.if %[[VISIBLE]]
// CHECK:     ring.block_attention {{.*}} causal query_pos(%[[QOFF]], 1) key_pos(%[[KOFF]], 1)
// CHECK:     ring.combine
// CHECK:   } else {
// CHECK-NOT: memref.alloc
// CHECK:   ring.shift_wait %[[FK]] : !ring.future<memref<1x2x64x32xbf16>>
// CHECK:   ring.shift_wait %[[FV]]
// CHECK:   scf.yield
// CHECK: }
// The last step: the block in buffer B (3 shifts), and no shift.
// CHECK-NOT: ring.shift_start
// CHECK: bufferization.to_tensor %[[KB]]
// CHECK: ring.block_attention
// CHECK: ring.combine
// CHECK-NOT: ring.shift_start
// CHECK: arith.truncf {{.*}} : tensor<1x8x64x32xf32> to tensor<1x8x64x32xbf16>
func.func @causal_contiguous(%q: tensor<1x8x64x32xbf16>, %k: tensor<1x2x64x32xbf16>, %v: tensor<1x2x64x32xbf16>) -> tensor<1x8x64x32xbf16> {
  %o = ring.attention %q, %k, %v causal ring @ring axis 0 : tensor<1x8x64x32xbf16>, tensor<1x2x64x32xbf16>, tensor<1x2x64x32xbf16>
  return %o : tensor<1x8x64x32xbf16>
}

// Zigzag: two query chunks (r and 7-r) against two key chunks per step, each
// pair its own causal block; the chunks' results are assembled at the end.
// CHECK-LABEL: func.func @causal_zigzag
// CHECK: scf.for {{.*}} iter_args({{.*}}) -> (tensor<1x2x32x16xf32>, tensor<1x2x32xf32>, tensor<1x2x32x16xf32>, tensor<1x2x32xf32>)
// CHECK-COUNT-4: ring.block_attention {{.*}} causal
// CHECK: ring.shift_wait
// CHECK: scf.yield
// CHECK-COUNT-4: ring.block_attention {{.*}} causal
// CHECK: tensor.insert_slice {{.*}}[0, 0, 0, 0] [1, 2, 32, 16]
// CHECK: tensor.insert_slice {{.*}}[0, 0, 32, 0] [1, 2, 32, 16]
func.func @causal_zigzag(%q: tensor<1x2x64x16xf32>) -> tensor<1x2x64x16xf32> {
  %o = ring.attention %q, %q, %q causal ring @ring axis 0 layout zigzag : tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>
  return %o : tensor<1x2x64x16xf32>
}

// Striped: positions r + 4 t, one chunk.
// CHECK-LABEL: func.func @causal_striped
// CHECK: %[[RANK:.*]] = shard.process_multi_index
// CHECK: scf.for
// CHECK: ring.block_attention {{.*}} causal query_pos(%[[RANK]], 4) key_pos(%{{.*}}, 4)
func.func @causal_striped(%q: tensor<1x2x64x16xf32>) -> tensor<1x2x64x16xf32> {
  %o = ring.attention %q, %q, %q causal ring @ring axis 0 layout striped : tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>
  return %o : tensor<1x2x64x16xf32>
}

// Without a mask every block is visible and needs no positions.
// CHECK-LABEL: func.func @noncausal
// CHECK: scf.for
// CHECK-NOT: scf.if
// CHECK: ring.block_attention %{{.*}}, %{{.*}}, %{{.*}} scale
// CHECK: ring.combine
func.func @noncausal(%q: tensor<1x2x64x16xf32>) -> tensor<1x2x64x16xf32> {
  %o = ring.attention %q, %q, %q ring @ring axis 0 layout zigzag : tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>
  return %o : tensor<1x2x64x16xf32>
}

// -----

shard.grid @one(shape = 1)

// A ring of one rank holds the whole sequence in natural order under every
// layout: it is single-device attention (no copy of K/V, no loop, no shift,
// no merge), so it costs what plain attention costs.
// CHECK-LABEL: func.func @single_rank
// CHECK-NOT: scf.for
// CHECK-NOT: ring.shift_start
// CHECK-NOT: ring.combine
// CHECK: ring.attention %{{.*}}, %{{.*}}, %{{.*}} causal : tensor
// CHECK-NEXT: return
func.func @single_rank(%q: tensor<1x2x64x16xf32>) -> tensor<1x2x64x16xf32> {
  %o = ring.attention %q, %q, %q causal ring @one axis 0 layout zigzag : tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>
  return %o : tensor<1x2x64x16xf32>
}

// -----

shard.grid @three(shape = 3)

// Odd ring sizes: after 2 shifts the last block is back in buffer A.
// CHECK-LABEL: func.func @odd_ring
// CHECK: %[[KA:.*]] = memref.alloc()
// CHECK: scf.for {{.*}} to %c2 step
// CHECK: }
// CHECK: bufferization.to_tensor %[[KA]]
func.func @odd_ring(%q: tensor<1x2x64x16xf32>) -> tensor<1x2x64x16xf32> {
  %o = ring.attention %q, %q, %q ring @three axis 0 : tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>
  return %o : tensor<1x2x64x16xf32>
}

// -----

shard.grid @dynamic(shape = ?)

func.func @dynamic_ring(%q: tensor<1x2x64x16xf32>) -> tensor<1x2x64x16xf32> {
  // expected-error @+1 {{the ring schedule needs a static ring size, but axis 0 of @dynamic is dynamic}}
  %o = ring.attention %q, %q, %q ring @dynamic axis 0 : tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>
  return %o : tensor<1x2x64x16xf32>
}

