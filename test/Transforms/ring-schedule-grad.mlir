// ring-schedule lowers ring.attention_grad over a ring of N ranks to the
// backward schedule (lib/Transforms/GradientSchedule.cpp): the key/value
// blocks travel as in the forward, double-buffered; the dK/dV partial sums X
// of each block travel with it, in f32, one step behind; each step computes
// its own contributions T while the sums of the block it holds arrive, then
// adds them; a last shift brings every block's sums home.
//
// matrix.mlir is a template run for N = 4 under every layout, causal and
// not, MHA (4 query heads, 4 key/value heads) and GQA (4 and 2), bf16; the
// prefixes say which checks apply: GRAD all, CAUSAL / FULL by mask,
// CONTIG / ZIGZAG / STRIPED the causal positions of each layout.
//
// RUN: rm -rf %t && split-file %s %t
// RUN: sed 's/@LAYOUT@/contiguous/; s/@MASK@/causal/; s/@HKV@/2/g' %t/matrix.mlir | ring-opt -ring-schedule | FileCheck %s -DHKV=2 --check-prefixes=GRAD,CAUSAL,CONTIG
// RUN: sed 's/@LAYOUT@/contiguous/; s/@MASK@/causal/; s/@HKV@/4/g' %t/matrix.mlir | ring-opt -ring-schedule | FileCheck %s -DHKV=4 --check-prefixes=GRAD,CAUSAL,CONTIG
// RUN: sed 's/@LAYOUT@/zigzag/; s/@MASK@/causal/; s/@HKV@/2/g' %t/matrix.mlir | ring-opt -ring-schedule | FileCheck %s -DHKV=2 --check-prefixes=GRAD,CAUSAL,ZIGZAG
// RUN: sed 's/@LAYOUT@/zigzag/; s/@MASK@/causal/; s/@HKV@/4/g' %t/matrix.mlir | ring-opt -ring-schedule | FileCheck %s -DHKV=4 --check-prefixes=GRAD,CAUSAL,ZIGZAG
// RUN: sed 's/@LAYOUT@/striped/; s/@MASK@/causal/; s/@HKV@/2/g' %t/matrix.mlir | ring-opt -ring-schedule | FileCheck %s -DHKV=2 --check-prefixes=GRAD,CAUSAL,STRIPED
// RUN: sed 's/@LAYOUT@/striped/; s/@MASK@/causal/; s/@HKV@/4/g' %t/matrix.mlir | ring-opt -ring-schedule | FileCheck %s -DHKV=4 --check-prefixes=GRAD,CAUSAL,STRIPED
// RUN: sed 's/@LAYOUT@/contiguous/; s/@MASK@//; s/@HKV@/2/g' %t/matrix.mlir | ring-opt -ring-schedule | FileCheck %s -DHKV=2 --check-prefixes=GRAD,FULL
// RUN: sed 's/@LAYOUT@/contiguous/; s/@MASK@//; s/@HKV@/4/g' %t/matrix.mlir | ring-opt -ring-schedule | FileCheck %s -DHKV=4 --check-prefixes=GRAD,FULL
// RUN: sed 's/@LAYOUT@/zigzag/; s/@MASK@//; s/@HKV@/2/g' %t/matrix.mlir | ring-opt -ring-schedule | FileCheck %s -DHKV=2 --check-prefixes=GRAD,FULL
// RUN: sed 's/@LAYOUT@/zigzag/; s/@MASK@//; s/@HKV@/4/g' %t/matrix.mlir | ring-opt -ring-schedule | FileCheck %s -DHKV=4 --check-prefixes=GRAD,FULL
// RUN: sed 's/@LAYOUT@/striped/; s/@MASK@//; s/@HKV@/2/g' %t/matrix.mlir | ring-opt -ring-schedule | FileCheck %s -DHKV=2 --check-prefixes=GRAD,FULL
// RUN: sed 's/@LAYOUT@/striped/; s/@MASK@//; s/@HKV@/4/g' %t/matrix.mlir | ring-opt -ring-schedule | FileCheck %s -DHKV=4 --check-prefixes=GRAD,FULL
//
// After the whole CPU pipeline (blocks are kernel calls, fills and sums are
// loops) the ring loop still allocates and copies nothing.
// RUN: sed 's/@LAYOUT@/zigzag/; s/@MASK@/causal/; s/@HKV@/2/g' %t/matrix.mlir | ring-opt -ring-lower-cpu=target-cpu=x86-64-v3 -mlir-print-ir-after=convert-linalg-to-loops -o /dev/null 2>&1 | FileCheck %s -DHKV=2 --check-prefix=LOWERED
// RUN: sed 's/@LAYOUT@/striped/; s/@MASK@//; s/@HKV@/4/g' %t/matrix.mlir | ring-opt -ring-lower-cpu=target-cpu=x86-64-v3 -mlir-print-ir-after=convert-linalg-to-loops -o /dev/null 2>&1 | FileCheck %s -DHKV=4 --check-prefix=LOWERED
//
// Ring sizes 2, 3 and 1, the forward's log-sum-exp, and a dynamic ring size.
// RUN: ring-opt %t/schedule.mlir -split-input-file -ring-schedule -verify-diagnostics | FileCheck %s
// Single-device gradients are ring-lower-attention's; a ring one is an error.
// RUN: ring-opt %t/lower.mlir -split-input-file -ring-lower-attention -verify-diagnostics | FileCheck %s --check-prefix=LOWER

//--- matrix.mlir
shard.grid @ring(shape = 4)

// GRAD-LABEL: func.func @grad
// GRAD: %[[QB:.*]] = bufferization.to_buffer %arg0 read_only
// GRAD-NEXT: %[[DOB:.*]] = bufferization.to_buffer %arg5 read_only
// GRAD-NEXT: %[[LSEB:.*]] = bufferization.to_buffer %arg4 read_only
// GRAD-NEXT: %[[OB:.*]] = bufferization.to_buffer %arg3 read_only
// delta = rowsum(dO * O), widened to f32, once before the ring.
// GRAD: %[[DELTA:.*]] = memref.alloc() : memref<1x4x64xf32>
// GRAD: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%[[DOB]], %[[OB]] : {{.*}}) outs(%[[DELTA]] : memref<1x4x64xf32>)
// GRAD: arith.extf {{.*}} : bf16 to f32
// dq accumulates locally, in f32; X0 holds the partial sums of even steps.
// GRAD: %[[DQ:.*]] = memref.alloc() : memref<1x4x64x16xf32>
// GRAD: %[[XK0:.*]] = memref.alloc() : memref<1x[[HKV]]x64x16xf32>
// GRAD-NEXT: %[[XV0:.*]] = memref.alloc() : memref<1x[[HKV]]x64x16xf32>
// Only causal blocks need the rank (for their positions).
// FULL-NOT: shard.process_multi_index
// CAUSAL: %[[RANK:.*]] = shard.process_multi_index on @ring axes = [0] : index
// This rank's query chunks: 64 r + t; 32 r + t and 32 (7 - r) + t; r + 4 t.
// CONTIG-NEXT: %[[QOFF:.*]] = arith.muli %[[RANK]], %c64 : index
// ZIGZAG-NEXT: %[[QOFF0:.*]] = arith.muli %[[RANK]], %c32 : index
// ZIGZAG-NEXT: %[[QNEG:.*]] = arith.muli %[[RANK]], %c-32 : index
// ZIGZAG-NEXT: %[[QOFF1:.*]] = arith.addi %[[QNEG]], %c224 : index
// The key/value double buffer holds only the H_kv heads, in the input
// type; pair A starts with this rank's own block.
// GRAD: %[[KA:.*]] = memref.alloc() : memref<1x[[HKV]]x64x16xbf16>
// GRAD: memref.copy %{{.*}}, %[[KA]]
// GRAD-NEXT: %[[VA:.*]] = memref.alloc() : memref<1x[[HKV]]x64x16xbf16>
// GRAD: memref.copy %{{.*}}, %[[VA]]
// GRAD-NEXT: %[[KB:.*]] = memref.alloc() : memref<1x[[HKV]]x64x16xbf16>
// GRAD-NEXT: %[[VB:.*]] = memref.alloc() : memref<1x[[HKV]]x64x16xbf16>
// X1 (odd steps) and T (a step's own contributions), f32, also before the
// ring: nothing is allocated from here on.
// GRAD-NEXT: %[[XK1:.*]] = memref.alloc() : memref<1x[[HKV]]x64x16xf32>
// GRAD-NEXT: %[[XV1:.*]] = memref.alloc() : memref<1x[[HKV]]x64x16xf32>
// GRAD-NEXT: %[[TK:.*]] = memref.alloc() : memref<1x[[HKV]]x64x16xf32>
// GRAD-NEXT: %[[TV:.*]] = memref.alloc() : memref<1x[[HKV]]x64x16xf32>
// GRAD-NOT: memref.alloc
//
// Step 0, peeled: the own block is sent on while this rank computes on it;
// its gradients go straight into X0 (nothing has arrived yet).
// GRAD-NEXT: %[[FK0:.*]] = ring.shift_start %[[KA]] into %[[KB]] ring @ring axis 0 : memref<1x[[HKV]]x64x16xbf16>
// GRAD-NEXT: %[[FV0:.*]] = ring.shift_start %[[VA]] into %[[VB]] ring @ring axis 0 : memref<1x[[HKV]]x64x16xbf16>
// FULL-NEXT: ring.block_attention_grad %[[QB]], %[[KA]], %[[VA]], %[[DOB]], %[[LSEB]], %[[DELTA]] into %[[DQ]], %[[XK0]], %[[XV0]] scale 2.500000e-01 :
// The block held at step 0 is the rank's own: (r + 4 - 0) mod 4.
// CAUSAL-NEXT: %[[PLUS0:.*]] = arith.addi %[[RANK]], %c4 : index
// CAUSAL-NEXT: %[[SRC0:.*]] = arith.remui %[[PLUS0]], %c4 : index
// CONTIG-NEXT: %[[KOFF0:.*]] = arith.muli %[[SRC0]], %c64 : index
// CONTIG-NEXT: %[[LAST0:.*]] = arith.addi %[[QOFF]], %c63 : index
// CONTIG-NEXT: %[[SEE0:.*]] = arith.cmpi sle, %[[KOFF0]], %[[LAST0]] : index
// CONTIG-NEXT: scf.if %[[SEE0]] {
// The pair is full when its last key is at or before its first query.
// CONTIG-NEXT: %[[KEND0:.*]] = arith.addi %[[KOFF0]], %c63 : index
// CONTIG-NEXT: %[[ALLSEEN0:.*]] = arith.cmpi sle, %[[KEND0]], %[[QOFF]] : index
// CONTIG-NEXT: scf.if %[[ALLSEEN0]] {
// CONTIG-NEXT: ring.block_attention_grad %[[QB]], %[[KA]], %[[VA]], %[[DOB]], %[[LSEB]], %[[DELTA]] into %[[DQ]], %[[XK0]], %[[XV0]] scale 2.500000e-01 :
// CONTIG-NEXT: } else {
// CONTIG-NEXT: ring.block_attention_grad %[[QB]], %[[KA]], %[[VA]], %[[DOB]], %[[LSEB]], %[[DELTA]] into %[[DQ]], %[[XK0]], %[[XV0]] causal query_pos(%[[QOFF]], 1) key_pos(%[[KOFF0]], 1) scale 2.500000e-01 :
// CONTIG-NEXT: }
// CONTIG-NEXT: }
// STRIPED-NEXT: %[[LAST0:.*]] = arith.addi %[[RANK]], %c252 : index
// STRIPED-NEXT: %[[SEE0:.*]] = arith.cmpi sle, %[[SRC0]], %[[LAST0]] : index
// STRIPED-NEXT: scf.if %[[SEE0]] {
// The pair is full when its last key is at or before its first query.
// STRIPED-NEXT: %[[KEND0:.*]] = arith.addi %[[SRC0]], %c252 : index
// STRIPED-NEXT: %[[ALLSEEN0:.*]] = arith.cmpi sle, %[[KEND0]], %[[RANK]] : index
// STRIPED-NEXT: scf.if %[[ALLSEEN0]] {
// STRIPED-NEXT: ring.block_attention_grad %[[QB]], %[[KA]], %[[VA]], %[[DOB]], %[[LSEB]], %[[DELTA]] into %[[DQ]], %[[XK0]], %[[XV0]] scale 2.500000e-01 :
// STRIPED-NEXT: } else {
// STRIPED-NEXT: ring.block_attention_grad %[[QB]], %[[KA]], %[[VA]], %[[DOB]], %[[LSEB]], %[[DELTA]] into %[[DQ]], %[[XK0]], %[[XV0]] causal query_pos(%[[RANK]], 4) key_pos(%[[SRC0]], 4) scale 2.500000e-01 :
// STRIPED-NEXT: }
// STRIPED-NEXT: }
// Zigzag: 2 x 2 chunk pairs, each guarded by its own test.
// ZIGZAG-NEXT: %[[K0OFF0:.*]] = arith.muli %[[SRC0]], %c32 : index
// ZIGZAG-NEXT: %[[KNEG0:.*]] = arith.muli %[[SRC0]], %c-32 : index
// ZIGZAG-NEXT: %[[K1OFF0:.*]] = arith.addi %[[KNEG0]], %c224 : index
// ZIGZAG: arith.cmpi sle, %[[K0OFF0]]
// ZIGZAG-NEXT: scf.if
// ZIGZAG: ring.block_attention_grad {{.*}} into {{.*}} causal query_pos(%[[QOFF0]], 1) key_pos(%[[K0OFF0]], 1)
// ZIGZAG: arith.cmpi sle, %[[K1OFF0]]
// ZIGZAG-NEXT: scf.if
// ZIGZAG: ring.block_attention_grad {{.*}} into {{.*}} causal query_pos(%[[QOFF0]], 1) key_pos(%[[K1OFF0]], 1)
// ZIGZAG: arith.cmpi sle, %[[K0OFF0]]
// ZIGZAG-NEXT: scf.if
// ZIGZAG: ring.block_attention_grad {{.*}} into {{.*}} causal query_pos(%[[QOFF1]], 1) key_pos(%[[K0OFF0]], 1)
// ZIGZAG: arith.cmpi sle, %[[K1OFF0]]
// ZIGZAG-NEXT: scf.if
// ZIGZAG: ring.block_attention_grad {{.*}} into {{.*}} causal query_pos(%[[QOFF1]], 1) key_pos(%[[K1OFF0]], 1)
// GRAD-NOT: ring.block_attention_grad
// GRAD-NOT: ring.shift_start
// GRAD: ring.shift_wait %[[FK0]] : !ring.future<memref<1x[[HKV]]x64x16xbf16>>
// GRAD-NEXT: ring.shift_wait %[[FV0]] : !ring.future<memref<1x[[HKV]]x64x16xbf16>>
//
// Steps 1 and 2: the loop, which allocates and copies nothing.
// GRAD-NEXT: scf.for %[[S:.*]] = %c1 to %c3 step %c1 {
// GRAD-NEXT: %[[ODD:.*]] = arith.andi %[[S]], %c1 : index
// GRAD-NEXT: %[[EVEN:.*]] = arith.cmpi eq, %[[ODD]], %c0 : index
// GRAD-NEXT: %[[KCUR:.*]] = arith.select %[[EVEN]], %[[KA]], %[[KB]]
// GRAD-NEXT: %[[KNEXT:.*]] = arith.select %[[EVEN]], %[[KB]], %[[KA]]
// GRAD-NEXT: %[[VCUR:.*]] = arith.select %[[EVEN]], %[[VA]], %[[VB]]
// GRAD-NEXT: %[[VNEXT:.*]] = arith.select %[[EVEN]], %[[VB]], %[[VA]]
// GRAD-NEXT: %[[FK:.*]] = ring.shift_start %[[KCUR]] into %[[KNEXT]] ring @ring axis 0 : memref<1x[[HKV]]x64x16xbf16>
// GRAD-NEXT: %[[FV:.*]] = ring.shift_start %[[VCUR]] into %[[VNEXT]] ring @ring axis 0 : memref<1x[[HKV]]x64x16xbf16>
// The sums of the block held now arrive from the rank behind, into X of
// this step's parity, while it sends its own on: in f32.
// GRAD-NEXT: %[[XK:.*]] = arith.select %[[EVEN]], %[[XK0]], %[[XK1]]
// GRAD-NEXT: %[[XV:.*]] = arith.select %[[EVEN]], %[[XV0]], %[[XV1]]
// GRAD-NEXT: %[[XKPREV:.*]] = arith.select %[[EVEN]], %[[XK1]], %[[XK0]]
// GRAD-NEXT: %[[XVPREV:.*]] = arith.select %[[EVEN]], %[[XV1]], %[[XV0]]
// GRAD-NEXT: %[[FXK:.*]] = ring.shift_start %[[XKPREV]] into %[[XK]] ring @ring axis 0 : memref<1x[[HKV]]x64x16xf32>
// GRAD-NEXT: %[[FXV:.*]] = ring.shift_start %[[XVPREV]] into %[[XV]] ring @ring axis 0 : memref<1x[[HKV]]x64x16xf32>
// Meanwhile T = this rank's contributions to that block.
// GRAD-NEXT: linalg.fill ins(%{{.*}} : f32) outs(%[[TK]] :
// GRAD-NEXT: linalg.fill ins(%{{.*}} : f32) outs(%[[TV]] :
// FULL-NEXT: ring.block_attention_grad %[[QB]], %[[KCUR]], %[[VCUR]], %[[DOB]], %[[LSEB]], %[[DELTA]] into %[[DQ]], %[[TK]], %[[TV]] scale 2.500000e-01 :
// The block held at step s came from rank (r + 4 - s) mod 4.
// CAUSAL-NEXT: %[[PLUS:.*]] = arith.addi %[[RANK]], %c4 : index
// CAUSAL-NEXT: %[[BACK:.*]] = arith.subi %[[PLUS]], %[[S]] : index
// CAUSAL-NEXT: %[[SRC:.*]] = arith.remui %[[BACK]], %c4 : index
// CONTIG-NEXT: %[[KOFF:.*]] = arith.muli %[[SRC]], %c64 : index
// CONTIG-NEXT: %[[LAST:.*]] = arith.addi %[[QOFF]], %c63 : index
// CONTIG-NEXT: %[[SEE:.*]] = arith.cmpi sle, %[[KOFF]], %[[LAST]] : index
// CONTIG-NEXT: scf.if %[[SEE]] {
// The pair is full when its last key is at or before its first query.
// CONTIG-NEXT: %[[KEND:.*]] = arith.addi %[[KOFF]], %c63 : index
// CONTIG-NEXT: %[[ALLSEEN:.*]] = arith.cmpi sle, %[[KEND]], %[[QOFF]] : index
// CONTIG-NEXT: scf.if %[[ALLSEEN]] {
// CONTIG-NEXT: ring.block_attention_grad %[[QB]], %[[KCUR]], %[[VCUR]], %[[DOB]], %[[LSEB]], %[[DELTA]] into %[[DQ]], %[[TK]], %[[TV]] scale 2.500000e-01 :
// CONTIG-NEXT: } else {
// CONTIG-NEXT: ring.block_attention_grad %[[QB]], %[[KCUR]], %[[VCUR]], %[[DOB]], %[[LSEB]], %[[DELTA]] into %[[DQ]], %[[TK]], %[[TV]] causal query_pos(%[[QOFF]], 1) key_pos(%[[KOFF]], 1) scale 2.500000e-01 :
// CONTIG-NEXT: }
// CONTIG-NEXT: }
// STRIPED-NEXT: %[[LAST:.*]] = arith.addi %[[RANK]], %c252 : index
// STRIPED-NEXT: %[[SEE:.*]] = arith.cmpi sle, %[[SRC]], %[[LAST]] : index
// STRIPED-NEXT: scf.if %[[SEE]] {
// The pair is full when its last key is at or before its first query.
// STRIPED-NEXT: %[[KEND:.*]] = arith.addi %[[SRC]], %c252 : index
// STRIPED-NEXT: %[[ALLSEEN:.*]] = arith.cmpi sle, %[[KEND]], %[[RANK]] : index
// STRIPED-NEXT: scf.if %[[ALLSEEN]] {
// STRIPED-NEXT: ring.block_attention_grad %[[QB]], %[[KCUR]], %[[VCUR]], %[[DOB]], %[[LSEB]], %[[DELTA]] into %[[DQ]], %[[TK]], %[[TV]] scale 2.500000e-01 :
// STRIPED-NEXT: } else {
// STRIPED-NEXT: ring.block_attention_grad %[[QB]], %[[KCUR]], %[[VCUR]], %[[DOB]], %[[LSEB]], %[[DELTA]] into %[[DQ]], %[[TK]], %[[TV]] causal query_pos(%[[RANK]], 4) key_pos(%[[SRC]], 4) scale 2.500000e-01 :
// STRIPED-NEXT: }
// STRIPED-NEXT: }
// Zigzag: each pair reads and writes the rows of its chunks (32 rows at 0
// or at 32) of Q, dQ, K, V and T.
// ZIGZAG-NEXT: %[[K0OFF:.*]] = arith.muli %[[SRC]], %c32 : index
// ZIGZAG-NEXT: %[[KNEG:.*]] = arith.muli %[[SRC]], %c-32 : index
// ZIGZAG-NEXT: %[[K1OFF:.*]] = arith.addi %[[KNEG]], %c224 : index
// ZIGZAG-NEXT: %[[LAST00:.*]] = arith.addi %[[QOFF0]], %c31 : index
// ZIGZAG-NEXT: %[[SEE00:.*]] = arith.cmpi sle, %[[K0OFF]], %[[LAST00]] : index
// ZIGZAG-NEXT: scf.if %[[SEE00]] {
// GRAD-NOT: memref.alloc
// ZIGZAG-DAG: %[[Q00:.*]] = memref.subview %[[QB]][0, 0, 0, 0] [1, 4, 32, 16]
// ZIGZAG-DAG: %[[DO00:.*]] = memref.subview %[[DOB]][0, 0, 0, 0] [1, 4, 32, 16]
// ZIGZAG-DAG: %[[L00:.*]] = memref.subview %[[LSEB]][0, 0, 0] [1, 4, 32]
// ZIGZAG-DAG: %[[K00:.*]] = memref.subview %[[KCUR]][0, 0, 0, 0] [1, [[HKV]], 32, 16]
// ZIGZAG-DAG: %[[V00:.*]] = memref.subview %[[VCUR]][0, 0, 0, 0] [1, [[HKV]], 32, 16]
// ZIGZAG-DAG: %[[D00:.*]] = memref.subview %[[DELTA]][0, 0, 0] [1, 4, 32]
// ZIGZAG-DAG: %[[DQ00:.*]] = memref.subview %[[DQ]][0, 0, 0, 0] [1, 4, 32, 16]
// ZIGZAG-DAG: %[[TK00:.*]] = memref.subview %[[TK]][0, 0, 0, 0] [1, [[HKV]], 32, 16]
// ZIGZAG-DAG: %[[TV00:.*]] = memref.subview %[[TV]][0, 0, 0, 0] [1, [[HKV]], 32, 16]
// GRAD-NOT: memref.alloc
// ZIGZAG: ring.block_attention_grad %[[Q00]], %[[K00]], %[[V00]], %[[DO00]], %[[L00]], %[[D00]] into %[[DQ00]], %[[TK00]], %[[TV00]] causal query_pos(%[[QOFF0]], 1) key_pos(%[[K0OFF]], 1)
// ZIGZAG-NEXT: }
// ZIGZAG-NEXT: }
// ZIGZAG-NEXT: %[[LAST01:.*]] = arith.addi %[[QOFF0]], %c31 : index
// ZIGZAG-NEXT: %[[SEE01:.*]] = arith.cmpi sle, %[[K1OFF]], %[[LAST01]] : index
// ZIGZAG-NEXT: scf.if %[[SEE01]] {
// GRAD-NOT: memref.alloc
// ZIGZAG-DAG: %[[K01:.*]] = memref.subview %[[KCUR]][0, 0, 32, 0] [1, [[HKV]], 32, 16]
// ZIGZAG-DAG: %[[DQ01:.*]] = memref.subview %[[DQ]][0, 0, 0, 0] [1, 4, 32, 16]
// ZIGZAG-DAG: %[[TK01:.*]] = memref.subview %[[TK]][0, 0, 32, 0] [1, [[HKV]], 32, 16]
// GRAD-NOT: memref.alloc
// ZIGZAG: ring.block_attention_grad %{{.*}}, %[[K01]], %{{.*}} into %[[DQ01]], %[[TK01]], %{{.*}} causal query_pos(%[[QOFF0]], 1) key_pos(%[[K1OFF]], 1)
// ZIGZAG-NEXT: }
// ZIGZAG-NEXT: }
// ZIGZAG-NEXT: %[[LAST10:.*]] = arith.addi %[[QOFF1]], %c31 : index
// ZIGZAG-NEXT: %[[SEE10:.*]] = arith.cmpi sle, %[[K0OFF]], %[[LAST10]] : index
// ZIGZAG-NEXT: scf.if %[[SEE10]] {
// GRAD-NOT: memref.alloc
// ZIGZAG-DAG: %[[K10:.*]] = memref.subview %[[KCUR]][0, 0, 0, 0] [1, [[HKV]], 32, 16]
// ZIGZAG-DAG: %[[DQ10:.*]] = memref.subview %[[DQ]][0, 0, 32, 0] [1, 4, 32, 16]
// ZIGZAG-DAG: %[[TK10:.*]] = memref.subview %[[TK]][0, 0, 0, 0] [1, [[HKV]], 32, 16]
// GRAD-NOT: memref.alloc
// ZIGZAG: ring.block_attention_grad %{{.*}}, %[[K10]], %{{.*}} into %[[DQ10]], %[[TK10]], %{{.*}} causal query_pos(%[[QOFF1]], 1) key_pos(%[[K0OFF]], 1)
// ZIGZAG-NEXT: }
// ZIGZAG-NEXT: }
// ZIGZAG-NEXT: %[[LAST11:.*]] = arith.addi %[[QOFF1]], %c31 : index
// ZIGZAG-NEXT: %[[SEE11:.*]] = arith.cmpi sle, %[[K1OFF]], %[[LAST11]] : index
// ZIGZAG-NEXT: scf.if %[[SEE11]] {
// GRAD-NOT: memref.alloc
// ZIGZAG-DAG: %[[K11:.*]] = memref.subview %[[KCUR]][0, 0, 32, 0] [1, [[HKV]], 32, 16]
// ZIGZAG-DAG: %[[DQ11:.*]] = memref.subview %[[DQ]][0, 0, 32, 0] [1, 4, 32, 16]
// ZIGZAG-DAG: %[[TK11:.*]] = memref.subview %[[TK]][0, 0, 32, 0] [1, [[HKV]], 32, 16]
// GRAD-NOT: memref.alloc
// ZIGZAG: ring.block_attention_grad %{{.*}}, %[[K11]], %{{.*}} into %[[DQ11]], %[[TK11]], %{{.*}} causal query_pos(%[[QOFF1]], 1) key_pos(%[[K1OFF]], 1)
// ZIGZAG-NEXT: }
// ZIGZAG-NEXT: }
// Then X += T once the sums have arrived, and the next block is waited for.
// GRAD-NEXT: ring.shift_wait %[[FXK]] : !ring.future<memref<1x[[HKV]]x64x16xf32>>
// GRAD-NEXT: ring.shift_wait %[[FXV]] : !ring.future<memref<1x[[HKV]]x64x16xf32>>
// GRAD-NEXT: linalg.add ins(%[[XK]], %[[TK]] : {{.*}}) outs(%[[XK]] :
// GRAD-NEXT: linalg.add ins(%[[XV]], %[[TV]] : {{.*}}) outs(%[[XV]] :
// GRAD-NEXT: ring.shift_wait %[[FK]] : !ring.future<memref<1x[[HKV]]x64x16xbf16>>
// GRAD-NEXT: ring.shift_wait %[[FV]] : !ring.future<memref<1x[[HKV]]x64x16xbf16>>
// GRAD-NEXT: }
//
// Step 3, peeled: the block arrived in buffer B (3 shifts) and is not sent
// on; the sums of step 2 (X0) come into X1.
// GRAD-NEXT: %[[FXK3:.*]] = ring.shift_start %[[XK0]] into %[[XK1]] ring @ring axis 0 : memref<1x[[HKV]]x64x16xf32>
// GRAD-NEXT: %[[FXV3:.*]] = ring.shift_start %[[XV0]] into %[[XV1]] ring @ring axis 0 : memref<1x[[HKV]]x64x16xf32>
// GRAD-NEXT: linalg.fill ins(%{{.*}} : f32) outs(%[[TK]] :
// GRAD-NEXT: linalg.fill ins(%{{.*}} : f32) outs(%[[TV]] :
// FULL-NEXT: ring.block_attention_grad %[[QB]], %[[KB]], %[[VB]], %[[DOB]], %[[LSEB]], %[[DELTA]] into %[[DQ]], %[[TK]], %[[TV]] scale 2.500000e-01 :
// CAUSAL-NEXT: %[[PLUS3:.*]] = arith.addi %[[RANK]], %c4 : index
// CAUSAL-NEXT: %[[BACK3:.*]] = arith.subi %[[PLUS3]], %c3 : index
// CAUSAL-NEXT: %[[SRC3:.*]] = arith.remui %[[BACK3]], %c4 : index
// CONTIG-NEXT: %[[KOFF3:.*]] = arith.muli %[[SRC3]], %c64 : index
// CONTIG: } else {
// CONTIG-NEXT: ring.block_attention_grad %[[QB]], %[[KB]], %[[VB]], %[[DOB]], %[[LSEB]], %[[DELTA]] into %[[DQ]], %[[TK]], %[[TV]] causal query_pos(%[[QOFF]], 1) key_pos(%[[KOFF3]], 1) scale 2.500000e-01 :
// CONTIG-NEXT: }
// STRIPED: } else {
// STRIPED-NEXT: ring.block_attention_grad %[[QB]], %[[KB]], %[[VB]], %[[DOB]], %[[LSEB]], %[[DELTA]] into %[[DQ]], %[[TK]], %[[TV]] causal query_pos(%[[RANK]], 4) key_pos(%[[SRC3]], 4) scale 2.500000e-01 :
// STRIPED-NEXT: }
// ZIGZAG-NEXT: %[[K0OFF3:.*]] = arith.muli %[[SRC3]], %c32 : index
// ZIGZAG-NEXT: %[[KNEG3:.*]] = arith.muli %[[SRC3]], %c-32 : index
// ZIGZAG-NEXT: %[[K1OFF3:.*]] = arith.addi %[[KNEG3]], %c224 : index
// ZIGZAG: memref.subview %[[KB]][0, 0, 0, 0]
// ZIGZAG: ring.block_attention_grad {{.*}} into {{.*}} causal query_pos(%[[QOFF0]], 1) key_pos(%[[K0OFF3]], 1)
// ZIGZAG: memref.subview %[[KB]][0, 0, 32, 0]
// ZIGZAG: ring.block_attention_grad {{.*}} into {{.*}} causal query_pos(%[[QOFF0]], 1) key_pos(%[[K1OFF3]], 1)
// ZIGZAG: memref.subview %[[KB]][0, 0, 0, 0]
// ZIGZAG: ring.block_attention_grad {{.*}} into {{.*}} causal query_pos(%[[QOFF1]], 1) key_pos(%[[K0OFF3]], 1)
// ZIGZAG: memref.subview %[[KB]][0, 0, 32, 0]
// ZIGZAG: ring.block_attention_grad {{.*}} into {{.*}} causal query_pos(%[[QOFF1]], 1) key_pos(%[[K1OFF3]], 1)
// GRAD-NOT: ring.block_attention_grad
// GRAD-NOT: ring.shift_start
// GRAD-NOT: memref.alloc
// GRAD: ring.shift_wait %[[FXK3]] : !ring.future<memref<1x[[HKV]]x64x16xf32>>
// GRAD-NEXT: ring.shift_wait %[[FXV3]] : !ring.future<memref<1x[[HKV]]x64x16xf32>>
// GRAD-NEXT: linalg.add ins(%[[XK1]], %[[TK]] : {{.*}}) outs(%[[XK1]] :
// GRAD-NEXT: linalg.add ins(%[[XV1]], %[[TV]] : {{.*}}) outs(%[[XV1]] :
// The 4th shift of the sums brings each block's home, complete: X1 -> X0.
// GRAD-NEXT: %[[HOMEK:.*]] = ring.shift_start %[[XK1]] into %[[XK0]] ring @ring axis 0 : memref<1x[[HKV]]x64x16xf32>
// GRAD-NEXT: %[[HOMEV:.*]] = ring.shift_start %[[XV1]] into %[[XV0]] ring @ring axis 0 : memref<1x[[HKV]]x64x16xf32>
// GRAD-NEXT: ring.shift_wait %[[HOMEK]]
// GRAD-NEXT: ring.shift_wait %[[HOMEV]]
// Rounded once to the operands' type.
// GRAD-NEXT: %[[DQT:.*]] = bufferization.to_tensor %[[DQ]] restrict writable : memref<1x4x64x16xf32>
// GRAD-NEXT: %[[DQR:.*]] = arith.truncf %[[DQT]] : tensor<1x4x64x16xf32> to tensor<1x4x64x16xbf16>
// GRAD-NEXT: %[[DKT:.*]] = bufferization.to_tensor %[[XK0]] restrict writable : memref<1x[[HKV]]x64x16xf32>
// GRAD-NEXT: %[[DKR:.*]] = arith.truncf %[[DKT]] : tensor<1x[[HKV]]x64x16xf32> to tensor<1x[[HKV]]x64x16xbf16>
// GRAD-NEXT: %[[DVT:.*]] = bufferization.to_tensor %[[XV0]] restrict writable : memref<1x[[HKV]]x64x16xf32>
// GRAD-NEXT: %[[DVR:.*]] = arith.truncf %[[DVT]] : tensor<1x[[HKV]]x64x16xf32> to tensor<1x[[HKV]]x64x16xbf16>
// GRAD-NEXT: return %[[DQR]], %[[DKR]], %[[DVR]]

// LOWERED-LABEL: func.func @grad
// LOWERED: scf.for %{{.*}} = %c1 to %c3 step %c1 {
// LOWERED-NOT: memref.alloc
// LOWERED-NOT: memref.copy
// LOWERED: call @__ring_block_attention_grad
// LOWERED-NOT: memref.alloc
// LOWERED-NOT: memref.copy
// LOWERED: ring.shift_wait %{{.*}} : !ring.future<memref<1x[[HKV]]x64x16xbf16>>
// LOWERED-NEXT: ring.shift_wait %{{.*}} : !ring.future<memref<1x[[HKV]]x64x16xbf16>>
// LOWERED-NEXT: }
func.func @grad(%q: tensor<1x4x64x16xbf16>, %k: tensor<1x@HKV@x64x16xbf16>, %v: tensor<1x@HKV@x64x16xbf16>,
                %o: tensor<1x4x64x16xbf16>, %lse: tensor<1x4x64xf32>, %do: tensor<1x4x64x16xbf16>)
    -> (tensor<1x4x64x16xbf16>, tensor<1x@HKV@x64x16xbf16>, tensor<1x@HKV@x64x16xbf16>) {
  %dq, %dk, %dv = ring.attention_grad %q, %k, %v, %o, %lse, %do @MASK@ ring @ring axis 0 layout @LAYOUT@
      : tensor<1x4x64x16xbf16>, tensor<1x@HKV@x64x16xbf16>, tensor<1x@HKV@x64x16xbf16>, tensor<1x4x64xf32>
  return %dq, %dk, %dv : tensor<1x4x64x16xbf16>, tensor<1x@HKV@x64x16xbf16>, tensor<1x@HKV@x64x16xbf16>
}

//--- schedule.mlir
shard.grid @two(shape = 2)

// N = 2: step 0 and the last step, no loop.
// CHECK-LABEL: func.func @two_ranks
// CHECK: %[[XK0:.*]] = memref.alloc() : memref<1x2x64x16xf32>
// CHECK: %[[RANK:.*]] = shard.process_multi_index on @two axes = [0] : index
// CHECK: %[[KA:.*]] = memref.alloc() : memref<1x2x64x16xbf16>
// CHECK: %[[VA:.*]] = memref.alloc() : memref<1x2x64x16xbf16>
// CHECK: %[[KB:.*]] = memref.alloc() : memref<1x2x64x16xbf16>
// CHECK: %[[XK1:.*]] = memref.alloc() : memref<1x2x64x16xf32>
// CHECK-NOT: scf.for
// CHECK: ring.shift_start %[[KA]] into %[[KB]] ring @two axis 0 : memref<1x2x64x16xbf16>
// CHECK: ring.block_attention_grad %{{.*}}, %[[KA]], {{.*}} into %{{.*}}, %[[XK0]], %{{.*}} causal query_pos(%[[RANK]], 2) key_pos(%{{.*}}, 2)
// CHECK-NOT: ring.shift_start {{.*}}xbf16>
// CHECK: ring.shift_start %[[XK0]] into %[[XK1]] ring @two axis 0 : memref<1x2x64x16xf32>
// CHECK: ring.block_attention_grad %{{.*}}, %[[KB]], {{.*}} causal query_pos(%[[RANK]], 2)
// CHECK: linalg.add ins(%[[XK1]],
// CHECK: ring.shift_start %[[XK1]] into %[[XK0]] ring @two axis 0 : memref<1x2x64x16xf32>
// CHECK-NEXT: ring.shift_start
// CHECK-NOT: ring.shift_start
// CHECK-NOT: scf.for
// CHECK: bufferization.to_tensor %[[XK0]]
// CHECK: return
func.func @two_ranks(%q: tensor<1x4x64x16xbf16>, %k: tensor<1x2x64x16xbf16>, %v: tensor<1x2x64x16xbf16>,
                     %o: tensor<1x4x64x16xbf16>, %lse: tensor<1x4x64xf32>, %do: tensor<1x4x64x16xbf16>)
    -> (tensor<1x4x64x16xbf16>, tensor<1x2x64x16xbf16>, tensor<1x2x64x16xbf16>) {
  %dq, %dk, %dv = ring.attention_grad %q, %k, %v, %o, %lse, %do causal ring @two axis 0 layout striped
      : tensor<1x4x64x16xbf16>, tensor<1x2x64x16xbf16>, tensor<1x2x64x16xbf16>, tensor<1x4x64xf32>
  return %dq, %dk, %dv : tensor<1x4x64x16xbf16>, tensor<1x2x64x16xbf16>, tensor<1x2x64x16xbf16>
}

// -----

shard.grid @three(shape = 3)

// N = 3, f32: the loop runs step 1 only; after 2 shifts the last block is
// back in buffer A, and after 3 shifts the sums are home in X1. f32
// gradients are the accumulators themselves, not rounded.
// CHECK-LABEL: func.func @three_ranks
// CHECK: %[[DQ:.*]] = memref.alloc() : memref<1x2x32x8xf32>
// CHECK: %[[XK0:.*]] = memref.alloc() : memref<1x2x32x8xf32>
// CHECK: %[[XV0:.*]] = memref.alloc() : memref<1x2x32x8xf32>
// CHECK: %[[KA:.*]] = memref.alloc() : memref<1x2x32x8xf32>
// CHECK: %[[VA:.*]] = memref.alloc() : memref<1x2x32x8xf32>
// CHECK: %[[KB:.*]] = memref.alloc() : memref<1x2x32x8xf32>
// CHECK: %[[VB:.*]] = memref.alloc() : memref<1x2x32x8xf32>
// CHECK: %[[XK1:.*]] = memref.alloc() : memref<1x2x32x8xf32>
// CHECK: %[[XV1:.*]] = memref.alloc() : memref<1x2x32x8xf32>
// CHECK: scf.for %{{.*}} = %c1 to %c2 step %c1 {
// CHECK: }
// CHECK-NEXT: ring.shift_start %[[XK1]] into %[[XK0]]
// CHECK-NEXT: ring.shift_start %[[XV1]] into %[[XV0]]
// CHECK: ring.block_attention_grad %{{.*}}, %[[KA]], %[[VA]], {{.*}} scale
// CHECK: ring.shift_start %[[XK0]] into %[[XK1]]
// CHECK-NEXT: ring.shift_start %[[XV0]] into %[[XV1]]
// CHECK-NEXT: ring.shift_wait
// CHECK-NEXT: ring.shift_wait
// CHECK-NEXT: %[[DQT:.*]] = bufferization.to_tensor %[[DQ]]
// CHECK-NEXT: %[[DKT:.*]] = bufferization.to_tensor %[[XK1]]
// CHECK-NEXT: %[[DVT:.*]] = bufferization.to_tensor %[[XV1]]
// CHECK-NEXT: return %[[DQT]], %[[DKT]], %[[DVT]]
func.func @three_ranks(%q: tensor<1x2x32x8xf32>, %k: tensor<1x2x32x8xf32>, %v: tensor<1x2x32x8xf32>,
                       %o: tensor<1x2x32x8xf32>, %lse: tensor<1x2x32xf32>, %do: tensor<1x2x32x8xf32>)
    -> (tensor<1x2x32x8xf32>, tensor<1x2x32x8xf32>, tensor<1x2x32x8xf32>) {
  %dq, %dk, %dv = ring.attention_grad %q, %k, %v, %o, %lse, %do ring @three axis 0
      : tensor<1x2x32x8xf32>, tensor<1x2x32x8xf32>, tensor<1x2x32x8xf32>, tensor<1x2x32xf32>
  return %dq, %dk, %dv : tensor<1x2x32x8xf32>, tensor<1x2x32x8xf32>, tensor<1x2x32x8xf32>
}

// -----

shard.grid @one(shape = 1)

// A ring of one rank holds the whole sequence in natural order under every
// layout: one block of the operands themselves, positions 0, 1, ...; no
// rank, no copy of K/V, no shift, no loop.
// CHECK-LABEL: func.func @one_rank_causal
// CHECK-NOT: shard.process_multi_index
// CHECK-NOT: memref.copy
// CHECK-NOT: ring.shift_start
// CHECK-NOT: scf
// CHECK: %[[ZERO:.*]] = arith.constant 0 : index
// CHECK: %[[Q:.*]] = bufferization.to_buffer %arg0 read_only
// CHECK: %[[DELTA:.*]] = memref.alloc() : memref<1x4x64xf32>
// CHECK: %[[DQ:.*]] = memref.alloc() : memref<1x4x64x16xf32>
// CHECK: %[[DK:.*]] = memref.alloc() : memref<1x2x64x16xf32>
// CHECK: %[[DV:.*]] = memref.alloc() : memref<1x2x64x16xf32>
// CHECK: %[[K:.*]] = bufferization.to_buffer %arg1 read_only
// CHECK: %[[V:.*]] = bufferization.to_buffer %arg2 read_only
// CHECK-NEXT: ring.block_attention_grad %[[Q]], %[[K]], %[[V]], %{{.*}}, %{{.*}}, %[[DELTA]] into %[[DQ]], %[[DK]], %[[DV]] causal query_pos(%[[ZERO]], 1) key_pos(%[[ZERO]], 1) scale 2.500000e-01 : memref<1x4x64x16xbf16>, memref<1x2x64x16xbf16>, memref<1x2x64x16xbf16>, memref<1x4x64xf32> -> memref<1x4x64x16xf32>, memref<1x2x64x16xf32>
// CHECK-NOT: ring.block_attention_grad
// CHECK-NOT: ring.shift_start
// CHECK: arith.truncf {{.*}} to tensor<1x4x64x16xbf16>
// CHECK: return
func.func @one_rank_causal(%q: tensor<1x4x64x16xbf16>, %k: tensor<1x2x64x16xbf16>, %v: tensor<1x2x64x16xbf16>,
                           %o: tensor<1x4x64x16xbf16>, %lse: tensor<1x4x64xf32>, %do: tensor<1x4x64x16xbf16>)
    -> (tensor<1x4x64x16xbf16>, tensor<1x2x64x16xbf16>, tensor<1x2x64x16xbf16>) {
  %dq, %dk, %dv = ring.attention_grad %q, %k, %v, %o, %lse, %do causal ring @one axis 0 layout zigzag
      : tensor<1x4x64x16xbf16>, tensor<1x2x64x16xbf16>, tensor<1x2x64x16xbf16>, tensor<1x4x64xf32>
  return %dq, %dk, %dv : tensor<1x4x64x16xbf16>, tensor<1x2x64x16xbf16>, tensor<1x2x64x16xbf16>
}

// CHECK-LABEL: func.func @one_rank_full
// CHECK-NOT: shard.process_multi_index
// CHECK-NOT: ring.shift_start
// CHECK-NOT: scf
// CHECK: ring.block_attention_grad %{{.*}} into %{{.*}}, %{{.*}}, %{{.*}} scale 2.500000e-01 :
// CHECK-NOT: ring.block_attention_grad
// CHECK: return
func.func @one_rank_full(%q: tensor<1x4x64x16xbf16>, %k: tensor<1x2x64x16xbf16>, %v: tensor<1x2x64x16xbf16>,
                         %o: tensor<1x4x64x16xbf16>, %lse: tensor<1x4x64xf32>, %do: tensor<1x4x64x16xbf16>)
    -> (tensor<1x4x64x16xbf16>, tensor<1x2x64x16xbf16>, tensor<1x2x64x16xbf16>) {
  %dq, %dk, %dv = ring.attention_grad %q, %k, %v, %o, %lse, %do ring @one axis 0 layout striped
      : tensor<1x4x64x16xbf16>, tensor<1x2x64x16xbf16>, tensor<1x2x64x16xbf16>, tensor<1x4x64xf32>
  return %dq, %dk, %dv : tensor<1x4x64x16xbf16>, tensor<1x2x64x16xbf16>, tensor<1x2x64x16xbf16>
}

// A forward of one rank that returns its log-sum-exp stays single-device
// attention, with both results.
// CHECK-LABEL: func.func @one_rank_forward_lse
// CHECK: %[[O:.*]], %[[LSE:.*]] = ring.attention %arg0, %arg1, %arg2 causal : tensor<1x4x64x16xbf16>, tensor<1x2x64x16xbf16>, tensor<1x2x64x16xbf16> -> tensor<1x4x64xf32>
// CHECK-NEXT: return %[[O]], %[[LSE]]
func.func @one_rank_forward_lse(%q: tensor<1x4x64x16xbf16>, %k: tensor<1x2x64x16xbf16>, %v: tensor<1x2x64x16xbf16>)
    -> (tensor<1x4x64x16xbf16>, tensor<1x4x64xf32>) {
  %o, %lse = ring.attention %q, %k, %v causal ring @one axis 0 layout zigzag
      : tensor<1x4x64x16xbf16>, tensor<1x2x64x16xbf16>, tensor<1x2x64x16xbf16> -> tensor<1x4x64xf32>
  return %o, %lse : tensor<1x4x64x16xbf16>, tensor<1x4x64xf32>
}

// -----

shard.grid @ring(shape = 4)

// The forward returns the merged log-sum-exp the backward needs: zigzag
// keeps one running (o, lse) per query chunk and assembles both at the end;
// the output is rounded, the lse stays f32.
// CHECK-LABEL: func.func @forward_lse_zigzag
// CHECK: scf.for {{.*}} -> (tensor<1x4x32x16xf32>, tensor<1x4x32xf32>, tensor<1x4x32x16xf32>, tensor<1x4x32xf32>)
// CHECK: scf.yield
// CHECK: }
// CHECK: %[[OEMPTY:.*]] = tensor.empty() : tensor<1x4x64x16xf32>
// CHECK: %[[O0:.*]] = tensor.insert_slice %{{.*}} into %[[OEMPTY]][0, 0, 0, 0] [1, 4, 32, 16]
// CHECK: %[[O1:.*]] = tensor.insert_slice %{{.*}} into %[[O0]][0, 0, 32, 0] [1, 4, 32, 16]
// CHECK: %[[O:.*]] = arith.truncf %[[O1]] : tensor<1x4x64x16xf32> to tensor<1x4x64x16xbf16>
// CHECK: %[[LEMPTY:.*]] = tensor.empty() : tensor<1x4x64xf32>
// CHECK: %[[L0:.*]] = tensor.insert_slice %{{.*}}#1 into %[[LEMPTY]][0, 0, 0] [1, 4, 32] [1, 1, 1] : tensor<1x4x32xf32> into tensor<1x4x64xf32>
// CHECK: %[[L1:.*]] = tensor.insert_slice %{{.*}}#1 into %[[L0]][0, 0, 32] [1, 4, 32] [1, 1, 1] : tensor<1x4x32xf32> into tensor<1x4x64xf32>
// CHECK: return %[[O]], %[[L1]] : tensor<1x4x64x16xbf16>, tensor<1x4x64xf32>
func.func @forward_lse_zigzag(%q: tensor<1x4x64x16xbf16>, %k: tensor<1x2x64x16xbf16>, %v: tensor<1x2x64x16xbf16>)
    -> (tensor<1x4x64x16xbf16>, tensor<1x4x64xf32>) {
  %o, %lse = ring.attention %q, %k, %v causal ring @ring axis 0 layout zigzag
      : tensor<1x4x64x16xbf16>, tensor<1x2x64x16xbf16>, tensor<1x2x64x16xbf16> -> tensor<1x4x64xf32>
  return %o, %lse : tensor<1x4x64x16xbf16>, tensor<1x4x64xf32>
}

// One chunk: the running lse after the last merge is the result.
// CHECK-LABEL: func.func @forward_lse_contiguous
// CHECK-NOT: tensor.insert_slice
// CHECK: scf.yield
// CHECK-NEXT: }
// CHECK: %[[LAST:.*]]:2 = ring.combine
// CHECK-NEXT: %[[O:.*]] = arith.truncf %[[LAST]]#0
// CHECK-NEXT: return %[[O]], %[[LAST]]#1 : tensor<1x4x64x16xbf16>, tensor<1x4x64xf32>
func.func @forward_lse_contiguous(%q: tensor<1x4x64x16xbf16>, %k: tensor<1x2x64x16xbf16>, %v: tensor<1x2x64x16xbf16>)
    -> (tensor<1x4x64x16xbf16>, tensor<1x4x64xf32>) {
  %o, %lse = ring.attention %q, %k, %v ring @ring axis 0
      : tensor<1x4x64x16xbf16>, tensor<1x2x64x16xbf16>, tensor<1x2x64x16xbf16> -> tensor<1x4x64xf32>
  return %o, %lse : tensor<1x4x64x16xbf16>, tensor<1x4x64xf32>
}

// -----

shard.grid @g(shape = ?)

func.func @dynamic_ring(%q: tensor<1x2x64x16xf32>, %lse: tensor<1x2x64xf32>) -> tensor<1x2x64x16xf32> {
  // expected-error @+1 {{the ring schedule needs a static ring size, but axis 0 of @g is dynamic}}
  %dq, %dk, %dv = ring.attention_grad %q, %q, %q, %q, %lse, %q causal ring @g axis 0
      : tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>, tensor<1x2x64xf32>
  return %dq : tensor<1x2x64x16xf32>
}

//--- lower.mlir
// Single-device gradients: delta = rowsum(dO * O), then one block at
// positions 0, 1, ... accumulating into zeroed f32 buffers.
// LOWER-LABEL: func.func @single_device
// LOWER: %[[DELTA:.*]] = memref.alloc() : memref<1x4x64xf32>
// LOWER: linalg.generic {{.*}}outs(%[[DELTA]] :
// LOWER: %[[DQ:.*]] = memref.alloc() : memref<1x4x64x16xf32>
// LOWER-NEXT: linalg.fill ins(%{{.*}} : f32) outs(%[[DQ]] :
// LOWER-NEXT: %[[DK:.*]] = memref.alloc() : memref<1x2x64x16xf32>
// LOWER-NEXT: %[[DV:.*]] = memref.alloc() : memref<1x2x64x16xf32>
// LOWER-NEXT: linalg.fill ins(%{{.*}} : f32) outs(%[[DK]] :
// LOWER-NEXT: linalg.fill ins(%{{.*}} : f32) outs(%[[DV]] :
// LOWER-NOT: shard.process_multi_index
// LOWER-NOT: ring.shift_start
// LOWER: ring.block_attention_grad {{.*}}, %[[DELTA]] into %[[DQ]], %[[DK]], %[[DV]] causal query_pos(%[[ZERO:.*]], 1) key_pos(%[[ZERO]], 1) scale 1.250000e-01 :
// LOWER-NOT: ring.block_attention_grad
// LOWER: arith.truncf {{.*}} : tensor<1x4x64x16xf32> to tensor<1x4x64x16xbf16>
// LOWER: arith.truncf {{.*}} : tensor<1x2x64x16xf32> to tensor<1x2x64x16xbf16>
// LOWER: arith.truncf {{.*}} : tensor<1x2x64x16xf32> to tensor<1x2x64x16xbf16>
// LOWER-NEXT: return
func.func @single_device(%q: tensor<1x4x64x16xbf16>, %k: tensor<1x2x64x16xbf16>, %v: tensor<1x2x64x16xbf16>,
                         %o: tensor<1x4x64x16xbf16>, %lse: tensor<1x4x64xf32>, %do: tensor<1x4x64x16xbf16>)
    -> (tensor<1x4x64x16xbf16>, tensor<1x2x64x16xbf16>, tensor<1x2x64x16xbf16>) {
  %dq, %dk, %dv = ring.attention_grad %q, %k, %v, %o, %lse, %do causal scale 0.125
      : tensor<1x4x64x16xbf16>, tensor<1x2x64x16xbf16>, tensor<1x2x64x16xbf16>, tensor<1x4x64xf32>
  return %dq, %dk, %dv : tensor<1x4x64x16xbf16>, tensor<1x2x64x16xbf16>, tensor<1x2x64x16xbf16>
}

// A single-device forward that returns its lse returns the block's.
// LOWER-LABEL: func.func @single_device_forward_lse
// LOWER: %[[B:.*]]:2 = ring.block_attention
// LOWER-NEXT: %[[R:.*]] = arith.truncf %[[B]]#0
// LOWER-NEXT: return %[[R]], %[[B]]#1 : tensor<1x4x64x16xbf16>, tensor<1x4x64xf32>
func.func @single_device_forward_lse(%q: tensor<1x4x64x16xbf16>, %k: tensor<1x2x64x16xbf16>, %v: tensor<1x2x64x16xbf16>)
    -> (tensor<1x4x64x16xbf16>, tensor<1x4x64xf32>) {
  %o, %lse = ring.attention %q, %k, %v : tensor<1x4x64x16xbf16>, tensor<1x2x64x16xbf16>, tensor<1x2x64x16xbf16> -> tensor<1x4x64xf32>
  return %o, %lse : tensor<1x4x64x16xbf16>, tensor<1x4x64xf32>
}

// -----

shard.grid @ring(shape = 4)

func.func @ring_grad(%q: tensor<1x2x64x16xf32>, %lse: tensor<1x2x64xf32>) -> tensor<1x2x64x16xf32> {
  // expected-error @+1 {{ring attention over @ring must be scheduled before ring-lower-attention; this pipeline lowers single-device attention only}}
  %dq, %dk, %dv = ring.attention_grad %q, %q, %q, %q, %lse, %q ring @ring axis 0 layout zigzag
      : tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>, tensor<1x2x64xf32>
  return %dq : tensor<1x2x64x16xf32>
}
