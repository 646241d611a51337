// A block placement in ring-run: balanced for the run's documents by
// default, or given by --placement as a list or an int32 .npy (the same
// blocks give the same output, bit for bit). Each placement that is not a
// permutation of the entry's blocks, and each mismatch with the entry, is
// an error.
// RUN: rm -rf %t && mkdir -p %t
// RUN: ring-run %s --entry placed --check --documents 0,20 --json | FileCheck %s --check-prefix=BALANCED
// BALANCED: "documents": [0, 20]
// BALANCED-SAME: "placement": [{{[0-9]+}}, {{[0-9]+}}, {{[0-9]+}}, {{[0-9]+}}, {{[0-9]+}}, {{[0-9]+}}, {{[0-9]+}}, {{[0-9]+}}]
// BALANCED-SAME: "passed": true
// RUN: ring-run %s --entry placed --check --documents 0,20 --placement 7,0,6,1,5,2,4,3 --output %t/list.npy | FileCheck %s
// RUN: %python %S/Inputs/int32_npy.py %t/blocks.npy 7,0,6,1,5,2,4,3
// RUN: ring-run %s --entry placed --check --documents 0,20 --placement %t/blocks.npy --output %t/file.npy | FileCheck %s
// RUN: cmp %t/list.npy %t/file.npy
// CHECK: ring: 2 ranks (threads), a placement of 8 blocks
// CHECK: check: {{.*}} PASS

// RUN: not ring-run %s --entry plain --placement 1,0 2>&1 | FileCheck %s --check-prefix=NONE
// NONE: {{^}}ring-run: error: @plain has no block placement; --placement applies to entries with placement(...){{$}}
// RUN: not ring-run %s --entry placed --placement 0,1,2 2>&1 | FileCheck %s --check-prefix=COUNT
// COUNT: {{^}}ring-run: error: --placement lists 3 blocks but @placed takes 8 (placement(... : tensor<8xi32>)){{$}}
// RUN: not ring-run %s --entry placed --placement 0,1,2,3,4,5,6,x 2>&1 | FileCheck %s --check-prefix=ITEM
// ITEM: {{^}}ring-run: error: --placement: 'x' is not a block (an integer from 0 to 2^31 - 1){{$}}
// RUN: not ring-run %s --entry placed --placement 0,1,2,3,4,5,6,8 2>&1 | FileCheck %s --check-prefix=RANGE
// RANGE: {{^}}ring-run: error: --placement: entry 7 is block 8, not in [0, 8){{$}}
// RUN: not ring-run %s --entry placed --placement 0,1,2,3,4,5,6,6 2>&1 | FileCheck %s --check-prefix=TWICE
// TWICE: {{^}}ring-run: error: --placement: block 6 is placed twice (again at entry 7){{$}}
// RUN: %python %S/Inputs/int32_npy.py %t/three.npy 0,1,2
// RUN: not ring-run %s --entry placed --placement %t/three.npy 2>&1 | FileCheck %s --check-prefix=SHAPE
// SHAPE: {{^}}ring-run: error: {{.*}}three.npy: shape is [3] but the kernel expects [8]{{$}}

// A lowered module whose ring.abi was edited to a placement its ring
// cannot hold is refused before anything runs.
// RUN: ring-opt %s -ring-lower-cpu | sed -e 's/placement = tensor<8xi32>/placement = tensor<3xi32>/' > %t/edited.mlir
// RUN: not ring-run %t/edited.mlir --entry placed 2>&1 | FileCheck %s --check-prefix=EDITED
// EDITED: {{^}}ring-run: error: @placed's placement: a placement of 3 blocks does not give each of 2 ranks the same number{{$}}

shard.grid @ring(shape = 2)
func.func @plain(%q: tensor<1x2x16x16xf32>, %k: tensor<1x2x16x16xf32>, %v: tensor<1x2x16x16xf32>) -> tensor<1x2x16x16xf32> {
  %o = ring.attention %q, %k, %v causal ring @ring axis 0 : tensor<1x2x16x16xf32>, tensor<1x2x16x16xf32>, tensor<1x2x16x16xf32>
  return %o : tensor<1x2x16x16xf32>
}
func.func @placed(%q: tensor<1x2x16x16xf32>, %k: tensor<1x2x16x16xf32>, %v: tensor<1x2x16x16xf32>, %d: tensor<2xi32>, %p: tensor<8xi32>) -> tensor<1x2x16x16xf32> {
  %o = ring.attention %q, %k, %v documents(%d : tensor<2xi32>) placement(%p : tensor<8xi32>) causal ring @ring axis 0 : tensor<1x2x16x16xf32>, tensor<1x2x16x16xf32>, tensor<1x2x16x16xf32>
  return %o : tensor<1x2x16x16xf32>
}
