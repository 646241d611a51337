// RUN: ring-opt %s -split-input-file -ring-check-entry-operands -verify-diagnostics | FileCheck %s

// An entry's static memrefs become dynamic, checked against the compiled
// sizes and row-major strides, and cast back for the body; a call of the
// entry in the module casts its arguments. Functions without ring.abi are
// left alone.
// CHECK-LABEL: func.func @attention(
// CHECK-SAME: %[[Q:[a-z0-9]+]]: memref<?x?x?x?xf32>, %{{[a-z0-9]+}}: memref<?x?x?x?xf32>)
// CHECK: %{{.*}}, %{{.*}}, %[[SIZES:[a-z0-9_]+]]:4, %[[STRIDES:[a-z0-9_]+]]:4 = memref.extract_strided_metadata %[[Q]]
// Dimension 3 (16 elements, stride 1) first, then 2, 1 and 0.
// CHECK: %[[SIZE:.*]] = arith.index_cast %[[SIZES]]#3 : index to i64
// CHECK: %[[STRIDE:.*]] = arith.index_cast %[[STRIDES]]#3 : index to i64
// CHECK: %[[C16:.*]] = arith.constant 16 : i64
// CHECK: %[[BADSIZE:.*]] = arith.cmpi ne, %[[SIZE]], %[[C16]]
// CHECK: %[[C1:.*]] = arith.constant 1 : i64
// CHECK: %[[BADSTRIDE:.*]] = arith.cmpi ne, %[[STRIDE]], %[[C1]]
// CHECK: %[[BAD:.*]] = arith.ori %[[BADSIZE]], %[[BADSTRIDE]]
// CHECK: scf.if %[[BAD]] {
// CHECK: func.call @ringattn_bad_operand(%{{.*}}, %{{.*}}, %{{.*}}, %[[SIZE]], %{{.*}}, %[[STRIDE]])
// Dimension 0 has size 1: its stride is not checked.
// CHECK: %[[SIZE0:.*]] = arith.index_cast %[[SIZES]]#0 : index to i64
// CHECK: %[[BAD0:.*]] = arith.cmpi ne, %[[SIZE0]], %{{.*}} : i64
// CHECK-NEXT: scf.if %[[BAD0]] {
// CHECK: %[[QS:.*]] = memref.cast %[[Q]] : memref<?x?x?x?xf32> to memref<1x2x8x16xf32>
// CHECK: memref.copy %[[QS]]
// CHECK-LABEL: func.func @caller(
// CHECK: %[[A:.*]] = memref.cast %{{.*}} : memref<1x2x8x16xf32> to memref<?x?x?x?xf32>
// CHECK: call @attention(%[[A]]
// CHECK-LABEL: func.func @plain(
// CHECK-SAME: memref<4xf32>
// CHECK-LABEL: func.func private @ringattn_bad_operand(i64, i64, i64, i64, i64, i64)
func.func @attention(%q: memref<1x2x8x16xf32>, %out: memref<1x2x8x16xf32>) attributes {ring.abi = {causal = false, key = tensor<1x2x8x16xf32>, query = tensor<1x2x8x16xf32>, scale = 2.500000e-01 : f32, value = tensor<1x2x8x16xf32>}} {
  memref.copy %q, %out : memref<1x2x8x16xf32> to memref<1x2x8x16xf32>
  return
}
func.func @caller(%a: memref<1x2x8x16xf32>, %b: memref<1x2x8x16xf32>) {
  call @attention(%a, %b) : (memref<1x2x8x16xf32>, memref<1x2x8x16xf32>) -> ()
  return
}
func.func @plain(%a: memref<4xf32>) {
  return
}

// -----

// A use of the entry that is not a call cannot be given checked operands.
func.func @attention(%q: memref<1x1x4x16xf32>) attributes {ring.abi = {causal = false, key = tensor<1x1x4x16xf32>, query = tensor<1x1x4x16xf32>, scale = 2.500000e-01 : f32, value = tensor<1x1x4x16xf32>}} {
  return
}
func.func @address() {
  // expected-error @below {{uses entry point @attention other than by a call; its operands cannot be checked}}
  %f = func.constant @attention : (memref<1x1x4x16xf32>) -> ()
  return
}

// -----

// An entry with a block placement (its ring.abi says so) also checks the
// placement's values once its size is checked: every entry a block 0 .. 3,
// none placed twice, else ringattn_bad_placement(operand, entry, block,
// blocks) stops the rank.
// CHECK-LABEL: func.func @placed(
// CHECK-SAME: %[[P:[a-z0-9]+]]: memref<?xi32>)
// CHECK: %[[PS:.*]] = memref.cast %[[P]] : memref<?xi32> to memref<4xi32>
// CHECK: %[[SEEN:.*]] = memref.alloca() : memref<4xi8>
// CHECK: scf.for
// CHECK: memref.store %{{.*}}, %[[SEEN]]
// CHECK: scf.for %[[E:.*]] = %{{.*}} to %{{.*}} step
// CHECK: %[[B32:.*]] = memref.load %[[PS]][%[[E]]] : memref<4xi32>
// CHECK: %[[B:.*]] = arith.extsi %[[B32]] : i32 to i64
// CHECK: %[[OUTSIDE:.*]] = arith.ori
// CHECK: scf.if %[[OUTSIDE]] {
// CHECK: func.call @ringattn_bad_placement(%{{.*}}, %{{.*}}, %[[B]], %{{.*}}) : (i64, i64, i64, i64) -> ()
// CHECK: } else {
// CHECK: %[[MARK:.*]] = memref.load %[[SEEN]]
// CHECK: %[[TWICE:.*]] = arith.cmpi ne, %[[MARK]]
// CHECK: scf.if %[[TWICE]] {
// CHECK: func.call @ringattn_bad_placement(
// CHECK: memref.store %{{.*}}, %[[SEEN]]
func.func @placed(%q: memref<1x2x8x16xf32>, %k: memref<1x2x8x16xf32>, %v: memref<1x2x8x16xf32>, %p: memref<4xi32>) attributes {ring.abi = {causal = true, key = tensor<1x2x8x16xf32>, layout = "contiguous", placement = tensor<4xi32>, query = tensor<1x2x8x16xf32>, ranks = 2 : i64, scale = 2.500000e-01 : f32, value = tensor<1x2x8x16xf32>}} {
  %c0 = arith.constant 0 : index
  %x = memref.load %p[%c0] : memref<4xi32>
  return
}
