// The same compiled module on N MPI processes (one rank each) matches the
// float64 reference over the whole sequence, for N in {2, 3, 4}, every layout,
// causal or not (GQA throughout).
// REQUIRES: mpi
// RUN: rm -rf %t && mkdir -p %t
// RUN: sed -e 's/@N@/2/g' -e 's/@LAYOUT@/contiguous/g' -e 's/@CAUSAL@/causal/g' -e 's/@HKV@/2/g' %S/../Ring/Inputs/ring.mlir.in > %t/2-contiguous-causal.mlir
// RUN: timeout 120 %mpirun -np 2 ring-run %t/2-contiguous-causal.mlir --backend mpi --check --seed 2 | FileCheck %s
// RUN: sed -e 's/@N@/2/g' -e 's/@LAYOUT@/contiguous/g' -e 's/@CAUSAL@//g' -e 's/@HKV@/2/g' %S/../Ring/Inputs/ring.mlir.in > %t/2-contiguous-full.mlir
// RUN: timeout 120 %mpirun -np 2 ring-run %t/2-contiguous-full.mlir --backend mpi --check --seed 2 | FileCheck %s
// RUN: sed -e 's/@N@/2/g' -e 's/@LAYOUT@/zigzag/g' -e 's/@CAUSAL@/causal/g' -e 's/@HKV@/2/g' %S/../Ring/Inputs/ring.mlir.in > %t/2-zigzag-causal.mlir
// RUN: timeout 120 %mpirun -np 2 ring-run %t/2-zigzag-causal.mlir --backend mpi --check --seed 2 | FileCheck %s
// RUN: sed -e 's/@N@/2/g' -e 's/@LAYOUT@/zigzag/g' -e 's/@CAUSAL@//g' -e 's/@HKV@/2/g' %S/../Ring/Inputs/ring.mlir.in > %t/2-zigzag-full.mlir
// RUN: timeout 120 %mpirun -np 2 ring-run %t/2-zigzag-full.mlir --backend mpi --check --seed 2 | FileCheck %s
// RUN: sed -e 's/@N@/2/g' -e 's/@LAYOUT@/striped/g' -e 's/@CAUSAL@/causal/g' -e 's/@HKV@/2/g' %S/../Ring/Inputs/ring.mlir.in > %t/2-striped-causal.mlir
// RUN: timeout 120 %mpirun -np 2 ring-run %t/2-striped-causal.mlir --backend mpi --check --seed 2 | FileCheck %s
// RUN: sed -e 's/@N@/2/g' -e 's/@LAYOUT@/striped/g' -e 's/@CAUSAL@//g' -e 's/@HKV@/2/g' %S/../Ring/Inputs/ring.mlir.in > %t/2-striped-full.mlir
// RUN: timeout 120 %mpirun -np 2 ring-run %t/2-striped-full.mlir --backend mpi --check --seed 2 | FileCheck %s
// RUN: sed -e 's/@N@/3/g' -e 's/@LAYOUT@/contiguous/g' -e 's/@CAUSAL@/causal/g' -e 's/@HKV@/2/g' %S/../Ring/Inputs/ring.mlir.in > %t/3-contiguous-causal.mlir
// RUN: timeout 120 %mpirun -np 3 ring-run %t/3-contiguous-causal.mlir --backend mpi --check --seed 3 | FileCheck %s
// RUN: sed -e 's/@N@/3/g' -e 's/@LAYOUT@/contiguous/g' -e 's/@CAUSAL@//g' -e 's/@HKV@/2/g' %S/../Ring/Inputs/ring.mlir.in > %t/3-contiguous-full.mlir
// RUN: timeout 120 %mpirun -np 3 ring-run %t/3-contiguous-full.mlir --backend mpi --check --seed 3 | FileCheck %s
// RUN: sed -e 's/@N@/3/g' -e 's/@LAYOUT@/zigzag/g' -e 's/@CAUSAL@/causal/g' -e 's/@HKV@/2/g' %S/../Ring/Inputs/ring.mlir.in > %t/3-zigzag-causal.mlir
// RUN: timeout 120 %mpirun -np 3 ring-run %t/3-zigzag-causal.mlir --backend mpi --check --seed 3 | FileCheck %s
// RUN: sed -e 's/@N@/3/g' -e 's/@LAYOUT@/zigzag/g' -e 's/@CAUSAL@//g' -e 's/@HKV@/2/g' %S/../Ring/Inputs/ring.mlir.in > %t/3-zigzag-full.mlir
// RUN: timeout 120 %mpirun -np 3 ring-run %t/3-zigzag-full.mlir --backend mpi --check --seed 3 | FileCheck %s
// RUN: sed -e 's/@N@/3/g' -e 's/@LAYOUT@/striped/g' -e 's/@CAUSAL@/causal/g' -e 's/@HKV@/2/g' %S/../Ring/Inputs/ring.mlir.in > %t/3-striped-causal.mlir
// RUN: timeout 120 %mpirun -np 3 ring-run %t/3-striped-causal.mlir --backend mpi --check --seed 3 | FileCheck %s
// RUN: sed -e 's/@N@/3/g' -e 's/@LAYOUT@/striped/g' -e 's/@CAUSAL@//g' -e 's/@HKV@/2/g' %S/../Ring/Inputs/ring.mlir.in > %t/3-striped-full.mlir
// RUN: timeout 120 %mpirun -np 3 ring-run %t/3-striped-full.mlir --backend mpi --check --seed 3 | FileCheck %s
// RUN: sed -e 's/@N@/4/g' -e 's/@LAYOUT@/contiguous/g' -e 's/@CAUSAL@/causal/g' -e 's/@HKV@/2/g' %S/../Ring/Inputs/ring.mlir.in > %t/4-contiguous-causal.mlir
// RUN: timeout 120 %mpirun -np 4 ring-run %t/4-contiguous-causal.mlir --backend mpi --check --seed 4 | FileCheck %s
// RUN: sed -e 's/@N@/4/g' -e 's/@LAYOUT@/contiguous/g' -e 's/@CAUSAL@//g' -e 's/@HKV@/2/g' %S/../Ring/Inputs/ring.mlir.in > %t/4-contiguous-full.mlir
// RUN: timeout 120 %mpirun -np 4 ring-run %t/4-contiguous-full.mlir --backend mpi --check --seed 4 | FileCheck %s
// RUN: sed -e 's/@N@/4/g' -e 's/@LAYOUT@/zigzag/g' -e 's/@CAUSAL@/causal/g' -e 's/@HKV@/2/g' %S/../Ring/Inputs/ring.mlir.in > %t/4-zigzag-causal.mlir
// RUN: timeout 120 %mpirun -np 4 ring-run %t/4-zigzag-causal.mlir --backend mpi --check --seed 4 | FileCheck %s
// RUN: sed -e 's/@N@/4/g' -e 's/@LAYOUT@/zigzag/g' -e 's/@CAUSAL@//g' -e 's/@HKV@/2/g' %S/../Ring/Inputs/ring.mlir.in > %t/4-zigzag-full.mlir
// RUN: timeout 120 %mpirun -np 4 ring-run %t/4-zigzag-full.mlir --backend mpi --check --seed 4 | FileCheck %s
// RUN: sed -e 's/@N@/4/g' -e 's/@LAYOUT@/striped/g' -e 's/@CAUSAL@/causal/g' -e 's/@HKV@/2/g' %S/../Ring/Inputs/ring.mlir.in > %t/4-striped-causal.mlir
// RUN: timeout 120 %mpirun -np 4 ring-run %t/4-striped-causal.mlir --backend mpi --check --seed 4 | FileCheck %s
// RUN: sed -e 's/@N@/4/g' -e 's/@LAYOUT@/striped/g' -e 's/@CAUSAL@//g' -e 's/@HKV@/2/g' %S/../Ring/Inputs/ring.mlir.in > %t/4-striped-full.mlir
// RUN: timeout 120 %mpirun -np 4 ring-run %t/4-striped-full.mlir --backend mpi --check --seed 4 | FileCheck %s

// CHECK: ring: {{[2-4]}} ranks (mpi), {{contiguous|zigzag|striped}} layout
// CHECK: check: {{.*}} PASS
