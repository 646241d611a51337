// The tensor form of a shift bufferizes to the buffer form, sending from a
// private copy of the source, and from there lowers to runtime calls.
// RUN: ring-opt %s -one-shot-bufferize="bufferize-function-boundaries" | FileCheck %s
// RUN: ring-opt %s -split-input-file -one-shot-bufferize="bufferize-function-boundaries" -convert-ring-to-llvm | FileCheck %s --check-prefix=RT
// The destination-passing ops (blocks, merges, block gradients) with
// identity layouts at the function boundary (DPS, as ring-lower-cpu
// bufferizes) and with fully dynamic ones (DYN).
// RUN: ring-opt %s -split-input-file -one-shot-bufferize="bufferize-function-boundaries function-boundary-type-conversion=identity-layout-map" | FileCheck %s --check-prefix=DPS
// RUN: ring-opt %s -split-input-file -one-shot-bufferize="bufferize-function-boundaries" | FileCheck %s --check-prefix=DYN

shard.grid @ring(shape = 4)

// CHECK-LABEL: func.func @shift
// CHECK-SAME: (%[[KV:[^:]*]]: memref<1x2x8x16xf32
// CHECK: %[[COPY:.*]] = memref.alloc() : memref<1x2x8x16xf32>
// CHECK: memref.copy %[[KV]], %[[COPY]]
// CHECK: %[[RECV:.*]] = memref.alloc() : memref<1x2x8x16xf32>
// CHECK: %[[F:.*]] = ring.shift_start %[[COPY]] into %[[RECV]] ring @ring axis 0 offset 2 : memref<1x2x8x16xf32>
// The source's own buffer is free to be overwritten while the copy travels.
// CHECK: linalg.fill {{.*}} outs(%[[KV]] :
// CHECK: %[[R:.*]] = ring.shift_wait %[[F]] : !ring.future<memref<1x2x8x16xf32>>
// CHECK: return %[[R]], %[[KV]]
// RT-LABEL: func.func @shift
// RT: %[[H:.*]] = llvm.call @ringattn_shift_start(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}})
// RT: llvm.call @ringattn_shift_wait(%[[H]])
func.func @shift(%kv: tensor<1x2x8x16xf32>) -> (tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>) {
  %f = ring.shift_start %kv ring @ring axis 0 offset 2 : tensor<1x2x8x16xf32>
  %zero = arith.constant 0.0 : f32
  %filled = linalg.fill ins(%zero : f32) outs(%kv : tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32>
  %r = ring.shift_wait %f : !ring.future<tensor<1x2x8x16xf32>>
  return %r, %filled : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>
}


// A run-time offset stays with the shift.
// CHECK-LABEL: func.func @shift_dynamic_offset
// CHECK-SAME: %[[BACK:[^:]*]]: index)
// CHECK: ring.shift_start %{{.*}} into %{{.*}} ring @ring axis 0 dynamic_offset %[[BACK]] : memref<1x2x8x16xf32>
func.func @shift_dynamic_offset(%kv: tensor<1x2x8x16xf32>, %back: index) -> tensor<1x2x8x16xf32> {
  %f = ring.shift_start %kv ring @ring axis 0 dynamic_offset %back : tensor<1x2x8x16xf32>
  %r = ring.shift_wait %f : !ring.future<tensor<1x2x8x16xf32>>
  return %r : tensor<1x2x8x16xf32>
}
// RT-LABEL: func.func @shift_dynamic_offset
// RT-SAME: %[[BACK:[^:]*]]: index)
// RT: %[[OFFSET:.*]] = builtin.unrealized_conversion_cast %[[BACK]] : index to i64
// RT: llvm.call @ringattn_shift_start(%{{.*}}, %{{.*}}, %{{.*}}, %[[OFFSET]])

// -----

// Blocks and merges are in destination-passing style: a block writes its
// destinations (a tensor.empty becomes one allocation), and a merge writes
// in place into the running result it reads; nothing is copied.
// DPS-LABEL: func.func @block_and_merge
// DPS-SAME: (%[[Q:[^:]*]]: memref<1x2x8x16xf32{{.*}}>, %[[O:[^:]*]]: memref<1x2x8x16xf32{{.*}}>, %[[L:[^:]*]]: memref<1x2x8xf32{{.*}}>)
// DPS-NOT: memref.copy
// DPS: %[[BO:.*]] = memref.alloc() {{.*}}: memref<1x2x8x16xf32>
// DPS: %[[BL:.*]] = memref.alloc() {{.*}}: memref<1x2x8xf32>
// DPS: ring.block_attention %[[Q]], %[[Q]], %[[Q]] into %[[BO]], %[[BL]] : memref<1x2x8x16xf32{{.*}}>, memref<1x2x8x16xf32{{.*}}>, memref<1x2x8x16xf32{{.*}}> -> memref<1x2x8x16xf32>, memref<1x2x8xf32>
// DPS: ring.combine(%[[O]], %[[L]]), (%[[BO]], %[[BL]]) into(%[[O]], %[[L]])
// DPS-NOT: memref.copy
// DPS: return %[[O]], %[[L]]
func.func @block_and_merge(%q: tensor<1x2x8x16xf32>, %o: tensor<1x2x8x16xf32>, %l: tensor<1x2x8xf32>) -> (tensor<1x2x8x16xf32>, tensor<1x2x8xf32>) {
  %bo = tensor.empty() : tensor<1x2x8x16xf32>
  %bl = tensor.empty() : tensor<1x2x8xf32>
  %b:2 = ring.block_attention %q, %q, %q into %bo, %bl : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>, tensor<1x2x8xf32>
  %m:2 = ring.combine (%o, %l), (%b#0, %b#1) into (%o, %l) : tensor<1x2x8x16xf32>, tensor<1x2x8xf32>
  return %m#0, %m#1 : tensor<1x2x8x16xf32>, tensor<1x2x8xf32>
}

// With fully dynamic layouts at the function boundary, the rows of an
// argument may not be contiguous: the block reads a contiguous copy, and the
// merge writes a contiguous buffer that is copied back.
// DYN-LABEL: func.func @block_and_merge
// DYN: memref.copy %{{.*}}, %[[QC:.*]] : memref<1x2x8x16xf32, strided<[?, ?, ?, ?], offset: ?>> to memref<1x2x8x16xf32>
// DYN: ring.block_attention %[[QC]], %{{.*}}, %{{.*}} into
// DYN: ring.combine
// DYN: memref.copy %{{.*}}, %{{.*}} : memref<1x2x8x16xf32> to memref<1x2x8x16xf32, strided<[?, ?, ?, ?], offset: ?>>

// -----

// A block's gradient accumulates into its destinations (dq, dk, dv): the
// buffer form reads and writes them, so they bufferize in place, here into
// the function's own arguments; nothing is allocated or copied.
// DPS-LABEL: func.func @block_grad
// DPS-SAME: (%[[Q:[^:]*]]: memref<1x4x8x16xbf16>, %[[K:[^:]*]]: memref<1x2x8x16xbf16>, %[[V:[^:]*]]: memref<1x2x8x16xbf16>, %[[DO:[^:]*]]: memref<1x4x8x16xbf16>, %[[L:[^:]*]]: memref<1x4x8xf32>, %[[D:[^:]*]]: memref<1x4x8xf32>, %[[DQ:[^:]*]]: memref<1x4x8x16xf32>, %[[DK:[^:]*]]: memref<1x2x8x16xf32>, %[[DV:[^:]*]]: memref<1x2x8x16xf32>, %[[P:[^:]*]]: index)
// DPS-NOT: memref.alloc
// DPS-NOT: memref.copy
// DPS: ring.block_attention_grad %[[Q]], %[[K]], %[[V]], %[[DO]], %[[L]], %[[D]] into %[[DQ]], %[[DK]], %[[DV]] causal query_pos(%[[P]], 1) key_pos(%[[P]], 1) : memref<1x4x8x16xbf16>, memref<1x2x8x16xbf16>, memref<1x2x8x16xbf16>, memref<1x4x8xf32> -> memref<1x4x8x16xf32>, memref<1x2x8x16xf32>
// DPS-NOT: memref.copy
// DPS: return %[[DQ]], %[[DK]], %[[DV]]
// With fully dynamic layouts at the function boundary the block works on
// contiguous copies; the destinations are copied in (it accumulates into
// them) and back out.
// DYN-LABEL: func.func @block_grad
// DYN-DAG: memref.copy %arg6, %[[DQC:.*]] : memref<1x4x8x16xf32, strided<[?, ?, ?, ?], offset: ?>> to memref<1x4x8x16xf32>
// DYN-DAG: memref.copy %arg7, %[[DKC:.*]] : memref<1x2x8x16xf32, strided<[?, ?, ?, ?], offset: ?>> to memref<1x2x8x16xf32>
// DYN-DAG: memref.copy %arg8, %[[DVC:.*]] : memref<1x2x8x16xf32, strided<[?, ?, ?, ?], offset: ?>> to memref<1x2x8x16xf32>
// DYN: ring.block_attention_grad {{.*}} into %[[DQC]], %[[DKC]], %[[DVC]] causal
// DYN-DAG: memref.copy %[[DQC]], %arg6
// DYN-DAG: memref.copy %[[DKC]], %arg7
// DYN-DAG: memref.copy %[[DVC]], %arg8
// DYN: return %arg6, %arg7, %arg8
func.func @block_grad(%q: tensor<1x4x8x16xbf16>, %k: tensor<1x2x8x16xbf16>, %v: tensor<1x2x8x16xbf16>,
                      %do: tensor<1x4x8x16xbf16>, %lse: tensor<1x4x8xf32>, %delta: tensor<1x4x8xf32>,
                      %dq: tensor<1x4x8x16xf32>, %dk: tensor<1x2x8x16xf32>, %dv: tensor<1x2x8x16xf32>, %p: index)
    -> (tensor<1x4x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>) {
  %a, %b, %c = ring.block_attention_grad %q, %k, %v, %do, %lse, %delta into %dq, %dk, %dv causal query_pos(%p, 1) key_pos(%p, 1)
      : tensor<1x4x8x16xbf16>, tensor<1x2x8x16xbf16>, tensor<1x2x8x16xbf16>, tensor<1x4x8xf32>
      -> tensor<1x4x8x16xf32>, tensor<1x2x8x16xf32>
  return %a, %b, %c : tensor<1x4x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>
}

// One zeroed tensor as the initial value of both dk and dv: both are
// written, so each gets its own buffer, initialized from the zeros.
// DPS-LABEL: func.func @block_grad_shared_init
// DPS: %[[DQ:.*]] = memref.alloc() {{.*}}: memref<1x4x8x16xf32>
// DPS: %[[ZERO:.*]] = memref.alloc() {{.*}}: memref<1x2x8x16xf32>
// DPS: linalg.fill {{.*}} outs(%[[DQ]] :
// DPS: linalg.fill {{.*}} outs(%[[ZERO]] :
// DPS: %[[DK:.*]] = memref.alloc() {{.*}}: memref<1x2x8x16xf32>
// DPS-NEXT: memref.copy %[[ZERO]], %[[DK]]
// DPS-NEXT: %[[DV:.*]] = memref.alloc() {{.*}}: memref<1x2x8x16xf32>
// DPS-NEXT: memref.copy %[[ZERO]], %[[DV]]
// DPS-NEXT: ring.block_attention_grad %{{.*}} into %[[DQ]], %[[DK]], %[[DV]] :
// DPS-NEXT: return %[[DQ]], %[[DK]], %[[DV]]
func.func @block_grad_shared_init(%q: tensor<1x4x8x16xf32>, %k: tensor<1x2x8x16xf32>, %lse: tensor<1x4x8xf32>)
    -> (tensor<1x4x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>) {
  %zero = arith.constant 0.0 : f32
  %e0 = tensor.empty() : tensor<1x4x8x16xf32>
  %e1 = tensor.empty() : tensor<1x2x8x16xf32>
  %dq = linalg.fill ins(%zero : f32) outs(%e0 : tensor<1x4x8x16xf32>) -> tensor<1x4x8x16xf32>
  %dkv = linalg.fill ins(%zero : f32) outs(%e1 : tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32>
  %a, %b, %c = ring.block_attention_grad %q, %k, %k, %q, %lse, %lse into %dq, %dkv, %dkv
      : tensor<1x4x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x4x8xf32>
      -> tensor<1x4x8x16xf32>, tensor<1x2x8x16xf32>
  return %a, %b, %c : tensor<1x4x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>
}
