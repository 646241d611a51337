// A shift of index elements sends the data layout's width per element
// (8 bytes by default, 4 under `index = 32`); it used to crash
// the lowering to runtime calls, directly and through both pipelines.
// RUN: ring-opt %s -split-input-file -convert-ring-to-llvm | FileCheck %s
// RUN: ring-opt %s -split-input-file -ring-lower-cpu | FileCheck %s --check-prefix=LLVM
// RUN: ring-opt %s -split-input-file -ring-lower-nvvm="format=isa" | FileCheck %s --check-prefix=LLVM

shard.grid @ring(shape = 2)

// CHECK-LABEL: func.func @shift_index
// The element offset of each buffer in bytes, then 4 x 8 bytes sent.
// CHECK: %[[C8:.*]] = llvm.mlir.constant(8 : i64) : i64
// CHECK: llvm.mul %{{.*}}, %[[C8]] : i64
// CHECK: %[[BYTES:.*]] = llvm.mlir.constant(32 : i64) : i64
// CHECK: llvm.call @ringattn_shift_start(%{{.*}}, %{{.*}}, %[[BYTES]], %{{.*}})
// LLVM-LABEL: llvm.func @shift_index
// LLVM: %[[BYTES:.*]] = llvm.mlir.constant(32 : i64) : i64
// LLVM: llvm.call @ringattn_shift_start(%{{.*}}, %{{.*}}, %[[BYTES]], %{{.*}})
func.func @shift_index(%a: memref<4xindex>, %b: memref<4xindex>) {
  %f = ring.shift_start %a into %b ring @ring axis 0 : memref<4xindex>
  %r = ring.shift_wait %f : !ring.future<memref<4xindex>>
  return
}

// -----

module attributes {dlti.dl_spec = #dlti.dl_spec<index = 32>} {
  shard.grid @ring(shape = 2)

  // CHECK-LABEL: func.func @shift_index32
  // CHECK: %[[C4:.*]] = llvm.mlir.constant(4 : i64) : i64
  // CHECK: llvm.mul %{{.*}}, %[[C4]] : i64
  // CHECK: %[[BYTES:.*]] = llvm.mlir.constant(16 : i64) : i64
  // CHECK: llvm.call @ringattn_shift_start(%{{.*}}, %{{.*}}, %[[BYTES]], %{{.*}})
  // LLVM-LABEL: llvm.func @shift_index32
  // LLVM: %[[BYTES:.*]] = llvm.mlir.constant(16 : i64) : i64
  // LLVM: llvm.call @ringattn_shift_start(%{{.*}}, %{{.*}}, %[[BYTES]], %{{.*}})
  func.func @shift_index32(%a: memref<4xindex>, %b: memref<4xindex>) {
    %f = ring.shift_start %a into %b ring @ring axis 0 : memref<4xindex>
    %r = ring.shift_wait %f : !ring.future<memref<4xindex>>
    return
  }
}
