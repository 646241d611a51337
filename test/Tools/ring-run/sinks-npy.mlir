// Attention sinks in .npy files: a fourth --inputs file holds them and a
// fourth --grad-outputs file receives their gradient (summed over the
// ranks). Here the gradient one run writes is the next run's sinks, which
// is checked against the reference, bit for bit the same on every run; an
// entry with sinks needs the fourth input file, one without refuses it.
// RUN: rm -rf %t && mkdir -p %t
// RUN: ring-run %s --entry plain --output %t/a.npy
// RUN: ring-run %s --entry sinks --grad --check --grad-outputs %t/dq.npy,%t/dk.npy,%t/dv.npy,%t/ds.npy | FileCheck %s --check-prefix=GRAD
// GRAD: check dsinks: {{.*}} PASS
// RUN: ring-run %s --entry sinks --inputs %t/a.npy,%t/a.npy,%t/a.npy,%t/ds.npy --check --output %t/o1.npy | FileCheck %s
// RUN: ring-run %s --entry sinks --inputs %t/a.npy,%t/a.npy,%t/a.npy,%t/ds.npy --output %t/o2.npy
// RUN: cmp %t/o1.npy %t/o2.npy
// CHECK: check: {{.*}} PASS
// Three gradient files are enough: the sinks' gradient is then not written.
// RUN: ring-run %s --entry sinks --grad --grad-outputs %t/dq.npy,%t/dk.npy,%t/dv.npy

// RUN: not ring-run %s --entry sinks --inputs %t/a.npy,%t/a.npy,%t/a.npy 2>&1 | FileCheck %s --check-prefix=NEEDS
// NEEDS: {{^}}ring-run: error: @sinks takes sinks; --inputs needs a fourth file, sinks.npy{{$}}
// RUN: not ring-run %s --entry plain --inputs %t/a.npy,%t/a.npy,%t/a.npy,%t/ds.npy 2>&1 | FileCheck %s --check-prefix=NOSINKS
// NOSINKS: {{^}}ring-run: error: @plain has no sinks; --inputs takes three files{{$}}
// RUN: not ring-run %s --entry plain --grad --grad-outputs %t/dq.npy,%t/dk.npy,%t/dv.npy,%t/ds.npy 2>&1 | FileCheck %s --check-prefix=NODSINKS
// NODSINKS: {{^}}ring-run: error: @plain_grad has no sinks; --grad-outputs takes three files{{$}}
// RUN: not ring-run %s --entry sinks --inputs %t/a.npy,%t/a.npy,%t/a.npy,%t/a.npy 2>&1 | FileCheck %s --check-prefix=SHAPE
// SHAPE: {{^}}ring-run: error: {{.*}}a.npy: shape is [1, 2, 16, 16] but the kernel expects [2]{{$}}

shard.grid @ring(shape = 2)
func.func @plain(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  %o = ring.attention %q, %k, %v causal ring @ring axis 0 : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}
func.func @sinks(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>, %s: tensor<2xf32>) -> tensor<1x2x8x16xf32> {
  %o = ring.attention %q, %k, %v sinks(%s : tensor<2xf32>) causal ring @ring axis 0 : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}
