// Upstream's shard-partition takes a single-device ring.attention through
// the ring dialect's sharding model: split along the sequence over a grid
// axis it becomes the ring form on that axis, on local shards; split
// nowhere it stays whole; split any other way it is an error that names
// the operand. Upstream mlir-opt does the same with the dialect plugin
// (test/Packaging/mlir-opt-plugin-partition.mlir).
// RUN: ring-opt %s -split-input-file -verify-diagnostics --pass-pipeline='builtin.module(func.func(shard-partition))' | FileCheck %s

// 4 query heads over 2 key/value heads, causal, 64 positions split over
// the 4 ranks of a 1-D grid: 16 local positions each.
// CHECK-LABEL: func.func @sequence_split(
// CHECK-SAME: %[[Q:[^:]*]]: tensor<1x4x16x16xf32>, %[[K:[^:]*]]: tensor<1x2x16x16xf32>, %[[V:[^:]*]]: tensor<1x2x16x16xf32>) -> tensor<1x4x16x16xf32>
// CHECK-NEXT: %[[O:.*]] = ring.attention %[[Q]], %[[K]], %[[V]] causal scale 2.500000e-01 ring @grid axis 0 : tensor<1x4x16x16xf32>, tensor<1x2x16x16xf32>, tensor<1x2x16x16xf32>
// CHECK-NEXT: return %[[O]]
shard.grid @grid(shape = 4)
func.func @sequence_split(%q: tensor<1x4x64x16xf32>, %k: tensor<1x2x64x16xf32>, %v: tensor<1x2x64x16xf32>) -> tensor<1x4x64x16xf32> {
  %seq = shard.sharding @grid split_axes = [[], [], [0]] : !shard.sharding
  %q0 = shard.shard %q to %seq : tensor<1x4x64x16xf32>
  %q1 = shard.shard %q0 to %seq annotate_for_users : tensor<1x4x64x16xf32>
  %k0 = shard.shard %k to %seq : tensor<1x2x64x16xf32>
  %k1 = shard.shard %k0 to %seq annotate_for_users : tensor<1x2x64x16xf32>
  %v0 = shard.shard %v to %seq : tensor<1x2x64x16xf32>
  %v1 = shard.shard %v0 to %seq annotate_for_users : tensor<1x2x64x16xf32>
  %o = ring.attention %q1, %k1, %v1 causal scale 0.25 : tensor<1x4x64x16xf32>, tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>
  %o0 = shard.shard %o to %seq : tensor<1x4x64x16xf32>
  %o1 = shard.shard %o0 to %seq annotate_for_users : tensor<1x4x64x16xf32>
  return %o1 : tensor<1x4x64x16xf32>
}

// -----

// Sinks (replicated), a window and the log-sum-exp (split as the output
// is) over the 4 ranks of the grid: 8 local positions each.
// CHECK-LABEL: func.func @sinks_window_lse(
// CHECK-SAME: %[[Q:[^:]*]]: tensor<1x2x8x16xf32>, %[[S:[^:]*]]: tensor<2xf32>)
// CHECK-NEXT: %[[O:.*]], %[[L:.*]] = ring.attention %[[Q]], %[[Q]], %[[Q]] sinks(%[[S]] : tensor<2xf32>) causal window_left 5 ring @grid axis 0 : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8xf32>
// CHECK-NEXT: return %[[O]], %[[L]] : tensor<1x2x8x16xf32>, tensor<1x2x8xf32>
shard.grid @grid(shape = 4)
func.func @sinks_window_lse(%q: tensor<1x2x32x16xf32>, %s: tensor<2xf32>) -> (tensor<1x2x32x16xf32>, tensor<1x2x32xf32>) {
  %seq = shard.sharding @grid split_axes = [[], [], [0]] : !shard.sharding
  %all = shard.sharding @grid split_axes = [[]] : !shard.sharding
  %q0 = shard.shard %q to %seq : tensor<1x2x32x16xf32>
  %q1 = shard.shard %q0 to %seq annotate_for_users : tensor<1x2x32x16xf32>
  %s0 = shard.shard %s to %all : tensor<2xf32>
  %s1 = shard.shard %s0 to %all annotate_for_users : tensor<2xf32>
  %o, %lse = ring.attention %q1, %q1, %q1 sinks(%s1 : tensor<2xf32>) causal window_left 5 : tensor<1x2x32x16xf32>, tensor<1x2x32x16xf32>, tensor<1x2x32x16xf32> -> tensor<1x2x32xf32>
  %o0 = shard.shard %o to %seq : tensor<1x2x32x16xf32>
  %o1 = shard.shard %o0 to %seq annotate_for_users : tensor<1x2x32x16xf32>
  %l0 = shard.shard %lse to %seq : tensor<1x2x32xf32>
  %l1 = shard.shard %l0 to %seq annotate_for_users : tensor<1x2x32xf32>
  return %o1, %l1 : tensor<1x2x32x16xf32>, tensor<1x2x32xf32>
}

// -----

// Nothing split: every rank computes the whole attention.
// CHECK-LABEL: func.func @replicated(
// CHECK-SAME: tensor<1x2x32x16xf32>
// CHECK-NEXT: ring.attention %{{.*}}, %{{.*}}, %{{.*}} : tensor<1x2x32x16xf32>
// CHECK-NOT: ring @
shard.grid @grid(shape = 4)
func.func @replicated(%q: tensor<1x2x32x16xf32>) -> tensor<1x2x32x16xf32> {
  %all = shard.sharding @grid split_axes = [[]] : !shard.sharding
  %q0 = shard.shard %q to %all : tensor<1x2x32x16xf32>
  %q1 = shard.shard %q0 to %all annotate_for_users : tensor<1x2x32x16xf32>
  %o = ring.attention %q1, %q1, %q1 : tensor<1x2x32x16xf32>, tensor<1x2x32x16xf32>, tensor<1x2x32x16xf32>
  %o0 = shard.shard %o to %all : tensor<1x2x32x16xf32>
  %o1 = shard.shard %o0 to %all annotate_for_users : tensor<1x2x32x16xf32>
  return %o1 : tensor<1x2x32x16xf32>
}

// -----

// The heads split: the ring has no partition for it.
shard.grid @grid(shape = 2)
func.func @heads_split(%q: tensor<1x2x32x16xf32>) -> tensor<1x2x32x16xf32> {
  %heads = shard.sharding @grid split_axes = [[], [0]] : !shard.sharding
  %q0 = shard.shard %q to %heads : tensor<1x2x32x16xf32>
  %q1 = shard.shard %q0 to %heads annotate_for_users : tensor<1x2x32x16xf32>
  // expected-error @+1 {{'ring.attention' op cannot be partitioned: operand #0 is split in a way the ring cannot take; the ring splits the sequence (dimension 2) of the query, keys, values and results evenly over one grid axis, without halos, and replicates sinks, document starts, placements and the sinks' gradient}}
  %o = ring.attention %q1, %q1, %q1 : tensor<1x2x32x16xf32>, tensor<1x2x32x16xf32>, tensor<1x2x32x16xf32>
  %o0 = shard.shard %o to %heads : tensor<1x2x32x16xf32>
  %o1 = shard.shard %o0 to %heads annotate_for_users : tensor<1x2x32x16xf32>
  return %o1 : tensor<1x2x32x16xf32>
}

// -----

// The keys whole while the query is split.
shard.grid @grid(shape = 2)
func.func @keys_whole(%q: tensor<1x2x32x16xf32>, %k: tensor<1x2x32x16xf32>) -> tensor<1x2x32x16xf32> {
  %seq = shard.sharding @grid split_axes = [[], [], [0]] : !shard.sharding
  %all = shard.sharding @grid split_axes = [[]] : !shard.sharding
  %q0 = shard.shard %q to %seq : tensor<1x2x32x16xf32>
  %q1 = shard.shard %q0 to %seq annotate_for_users : tensor<1x2x32x16xf32>
  %k0 = shard.shard %k to %all : tensor<1x2x32x16xf32>
  %k1 = shard.shard %k0 to %all annotate_for_users : tensor<1x2x32x16xf32>
  // expected-error @+1 {{'ring.attention' op cannot be partitioned: operand #1 is not split as the query is}}
  %o = ring.attention %q1, %k1, %k1 : tensor<1x2x32x16xf32>, tensor<1x2x32x16xf32>, tensor<1x2x32x16xf32>
  %o0 = shard.shard %o to %seq : tensor<1x2x32x16xf32>
  %o1 = shard.shard %o0 to %seq annotate_for_users : tensor<1x2x32x16xf32>
  return %o1 : tensor<1x2x32x16xf32>
}

// -----

// The sinks split.
shard.grid @grid(shape = 2)
func.func @sinks_split(%q: tensor<1x2x32x16xf32>, %s: tensor<2xf32>) -> tensor<1x2x32x16xf32> {
  %seq = shard.sharding @grid split_axes = [[], [], [0]] : !shard.sharding
  %split = shard.sharding @grid split_axes = [[0]] : !shard.sharding
  %q0 = shard.shard %q to %seq : tensor<1x2x32x16xf32>
  %q1 = shard.shard %q0 to %seq annotate_for_users : tensor<1x2x32x16xf32>
  %s0 = shard.shard %s to %split : tensor<2xf32>
  %s1 = shard.shard %s0 to %split annotate_for_users : tensor<2xf32>
  // expected-error @+1 {{'ring.attention' op cannot be partitioned: operand #3 is split in a way the ring cannot take}}
  %o = ring.attention %q1, %q1, %q1 sinks(%s1 : tensor<2xf32>) : tensor<1x2x32x16xf32>, tensor<1x2x32x16xf32>, tensor<1x2x32x16xf32>
  %o0 = shard.shard %o to %seq : tensor<1x2x32x16xf32>
  %o1 = shard.shard %o0 to %seq annotate_for_users : tensor<1x2x32x16xf32>
  return %o1 : tensor<1x2x32x16xf32>
}

// -----

// Already a ring: its operands are shards, not the whole sequence.
shard.grid @grid(shape = 2)
func.func @already_a_ring(%q: tensor<1x2x32x16xf32>) -> tensor<1x2x32x16xf32> {
  %seq = shard.sharding @grid split_axes = [[], [], [0]] : !shard.sharding
  %q0 = shard.shard %q to %seq : tensor<1x2x32x16xf32>
  %q1 = shard.shard %q0 to %seq annotate_for_users : tensor<1x2x32x16xf32>
  // expected-error @+1 {{'ring.attention' op is already a ring: partition the single-device form}}
  %o = ring.attention %q1, %q1, %q1 ring @grid axis 0 : tensor<1x2x32x16xf32>, tensor<1x2x32x16xf32>, tensor<1x2x32x16xf32>
  %o0 = shard.shard %o to %seq : tensor<1x2x32x16xf32>
  %o1 = shard.shard %o0 to %seq annotate_for_users : tensor<1x2x32x16xf32>
  return %o1 : tensor<1x2x32x16xf32>
}

// -----

// The second axis of a 2-D grid: the runtime's ring spans all ranks.
shard.grid @grid(shape = 2x4)
func.func @two_axes(%q: tensor<1x2x32x16xf32>) -> tensor<1x2x32x16xf32> {
  %seq = shard.sharding @grid split_axes = [[], [], [1]] : !shard.sharding
  %q0 = shard.shard %q to %seq : tensor<1x2x32x16xf32>
  %q1 = shard.shard %q0 to %seq annotate_for_users : tensor<1x2x32x16xf32>
  // expected-error @+1 {{'ring.attention' op cannot be partitioned over grid @grid of rank 2: the ring form runs on a 1-D grid (the runtime's ring spans all ranks)}}
  %o = ring.attention %q1, %q1, %q1 : tensor<1x2x32x16xf32>, tensor<1x2x32x16xf32>, tensor<1x2x32x16xf32>
  %o0 = shard.shard %o to %seq : tensor<1x2x32x16xf32>
  %o1 = shard.shard %o0 to %seq annotate_for_users : tensor<1x2x32x16xf32>
  return %o1 : tensor<1x2x32x16xf32>
}

// -----

// The gradient, split along the sequence as the forward (its output,
// log-sum-exp and dout as the query): the ring form on local shards. Its
// ring form gives each rank the sinks' gradient over its own rows; the
// all-reduce over the axis sums them into the single-device op's.
// CHECK-LABEL: func.func @gradient(
// CHECK-SAME: %[[Q:[^:]*]]: tensor<1x4x16x16xf32>, %[[K:[^:]*]]: tensor<1x2x16x16xf32>, %[[O:[^:]*]]: tensor<1x4x16x16xf32>, %[[L:[^:]*]]: tensor<1x4x16xf32>, %[[S:[^:]*]]: tensor<4xf32>)
// CHECK-NEXT: %[[DQ:.*]], %[[DK:.*]], %[[DV:.*]], %[[DS:.*]] = ring.attention_grad %[[Q]], %[[K]], %[[K]], %[[O]], %[[L]], %[[O]] sinks(%[[S]] : tensor<4xf32>) causal ring @grid axis 0 : tensor<1x4x16x16xf32>, tensor<1x2x16x16xf32>, tensor<1x2x16x16xf32>, tensor<1x4x16xf32> -> tensor<4xf32>
// CHECK-NEXT: %[[SUM:.*]] = shard.all_reduce %[[DS]] on @grid grid_axes = [0] : tensor<4xf32> -> tensor<4xf32>
// CHECK-NEXT: return %[[DQ]], %[[DK]], %[[DV]], %[[SUM]] : tensor<1x4x16x16xf32>, tensor<1x2x16x16xf32>, tensor<1x2x16x16xf32>, tensor<4xf32>
shard.grid @grid(shape = 4)
func.func @gradient(%q: tensor<1x4x64x16xf32>, %k: tensor<1x2x64x16xf32>, %o: tensor<1x4x64x16xf32>, %l: tensor<1x4x64xf32>, %s: tensor<4xf32>) -> (tensor<1x4x64x16xf32>, tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>, tensor<4xf32>) {
  %seq = shard.sharding @grid split_axes = [[], [], [0]] : !shard.sharding
  %all = shard.sharding @grid split_axes = [[]] : !shard.sharding
  %q0 = shard.shard %q to %seq : tensor<1x4x64x16xf32>
  %q1 = shard.shard %q0 to %seq annotate_for_users : tensor<1x4x64x16xf32>
  %k0 = shard.shard %k to %seq : tensor<1x2x64x16xf32>
  %k1 = shard.shard %k0 to %seq annotate_for_users : tensor<1x2x64x16xf32>
  %o0 = shard.shard %o to %seq : tensor<1x4x64x16xf32>
  %o1 = shard.shard %o0 to %seq annotate_for_users : tensor<1x4x64x16xf32>
  %l0 = shard.shard %l to %seq : tensor<1x4x64xf32>
  %l1 = shard.shard %l0 to %seq annotate_for_users : tensor<1x4x64xf32>
  %s0 = shard.shard %s to %all : tensor<4xf32>
  %s1 = shard.shard %s0 to %all annotate_for_users : tensor<4xf32>
  %dq, %dk, %dv, %ds = ring.attention_grad %q1, %k1, %k1, %o1, %l1, %o1 sinks(%s1 : tensor<4xf32>) causal : tensor<1x4x64x16xf32>, tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>, tensor<1x4x64xf32> -> tensor<4xf32>
  %dq0 = shard.shard %dq to %seq : tensor<1x4x64x16xf32>
  %dq1 = shard.shard %dq0 to %seq annotate_for_users : tensor<1x4x64x16xf32>
  %dk0 = shard.shard %dk to %seq : tensor<1x2x64x16xf32>
  %dk1 = shard.shard %dk0 to %seq annotate_for_users : tensor<1x2x64x16xf32>
  %dv0 = shard.shard %dv to %seq : tensor<1x2x64x16xf32>
  %dv1 = shard.shard %dv0 to %seq annotate_for_users : tensor<1x2x64x16xf32>
  %ds0 = shard.shard %ds to %all : tensor<4xf32>
  %ds1 = shard.shard %ds0 to %all annotate_for_users : tensor<4xf32>
  return %dq1, %dk1, %dv1, %ds1 : tensor<1x4x64x16xf32>, tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>, tensor<4xf32>
}

// -----

// The gradient of the output (dout) whole while the query is split.
shard.grid @grid(shape = 2)
func.func @gradient_dout_whole(%q: tensor<1x2x32x16xf32>, %l: tensor<1x2x32xf32>, %d: tensor<1x2x32x16xf32>) -> tensor<1x2x32x16xf32> {
  %seq = shard.sharding @grid split_axes = [[], [], [0]] : !shard.sharding
  %all = shard.sharding @grid split_axes = [[]] : !shard.sharding
  %q0 = shard.shard %q to %seq : tensor<1x2x32x16xf32>
  %q1 = shard.shard %q0 to %seq annotate_for_users : tensor<1x2x32x16xf32>
  %l0 = shard.shard %l to %seq : tensor<1x2x32xf32>
  %l1 = shard.shard %l0 to %seq annotate_for_users : tensor<1x2x32xf32>
  %d0 = shard.shard %d to %all : tensor<1x2x32x16xf32>
  %d1 = shard.shard %d0 to %all annotate_for_users : tensor<1x2x32x16xf32>
  // expected-error @+1 {{'ring.attention_grad' op cannot be partitioned: operand #5 is not split as the query is}}
  %dq, %dk, %dv = ring.attention_grad %q1, %q1, %q1, %q1, %l1, %d1 : tensor<1x2x32x16xf32>, tensor<1x2x32x16xf32>, tensor<1x2x32x16xf32>, tensor<1x2x32xf32>
  %dq0 = shard.shard %dq to %seq : tensor<1x2x32x16xf32>
  %dq1 = shard.shard %dq0 to %seq annotate_for_users : tensor<1x2x32x16xf32>
  return %dq1 : tensor<1x2x32x16xf32>
}

// -----

// The sinks' gradient split: it is a sum over every row, whole on each
// rank.
shard.grid @grid(shape = 2)
func.func @gradient_dsinks_split(%q: tensor<1x2x32x16xf32>, %l: tensor<1x2x32xf32>, %s: tensor<2xf32>) -> (tensor<1x2x32x16xf32>, tensor<1x2x32x16xf32>, tensor<1x2x32x16xf32>, tensor<2xf32>) {
  %seq = shard.sharding @grid split_axes = [[], [], [0]] : !shard.sharding
  %all = shard.sharding @grid split_axes = [[]] : !shard.sharding
  %split = shard.sharding @grid split_axes = [[0]] : !shard.sharding
  %q0 = shard.shard %q to %seq : tensor<1x2x32x16xf32>
  %q1 = shard.shard %q0 to %seq annotate_for_users : tensor<1x2x32x16xf32>
  %l0 = shard.shard %l to %seq : tensor<1x2x32xf32>
  %l1 = shard.shard %l0 to %seq annotate_for_users : tensor<1x2x32xf32>
  %s0 = shard.shard %s to %all : tensor<2xf32>
  %s1 = shard.shard %s0 to %all annotate_for_users : tensor<2xf32>
  // expected-error @+1 {{'ring.attention_grad' op cannot be partitioned: result #3 is split in a way the ring cannot take}}
  %dq, %dk, %dv, %ds = ring.attention_grad %q1, %q1, %q1, %q1, %l1, %q1 sinks(%s1 : tensor<2xf32>) : tensor<1x2x32x16xf32>, tensor<1x2x32x16xf32>, tensor<1x2x32x16xf32>, tensor<1x2x32xf32> -> tensor<2xf32>
  %dq0 = shard.shard %dq to %seq : tensor<1x2x32x16xf32>
  %dq1 = shard.shard %dq0 to %seq annotate_for_users : tensor<1x2x32x16xf32>
  %dk0 = shard.shard %dk to %seq : tensor<1x2x32x16xf32>
  %dk1 = shard.shard %dk0 to %seq annotate_for_users : tensor<1x2x32x16xf32>
  %dv0 = shard.shard %dv to %seq : tensor<1x2x32x16xf32>
  %dv1 = shard.shard %dv0 to %seq annotate_for_users : tensor<1x2x32x16xf32>
  %ds0 = shard.shard %ds to %split : tensor<2xf32>
  %ds1 = shard.shard %ds0 to %split annotate_for_users : tensor<2xf32>
  return %dq1, %dk1, %dv1, %ds1 : tensor<1x2x32x16xf32>, tensor<1x2x32x16xf32>, tensor<1x2x32x16xf32>, tensor<2xf32>
}

// -----

// The ring form of the gradient is already partitioned.
shard.grid @grid(shape = 2)
func.func @gradient_already_a_ring(%q: tensor<1x2x32x16xf32>, %l: tensor<1x2x32xf32>) -> tensor<1x2x32x16xf32> {
  %seq = shard.sharding @grid split_axes = [[], [], [0]] : !shard.sharding
  %q0 = shard.shard %q to %seq : tensor<1x2x32x16xf32>
  %q1 = shard.shard %q0 to %seq annotate_for_users : tensor<1x2x32x16xf32>
  %l0 = shard.shard %l to %seq : tensor<1x2x32xf32>
  %l1 = shard.shard %l0 to %seq annotate_for_users : tensor<1x2x32xf32>
  // expected-error @+1 {{'ring.attention_grad' op is already a ring: partition the single-device form}}
  %dq, %dk, %dv = ring.attention_grad %q1, %q1, %q1, %q1, %l1, %q1 ring @grid axis 0 : tensor<1x2x32x16xf32>, tensor<1x2x32x16xf32>, tensor<1x2x32x16xf32>, tensor<1x2x32xf32>
  %dq0 = shard.shard %dq to %seq : tensor<1x2x32x16xf32>
  %dq1 = shard.shard %dq0 to %seq annotate_for_users : tensor<1x2x32x16xf32>
  return %dq1 : tensor<1x2x32x16xf32>
}
