// Attention sinks on MPI processes: the training step passes its check (the
// sinks' gradient is the sum of the ranks' parts, gathered to the root) and
// gives the threads backend's output and gradients bit for bit.
// REQUIRES: mpi
// RUN: rm -rf %t && mkdir -p %t
// RUN: sed -e 's/@N@/3/g' -e 's/@L@/32/g' -e 's/@T@/f32/g' -e 's/@LAYOUT@/zigzag/g' -e 's/@CAUSAL@/causal window_left 40/g' -e 's/@HKV@/2/g' %S/../Ring/Inputs/train-sinks.mlir.in > %t/sinks.mlir
// RUN: ring-run %t/sinks.mlir --grad --seed 5 --output %t/t-o.npy --grad-outputs %t/t-dq.npy,%t/t-dk.npy,%t/t-dv.npy
// RUN: timeout 120 %mpirun -np 3 ring-run %t/sinks.mlir --backend mpi --grad --check --seed 5 --output %t/m-o.npy --grad-outputs %t/m-dq.npy,%t/m-dk.npy,%t/m-dv.npy | FileCheck %s
// RUN: cmp %t/t-o.npy %t/m-o.npy
// RUN: cmp %t/t-dq.npy %t/m-dq.npy
// RUN: cmp %t/t-dk.npy %t/m-dk.npy
// RUN: cmp %t/t-dv.npy %t/m-dv.npy
// CHECK: check out: {{.*}} PASS
// CHECK: check dq: {{.*}} PASS
// CHECK: check dk: {{.*}} PASS
// CHECK: check dv: {{.*}} PASS
// CHECK: check dsinks: {{.*}} PASS
