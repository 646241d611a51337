// .npy in and out. The output of one run (same shape as q, k and v here) is
// the input of the next, which is checked against the reference; f16 files
// stay float16, and bf16 kernels read float32 files and say so.
// RUN: rm -rf %t && mkdir -p %t
// RUN: ring-run %s --entry f32 --output %t/a.npy
// RUN: ring-run %s --entry f32 --inputs %t/a.npy,%t/a.npy,%t/a.npy --check --output %t/b.npy | FileCheck %s
// RUN: ring-run %s --entry f16 --output %t/h.npy
// RUN: ring-run %s --entry f16 --inputs %t/h.npy,%t/h.npy,%t/h.npy --check | FileCheck %s
// RUN: ring-run %s --entry bf16 --inputs %t/a.npy,%t/a.npy,%t/a.npy --check 2>&1 | FileCheck %s --check-prefix=BF16
// The same inputs give the same output, bit for bit.
// RUN: ring-run %s --entry f32 --inputs %t/a.npy,%t/a.npy,%t/a.npy --output %t/c.npy
// RUN: cmp %t/b.npy %t/c.npy
// CHECK: check: {{.*}} PASS
// BF16: note: the bf16 kernel reads float32 .npy files, rounded to bf16
// BF16: check: {{.*}} PASS

func.func @f32(%q: tensor<1x2x40x16xf32>, %k: tensor<1x2x40x16xf32>, %v: tensor<1x2x40x16xf32>) -> tensor<1x2x40x16xf32> {
  %o = ring.attention %q, %k, %v causal : tensor<1x2x40x16xf32>, tensor<1x2x40x16xf32>, tensor<1x2x40x16xf32>
  return %o : tensor<1x2x40x16xf32>
}
func.func @f16(%q: tensor<1x2x40x16xf16>, %k: tensor<1x2x40x16xf16>, %v: tensor<1x2x40x16xf16>) -> tensor<1x2x40x16xf16> {
  %o = ring.attention %q, %k, %v : tensor<1x2x40x16xf16>, tensor<1x2x40x16xf16>, tensor<1x2x40x16xf16>
  return %o : tensor<1x2x40x16xf16>
}
func.func @bf16(%q: tensor<1x2x40x16xbf16>, %k: tensor<1x2x40x16xbf16>, %v: tensor<1x2x40x16xbf16>) -> tensor<1x2x40x16xbf16> {
  %o = ring.attention %q, %k, %v : tensor<1x2x40x16xbf16>, tensor<1x2x40x16xbf16>, tensor<1x2x40x16xbf16>
  return %o : tensor<1x2x40x16xbf16>
}
