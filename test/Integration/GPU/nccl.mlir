// The NCCL backend under mpirun, one rank per GPU: as many ranks as the
// machine has GPUs (a ring of one where there is one), bootstrapped over MPI.
// REQUIRES: mpi
// RUN: rm -rf %t && mkdir -p %t
// RUN: %python -c "import subprocess; print(len(subprocess.run(['nvidia-smi', '-L'], capture_output=True, text=True).stdout.splitlines()))" > %t/gpus
// RUN: sed -e "s/@N@/$(cat %t/gpus)/g" -e 's/@LAYOUT@/zigzag/g' -e 's/@CAUSAL@/causal/g' -e 's/@D@/128/g' -e 's/@T@/bf16/g' %S/Inputs/ring.mlir.in > %t/ring.mlir
// RUN: %mpirun -np $(cat %t/gpus) ring-run %t/ring.mlir --backend nccl --check --seed 1 | FileCheck %s
// CHECK: check: {{.*}} PASS
