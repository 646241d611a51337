// MPI and the threads backend run the same compiled code on the same shards:
// the outputs are identical, bit for bit.
// REQUIRES: mpi
// RUN: rm -rf %t && mkdir -p %t
// RUN: sed -e 's/@N@/3/g' -e 's/@LAYOUT@/zigzag/g' -e 's/@CAUSAL@/causal/g' -e 's/@HKV@/2/g' %S/../Ring/Inputs/ring.mlir.in > %t/zigzag.mlir
// RUN: ring-run %t/zigzag.mlir --seed 5 --output %t/threads.npy
// RUN: timeout 120 %mpirun -np 3 ring-run %t/zigzag.mlir --backend mpi --seed 5 --output %t/mpi.npy
// RUN: cmp %t/threads.npy %t/mpi.npy
// RUN: sed -e 's/@N@/4/g' -e 's/@LAYOUT@/striped/g' -e 's/@CAUSAL@//g' -e 's/@HKV@/4/g' %S/../Ring/Inputs/ring.mlir.in > %t/striped.mlir
// RUN: ring-run %t/striped.mlir --seed 6 --output %t/threads4.npy
// RUN: timeout 120 %mpirun -np 4 ring-run %t/striped.mlir --backend mpi --seed 6 --output %t/mpi4.npy
// RUN: cmp %t/threads4.npy %t/mpi4.npy
// .npy inputs are read by rank 0 and scattered: same output again.
// RUN: ring-run %t/striped.mlir --seed 7 --output %t/x.npy
// RUN: ring-run %t/striped.mlir --inputs %t/x.npy,%t/x.npy,%t/x.npy --output %t/threads-npy.npy
// RUN: timeout 120 %mpirun -np 4 ring-run %t/striped.mlir --backend mpi --inputs %t/x.npy,%t/x.npy,%t/x.npy --output %t/mpi-npy.npy
// RUN: cmp %t/threads-npy.npy %t/mpi-npy.npy
