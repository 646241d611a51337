// RUN: ring-opt %s -split-input-file -canonicalize | FileCheck %s

shard.grid @ring(shape = 4)

// A shift by a multiple of the ring size returns every value to its sender.
// CHECK-LABEL: func.func @identity_shift
// CHECK-SAME: (%[[KV:.*]]: tensor<1x2x8x16xf32>)
// CHECK-NOT: ring.shift_start
// CHECK-NOT: ring.shift_wait
// CHECK: return %[[KV]], %[[KV]]
func.func @identity_shift(%kv: tensor<1x2x8x16xf32>) -> (tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>) {
  %f = ring.shift_start %kv ring @ring axis 0 offset 4 : tensor<1x2x8x16xf32>
  %a = ring.shift_wait %f : !ring.future<tensor<1x2x8x16xf32>>
  %g = ring.shift_start %kv ring @ring axis 0 offset -8 : tensor<1x2x8x16xf32>
  %b = ring.shift_wait %g : !ring.future<tensor<1x2x8x16xf32>>
  return %a, %b : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>
}

// A real shift stays, and so does one whose result is unused: every rank
// must issue the same shifts.
// CHECK-LABEL: func.func @real_shift
// CHECK: ring.shift_start %{{.*}} ring @ring axis 0 offset 3
// CHECK: ring.shift_wait
// CHECK: ring.shift_start %{{.*}} ring @ring axis 0 :
// CHECK: ring.shift_wait
func.func @real_shift(%kv: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  %f = ring.shift_start %kv ring @ring axis 0 offset 3 : tensor<1x2x8x16xf32>
  %a = ring.shift_wait %f : !ring.future<tensor<1x2x8x16xf32>>
  %g = ring.shift_start %kv ring @ring axis 0 : tensor<1x2x8x16xf32>
  %b = ring.shift_wait %g : !ring.future<tensor<1x2x8x16xf32>>
  return %a : tensor<1x2x8x16xf32>
}

// -----

shard.grid @single(shape = 1)

// On a one-rank axis every shift is the identity.
// CHECK-LABEL: func.func @single_rank
// CHECK-NOT: ring.shift
func.func @single_rank(%kv: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  %f = ring.shift_start %kv ring @single axis 0 : tensor<1x2x8x16xf32>
  %a = ring.shift_wait %f : !ring.future<tensor<1x2x8x16xf32>>
  return %a : tensor<1x2x8x16xf32>
}

// -----

// A partial in which no key was visible (lse = -inf everywhere) contributes
// nothing to a combine.
// CHECK-LABEL: func.func @combine_with_empty
// CHECK-SAME: (%[[O:.*]]: tensor<1x2x8x16xf32>, %[[L:.*]]: tensor<1x2x8xf32>, %[[E:.*]]: tensor<1x2x8x16xf32>)
// CHECK-NOT: ring.combine
// CHECK: return %[[O]], %[[L]], %[[O]], %[[L]]
func.func @combine_with_empty(%o: tensor<1x2x8x16xf32>, %l: tensor<1x2x8xf32>, %e: tensor<1x2x8x16xf32>) -> (tensor<1x2x8x16xf32>, tensor<1x2x8xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8xf32>) {
  %ninf = arith.constant dense<0xFF800000> : tensor<1x2x8xf32>
  %a, %b = ring.combine (%o, %l), (%e, %ninf) into (%o, %l) : tensor<1x2x8x16xf32>, tensor<1x2x8xf32>
  %c, %d = ring.combine (%e, %ninf), (%o, %l) into (%e, %ninf) : tensor<1x2x8x16xf32>, tensor<1x2x8xf32>
  return %a, %b, %c, %d : tensor<1x2x8x16xf32>, tensor<1x2x8xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8xf32>
}

// A finite constant lse is a real partial: the combine stays.
// CHECK-LABEL: func.func @combine_with_finite
// CHECK: ring.combine
func.func @combine_with_finite(%o: tensor<1x2x8x16xf32>, %l: tensor<1x2x8xf32>) -> (tensor<1x2x8x16xf32>, tensor<1x2x8xf32>) {
  %zero = arith.constant dense<0.0> : tensor<1x2x8xf32>
  %a, %b = ring.combine (%o, %l), (%o, %zero) into (%o, %l) : tensor<1x2x8x16xf32>, tensor<1x2x8xf32>
  return %a, %b : tensor<1x2x8x16xf32>, tensor<1x2x8xf32>
}

// -----

// On buffers nothing folds: the destinations still have to be written.
// CHECK-LABEL: func.func @combine_buffers_with_empty
// CHECK: ring.combine
func.func @combine_buffers_with_empty(%o: memref<1x2x8x16xf32>, %l: memref<1x2x8xf32>, %e: memref<1x2x8x16xf32>, %ninf: memref<1x2x8xf32>) {
  ring.combine (%o, %l), (%e, %ninf) into (%o, %l) : memref<1x2x8x16xf32>, memref<1x2x8xf32>
  return
}

// -----

// A block's f32 output rounded to the query's type, and nothing else using
// it: the block writes the rounded output itself.
// CHECK-LABEL: func.func @final_output_rounded_in_block
// CHECK: %[[OUT:.*]] = tensor.empty() : tensor<1x2x8x16xbf16>
// CHECK: %[[R:.*]]:2 = ring.block_attention %{{.*}}, %{{.*}}, %{{.*}} into %[[OUT]], %{{.*}} causal
// CHECK-SAME: -> tensor<1x2x8x16xbf16>, tensor<1x2x8xf32>
// CHECK-NOT: arith.truncf
// CHECK: return %[[R]]#0, %[[R]]#1
func.func @final_output_rounded_in_block(%q: tensor<1x2x8x16xbf16>, %i: index) -> (tensor<1x2x8x16xbf16>, tensor<1x2x8xf32>) {
  %od = tensor.empty() : tensor<1x2x8x16xf32>
  %ld = tensor.empty() : tensor<1x2x8xf32>
  %o, %l = ring.block_attention %q, %q, %q into %od, %ld causal query_pos(%i, 1) key_pos(%i, 1) : tensor<1x2x8x16xbf16>, tensor<1x2x8x16xbf16>, tensor<1x2x8x16xbf16> -> tensor<1x2x8x16xf32>, tensor<1x2x8xf32>
  %r = arith.truncf %o : tensor<1x2x8x16xf32> to tensor<1x2x8x16xbf16>
  return %r, %l : tensor<1x2x8x16xbf16>, tensor<1x2x8xf32>
}

// -----

// The f32 output stays where something else reads it (a merge), where the
// rounding is to another type or has its own mode, and where the block
// writes into a given tensor rather than a fresh one.
// CHECK-LABEL: func.func @partial_outputs_stay_f32
// CHECK: ring.block_attention {{.*}} -> tensor<1x2x8x16xf32>, tensor<1x2x8xf32>
// CHECK-NEXT: arith.truncf
// CHECK-NEXT: ring.combine
// CHECK-NEXT: ring.block_attention {{.*}} -> tensor<1x2x8x16xf32>, tensor<1x2x8xf32>
// CHECK-NEXT: arith.truncf {{.*}} to tensor<1x2x8x16xbf16>
// CHECK-NEXT: ring.block_attention {{.*}} -> tensor<1x2x8x16xf32>, tensor<1x2x8xf32>
// CHECK-NEXT: arith.truncf {{.*}} to_nearest_away
// CHECK-NEXT: ring.block_attention %{{.*}}, %{{.*}}, %{{.*}} into %arg1, {{.*}} -> tensor<1x2x8x16xf32>, tensor<1x2x8xf32>
// CHECK-NEXT: arith.truncf
func.func @partial_outputs_stay_f32(%q: tensor<1x2x8x16xf16>, %given: tensor<1x2x8x16xf32>)
    -> (tensor<1x2x8x16xf16>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xbf16>, tensor<1x2x8x16xf16>, tensor<1x2x8x16xf16>) {
  %od = tensor.empty() : tensor<1x2x8x16xf32>
  %ld = tensor.empty() : tensor<1x2x8xf32>
  %o, %l = ring.block_attention %q, %q, %q into %od, %ld : tensor<1x2x8x16xf16>, tensor<1x2x8x16xf16>, tensor<1x2x8x16xf16> -> tensor<1x2x8x16xf32>, tensor<1x2x8xf32>
  %r = arith.truncf %o : tensor<1x2x8x16xf32> to tensor<1x2x8x16xf16>
  %c:2 = ring.combine (%o, %l), (%o, %l) into (%od, %ld) : tensor<1x2x8x16xf32>, tensor<1x2x8xf32>
  %o2, %l2 = ring.block_attention %q, %q, %q into %od, %ld : tensor<1x2x8x16xf16>, tensor<1x2x8x16xf16>, tensor<1x2x8x16xf16> -> tensor<1x2x8x16xf32>, tensor<1x2x8xf32>
  %r2 = arith.truncf %o2 : tensor<1x2x8x16xf32> to tensor<1x2x8x16xbf16>
  %o3, %l3 = ring.block_attention %q, %q, %q into %od, %ld : tensor<1x2x8x16xf16>, tensor<1x2x8x16xf16>, tensor<1x2x8x16xf16> -> tensor<1x2x8x16xf32>, tensor<1x2x8xf32>
  %r3 = arith.truncf %o3 to_nearest_away : tensor<1x2x8x16xf32> to tensor<1x2x8x16xf16>
  %o4, %l4 = ring.block_attention %q, %q, %q into %given, %ld : tensor<1x2x8x16xf16>, tensor<1x2x8x16xf16>, tensor<1x2x8x16xf16> -> tensor<1x2x8x16xf32>, tensor<1x2x8xf32>
  %r4 = arith.truncf %o4 : tensor<1x2x8x16xf32> to tensor<1x2x8x16xf16>
  return %r, %c#0, %r2, %r3, %r4 : tensor<1x2x8x16xf16>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xbf16>, tensor<1x2x8x16xf16>, tensor<1x2x8x16xf16>
}
