// Ring attention on 2 in-process ranks (threads backend) matches the float64
// reference over the whole sequence, for every layout, causal or not, MHA and GQA.
// RUN: rm -rf %t && mkdir -p %t
// RUN: sed -e 's/@N@/2/g' -e 's/@LAYOUT@/contiguous/g' -e 's/@CAUSAL@/causal/g' -e 's/@HKV@/4/g' %S/Inputs/ring.mlir.in > %t/contiguous-causal-mha.mlir
// RUN: ring-run %t/contiguous-causal-mha.mlir --check --seed 2 | FileCheck %s --check-prefix=CHECK-RING
// RUN: sed -e 's/@N@/2/g' -e 's/@LAYOUT@/contiguous/g' -e 's/@CAUSAL@/causal/g' -e 's/@HKV@/2/g' %S/Inputs/ring.mlir.in > %t/contiguous-causal-gqa.mlir
// RUN: ring-run %t/contiguous-causal-gqa.mlir --check --seed 2 | FileCheck %s --check-prefix=CHECK-RING
// RUN: sed -e 's/@N@/2/g' -e 's/@LAYOUT@/contiguous/g' -e 's/@CAUSAL@//g' -e 's/@HKV@/4/g' %S/Inputs/ring.mlir.in > %t/contiguous-full-mha.mlir
// RUN: ring-run %t/contiguous-full-mha.mlir --check --seed 2 | FileCheck %s --check-prefix=CHECK-RING
// RUN: sed -e 's/@N@/2/g' -e 's/@LAYOUT@/contiguous/g' -e 's/@CAUSAL@//g' -e 's/@HKV@/2/g' %S/Inputs/ring.mlir.in > %t/contiguous-full-gqa.mlir
// RUN: ring-run %t/contiguous-full-gqa.mlir --check --seed 2 | FileCheck %s --check-prefix=CHECK-RING
// RUN: sed -e 's/@N@/2/g' -e 's/@LAYOUT@/zigzag/g' -e 's/@CAUSAL@/causal/g' -e 's/@HKV@/4/g' %S/Inputs/ring.mlir.in > %t/zigzag-causal-mha.mlir
// RUN: ring-run %t/zigzag-causal-mha.mlir --check --seed 2 | FileCheck %s --check-prefix=CHECK-RING
// RUN: sed -e 's/@N@/2/g' -e 's/@LAYOUT@/zigzag/g' -e 's/@CAUSAL@/causal/g' -e 's/@HKV@/2/g' %S/Inputs/ring.mlir.in > %t/zigzag-causal-gqa.mlir
// RUN: ring-run %t/zigzag-causal-gqa.mlir --check --seed 2 | FileCheck %s --check-prefix=CHECK-RING
// RUN: sed -e 's/@N@/2/g' -e 's/@LAYOUT@/zigzag/g' -e 's/@CAUSAL@//g' -e 's/@HKV@/4/g' %S/Inputs/ring.mlir.in > %t/zigzag-full-mha.mlir
// RUN: ring-run %t/zigzag-full-mha.mlir --check --seed 2 | FileCheck %s --check-prefix=CHECK-RING
// RUN: sed -e 's/@N@/2/g' -e 's/@LAYOUT@/zigzag/g' -e 's/@CAUSAL@//g' -e 's/@HKV@/2/g' %S/Inputs/ring.mlir.in > %t/zigzag-full-gqa.mlir
// RUN: ring-run %t/zigzag-full-gqa.mlir --check --seed 2 | FileCheck %s --check-prefix=CHECK-RING
// RUN: sed -e 's/@N@/2/g' -e 's/@LAYOUT@/striped/g' -e 's/@CAUSAL@/causal/g' -e 's/@HKV@/4/g' %S/Inputs/ring.mlir.in > %t/striped-causal-mha.mlir
// RUN: ring-run %t/striped-causal-mha.mlir --check --seed 2 | FileCheck %s --check-prefix=CHECK-RING
// RUN: sed -e 's/@N@/2/g' -e 's/@LAYOUT@/striped/g' -e 's/@CAUSAL@/causal/g' -e 's/@HKV@/2/g' %S/Inputs/ring.mlir.in > %t/striped-causal-gqa.mlir
// RUN: ring-run %t/striped-causal-gqa.mlir --check --seed 2 | FileCheck %s --check-prefix=CHECK-RING
// RUN: sed -e 's/@N@/2/g' -e 's/@LAYOUT@/striped/g' -e 's/@CAUSAL@//g' -e 's/@HKV@/4/g' %S/Inputs/ring.mlir.in > %t/striped-full-mha.mlir
// RUN: ring-run %t/striped-full-mha.mlir --check --seed 2 | FileCheck %s --check-prefix=CHECK-RING
// RUN: sed -e 's/@N@/2/g' -e 's/@LAYOUT@/striped/g' -e 's/@CAUSAL@//g' -e 's/@HKV@/2/g' %S/Inputs/ring.mlir.in > %t/striped-full-gqa.mlir
// RUN: ring-run %t/striped-full-gqa.mlir --check --seed 2 | FileCheck %s --check-prefix=CHECK-RING

// CHECK-RING: ring: 2 ranks (threads), {{contiguous|zigzag|striped}} layout
// CHECK-RING: check: {{.*}} PASS
