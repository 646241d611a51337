// Attention sinks need no kernel of their own (lib/Transforms/Sinks.h):
// - ring-add-training-steps threads them through the training step, whose
//   gradient returns dsinks, and ring-export-abi records their type;
// - the ring forward merges them once, after the last step, as one more
//   partial result (out 0, lse the sink broadcast over the rows);
// - the backward's blocks see them through the lse; only dsinks, one sum
//   over this rank's rows per head, is added (heads outermost, parallel);
// - one device merges them after its one block.
// RUN: rm -rf %t && split-file %s %t
// RUN: ring-opt %t/entry.mlir -ring-add-training-steps -ring-export-abi | FileCheck %s --check-prefix=ENTRY
// RUN: ring-opt %t/ring.mlir -ring-schedule | FileCheck %s --check-prefix=RING
// RUN: ring-opt %t/local.mlir -ring-lower-attention | FileCheck %s --check-prefix=LOCAL

//--- entry.mlir
shard.grid @ring(shape = 4)
func.func @attn(%q: tensor<1x4x16x8xf32>, %k: tensor<1x2x16x8xf32>, %v: tensor<1x2x16x8xf32>, %s: tensor<4xf32>) -> tensor<1x4x16x8xf32> {
  %o = ring.attention %q, %k, %v sinks(%s : tensor<4xf32>) causal ring @ring axis 0 : tensor<1x4x16x8xf32>, tensor<1x2x16x8xf32>, tensor<1x2x16x8xf32>
  return %o : tensor<1x4x16x8xf32>
}
// Sinks that are not the entry's fourth argument make no entry.
func.func @constant_sinks(%q: tensor<1x4x16x8xf32>, %k: tensor<1x2x16x8xf32>, %v: tensor<1x2x16x8xf32>) -> tensor<1x4x16x8xf32> {
  %s = arith.constant dense<1.0> : tensor<4xf32>
  %o = ring.attention %q, %k, %v sinks(%s : tensor<4xf32>) : tensor<1x4x16x8xf32>, tensor<1x2x16x8xf32>, tensor<1x2x16x8xf32>
  return %o : tensor<1x4x16x8xf32>
}

// ENTRY-LABEL: func.func @attn(
// ENTRY-SAME: %{{.*}}: tensor<4xf32>) -> tensor<1x4x16x8xf32>
// ENTRY-SAME: sinks = tensor<4xf32>
// ENTRY-LABEL: func.func @attn_grad(
// ENTRY-SAME: %[[S:[^:]*]]: tensor<4xf32>, %[[DO:[^:]*]]: tensor<1x4x16x8xf32>)
// ENTRY-SAME: -> (tensor<1x4x16x8xf32>, tensor<1x4x16x8xf32>, tensor<1x2x16x8xf32>, tensor<1x2x16x8xf32>, tensor<4xf32>)
// ENTRY-SAME: sinks = tensor<4xf32>, training = true
// ENTRY: %[[O:.*]], %[[LSE:.*]] = ring.attention {{.*}} sinks(%[[S]] : tensor<4xf32>) causal
// ENTRY: %[[DQ:.*]], %[[DK:.*]], %[[DV:.*]], %[[DS:.*]] = ring.attention_grad {{.*}}, %[[O]], %[[LSE]], %[[DO]] sinks(%[[S]] : tensor<4xf32>) causal
// ENTRY: return %[[O]], %[[DQ]], %[[DK]], %[[DV]], %[[DS]]
// ENTRY-LABEL: func.func @constant_sinks(
// ENTRY-NOT: ring.abi
// ENTRY-NOT: @constant_sinks_grad

//--- ring.mlir
shard.grid @ring(shape = 4)
func.func @schedule(%q: tensor<1x4x16x8xf32>, %k: tensor<1x2x16x8xf32>, %v: tensor<1x2x16x8xf32>, %s: tensor<4xf32>, %do: tensor<1x4x16x8xf32>, %l: tensor<1x4x16xf32>) -> (tensor<1x4x16x8xf32>, tensor<4xf32>) {
  %o = ring.attention %q, %k, %v sinks(%s : tensor<4xf32>) ring @ring axis 0 : tensor<1x4x16x8xf32>, tensor<1x2x16x8xf32>, tensor<1x2x16x8xf32>
  %dq, %dk, %dv, %ds = ring.attention_grad %q, %k, %v, %o, %l, %do sinks(%s : tensor<4xf32>) ring @ring axis 0 : tensor<1x4x16x8xf32>, tensor<1x2x16x8xf32>, tensor<1x2x16x8xf32>, tensor<1x4x16xf32> -> tensor<4xf32>
  return %o, %ds : tensor<1x4x16x8xf32>, tensor<4xf32>
}

// RING-DAG: #[[HEAD:.*]] = affine_map<(d0, d1, d2) -> (d0)>
// RING-DAG: #[[ROW:.*]] = affine_map<(d0, d1, d2) -> (d1, d0, d2)>
// RING-LABEL: func.func @schedule(
// RING-SAME: %[[SINKS:[^:]*]]: tensor<4xf32>
// RING: %[[RING:.*]]:2 = scf.for
// RING: %[[LAST:.*]]:2 = ring.combine(%[[RING]]#0, %[[RING]]#1)
// RING: %[[ZERO:.*]] = linalg.fill
// RING: %[[SINKLSE:.*]] = linalg.broadcast ins(%[[SINKS]] : tensor<4xf32>) outs(%{{.*}} : tensor<1x4x16xf32>) dimensions = [0, 2]
// RING: %[[OUT:.*]]:2 = ring.combine(%[[LAST]]#0, %[[LAST]]#1), (%[[ZERO]], %[[SINKLSE]]) into(%[[LAST]]#0, %[[LAST]]#1)
// RING: scf.for
// RING: ring.shift_start
// RING: linalg.generic {indexing_maps = [#[[HEAD]], #[[ROW]], #[[ROW]], #[[HEAD]]], iterator_types = ["parallel", "reduction", "reduction"]}
// RING-SAME: outs(%[[DSINKS:[^ ]*]] : memref<4xf32>)
// RING: arith.subf
// RING-NEXT: math.exp
// RING-NEXT: arith.mulf
// RING-NEXT: arith.subf
// RING: %[[RESULT:.*]] = bufferization.to_tensor %[[DSINKS]]
// RING: return %[[OUT]]#0, %[[RESULT]]

//--- local.mlir
func.func @local(%q: tensor<1x4x16x8xbf16>, %s: tensor<4xf32>) -> tensor<1x4x16x8xbf16> {
  %o = ring.attention %q, %q, %q sinks(%s : tensor<4xf32>) : tensor<1x4x16x8xbf16>, tensor<1x4x16x8xbf16>, tensor<1x4x16x8xbf16>
  return %o : tensor<1x4x16x8xbf16>
}

// The merge is in f32, before the one rounding to bf16.
// LOCAL-LABEL: func.func @local(
// LOCAL: %[[BLOCK:.*]]:2 = ring.block_attention
// LOCAL: linalg.broadcast
// LOCAL: %[[OUT:.*]]:2 = ring.combine(%[[BLOCK]]#0, %[[BLOCK]]#1)
// LOCAL: %[[ROUNDED:.*]] = arith.truncf %[[OUT]]#0 : tensor<1x4x16x8xf32> to tensor<1x4x16x8xbf16>
// LOCAL: return %[[ROUNDED]]
