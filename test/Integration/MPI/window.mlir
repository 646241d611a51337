// Sliding windows on MPI processes: the training step passes its check,
// gives the threads backend's gradients bit for bit, and sends what the
// window plans (the ranks' counts gathered to the root): on 4 ranks of 24
// tokens a causal window of 30 reaches two ranks back, so 4 x (4 + 4 + 4
// + 2) = 56 shifts of 6 KiB (f32) instead of the full ring's 4 x (6 + 6 +
// 6 + 2) = 80; a two-sided window passes on 3 ranks too.
// REQUIRES: mpi
// RUN: rm -rf %t && mkdir -p %t
// RUN: sed -e 's/@N@/4/g' -e 's/@L@/24/g' -e 's/@T@/f32/g' -e 's/@LAYOUT@/contiguous/g' -e 's/@CAUSAL@/causal window_left 30/g' -e 's/@HKV@/2/g' %S/../Ring/Inputs/train.mlir.in > %t/causal.mlir
// RUN: ring-run %t/causal.mlir --grad --seed 8 --output %t/t-o.npy --grad-outputs %t/t-dq.npy,%t/t-dk.npy,%t/t-dv.npy
// RUN: timeout 120 %mpirun -np 4 ring-run %t/causal.mlir --backend mpi --grad --check --seed 8 --output %t/m-o.npy --grad-outputs %t/m-dq.npy,%t/m-dk.npy,%t/m-dv.npy | FileCheck %s --check-prefixes=CHECK,CAUSAL
// RUN: cmp %t/t-o.npy %t/m-o.npy
// RUN: cmp %t/t-dq.npy %t/m-dq.npy
// RUN: cmp %t/t-dk.npy %t/m-dk.npy
// RUN: cmp %t/t-dv.npy %t/m-dv.npy
// RUN: sed -e 's/@N@/3/g' -e 's/@L@/32/g' -e 's/@T@/bf16/g' -e 's/@LAYOUT@/striped/g' -e 's/@CAUSAL@/window_left 7 window_right 3/g' -e 's/@HKV@/2/g' %S/../Ring/Inputs/train.mlir.in > %t/two-sided.mlir
// RUN: timeout 120 %mpirun -np 3 ring-run %t/two-sided.mlir --backend mpi --grad --check --seed 9 | FileCheck %s
// CAUSAL: sent: 56 shifts, 336.0 KiB over all ranks
// CHECK: check out: {{.*}} PASS
// CHECK: check dq: {{.*}} PASS
// CHECK: check dk: {{.*}} PASS
// CHECK: check dv: {{.*}} PASS
