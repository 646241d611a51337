// RUN: ring-opt %s -split-input-file -ring-set-cpu-target=cpu=x86-64-v3 -ring-lower-block-attention -canonicalize -verify-diagnostics | FileCheck %s

// Two causal GQA block gradients of one signature at different key
// positions (two blocks of a ring step): one kernel, two calls, each with its
// block's positions. seq 1000 (not a multiple of the tiles), head_dim 80, on
// AVX2: 8 lanes, 6 x 2 register tiles, query tiles of 48 rows, key tiles of
// 48 (a multiple of both 16-key chunks and 6-row tiles).
// CHECK-LABEL: func.func @two_blocks
// CHECK-SAME: attributes {passthrough = ["optsize"]}
// The blocks become calls; the kernel owns its scratch.
// CHECK-NOT: memref.alloc
// CHECK: call @__ring_block_attention_grad(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %arg11, %arg11, %{{.*}}, %{{.*}}, %{{.*}}) : (memref<1x8x1000x80xbf16, strided<[?, ?, ?, 1], offset: ?>>, memref<1x2x1000x80xbf16, strided<[?, ?, ?, 1], offset: ?>>, memref<1x2x1000x80xbf16, strided<[?, ?, ?, 1], offset: ?>>, memref<1x8x1000x80xbf16, strided<[?, ?, ?, 1], offset: ?>>, memref<1x8x1000xf32, strided<[?, ?, 1], offset: ?>>, memref<1x8x1000xf32, strided<[?, ?, 1], offset: ?>>, index, index, memref<1x8x1000x80xf32, strided<[?, ?, ?, 1], offset: ?>>, memref<1x2x1000x80xf32, strided<[?, ?, ?, 1], offset: ?>>, memref<1x2x1000x80xf32, strided<[?, ?, ?, 1], offset: ?>>) -> ()
// CHECK-NOT: memref.alloc
// CHECK: call @__ring_block_attention_grad(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %arg11, %arg12, %{{.*}}, %{{.*}}, %{{.*}})
// CHECK-NOT: ring.block_attention_grad
// CHECK: return
// The one kernel: private, internal to the object, never inlined.
// CHECK: func.func private @__ring_block_attention_grad(
// CHECK-SAME: attributes {llvm.linkage = #llvm.linkage<internal>, passthrough = ["noinline"], ring.kernel_signature =
// Its only buffers are its scratch, linear in the sequence (1000 keys and
// 1000 queries padded to 1008): K^T and V^T in 63 panels of 16 keys;
// scale * K, dK, dV rows; scale * Q, dO and dQ rows; L and D per row; P and
// dS of one tile pair (48 x 48). Nothing of size seq x seq.
// CHECK-DAG: %[[PLUSINF:.*]] = arith.constant 0x7F800000 : f32
// CHECK-DAG: %[[SCALE:.*]] = arith.constant 0.111803398 : f32
// CHECK-DAG: memref.alloc() : memref<63x80x16xf32>
// CHECK-DAG: memref.alloc() : memref<63x80x16xf32>
// CHECK-DAG: memref.alloc() : memref<1008x80xf32>
// CHECK-DAG: memref.alloc() : memref<1008x80xf32>
// CHECK-DAG: memref.alloc() : memref<1008x80xf32>
// CHECK-DAG: memref.alloc() : memref<1008x80xf32>
// CHECK-DAG: memref.alloc() : memref<1008x80xf32>
// CHECK-DAG: memref.alloc() : memref<1008x80xf32>
// CHECK-DAG: memref.alloc() : memref<1008xf32>
// CHECK-DAG: memref.alloc() : memref<1008xf32>
// CHECK-DAG: memref.alloc() : memref<48x48xf32>
// CHECK-DAG: memref.alloc() : memref<48x48xf32>
// CHECK-NOT: memref.alloc
// Per key/value head (2): K is scaled as it is packed in rows (for dQ);
// per query head of its group (4): Q is scaled as it is packed; a row whose
// lse is -inf (it saw no key) gets L = +inf, so exp(S - L) = 0 and its
// gradients are 0, never NaN.
// CHECK: scf.for %{{.*}} = %c0 to %c2 step %c1 {
// CHECK: arith.mulf %{{.*}}, %[[SCALE]] : f32
// CHECK: scf.for %{{.*}} = %c0 to %c4 step %c1 {
// CHECK: arith.mulf %{{.*}}, %[[SCALE]] : f32
// CHECK: %[[UNSEEN:.*]] = arith.cmpf oeq, %[[LSE:.*]], %{{.*}} : f32
// CHECK-NEXT: arith.select %[[UNSEEN]], %[[PLUSINF]], %[[LSE]] : f32
// Key tiles outside, query tiles inside; a pair entirely in the future is
// skipped.
// CHECK: scf.for %[[K0:.*]] = %c0 to %c1008 step %c48 {
// CHECK-NEXT: scf.for %[[Q0:.*]] = %c0 to %c1008 step %c48 {
// CHECK: %[[VISIBLE:.*]] = arith.cmpi sge
// CHECK-NEXT: scf.if %[[VISIBLE]] {
// S = (scale Q) K^T, masked (causal, ragged last tile), and P = exp(S - L)
// for every key chunk, then dP = dO V^T and dS = P (dP - D): 6 rows x 2
// vectors of 8 keys each, broadcast-FMAs over head_dim, stored for the tile
// pair.
// CHECK: scf.for %{{.*}} = %c0 to %c80 step %c1 iter_args({{.*}}) -> (vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>)
// CHECK-COUNT-12: vector.fma {{.*}} : vector<8xf32>
// CHECK: arith.select {{.*}} : vector<8xi1>, vector<8xf32>
// CHECK: %[[SL:.*]] = arith.subf %{{.*}}, %{{.*}} : vector<8xf32>
// CHECK-NEXT: %[[P:.*]] = math.exp %[[SL]] : vector<8xf32>
// CHECK-NEXT: vector.store %[[P]], %{{.*}} : memref<48x48xf32>, vector<8xf32>
// CHECK: scf.for %{{.*}} = %c0 to %c80 step %c1 iter_args({{.*}}) -> (vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>)
// CHECK-COUNT-12: vector.fma {{.*}} : vector<8xf32>
// CHECK: %[[P2:.*]] = vector.load %{{.*}} : memref<48x48xf32>, vector<8xf32>
// CHECK-NEXT: %[[DPD:.*]] = arith.subf %{{.*}}, %{{.*}} : vector<8xf32>
// CHECK-NEXT: %[[DS:.*]] = arith.mulf %[[P2]], %[[DPD]] : vector<8xf32>
// CHECK-NEXT: vector.store %[[DS]], %{{.*}} : memref<48x48xf32>, vector<8xf32>
// dV += P^T dO, then dK += dS^T (scale Q): 6 keys x 2 vectors in registers
// over the query tile.
// CHECK: scf.for %{{.*}} = %c0 to %c48 step %c6 {
// CHECK: scf.for %{{.*}} = %c0 to %c48 step %c1 iter_args({{.*}}) -> (vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>)
// CHECK-COUNT-12: vector.fma {{.*}} : vector<8xf32>
// CHECK: scf.for %{{.*}} = %c0 to %c48 step %c6 {
// CHECK: scf.for %{{.*}} = %c0 to %c48 step %c1 iter_args({{.*}}) -> (vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>)
// CHECK-COUNT-12: vector.fma {{.*}} : vector<8xf32>
// dQ += dS (scale K): 6 rows x 2 vectors over the key tile.
// CHECK: scf.for %{{.*}} = %c0 to %c48 step %c6 {
// CHECK: scf.for %{{.*}} = %c0 to %c48 step %c1 iter_args({{.*}}) -> (vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>)
// CHECK-COUNT-12: vector.fma {{.*}} : vector<8xf32>
// The destinations are accumulated into, valid rows only: dq per query
// head, then dk and dv per key/value head (the sum over its query heads).
// CHECK: scf.for %{{.*}} = %c0 to %c1000 step %c1 {
// CHECK: %[[DQOLD:.*]] = vector.load %arg8[
// CHECK-NEXT: %[[DQPART:.*]] = vector.load %alloc
// CHECK-NEXT: %[[DQNEW:.*]] = arith.addf %[[DQOLD]], %[[DQPART]] : vector<8xf32>
// CHECK-NEXT: vector.store %[[DQNEW]], %arg8[
// CHECK: scf.for %{{.*}} = %c0 to %c1000 step %c1 {
// CHECK: %[[DKOLD:.*]] = vector.load %arg9[
// CHECK-NEXT: %[[DKPART:.*]] = vector.load %alloc
// CHECK-NEXT: %[[DKNEW:.*]] = arith.addf %[[DKOLD]], %[[DKPART]] : vector<8xf32>
// CHECK-NEXT: vector.store %[[DKNEW]], %arg9[
// CHECK: scf.for %{{.*}} = %c0 to %c1000 step %c1 {
// CHECK: %[[DVOLD:.*]] = vector.load %arg10[
// CHECK-NEXT: %[[DVPART:.*]] = vector.load %alloc
// CHECK-NEXT: %[[DVNEW:.*]] = arith.addf %[[DVOLD]], %[[DVPART]] : vector<8xf32>
// CHECK-NEXT: vector.store %[[DVNEW]], %arg10[
// The scratch is freed before the kernel returns.
// CHECK-COUNT-12: memref.dealloc
// CHECK-NEXT: return
// CHECK-NOT: func.func private @__ring_block_attention_grad
func.func @two_blocks(%q: memref<1x8x1000x80xbf16>, %k: memref<1x2x1000x80xbf16>, %v: memref<1x2x1000x80xbf16>,
                      %do: memref<1x8x1000x80xbf16>, %lse: memref<1x8x1000xf32>, %delta: memref<1x8x1000xf32>,
                      %dq: memref<1x8x1000x80xf32>, %dk: memref<1x2x1000x80xf32>, %dv: memref<1x2x1000x80xf32>,
                      %k2: memref<1x2x1000x80xbf16>, %v2: memref<1x2x1000x80xbf16>, %qpos: index, %kpos: index) {
  ring.block_attention_grad %q, %k, %v, %do, %lse, %delta into %dq, %dk, %dv causal query_pos(%qpos, 1) key_pos(%qpos, 1)
      : memref<1x8x1000x80xbf16>, memref<1x2x1000x80xbf16>, memref<1x2x1000x80xbf16>, memref<1x8x1000xf32>
      -> memref<1x8x1000x80xf32>, memref<1x2x1000x80xf32>
  ring.block_attention_grad %q, %k2, %v2, %do, %lse, %delta into %dq, %dk, %dv causal query_pos(%qpos, 1) key_pos(%kpos, 1)
      : memref<1x8x1000x80xbf16>, memref<1x2x1000x80xbf16>, memref<1x2x1000x80xbf16>, memref<1x8x1000xf32>
      -> memref<1x8x1000x80xf32>, memref<1x2x1000x80xf32>
  return
}

// -----

// Blocks of different signatures get their own kernels: a full and a
// causal gradient of the same shapes, and a forward block, whose kernel is
// the forward's. Views at any offset (the chunks of a zigzag rank) share
// the kernel of whole buffers: operands are cast to one strided layout.
// CHECK-LABEL: func.func @signatures
// CHECK: call @[[FULL:__ring_block_attention_grad[_0-9]*]](%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %c0, %c0, %{{.*}}, %{{.*}}, %{{.*}})
// CHECK: call @[[CAUSAL:__ring_block_attention_grad[_0-9]*]](%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %arg5, %arg5, %{{.*}}, %{{.*}}, %{{.*}})
// CHECK: call @[[CAUSAL]](%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %arg5, %arg5, %{{.*}}, %{{.*}}, %{{.*}})
// CHECK: call @[[CAUSAL]](%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %arg5, %arg5, %{{.*}}, %{{.*}}, %{{.*}})
// CHECK: call @__ring_block_attention(
// CHECK-DAG: func.func private @[[FULL]](
// CHECK-DAG: func.func private @[[CAUSAL]](
// CHECK-DAG: func.func private @__ring_block_attention(
func.func @signatures(%q: memref<1x2x16x16xf32>, %l: memref<1x2x16xf32>, %dq: memref<1x2x16x16xf32>,
                      %dk: memref<1x2x16x16xf32>, %dv: memref<1x2x16x16xf32>, %p: index,
                      %o: memref<1x2x16x16xf32>, %q32: memref<1x2x32x16xf32>) {
  ring.block_attention_grad %q, %q, %q, %q, %l, %l into %dq, %dk, %dv
      : memref<1x2x16x16xf32>, memref<1x2x16x16xf32>, memref<1x2x16x16xf32>, memref<1x2x16xf32>
      -> memref<1x2x16x16xf32>, memref<1x2x16x16xf32>
  ring.block_attention_grad %q, %q, %q, %q, %l, %l into %dq, %dk, %dv causal query_pos(%p, 1) key_pos(%p, 1)
      : memref<1x2x16x16xf32>, memref<1x2x16x16xf32>, memref<1x2x16x16xf32>, memref<1x2x16xf32>
      -> memref<1x2x16x16xf32>, memref<1x2x16x16xf32>
  %first = memref.subview %q32[0, 0, 0, 0] [1, 2, 16, 16] [1, 1, 1, 1]
      : memref<1x2x32x16xf32> to memref<1x2x16x16xf32, strided<[1024, 512, 16, 1]>>
  %second = memref.subview %q32[0, 0, 16, 0] [1, 2, 16, 16] [1, 1, 1, 1]
      : memref<1x2x32x16xf32> to memref<1x2x16x16xf32, strided<[1024, 512, 16, 1], offset: 256>>
  ring.block_attention_grad %first, %q, %q, %first, %l, %l into %dq, %dk, %dv causal query_pos(%p, 1) key_pos(%p, 1)
      : memref<1x2x16x16xf32, strided<[1024, 512, 16, 1]>>, memref<1x2x16x16xf32>, memref<1x2x16x16xf32>, memref<1x2x16xf32>
      -> memref<1x2x16x16xf32>, memref<1x2x16x16xf32>
  ring.block_attention_grad %q, %second, %second, %q, %l, %l into %dq, %dk, %dv causal query_pos(%p, 1) key_pos(%p, 1)
      : memref<1x2x16x16xf32>, memref<1x2x16x16xf32, strided<[1024, 512, 16, 1], offset: 256>>, memref<1x2x16x16xf32, strided<[1024, 512, 16, 1], offset: 256>>, memref<1x2x16xf32>
      -> memref<1x2x16x16xf32>, memref<1x2x16x16xf32>
  ring.block_attention %q, %q, %q into %o, %l
      : memref<1x2x16x16xf32>, memref<1x2x16x16xf32>, memref<1x2x16x16xf32> -> memref<1x2x16x16xf32>, memref<1x2x16xf32>
  return
}

// -----

func.func @tensors(%q: tensor<1x2x8x16xf32>, %l: tensor<1x2x8xf32>, %dq: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{ring-lower-block-attention lowers block gradients on buffers; bufferize this one first (one-shot-bufferize)}}
  %a, %b, %c = ring.block_attention_grad %q, %q, %q, %q, %l, %l into %dq, %dq, %dq
      : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8xf32>
      -> tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>
  return %a : tensor<1x2x8x16xf32>
}
