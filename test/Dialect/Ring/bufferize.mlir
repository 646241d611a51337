// The tensor form of a shift bufferizes to the buffer form, sending from a
// private copy of the source, and from there lowers to runtime calls.
// RUN: ring-opt %s -one-shot-bufferize="bufferize-function-boundaries" | FileCheck %s
// RUN: ring-opt %s -split-input-file -one-shot-bufferize="bufferize-function-boundaries" -convert-ring-to-llvm | FileCheck %s --check-prefix=RT

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
