// The training step on MPI processes passes its check and gives the same
// gradients as the threads backend, bit for bit (same compiled code, same
// shards, sums added in ring order on both), for every layout, causal or
// not, GQA, f32 and bf16.
// REQUIRES: mpi
// RUN: rm -rf %t && mkdir -p %t
// RUN: sed -e 's/@N@/3/g' -e 's/@L@/32/g' -e 's/@T@/f32/g' -e 's/@LAYOUT@/zigzag/g' -e 's/@CAUSAL@/causal/g' -e 's/@HKV@/2/g' %S/../Ring/Inputs/train.mlir.in > %t/zigzag.mlir
// RUN: ring-run %t/zigzag.mlir --grad --seed 5 --output %t/t-o.npy --grad-outputs %t/t-dq.npy,%t/t-dk.npy,%t/t-dv.npy
// RUN: timeout 120 %mpirun -np 3 ring-run %t/zigzag.mlir --backend mpi --grad --check --seed 5 --output %t/m-o.npy --grad-outputs %t/m-dq.npy,%t/m-dk.npy,%t/m-dv.npy | FileCheck %s
// RUN: cmp %t/t-o.npy %t/m-o.npy
// RUN: cmp %t/t-dq.npy %t/m-dq.npy
// RUN: cmp %t/t-dk.npy %t/m-dk.npy
// RUN: cmp %t/t-dv.npy %t/m-dv.npy
// RUN: sed -e 's/@N@/4/g' -e 's/@L@/24/g' -e 's/@T@/bf16/g' -e 's/@LAYOUT@/striped/g' -e 's/@CAUSAL@/causal/g' -e 's/@HKV@/2/g' %S/../Ring/Inputs/train.mlir.in > %t/striped.mlir
// RUN: ring-run %t/striped.mlir --grad --seed 6 --grad-outputs %t/t4-dq.npy,%t/t4-dk.npy,%t/t4-dv.npy
// RUN: timeout 120 %mpirun -np 4 ring-run %t/striped.mlir --backend mpi --grad --check --seed 6 --grad-outputs %t/m4-dq.npy,%t/m4-dk.npy,%t/m4-dv.npy | FileCheck %s
// RUN: cmp %t/t4-dq.npy %t/m4-dq.npy
// RUN: cmp %t/t4-dk.npy %t/m4-dk.npy
// RUN: cmp %t/t4-dv.npy %t/m4-dv.npy
// RUN: sed -e 's/@N@/2/g' -e 's/@L@/48/g' -e 's/@T@/f32/g' -e 's/@LAYOUT@/contiguous/g' -e 's/@CAUSAL@//g' -e 's/@HKV@/2/g' %S/../Ring/Inputs/train.mlir.in > %t/contiguous.mlir
// RUN: ring-run %t/contiguous.mlir --grad --seed 7 --grad-outputs %t/t2-dq.npy,%t/t2-dk.npy,%t/t2-dv.npy
// RUN: timeout 120 %mpirun -np 2 ring-run %t/contiguous.mlir --backend mpi --grad --check --seed 7 --grad-outputs %t/m2-dq.npy,%t/m2-dk.npy,%t/m2-dv.npy | FileCheck %s
// RUN: cmp %t/t2-dq.npy %t/m2-dq.npy
// RUN: cmp %t/t2-dk.npy %t/m2-dk.npy
// RUN: cmp %t/t2-dv.npy %t/m2-dv.npy
// CHECK: check out: {{.*}} PASS
// CHECK: check dq: {{.*}} PASS
// CHECK: check dk: {{.*}} PASS
// CHECK: check dv: {{.*}} PASS
