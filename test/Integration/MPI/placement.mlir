// A block placement on MPI processes: the root balances the blocks for the
// run's documents (or reads --placement) and scatters them with the
// operands; the training step, with sinks and documents (12 operands),
// passes its check and gives the threads backend's output and gradients
// bit for bit.
// REQUIRES: mpi
// RUN: rm -rf %t && mkdir -p %t
// RUN: sed -e 's/@N@/4/g' -e 's/@L@/24/g' -e 's/@T@/f32/g' -e 's/@P@/16/g' -e 's/@CAUSAL@/causal window_left 30/g' %S/../Ring/Inputs/train-placement.mlir.in > %t/placement.mlir
// RUN: ring-run %t/placement.mlir --grad --seed 6 --documents 0,5,40,41,70 --output %t/t-o.npy --grad-outputs %t/t-dq.npy,%t/t-dk.npy,%t/t-dv.npy,%t/t-ds.npy
// RUN: timeout 120 %mpirun -np 4 ring-run %t/placement.mlir --backend mpi --grad --check --seed 6 --documents 0,5,40,41,70 --output %t/m-o.npy --grad-outputs %t/m-dq.npy,%t/m-dk.npy,%t/m-dv.npy,%t/m-ds.npy | FileCheck %s
// RUN: cmp %t/t-o.npy %t/m-o.npy
// RUN: cmp %t/t-dq.npy %t/m-dq.npy
// RUN: cmp %t/t-dk.npy %t/m-dk.npy
// RUN: cmp %t/t-dv.npy %t/m-dv.npy
// RUN: cmp %t/t-ds.npy %t/m-ds.npy
// A placement given on the command line reaches the others too.
// RUN: timeout 120 %mpirun -np 4 ring-run %t/placement.mlir --backend mpi --grad --check --seed 7 --placement 15,14,13,12,11,10,9,8,7,6,5,4,3,2,1,0 | FileCheck %s
// CHECK: ring: 4 ranks (mpi), a placement of 16 blocks
// CHECK: check out: {{.*}} PASS
// CHECK: check dq: {{.*}} PASS
// CHECK: check dk: {{.*}} PASS
// CHECK: check dv: {{.*}} PASS
// CHECK: check dsinks: {{.*}} PASS
