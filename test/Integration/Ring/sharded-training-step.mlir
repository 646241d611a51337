// A training step written on the global sequence, split over the 4 ranks
// of a shard.grid by shard.shard annotations (the forward returning its
// log-sum-exp, then ring.attention_grad, both single-device): upstream's
// shard-partition, through the ring dialect's sharding models, makes both
// the ring form on local shards, and ring-run runs the step on 4 in-process
// ranks and on 4 MPI processes, checking the output and every gradient
// against float64.
// RUN: rm -rf %t && mkdir -p %t
// RUN: ring-opt %s --pass-pipeline='builtin.module(func.func(shard-partition))' -o %t/ring.mlir
// RUN: FileCheck %s --check-prefix=RING --input-file %t/ring.mlir
// RUN: ring-run %t/ring.mlir --grad --check --seed 3 | FileCheck %s
// RUN: %if mpi %{ timeout 120 %mpirun -np 4 ring-run %t/ring.mlir --backend mpi --grad --check --seed 3 | FileCheck %s %}
// RING: func.func @train(%{{.*}}: tensor<1x4x16x16xf32>, %{{.*}}: tensor<1x2x16x16xf32>, %{{.*}}: tensor<1x2x16x16xf32>, %{{.*}}: tensor<1x4x16x16xf32>)
// RING-NEXT: ring.attention %{{.*}} causal scale 2.500000e-01 ring @ring axis 0 :
// RING-NEXT: ring.attention_grad %{{.*}} causal scale 2.500000e-01 ring @ring axis 0 :
// RING-NEXT: return
// CHECK: ring: 4 ranks
// CHECK: check out: {{.*}} PASS
// CHECK: check dq: {{.*}} PASS
// CHECK: check dk: {{.*}} PASS
// CHECK: check dv: {{.*}} PASS

shard.grid @ring(shape = 4)
func.func @train(%q: tensor<1x4x64x16xf32>, %k: tensor<1x2x64x16xf32>, %v: tensor<1x2x64x16xf32>, %do: tensor<1x4x64x16xf32>) -> (tensor<1x4x64x16xf32>, tensor<1x4x64x16xf32>, tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>) {
  %seq = shard.sharding @ring split_axes = [[], [], [0]] : !shard.sharding
  %q0 = shard.shard %q to %seq : tensor<1x4x64x16xf32>
  %q1 = shard.shard %q0 to %seq annotate_for_users : tensor<1x4x64x16xf32>
  %k0 = shard.shard %k to %seq : tensor<1x2x64x16xf32>
  %k1 = shard.shard %k0 to %seq annotate_for_users : tensor<1x2x64x16xf32>
  %v0 = shard.shard %v to %seq : tensor<1x2x64x16xf32>
  %v1 = shard.shard %v0 to %seq annotate_for_users : tensor<1x2x64x16xf32>
  %d0 = shard.shard %do to %seq : tensor<1x4x64x16xf32>
  %d1 = shard.shard %d0 to %seq annotate_for_users : tensor<1x4x64x16xf32>
  %o, %l = ring.attention %q1, %k1, %v1 causal scale 0.25 : tensor<1x4x64x16xf32>, tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32> -> tensor<1x4x64xf32>
  %o0 = shard.shard %o to %seq : tensor<1x4x64x16xf32>
  %o1 = shard.shard %o0 to %seq annotate_for_users : tensor<1x4x64x16xf32>
  %l0 = shard.shard %l to %seq : tensor<1x4x64xf32>
  %l1 = shard.shard %l0 to %seq annotate_for_users : tensor<1x4x64xf32>
  %dq, %dk, %dv = ring.attention_grad %q1, %k1, %v1, %o1, %l1, %d1 causal scale 0.25 : tensor<1x4x64x16xf32>, tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>, tensor<1x4x64xf32>
  %dq0 = shard.shard %dq to %seq : tensor<1x4x64x16xf32>
  %dq1 = shard.shard %dq0 to %seq annotate_for_users : tensor<1x4x64x16xf32>
  %dk0 = shard.shard %dk to %seq : tensor<1x2x64x16xf32>
  %dk1 = shard.shard %dk0 to %seq annotate_for_users : tensor<1x2x64x16xf32>
  %dv0 = shard.shard %dv to %seq : tensor<1x2x64x16xf32>
  %dv1 = shard.shard %dv0 to %seq annotate_for_users : tensor<1x2x64x16xf32>
  return %o1, %dq1, %dk1, %dv1 : tensor<1x4x64x16xf32>, tensor<1x4x64x16xf32>, tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>
}
