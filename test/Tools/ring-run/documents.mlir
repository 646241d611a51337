// Packed documents in ring-run: their starts come from --documents, as a
// list or an int32 .npy (the same starts give the same output, bit for
// bit), or from the seed; unused slots hold starts past the end. Each
// mismatch with the entry is an error.
// RUN: rm -rf %t && mkdir -p %t
// RUN: ring-run %s --entry packed --check --documents 0,3,17 --output %t/list.npy | FileCheck %s
// RUN: %python %S/Inputs/int32_npy.py %t/starts.npy 0,3,17,32
// RUN: ring-run %s --entry packed --check --documents %t/starts.npy --output %t/file.npy | FileCheck %s
// RUN: cmp %t/list.npy %t/file.npy
// RUN: ring-run %s --entry packed --check --json | FileCheck %s --check-prefix=SEEDED
// CHECK: causal documents 4
// CHECK: check: {{.*}} PASS
// SEEDED: "documents": [{{[0-9]+}}, {{[0-9]+}}, {{[0-9]+}}, {{[0-9]+}}]
// SEEDED-SAME: "passed": true

// RUN: not ring-run %s --entry plain --documents 0,4 2>&1 | FileCheck %s --check-prefix=NODOCS
// NODOCS: {{^}}ring-run: error: @plain packs no documents; --documents applies to entries with documents(...){{$}}
// RUN: not ring-run %s --entry packed --documents 0,1,2,3,4 2>&1 | FileCheck %s --check-prefix=MANY
// MANY: {{^}}ring-run: error: --documents lists 5 starts but @packed takes at most 4 (documents(... : tensor<4xi32>)){{$}}
// RUN: not ring-run %s --entry packed --documents 0,x 2>&1 | FileCheck %s --check-prefix=ITEM
// ITEM: {{^}}ring-run: error: --documents: 'x' is not a position (an integer from 0 to 2^31 - 1){{$}}
// RUN: not ring-run %s --entry packed --documents 0,-3 2>&1 | FileCheck %s --check-prefix=NEGATIVE
// NEGATIVE: {{^}}ring-run: error: --documents: '-3' is not a position (an integer from 0 to 2^31 - 1){{$}}
// RUN: %python %S/Inputs/int32_npy.py %t/three.npy 0,3,17
// RUN: not ring-run %s --entry packed --documents %t/three.npy 2>&1 | FileCheck %s --check-prefix=SHAPE
// SHAPE: {{^}}ring-run: error: {{.*}}three.npy: shape is [3] but the kernel expects [4]{{$}}
// RUN: not ring-run %s --entry packed --documents %t/list.npy 2>&1 | FileCheck %s --check-prefix=DTYPE
// DTYPE: {{^}}ring-run: error: {{.*}}list.npy: dtype is float32 but the kernel's i32 operand needs int32{{$}}

shard.grid @ring(shape = 2)
func.func @plain(%q: tensor<1x2x16x16xf32>, %k: tensor<1x2x16x16xf32>, %v: tensor<1x2x16x16xf32>) -> tensor<1x2x16x16xf32> {
  %o = ring.attention %q, %k, %v causal ring @ring axis 0 : tensor<1x2x16x16xf32>, tensor<1x2x16x16xf32>, tensor<1x2x16x16xf32>
  return %o : tensor<1x2x16x16xf32>
}
func.func @packed(%q: tensor<1x2x16x16xf32>, %k: tensor<1x2x16x16xf32>, %v: tensor<1x2x16x16xf32>, %d: tensor<4xi32>) -> tensor<1x2x16x16xf32> {
  %o = ring.attention %q, %k, %v documents(%d : tensor<4xi32>) causal ring @ring axis 0 layout zigzag : tensor<1x2x16x16xf32>, tensor<1x2x16x16xf32>, tensor<1x2x16x16xf32>
  return %o : tensor<1x2x16x16xf32>
}
