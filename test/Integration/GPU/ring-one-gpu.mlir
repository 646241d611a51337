// Ring attention on 2, 3 and 4 ranks sharing one GPU (device-to-device
// shifts on each rank's communication stream) matches the float64 reference
// over the whole sequence; causal zigzag and striped, and full contiguous.
// RUN: rm -rf %t && mkdir -p %t
// RUN: sed -e 's/@N@/4/g' -e 's/@LAYOUT@/zigzag/g' -e 's/@CAUSAL@/causal/g' -e 's/@D@/128/g' -e 's/@T@/bf16/g' %S/Inputs/ring.mlir.in > %t/zigzag4.mlir
// RUN: ring-run %t/zigzag4.mlir --backend gpu --check --seed 1 | FileCheck %s
// RUN: sed -e 's/@N@/3/g' -e 's/@LAYOUT@/striped/g' -e 's/@CAUSAL@/causal/g' -e 's/@D@/64/g' -e 's/@T@/f16/g' %S/Inputs/ring.mlir.in > %t/striped3.mlir
// RUN: ring-run %t/striped3.mlir --backend gpu --check --seed 2 | FileCheck %s
// RUN: sed -e 's/@N@/2/g' -e 's/@LAYOUT@/contiguous/g' -e 's/@CAUSAL@//g' -e 's/@D@/32/g' -e 's/@T@/f32/g' %S/Inputs/ring.mlir.in > %t/contiguous2.mlir
// RUN: ring-run %t/contiguous2.mlir --backend gpu --check --seed 3 | FileCheck %s
// The same ring with transfers dropped is wrong, so the check sees them.
// RUN: ring-run %t/zigzag4.mlir --backend gpu --no-communication --json | FileCheck %s --check-prefix=NOCOMM
// CHECK: check: {{.*}} PASS
// NOCOMM: "backend": "gpu"
