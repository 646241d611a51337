// ring-lower-shard-collectives writes shard.all_reduce as a ring
// all-reduce of ring shifts (reduce-scatter, then all-gather, N-1 steps
// each), and refuses what it cannot write, naming the op and the reason.
// RUN: ring-opt %s -split-input-file -ring-lower-shard-collectives -canonicalize -verify-diagnostics | FileCheck %s

// A weight's gradient summed over 4 ranks: 3072 elements in 4 rows of 768.
// Reduce-scatter sends row (r - s) mod 4 and folds the arrival into row
// (r - s - 1) mod 4; all-gather sends row (r + 1 - s) mod 4 and keeps the
// arrival as row (r - s) mod 4.
// CHECK-LABEL: func.func @sum
// CHECK-DAG: %[[C3:.*]] = arith.constant 3 : index
// CHECK-DAG: %[[C4:.*]] = arith.constant 4 : index
// CHECK-DAG: %[[C5:.*]] = arith.constant 5 : index
// CHECK: %[[FLAT:.*]] = tensor.collapse_shape %{{.*}} {{\[\[}}0, 1]] : tensor<32x96xf32> into tensor<3072xf32>
// CHECK: %[[ROWS:.*]] = tensor.expand_shape %[[FLAT]] {{\[\[}}0, 1]] output_shape [4, 768]
// CHECK: %[[RANK:.*]] = shard.process_multi_index on @ring axes = [0] : index
// CHECK: %[[SCATTERED:.*]] = scf.for %[[S:.*]] = %{{.*}} to %[[C3]] step %{{.*}} iter_args(%[[ACC:.*]] = %[[ROWS]]) -> (tensor<4x768xf32>)
// CHECK:   %[[A:.*]] = arith.addi %[[RANK]], %[[C4]]
// CHECK:   %[[B:.*]] = arith.subi %[[A]], %[[S]]
// CHECK:   %[[SEND:.*]] = arith.remui %[[B]], %[[C4]]
// CHECK:   %[[ROW:.*]] = tensor.extract_slice %[[ACC]][%[[SEND]], 0] [1, 768] [1, 1]
// CHECK:   %[[F:.*]] = ring.shift_start %[[ROW]] ring @ring axis 0 : tensor<768xf32>
// CHECK:   %[[GOT:.*]] = ring.shift_wait %[[F]]
// CHECK:   %[[C:.*]] = arith.addi %[[RANK]], %[[C3]]
// CHECK:   %[[D:.*]] = arith.subi %[[C]], %[[S]]
// CHECK:   %[[INTO:.*]] = arith.remui %[[D]], %[[C4]]
// CHECK:   %[[OWN:.*]] = tensor.extract_slice %[[ACC]][%[[INTO]], 0] [1, 768] [1, 1]
// CHECK:   %[[SUM:.*]] = linalg.map { arith.addf } ins(%[[GOT]], %[[OWN]] : tensor<768xf32>, tensor<768xf32>)
// CHECK:   %[[NEXT:.*]] = tensor.insert_slice %[[SUM]] into %[[ACC]][%[[INTO]], 0] [1, 768] [1, 1]
// CHECK:   scf.yield %[[NEXT]]
// CHECK: %[[GATHERED:.*]] = scf.for %[[T:.*]] = %{{.*}} to %[[C3]] step %{{.*}} iter_args(%[[ALL:.*]] = %[[SCATTERED]]) -> (tensor<4x768xf32>)
// CHECK:   %[[E:.*]] = arith.addi %[[RANK]], %[[C5]]
// CHECK:   %[[G:.*]] = arith.subi %[[E]], %[[T]]
// CHECK:   %[[SEND2:.*]] = arith.remui %[[G]], %[[C4]]
// CHECK:   %[[DONE:.*]] = tensor.extract_slice %[[ALL]][%[[SEND2]], 0] [1, 768] [1, 1]
// CHECK:   %[[F2:.*]] = ring.shift_start %[[DONE]] ring @ring axis 0 : tensor<768xf32>
// CHECK:   %[[GOT2:.*]] = ring.shift_wait %[[F2]]
// CHECK:   %[[H:.*]] = arith.addi %[[RANK]], %[[C4]]
// CHECK:   %[[I:.*]] = arith.subi %[[H]], %[[T]]
// CHECK:   %[[KEEP:.*]] = arith.remui %[[I]], %[[C4]]
// CHECK-NOT: linalg.map
// CHECK:   tensor.insert_slice %[[GOT2]] into %[[ALL]][%[[KEEP]], 0] [1, 768] [1, 1]
// CHECK: %[[BACK:.*]] = tensor.collapse_shape %[[GATHERED]] {{\[\[}}0, 1]] : tensor<4x768xf32> into tensor<3072xf32>
// CHECK: %[[OUT:.*]] = tensor.expand_shape %[[BACK]] {{\[\[}}0, 1]] output_shape [32, 96]
// CHECK: return %[[OUT]]
// CHECK-NOT: shard.all_reduce
shard.grid @ring(shape = 4)
func.func @sum(%x: tensor<32x96xf32>) -> tensor<32x96xf32> {
  %r = shard.all_reduce %x on @ring grid_axes = [0] : tensor<32x96xf32> -> tensor<32x96xf32>
  return %r : tensor<32x96xf32>
}

// -----

// bf16 is summed in f32 and rounded once; 15 elements are padded with
// zeros to 4 rows of 4, and the padding dropped at the end.
// CHECK-LABEL: func.func @bf16_padded
// CHECK: %[[WIDE:.*]] = linalg.map { arith.extf } ins(%{{.*}} : tensor<5x3xbf16>) outs(%{{.*}} : tensor<5x3xf32>)
// CHECK: %[[FLAT:.*]] = tensor.collapse_shape %[[WIDE]] {{\[\[}}0, 1]] : tensor<5x3xf32> into tensor<15xf32>
// CHECK: %[[ZEROS:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<16xf32>)
// CHECK: %[[PADDED:.*]] = tensor.insert_slice %[[FLAT]] into %[[ZEROS]][0] [15] [1]
// CHECK: tensor.expand_shape %[[PADDED]] {{\[\[}}0, 1]] output_shape [4, 4]
// CHECK: ring.shift_start %{{.*}} ring @ring axis 0 : tensor<4xf32>
// CHECK: linalg.map { arith.addf } ins(%{{.*}}, %{{.*}} : tensor<4xf32>, tensor<4xf32>)
// CHECK: ring.shift_start %{{.*}} ring @ring axis 0 : tensor<4xf32>
// CHECK: %[[ALL:.*]] = tensor.collapse_shape %{{.*}} {{\[\[}}0, 1]] : tensor<4x4xf32> into tensor<16xf32>
// CHECK: %[[UNPADDED:.*]] = tensor.extract_slice %[[ALL]][0] [15] [1]
// CHECK: %[[SHAPED:.*]] = tensor.expand_shape %[[UNPADDED]] {{\[\[}}0, 1]] output_shape [5, 3]
// CHECK: %[[NARROW:.*]] = linalg.map { arith.truncf } ins(%[[SHAPED]] : tensor<5x3xf32>) outs(%{{.*}} : tensor<5x3xbf16>)
// CHECK: return %[[NARROW]]
shard.grid @ring(shape = 4)
func.func @bf16_padded(%x: tensor<5x3xbf16>) -> tensor<5x3xbf16> {
  %r = shard.all_reduce %x on @ring grid_axes = [0] : tensor<5x3xbf16> -> tensor<5x3xbf16>
  return %r : tensor<5x3xbf16>
}

// -----

// f16 accumulated into an f32 result: widened once, not narrowed.
// CHECK-LABEL: func.func @f16_into_f32
// CHECK: linalg.map { arith.extf } ins(%{{.*}} : tensor<8xf16>) outs(%{{.*}} : tensor<8xf32>)
// CHECK-NOT: arith.truncf
// CHECK: return %{{.*}} : tensor<8xf32>
shard.grid @ring(shape = 2)
func.func @f16_into_f32(%x: tensor<8xf16>) -> tensor<8xf32> {
  %r = shard.all_reduce %x on @ring grid_axes = [0] : tensor<8xf16> -> tensor<8xf32>
  return %r : tensor<8xf32>
}

// -----

// A scalar (a loss): one element in 4 rows of 1; max folds with maximumf.
// CHECK-LABEL: func.func @scalar_max
// CHECK: tensor.expand_shape %{{.*}} [] output_shape [1] : tensor<f32> into tensor<1xf32>
// CHECK: output_shape [4, 1]
// CHECK: linalg.map { arith.maximumf }
// CHECK: tensor.collapse_shape %{{.*}} [] : tensor<1xf32> into tensor<f32>
shard.grid @ring(shape = 4)
func.func @scalar_max(%x: tensor<f32>) -> tensor<f32> {
  %r = shard.all_reduce %x on @ring grid_axes = [0] reduction = max : tensor<f32> -> tensor<f32>
  return %r : tensor<f32>
}

// -----

// Each reduction's fold: signed min and max, products, the bitwise ones on
// integers; an average sums, then divides by the ring's size.
// CHECK-LABEL: func.func @kinds
// CHECK: %[[N:.*]] = arith.constant 3.000000e+00 : f32
// CHECK: linalg.map { arith.minsi }
// CHECK: linalg.map { arith.maxsi }
// CHECK: linalg.map { arith.muli
// CHECK: linalg.map { arith.mulf }
// CHECK: linalg.map { arith.minimumf }
// CHECK: linalg.map { arith.andi }
// CHECK: linalg.map { arith.ori }
// CHECK: linalg.map { arith.xori }
// CHECK: linalg.map { arith.addf }
// CHECK: linalg.map ins(%{{.*}} : tensor<6xf32>)
// CHECK-NEXT: (%[[V:.*]]: f32, %{{.*}}: f32) {
// CHECK-NEXT: arith.divf %[[V]], %[[N]] : f32
shard.grid @ring(shape = 3)
func.func @kinds(%i: tensor<6xi32>, %f: tensor<6xf32>) -> (tensor<6xi32>, tensor<6xi32>, tensor<6xi32>, tensor<6xf32>, tensor<6xf32>, tensor<6xi32>, tensor<6xi32>, tensor<6xi32>, tensor<6xf32>) {
  %0 = shard.all_reduce %i on @ring grid_axes = [0] reduction = min : tensor<6xi32> -> tensor<6xi32>
  %1 = shard.all_reduce %i on @ring grid_axes = [0] reduction = max : tensor<6xi32> -> tensor<6xi32>
  %2 = shard.all_reduce %i on @ring grid_axes = [0] reduction = product : tensor<6xi32> -> tensor<6xi32>
  %3 = shard.all_reduce %f on @ring grid_axes = [0] reduction = product : tensor<6xf32> -> tensor<6xf32>
  %4 = shard.all_reduce %f on @ring grid_axes = [0] reduction = min : tensor<6xf32> -> tensor<6xf32>
  %5 = shard.all_reduce %i on @ring grid_axes = [0] reduction = bitwise_and : tensor<6xi32> -> tensor<6xi32>
  %6 = shard.all_reduce %i on @ring grid_axes = [0] reduction = bitwise_or : tensor<6xi32> -> tensor<6xi32>
  %7 = shard.all_reduce %i on @ring grid_axes = [0] reduction = bitwise_xor : tensor<6xi32> -> tensor<6xi32>
  %8 = shard.all_reduce %f on @ring grid_axes = [0] reduction = average : tensor<6xf32> -> tensor<6xf32>
  return %0, %1, %2, %3, %4, %5, %6, %7, %8 : tensor<6xi32>, tensor<6xi32>, tensor<6xi32>, tensor<6xf32>, tensor<6xf32>, tensor<6xi32>, tensor<6xi32>, tensor<6xi32>, tensor<6xf32>
}

// -----

// A ring of one, or no grid axis: nothing travels, the value is its own.
// CHECK-LABEL: func.func @alone
// CHECK-SAME: (%[[X:.*]]: tensor<8xf32>, %[[Y:.*]]: tensor<8xf32>)
// CHECK-NOT: ring.shift_start
// CHECK: return %[[X]], %[[Y]]
shard.grid @one(shape = 1)
shard.grid @ring(shape = 4)
func.func @alone(%x: tensor<8xf32>, %y: tensor<8xf32>) -> (tensor<8xf32>, tensor<8xf32>) {
  %0 = shard.all_reduce %x on @one grid_axes = [0] : tensor<8xf32> -> tensor<8xf32>
  %1 = shard.all_reduce %y on @ring : tensor<8xf32> -> tensor<8xf32>
  return %0, %1 : tensor<8xf32>, tensor<8xf32>
}

// -----

shard.grid @ring(shape = 4)
func.func @buffers(%x: memref<8xf32>) -> memref<8xf32> {
  // expected-error @+1 {{shard.all_reduce is on buffers: the ring all-reduce runs before bufferization, on tensors}}
  %r = shard.all_reduce %x on @ring grid_axes = [0] : memref<8xf32> -> memref<8xf32>
  return %r : memref<8xf32>
}

// -----

shard.grid @ring(shape = 4)
func.func @dynamic(%x: tensor<?xf32>) -> tensor<?xf32> {
  // expected-error @+1 {{shard.all_reduce has a dynamic shape: the ring all-reduce cuts the tensor into rows of a static size}}
  %r = shard.all_reduce %x on @ring grid_axes = [0] : tensor<?xf32> -> tensor<?xf32>
  return %r : tensor<?xf32>
}

// -----

shard.grid @ring(shape = 4)
func.func @bits(%x: tensor<8xi1>) -> tensor<8xi1> {
  // expected-error @+1 {{shard.all_reduce reduces elements of type i1: the ring sends whole bytes of floats and integers}}
  %r = shard.all_reduce %x on @ring grid_axes = [0] reduction = bitwise_or : tensor<8xi1> -> tensor<8xi1>
  return %r : tensor<8xi1>
}

// -----

shard.grid @ring(shape = 4)
func.func @widen(%x: tensor<8xf32>) -> tensor<8xf64> {
  // expected-error @+1 {{shard.all_reduce converts f32 to f64: the ring all-reduce keeps the element type (f16 and bf16 are summed in f32 already)}}
  %r = shard.all_reduce %x on @ring grid_axes = [0] : tensor<8xf32> -> tensor<8xf64>
  return %r : tensor<8xf64>
}

// -----

shard.grid @ring(shape = 4)
func.func @generic(%x: tensor<8xf32>) -> tensor<8xf32> {
  // expected-error @+1 {{shard.all_reduce has a generic reduction: the ring all-reduce knows sum, max, min, product, average and the bitwise ones}}
  %r = shard.all_reduce %x on @ring grid_axes = [0] reduction = generic : tensor<8xf32> -> tensor<8xf32>
  return %r : tensor<8xf32>
}

// -----

shard.grid @ring(shape = 4)
func.func @integer_average(%x: tensor<8xi32>) -> tensor<8xi32> {
  // expected-error @+1 {{shard.all_reduce averages integers: the mean of integers would round}}
  %r = shard.all_reduce %x on @ring grid_axes = [0] reduction = average : tensor<8xi32> -> tensor<8xi32>
  return %r : tensor<8xi32>
}

// -----

shard.grid @ring(shape = 4)
func.func @float_bits(%x: tensor<8xf32>) -> tensor<8xf32> {
  // expected-error @+1 {{shard.all_reduce applies a bitwise reduction to floats}}
  %r = shard.all_reduce %x on @ring grid_axes = [0] reduction = bitwise_xor : tensor<8xf32> -> tensor<8xf32>
  return %r : tensor<8xf32>
}

// -----

shard.grid @grid(shape = 2x2)
func.func @two_axes(%x: tensor<8xf32>) -> tensor<8xf32> {
  // expected-error @+1 {{shard.all_reduce is on a grid that is not one axis of static size: the runtime's ring spans all ranks}}
  %r = shard.all_reduce %x on @grid grid_axes = [0] : tensor<8xf32> -> tensor<8xf32>
  return %r : tensor<8xf32>
}

// -----

shard.grid @ring(shape = ?)
func.func @dynamic_grid(%x: tensor<8xf32>) -> tensor<8xf32> {
  // expected-error @+1 {{shard.all_reduce is on a grid that is not one axis of static size: the runtime's ring spans all ranks}}
  %r = shard.all_reduce %x on @ring grid_axes = [0] : tensor<8xf32> -> tensor<8xf32>
  return %r : tensor<8xf32>
}

// -----

shard.grid @ring(shape = 4)
func.func @gather(%x: tensor<2xf32>) -> tensor<8xf32> {
  // expected-error @+1 {{shard.all_gather has no ring form: the ring lowers shard.all_reduce only}}
  %r = shard.all_gather %x on @ring grid_axes = [0] gather_axis = 0 : tensor<2xf32> -> tensor<8xf32>
  return %r : tensor<8xf32>
}
