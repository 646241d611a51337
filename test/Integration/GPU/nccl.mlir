// The NCCL backend under mpirun, one rank per GPU: as many ranks as the
// machine has GPUs (see Inputs/nccl-ring.sh), bootstrapped over MPI.
// REQUIRES: mpi
// RUN: rm -rf %t && mkdir -p %t
// RUN: bash %S/Inputs/nccl-ring.sh %S/Inputs/ring.mlir.in %t "%mpirun" ring-run | FileCheck %s
// CHECK: nccl ring of {{[0-9]+}} rank(s)
// CHECK: check: {{.*}} PASS
// The training step: out, dq, dk and dv against the float64 gradients.
// RUN: bash %S/Inputs/nccl-ring.sh %S/Inputs/ring.mlir.in %t "%mpirun" ring-run --grad | FileCheck %s --check-prefix=GRAD
// GRAD: check out: {{.*}} PASS
// GRAD: check dq: {{.*}} PASS
// GRAD: check dk: {{.*}} PASS
// GRAD: check dv: {{.*}} PASS
