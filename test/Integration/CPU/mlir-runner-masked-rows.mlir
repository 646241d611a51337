// The ring-lower-cpu output runs under upstream mlir-runner. Block attention
// whose keys sit at positions 4..11 and queries at 0..7 (causal): queries
// 0-3 see no key, so they must give out = 0 and lse = -inf (not NaN). With
// q = k = ones (score 16 * 0.25 = 4 everywhere) and v[j] = j, query i >= 4
// averages v over keys 0..i-4: out = (i-4)/2, lse = 4 + ln(i-3).
// RUN: ring-opt %s -ring-lower-cpu | mlir-runner -e main -entry-point-result=void -shared-libs=%mlir_runner_utils,%mlir_c_runner_utils,%ringattn_runtime | FileCheck %s

// CHECK: [-inf,  -inf,  -inf,  -inf,  4,  4.69315,  5.09861,  5.38629]
// CHECK: [0,     0,     0,     0],
// CHECK: [0,     0,     0,     0],
// CHECK: [0,     0,     0,     0],
// CHECK: [0,     0,     0,     0],
// CHECK: [0,     0,     0,     0],
// CHECK: [0.5,   0.5,   0.5,   0.5],
// CHECK: [1,     1,     1,     1],
// CHECK: [1.5,   1.5,   1.5,   1.5]

func.func private @printMemrefF32(memref<*xf32>)

func.func @main() {
  %ones = arith.constant dense<1.0> : tensor<1x1x8x4xf32>
  %v = tensor.generate {
  ^bb0(%b: index, %h: index, %j: index, %d: index):
    %ji = arith.index_cast %j : index to i32
    %jf = arith.sitofp %ji : i32 to f32
    tensor.yield %jf : f32
  } : tensor<1x1x8x4xf32>
  %q0 = arith.constant 0 : index
  %k0 = arith.constant 4 : index
  %od = tensor.empty() : tensor<1x1x8x4xf32>
  %ld = tensor.empty() : tensor<1x1x8xf32>
  %o, %lse = ring.block_attention %ones, %ones, %v into %od, %ld causal query_pos(%q0, 1) key_pos(%k0, 1) scale 1.0
      : tensor<1x1x8x4xf32>, tensor<1x1x8x4xf32>, tensor<1x1x8x4xf32> -> tensor<1x1x8x4xf32>, tensor<1x1x8xf32>
  %lm = bufferization.to_buffer %lse : tensor<1x1x8xf32> to memref<1x1x8xf32>
  %lu = memref.cast %lm : memref<1x1x8xf32> to memref<*xf32>
  call @printMemrefF32(%lu) : (memref<*xf32>) -> ()
  %om = bufferization.to_buffer %o : tensor<1x1x8x4xf32> to memref<1x1x8x4xf32>
  %ou = memref.cast %om : memref<1x1x8x4xf32> to memref<*xf32>
  call @printMemrefF32(%ou) : (memref<*xf32>) -> ()
  return
}
