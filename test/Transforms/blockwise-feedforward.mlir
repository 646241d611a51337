// ring-blockwise-feedforward tiles a feedforward block's chain along the
// tokens and fuses it into one loop, so the hidden activation is a block:
// after bufferization no buffer is 1024 tokens x 128 hidden (without the
// pass, one is). Short sequences, declarations and ring.attention are left
// as they are; a block size below 1 is an error.
// RUN: ring-opt %s -split-input-file -ring-blockwise-feedforward=block-size=128 | FileCheck %s
// RUN: ring-opt %s -split-input-file -ring-blockwise-feedforward=block-size=128 -one-shot-bufferize=bufferize-function-boundaries | FileCheck %s --check-prefix=MEM
// RUN: ring-opt %s -split-input-file -one-shot-bufferize=bufferize-function-boundaries | FileCheck %s --check-prefix=WHOLE
// RUN: not ring-opt %s -split-input-file -ring-blockwise-feedforward=block-size=0 2>&1 | FileCheck %s --check-prefix=ZERO
// ZERO: error: ring-blockwise-feedforward: block-size must be positive, got 0

// CHECK-LABEL: func.func @feedforward(
// CHECK-NOT: linalg.
// CHECK: scf.for %{{.*}} = %c0 to %c1024 step %c128 iter_args(
// CHECK: linalg.generic {{.*}} ins(%{{.*}} : tensor<128x32xf32>) outs(%{{.*}} : tensor<128xf32>)
// CHECK: linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<128x32xf32>, tensor<32x128xf32>) outs(%{{.*}} : tensor<128x128xf32>)
// CHECK: linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<128x128xf32>, tensor<128x32xf32>) outs(%{{.*}} : tensor<128x32xf32>)
// CHECK: tensor.insert_slice
// CHECK-NOT: linalg.
// CHECK: return
// MEM-LABEL: func.func @feedforward(
// MEM-NOT: memref<1024x128xf32>
// MEM: memref.alloc() {{.*}} : memref<128x128xf32>
// MEM-NOT: memref<1024x128xf32>
// MEM-LABEL: func.func @short
// WHOLE-LABEL: func.func @feedforward(
// WHOLE: memref.alloc() {{.*}} : memref<1024x128xf32>
#tok = affine_map<(t, f) -> (t, f)>
#row = affine_map<(t, f) -> (t)>
#feat = affine_map<(t, f) -> (f)>
// A pre-norm feedforward block on 1024 tokens of width 32, hidden 128:
// z = x + relu(rmsnorm(x) W1) W2, the norm's gain g.
func.func @feedforward(%x: tensor<1024x32xf32>, %g: tensor<32xf32>, %w1: tensor<32x128xf32>, %w2: tensor<128x32xf32>) -> tensor<1024x32xf32> {
  %zero = arith.constant 0.0 : f32
  %width = arith.constant 32.0 : f32
  %eps = arith.constant 1.0e-5 : f32
  %re = tensor.empty() : tensor<1024xf32>
  %rz = linalg.fill ins(%zero : f32) outs(%re : tensor<1024xf32>) -> tensor<1024xf32>
  %squares = linalg.generic {indexing_maps = [#tok, #row], iterator_types = ["parallel", "reduction"]} ins(%x : tensor<1024x32xf32>) outs(%rz : tensor<1024xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %sq = arith.mulf %a, %a : f32
    %s = arith.addf %acc, %sq : f32
    linalg.yield %s : f32
  } -> tensor<1024xf32>
  %te = tensor.empty() : tensor<1024x32xf32>
  %normed = linalg.generic {indexing_maps = [#tok, #row, #feat, #tok], iterator_types = ["parallel", "parallel"]} ins(%x, %squares, %g : tensor<1024x32xf32>, tensor<1024xf32>, tensor<32xf32>) outs(%te : tensor<1024x32xf32>) {
  ^bb0(%a: f32, %ss: f32, %gain: f32, %out: f32):
    %mean = arith.divf %ss, %width : f32
    %m = arith.addf %mean, %eps : f32
    %root = math.sqrt %m : f32
    %n = arith.divf %a, %root : f32
    %y = arith.mulf %n, %gain : f32
    linalg.yield %y : f32
  } -> tensor<1024x32xf32>
  %he = tensor.empty() : tensor<1024x128xf32>
  %hz = linalg.fill ins(%zero : f32) outs(%he : tensor<1024x128xf32>) -> tensor<1024x128xf32>
  %h = linalg.matmul ins(%normed, %w1 : tensor<1024x32xf32>, tensor<32x128xf32>) outs(%hz : tensor<1024x128xf32>) -> tensor<1024x128xf32>
  %act = linalg.generic {indexing_maps = [#tok, #tok], iterator_types = ["parallel", "parallel"]} ins(%h : tensor<1024x128xf32>) outs(%he : tensor<1024x128xf32>) {
  ^bb0(%a: f32, %out: f32):
    %r = arith.maximumf %a, %zero : f32
    linalg.yield %r : f32
  } -> tensor<1024x128xf32>
  %yz = linalg.fill ins(%zero : f32) outs(%te : tensor<1024x32xf32>) -> tensor<1024x32xf32>
  %y = linalg.matmul ins(%act, %w2 : tensor<1024x128xf32>, tensor<128x32xf32>) outs(%yz : tensor<1024x32xf32>) -> tensor<1024x32xf32>
  %z = linalg.generic {indexing_maps = [#tok, #tok, #tok], iterator_types = ["parallel", "parallel"]} ins(%x, %y : tensor<1024x32xf32>, tensor<1024x32xf32>) outs(%te : tensor<1024x32xf32>) {
  ^bb0(%a: f32, %b: f32, %out: f32):
    %r = arith.addf %a, %b : f32
    linalg.yield %r : f32
  } -> tensor<1024x32xf32>
  return %z : tensor<1024x32xf32>
}

// -----

// 128 tokens are one block already: untouched.
// CHECK-LABEL: func.func @short(
// CHECK-NOT: scf.for
// CHECK: linalg.matmul
func.func @short(%x: tensor<128x32xf32>, %w: tensor<32x32xf32>) -> tensor<128x32xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<128x32xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<128x32xf32>) -> tensor<128x32xf32>
  %y = linalg.matmul ins(%x, %w : tensor<128x32xf32>, tensor<32x32xf32>) outs(%z : tensor<128x32xf32>) -> tensor<128x32xf32>
  return %y : tensor<128x32xf32>
}
