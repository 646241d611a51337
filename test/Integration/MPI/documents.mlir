// Packed documents on MPI processes: the starts reach every process (the
// root scatters them with the operands), the training step passes its
// check and gives the threads backend's output and gradients bit for bit.
// Every process cuts the ring to the same run-time length: contiguous and
// causal, a document from position 30 to the end reaches two ranks back,
// so the training step sends 56 shifts of 6 KiB, not the full ring's 80
// (as on threads, Integration/Ring/documents-traffic.test).
// REQUIRES: mpi
// RUN: rm -rf %t && mkdir -p %t
// RUN: sed -e 's/@N@/4/g' -e 's/@L@/24/g' -e 's/@T@/f32/g' -e 's/@LAYOUT@/zigzag/g' -e 's/@CAUSAL@/causal window_left 30/g' %S/../Ring/Inputs/train-documents.mlir.in > %t/documents.mlir
// RUN: ring-run %t/documents.mlir --grad --seed 6 --documents 0,5,40,41,70 --output %t/t-o.npy --grad-outputs %t/t-dq.npy,%t/t-dk.npy,%t/t-dv.npy
// RUN: timeout 120 %mpirun -np 4 ring-run %t/documents.mlir --backend mpi --grad --check --seed 6 --documents 0,5,40,41,70 --output %t/m-o.npy --grad-outputs %t/m-dq.npy,%t/m-dk.npy,%t/m-dv.npy | FileCheck %s
// RUN: cmp %t/t-o.npy %t/m-o.npy
// RUN: cmp %t/t-dq.npy %t/m-dq.npy
// RUN: cmp %t/t-dk.npy %t/m-dk.npy
// RUN: cmp %t/t-dv.npy %t/m-dv.npy
// Seeded starts are drawn on the root and reach the others too.
// RUN: timeout 120 %mpirun -np 4 ring-run %t/documents.mlir --backend mpi --grad --check --seed 7 | FileCheck %s
// RUN: sed -e 's/@N@/4/g' -e 's/@L@/24/g' -e 's/@T@/f32/g' -e 's/@LAYOUT@/contiguous/g' -e 's/@CAUSAL@/causal/g' %S/../Ring/Inputs/train-documents.mlir.in > %t/cut.mlir
// RUN: timeout 120 %mpirun -np 4 ring-run %t/cut.mlir --backend mpi --grad --check --documents 0,30 | FileCheck %s --check-prefixes=CHECK,CUT
// CUT: sent: 56 shifts, 336.0 KiB over all ranks
// CHECK: check out: {{.*}} PASS
// CHECK: check dq: {{.*}} PASS
// CHECK: check dk: {{.*}} PASS
// CHECK: check dv: {{.*}} PASS
