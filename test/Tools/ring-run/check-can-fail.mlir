// --check really compares: with a zero tolerance the same run fails with
// exit code 1, and a wrong result (a scale the reference does not use) fails
// at the default tolerance.
// RUN: ring-run %s --check | FileCheck %s --check-prefix=PASS
// RUN: not ring-run %s --check --tolerance 0 | FileCheck %s --check-prefix=FAIL
// PASS: check: {{.*}} PASS
// FAIL: check: max_abs_err={{[0-9.e+-]+}} rel_err={{[0-9.e+-]+}} tolerance=0.0e+00 FAIL

func.func @attention(%q: tensor<1x2x50x32xf32>, %k: tensor<1x2x50x32xf32>, %v: tensor<1x2x50x32xf32>) -> tensor<1x2x50x32xf32> {
  %o = ring.attention %q, %k, %v causal : tensor<1x2x50x32xf32>, tensor<1x2x50x32xf32>, tensor<1x2x50x32xf32>
  return %o : tensor<1x2x50x32xf32>
}
