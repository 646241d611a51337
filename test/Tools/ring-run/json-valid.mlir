// --json prints one valid JSON line whatever the entry is called and
// whatever the numbers are: names are escaped, NaN and inf are null. With
// --check, an output holding NaN or inf says so, in text and in JSON.
// RUN: rm -rf %t && mkdir -p %t
// RUN: ring-run %s --json --check > %t/ok.json
// RUN: %python -c "import json,sys; d=json.load(open(sys.argv[1])); assert d['entry'] == 'a\"b\\\\c\n', d['entry']; assert d['passed'] is True and d['output_nan'] == 0" %t/ok.json
// A NaN in q makes its row of the output NaN.
// RUN: ring-run %s --output %t/q.npy
// RUN: %python %S/Inputs/poison_npy.py %t/q.npy %t/nan.npy nan
// RUN: not ring-run %s --inputs %t/nan.npy,%t/q.npy,%t/q.npy --check | FileCheck %s --check-prefix=TEXT
// TEXT: check: output has 4 NaN of 8 values (the inputs hold NaN or inf) tolerance=1.0e-05 FAIL
// RUN: not ring-run %s --inputs %t/nan.npy,%t/q.npy,%t/q.npy --check --json > %t/nan.json
// RUN: %python -c "import json,sys; d=json.load(open(sys.argv[1])); assert d['max_abs_err'] is None and d['rel_err'] is None, d; assert d['output_nan'] == 4 and d['output_inf'] == 0 and d['passed'] is False, d" %t/nan.json

// A quoted symbol name holding a quote, a backslash and a newline.
func.func @"a\"b\\c\0A"(%q: tensor<1x1x2x4xf32>, %k: tensor<1x1x2x4xf32>, %v: tensor<1x1x2x4xf32>) -> tensor<1x1x2x4xf32> {
  %o = ring.attention %q, %k, %v : tensor<1x1x2x4xf32>, tensor<1x1x2x4xf32>, tensor<1x1x2x4xf32>
  return %o : tensor<1x1x2x4xf32>
}
