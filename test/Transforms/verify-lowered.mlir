// RUN: ring-opt %s -split-input-file -ring-verify-lowered -verify-diagnostics

func.func @leftover(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{'ring.attention' was not lowered; the pipeline has no lowering for it here}}
  %o = ring.attention %q, %q, %q : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func private @make() -> !ring.future<tensor<4xf32>>

func.func @future_value() {
  // expected-error @+1 {{a !ring.future survived lowering}}
  %f = func.call @make() : () -> !ring.future<tensor<4xf32>>
  return
}

// -----

// Lowered code passes.
llvm.func @fine() {
  llvm.return
}
