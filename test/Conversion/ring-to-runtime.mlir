// RUN: ring-opt %s -split-input-file -convert-ring-to-runtime -verify-diagnostics | FileCheck %s

shard.grid @ring(shape = 4)

// CHECK-NOT: shard.grid
// CHECK-LABEL: func.func @shift
// CHECK-SAME: (%[[CUR:.*]]: memref<1x2x8x16xbf16>, %[[NEXT:.*]]: memref<1x2x8x16xbf16>)
// CHECK: %[[RANK:.*]] = call @ringattn_rank() : () -> i64
// CHECK: arith.index_cast %[[RANK]] : i64 to index
// CHECK: memref.extract_aligned_pointer_as_index %[[CUR]]
// CHECK: memref.extract_aligned_pointer_as_index %[[NEXT]]
// 1*2*8*16 bf16 = 512 bytes, offset -1.
// CHECK: %[[H:.*]] = call @ringattn_shift_start(%{{.*}}, %{{.*}}, %c512_i64, %c-1_i64) : (!llvm.ptr, !llvm.ptr, i64, i64) -> !llvm.ptr
// CHECK: call @ringattn_shift_wait(%[[H]]) : (!llvm.ptr) -> ()
// The received block is read from the destination buffer.
// CHECK: return %{{.*}}, %[[NEXT]]
// CHECK-DAG: func.func private @ringattn_rank() -> i64
// CHECK-DAG: func.func private @ringattn_shift_start(!llvm.ptr, !llvm.ptr, i64, i64) -> !llvm.ptr
// CHECK-DAG: func.func private @ringattn_shift_wait(!llvm.ptr)
func.func @shift(%cur: memref<1x2x8x16xbf16>, %next: memref<1x2x8x16xbf16>) -> (index, memref<1x2x8x16xbf16>) {
  %r = shard.process_multi_index on @ring axes = [0] : index
  %f = ring.shift_start %cur into %next ring @ring axis 0 offset -1 : memref<1x2x8x16xbf16>
  %recv = ring.shift_wait %f : !ring.future<memref<1x2x8x16xbf16>>
  return %r, %recv : index, memref<1x2x8x16xbf16>
}

// -----

shard.grid @ring(shape = 4)

func.func @tensor_shift(%kv: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{a shift of a tensor reaches convert-ring-to-runtime; bufferize it first (ring-schedule emits the buffer form)}}
  %f = ring.shift_start %kv ring @ring axis 0 : tensor<1x2x8x16xf32>
  %a = ring.shift_wait %f : !ring.future<tensor<1x2x8x16xf32>>
  return %a : tensor<1x2x8x16xf32>
}

// -----

shard.grid @grid2d(shape = 2x4)

func.func @two_axes_rank() -> index {
  // expected-error @+1 {{the runtime runs one ring axis, but @grid2d has 2 axes}}
  %r = shard.process_multi_index on @grid2d axes = [1] : index
  return %r : index
}
