// Training steps on the GPU: ring attention's forward and backward on 2, 3
// and 4 ranks sharing one GPU (the dK/dV partial sums travel with K and V
// on each rank's communication stream); nccl.mlir runs it over NCCL.
// --check compares out, dq, dk and dv with the float64 gradients; the same
// run twice gives the same bits (no atomics in the gradient kernels).
// RUN: rm -rf %t && mkdir -p %t
// RUN: sed -e 's/@N@/4/g' -e 's/@LAYOUT@/zigzag/g' -e 's/@CAUSAL@/causal/g' -e 's/@D@/128/g' -e 's/@T@/bf16/g' %S/Inputs/ring.mlir.in > %t/zigzag4.mlir
// RUN: ring-run %t/zigzag4.mlir --backend gpu --grad --check --seed 1 --grad-outputs %t/dq1.npy,%t/dk1.npy,%t/dv1.npy | FileCheck %s
// RUN: ring-run %t/zigzag4.mlir --backend gpu --grad --seed 1 --grad-outputs %t/dq2.npy,%t/dk2.npy,%t/dv2.npy
// RUN: cmp %t/dq1.npy %t/dq2.npy && cmp %t/dk1.npy %t/dk2.npy && cmp %t/dv1.npy %t/dv2.npy
// RUN: sed -e 's/@N@/3/g' -e 's/@LAYOUT@/striped/g' -e 's/@CAUSAL@/causal/g' -e 's/@D@/64/g' -e 's/@T@/f16/g' %S/Inputs/ring.mlir.in > %t/striped3.mlir
// RUN: ring-run %t/striped3.mlir --backend gpu --grad --check --seed 2 | FileCheck %s
// RUN: sed -e 's/@N@/2/g' -e 's/@LAYOUT@/contiguous/g' -e 's/@CAUSAL@//g' -e 's/@D@/32/g' -e 's/@T@/f32/g' %S/Inputs/ring.mlir.in > %t/contiguous2.mlir
// RUN: ring-run %t/contiguous2.mlir --backend gpu --grad --check --seed 3 | FileCheck %s
// CHECK: check out: {{.*}} PASS
// CHECK: check dq: {{.*}} PASS
// CHECK: check dk: {{.*}} PASS
// CHECK: check dv: {{.*}} PASS
