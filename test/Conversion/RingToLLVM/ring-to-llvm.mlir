// RUN: ring-opt %s -split-input-file -convert-ring-to-llvm -verify-diagnostics | FileCheck %s
// Upstream convert-to-llvm lowers ring communication with everything else,
// through the ring dialect's ConvertToLLVMPatternInterface; a ring op it
// cannot lower is illegal there.
// RUN: not ring-opt %s -split-input-file -convert-to-llvm -reconcile-unrealized-casts 2>/dev/null | FileCheck %s --check-prefix=ALL
// RUN: not ring-opt %s -split-input-file -convert-to-llvm -reconcile-unrealized-casts 2>&1 >/dev/null | FileCheck %s --check-prefix=ILLEGAL

shard.grid @ring(shape = 4)

// CHECK-NOT: shard.grid
// CHECK-DAG: llvm.func @ringattn_rank() -> i64
// CHECK-DAG: llvm.func @ringattn_shift_start(!llvm.ptr, !llvm.ptr, i64, i64) -> !llvm.ptr
// CHECK-DAG: llvm.func @ringattn_shift_wait(!llvm.ptr)
// CHECK-LABEL: func.func @shift
// CHECK-SAME: (%[[CUR:.*]]: memref<1x2x8x16xbf16>, %[[NEXT:.*]]: memref<1x2x8x16xbf16>)
// CHECK-DAG: %[[ND:.*]] = builtin.unrealized_conversion_cast %[[NEXT]]
// CHECK-DAG: %[[CD:.*]] = builtin.unrealized_conversion_cast %[[CUR]]
// CHECK: %[[RANK:.*]] = llvm.call @ringattn_rank() : () -> i64
// The address of the first element: aligned pointer + offset * 2 bytes.
// CHECK: %[[TWO:.*]] = llvm.mlir.constant(2 : i64) : i64
// CHECK: %[[CO:.*]] = llvm.extractvalue %[[CD]][2]
// CHECK: %[[CB:.*]] = llvm.mul %[[CO]], %[[TWO]] : i64
// CHECK: %[[CP:.*]] = llvm.extractvalue %[[CD]][1]
// CHECK: %[[SRC:.*]] = llvm.getelementptr %[[CP]][%[[CB]]] : (!llvm.ptr, i64) -> !llvm.ptr, i8
// CHECK: %[[NO:.*]] = llvm.extractvalue %[[ND]][2]
// CHECK: %[[NB:.*]] = llvm.mul %[[NO]], %[[TWO]] : i64
// CHECK: %[[NP:.*]] = llvm.extractvalue %[[ND]][1]
// CHECK: %[[DST:.*]] = llvm.getelementptr %[[NP]][%[[NB]]] : (!llvm.ptr, i64) -> !llvm.ptr, i8
// 1*2*8*16 bf16 = 512 bytes, offset -1.
// CHECK: %[[BYTES:.*]] = llvm.mlir.constant(512 : i64) : i64
// CHECK: %[[OFFSET:.*]] = llvm.mlir.constant(-1 : i64) : i64
// CHECK: %[[H:.*]] = llvm.call @ringattn_shift_start(%[[SRC]], %[[DST]], %[[BYTES]], %[[OFFSET]]) : (!llvm.ptr, !llvm.ptr, i64, i64) -> !llvm.ptr
// CHECK: llvm.call @ringattn_shift_wait(%[[H]]) : (!llvm.ptr) -> ()
// The received block is read from the destination buffer.
// CHECK: return %{{.*}}, %[[NEXT]]
// ALL-NOT: shard.grid
// ALL-LABEL: llvm.func @shift
// ALL: llvm.call @ringattn_rank() : () -> i64
// ALL: llvm.call @ringattn_shift_start(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}) : (!llvm.ptr, !llvm.ptr, i64, i64) -> !llvm.ptr
// ALL: llvm.call @ringattn_shift_wait(%{{.*}}) : (!llvm.ptr) -> ()
func.func @shift(%cur: memref<1x2x8x16xbf16>, %next: memref<1x2x8x16xbf16>) -> (index, memref<1x2x8x16xbf16>) {
  %r = shard.process_multi_index on @ring axes = [0] : index
  %f = ring.shift_start %cur into %next ring @ring axis 0 offset -1 : memref<1x2x8x16xbf16>
  %recv = ring.shift_wait %f : !ring.future<memref<1x2x8x16xbf16>>
  return %r, %recv : index, memref<1x2x8x16xbf16>
}

// -----

shard.grid @ring(shape = 4)

// A view with an offset sends from its first element: the descriptor's
// offset (256 elements) times 2 bytes further.
// CHECK-LABEL: func.func @shift_view
// CHECK: %[[D:.*]] = builtin.unrealized_conversion_cast %{{.*}} : memref<1x2x8x16xbf16, strided<[256, 128, 16, 1], offset: 256>>
// CHECK: %[[O:.*]] = llvm.extractvalue %[[D]][2]
// CHECK: %[[B:.*]] = llvm.mul %[[O]], %{{.*}} : i64
// CHECK: %[[P:.*]] = llvm.extractvalue %[[D]][1]
// CHECK: %[[SRC:.*]] = llvm.getelementptr %[[P]][%[[B]]] : (!llvm.ptr, i64) -> !llvm.ptr, i8
// CHECK: llvm.call @ringattn_shift_start(%[[SRC]], %{{.*}}, %{{.*}}, %{{.*}})
func.func @shift_view(%all: memref<2x2x8x16xbf16>, %next: memref<1x2x8x16xbf16>) {
  %second = memref.subview %all[1, 0, 0, 0] [1, 2, 8, 16] [1, 1, 1, 1] : memref<2x2x8x16xbf16> to memref<1x2x8x16xbf16, strided<[256, 128, 16, 1], offset: 256>>
  %copy = memref.alloc() : memref<1x2x8x16xbf16, strided<[256, 128, 16, 1], offset: 256>>
  %f = ring.shift_start %second into %copy ring @ring axis 0 : memref<1x2x8x16xbf16, strided<[256, 128, 16, 1], offset: 256>>
  %recv = ring.shift_wait %f : !ring.future<memref<1x2x8x16xbf16, strided<[256, 128, 16, 1], offset: 256>>>
  return
}

// -----

shard.grid @ring(shape = 4)

// An offset known at run time (an index) is passed as it is.
// CHECK-LABEL: func.func @shift_dynamic_offset
// CHECK-SAME: %[[BACK:[^:]*]]: index)
// CHECK: %[[OFFSET:.*]] = builtin.unrealized_conversion_cast %[[BACK]] : index to i64
// CHECK: %[[BYTES:.*]] = llvm.mlir.constant(512 : i64) : i64
// CHECK: llvm.call @ringattn_shift_start(%{{.*}}, %{{.*}}, %[[BYTES]], %[[OFFSET]])
func.func @shift_dynamic_offset(%cur: memref<1x2x8x16xbf16>, %next: memref<1x2x8x16xbf16>, %back: index) {
  %f = ring.shift_start %cur into %next ring @ring axis 0 dynamic_offset %back : memref<1x2x8x16xbf16>
  %recv = ring.shift_wait %f : !ring.future<memref<1x2x8x16xbf16>>
  return
}

// -----

shard.grid @ring(shape = 4)

// ILLEGAL: error: failed to legalize operation 'ring.shift_start' that was explicitly marked illegal
func.func @tensor_shift(%kv: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{a shift of a tensor reaches convert-ring-to-llvm; bufferize it first (ring-schedule emits the buffer form)}}
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
