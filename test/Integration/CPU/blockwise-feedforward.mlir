// The blockwise feedforward computes what the whole-sequence feedforward
// does, bit for bit: a pre-norm MLP block (RMS norm, matmul, ReLU, matmul,
// residual add) on 512 tokens, lowered by upstream passes and run under
// mlir-runner as it is and in blocks of 128 tokens (each element's sums
// run in the same order either way), prints the same 512 x 32 values.
// RUN: rm -rf %t && mkdir -p %t
// DEFINE: %{lower} = --one-shot-bufferize=bufferize-function-boundaries --convert-linalg-to-loops --expand-strided-metadata --lower-affine --convert-scf-to-cf --finalize-memref-to-llvm --convert-math-to-llvm --convert-arith-to-llvm --convert-func-to-llvm --convert-cf-to-llvm --reconcile-unrealized-casts
// DEFINE: %{run} = mlir-runner -e main -entry-point-result=void -shared-libs=%mlir_runner_utils,%mlir_c_runner_utils
// RUN: ring-opt %s %{lower} | %{run} | tail -n +2 > %t/whole.txt
// RUN: ring-opt %s -ring-blockwise-feedforward=block-size=128 %{lower} | %{run} | tail -n +2 > %t/blocks.txt
// RUN: cmp %t/whole.txt %t/blocks.txt
// RUN: FileCheck %s --input-file %t/blocks.txt
// The values are not degenerate: the first row, as the whole program gives it.
// CHECK: {{^\[\[}}1.98433,   3.23187,   3.1887,
// The tiled program is a loop over 4 blocks, with no whole-sequence hidden
// activation.
// RUN: ring-opt %s -ring-blockwise-feedforward=block-size=128 | FileCheck %s --check-prefix=TILED
// TILED-LABEL: func.func @feedforward(
// TILED-NOT: tensor<512x128xf32>
// TILED: scf.for %{{.*}} = %c0 to %c512 step %c128
// TILED-NOT: tensor<512x128xf32>
// TILED-LABEL: func.func @main(

#tok = affine_map<(t, f) -> (t, f)>
#row = affine_map<(t, f) -> (t)>
#feat = affine_map<(t, f) -> (f)>
// A pre-norm feedforward block on 512 tokens of width 32, hidden 128:
// z = x + relu(rmsnorm(x) W1) W2, the norm's gain g.
func.func @feedforward(%x: tensor<512x32xf32>, %g: tensor<32xf32>, %w1: tensor<32x128xf32>, %w2: tensor<128x32xf32>) -> tensor<512x32xf32> {
  %zero = arith.constant 0.0 : f32
  %width = arith.constant 32.0 : f32
  %eps = arith.constant 1.0e-5 : f32
  %re = tensor.empty() : tensor<512xf32>
  %rz = linalg.fill ins(%zero : f32) outs(%re : tensor<512xf32>) -> tensor<512xf32>
  %squares = linalg.generic {indexing_maps = [#tok, #row], iterator_types = ["parallel", "reduction"]} ins(%x : tensor<512x32xf32>) outs(%rz : tensor<512xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %sq = arith.mulf %a, %a : f32
    %s = arith.addf %acc, %sq : f32
    linalg.yield %s : f32
  } -> tensor<512xf32>
  %te = tensor.empty() : tensor<512x32xf32>
  %normed = linalg.generic {indexing_maps = [#tok, #row, #feat, #tok], iterator_types = ["parallel", "parallel"]} ins(%x, %squares, %g : tensor<512x32xf32>, tensor<512xf32>, tensor<32xf32>) outs(%te : tensor<512x32xf32>) {
  ^bb0(%a: f32, %ss: f32, %gain: f32, %out: f32):
    %mean = arith.divf %ss, %width : f32
    %m = arith.addf %mean, %eps : f32
    %root = math.sqrt %m : f32
    %n = arith.divf %a, %root : f32
    %y = arith.mulf %n, %gain : f32
    linalg.yield %y : f32
  } -> tensor<512x32xf32>
  %he = tensor.empty() : tensor<512x128xf32>
  %hz = linalg.fill ins(%zero : f32) outs(%he : tensor<512x128xf32>) -> tensor<512x128xf32>
  %h = linalg.matmul ins(%normed, %w1 : tensor<512x32xf32>, tensor<32x128xf32>) outs(%hz : tensor<512x128xf32>) -> tensor<512x128xf32>
  %act = linalg.generic {indexing_maps = [#tok, #tok], iterator_types = ["parallel", "parallel"]} ins(%h : tensor<512x128xf32>) outs(%he : tensor<512x128xf32>) {
  ^bb0(%a: f32, %out: f32):
    %r = arith.maximumf %a, %zero : f32
    linalg.yield %r : f32
  } -> tensor<512x128xf32>
  %yz = linalg.fill ins(%zero : f32) outs(%te : tensor<512x32xf32>) -> tensor<512x32xf32>
  %y = linalg.matmul ins(%act, %w2 : tensor<512x128xf32>, tensor<128x32xf32>) outs(%yz : tensor<512x32xf32>) -> tensor<512x32xf32>
  %z = linalg.generic {indexing_maps = [#tok, #tok, #tok], iterator_types = ["parallel", "parallel"]} ins(%x, %y : tensor<512x32xf32>, tensor<512x32xf32>) outs(%te : tensor<512x32xf32>) {
  ^bb0(%a: f32, %b: f32, %out: f32):
    %r = arith.addf %a, %b : f32
    linalg.yield %r : f32
  } -> tensor<512x32xf32>
  return %z : tensor<512x32xf32>
}

func.func private @printMemrefF32(memref<*xf32>)

// Inputs from sin of their indices: x[t, f] = sin(0.37 t + 1.1 f), the
// gain 1 + 0.01 f, W1[f, k] = 0.2 sin(0.7 f - 0.3 k), W2[k, f] = 0.2 cos(0.5 k + 0.9 f).
func.func @main() {
  %x = tensor.generate {
  ^bb0(%t: index, %f: index):
    %v = func.call @wave(%t, %f) : (index, index) -> f32
    tensor.yield %v : f32
  } : tensor<512x32xf32>
  %g = tensor.generate {
  ^bb0(%f: index):
    %c0 = arith.constant 0 : index
    %v = func.call @wave(%c0, %f) : (index, index) -> f32
    tensor.yield %v : f32
  } : tensor<32xf32>
  %w1 = tensor.generate {
  ^bb0(%f: index, %k: index):
    %v = func.call @wave(%k, %f) : (index, index) -> f32
    tensor.yield %v : f32
  } : tensor<32x128xf32>
  %w2 = tensor.generate {
  ^bb0(%k: index, %f: index):
    %v = func.call @wave(%f, %k) : (index, index) -> f32
    tensor.yield %v : f32
  } : tensor<128x32xf32>
  %z = func.call @feedforward(%x, %g, %w1, %w2) : (tensor<512x32xf32>, tensor<32xf32>, tensor<32x128xf32>, tensor<128x32xf32>) -> tensor<512x32xf32>
  %m = bufferization.to_buffer %z : tensor<512x32xf32> to memref<512x32xf32>
  %u = memref.cast %m : memref<512x32xf32> to memref<*xf32>
  func.call @printMemrefF32(%u) : (memref<*xf32>) -> ()
  return
}

// sin(0.37 a + 1.1 b): values in [-1, 1] that differ everywhere.
func.func @wave(%a: index, %b: index) -> f32 {
  %ai = arith.index_cast %a : index to i32
  %bi = arith.index_cast %b : index to i32
  %af = arith.sitofp %ai : i32 to f32
  %bf = arith.sitofp %bi : i32 to f32
  %ca = arith.constant 0.37 : f32
  %cb = arith.constant 1.1 : f32
  %x = arith.mulf %af, %ca : f32
  %y = arith.mulf %bf, %cb : f32
  %s = arith.addf %x, %y : f32
  %r = math.sin %s : f32
  return %r : f32
}
