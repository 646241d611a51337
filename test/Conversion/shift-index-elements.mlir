// A shift of index elements sends the data layout's width per element
// (8 bytes by default, 4 under `index = 32`); it used to crash
// convert-ring-to-runtime, directly and through both pipelines.
// RUN: ring-opt %s -split-input-file -convert-ring-to-runtime | FileCheck %s
// RUN: ring-opt %s -split-input-file -ring-lower-cpu | FileCheck %s --check-prefix=LLVM
// RUN: ring-opt %s -split-input-file -ring-lower-nvvm="format=isa" | FileCheck %s --check-prefix=LLVM

shard.grid @ring(shape = 2)

// CHECK-LABEL: func.func @shift_index
// The element offset of each buffer in bytes, then 4 x 8 bytes sent.
// CHECK: %[[C8:.*]] = arith.constant 8 : index
// CHECK: arith.muli %{{.*}}, %[[C8]] : index
// CHECK: call @ringattn_shift_start(%{{.*}}, %{{.*}}, %c32_i64, %c1_i64)
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
  // CHECK: %[[C4:.*]] = arith.constant 4 : index
  // CHECK: arith.muli %{{.*}}, %[[C4]] : index
  // CHECK: call @ringattn_shift_start(%{{.*}}, %{{.*}}, %c16_i64, %c1_i64)
  // LLVM-LABEL: llvm.func @shift_index32
  // LLVM: %[[BYTES:.*]] = llvm.mlir.constant(16 : i64) : i64
  // LLVM: llvm.call @ringattn_shift_start(%{{.*}}, %{{.*}}, %[[BYTES]], %{{.*}})
  func.func @shift_index32(%a: memref<4xindex>, %b: memref<4xindex>) {
    %f = ring.shift_start %a into %b ring @ring axis 0 : memref<4xindex>
    %r = ring.shift_wait %f : !ring.future<memref<4xindex>>
    return
  }
}
