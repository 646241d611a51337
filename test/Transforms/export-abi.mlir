// RUN: ring-opt %s -ring-export-abi | FileCheck %s

shard.grid @ring(shape = 4)

// CHECK-LABEL: func.func @entry
// CHECK-SAME: llvm.emit_c_interface
// CHECK-SAME: ring.abi = {causal = true, key = tensor<1x2x64x32xbf16>, query = tensor<1x8x64x32xbf16>, scale = 2.500000e-01 : f32, value = tensor<1x2x64x32xbf16>}
func.func @entry(%q: tensor<1x8x64x32xbf16>, %k: tensor<1x2x64x32xbf16>, %v: tensor<1x2x64x32xbf16>) -> tensor<1x8x64x32xbf16> {
  %o = ring.attention %q, %k, %v causal scale 0.25 : tensor<1x8x64x32xbf16>, tensor<1x2x64x32xbf16>, tensor<1x2x64x32xbf16>
  return %o : tensor<1x8x64x32xbf16>
}

// A window, a logit cap and the true length are recorded.
// CHECK-LABEL: func.func @window_entry
// CHECK-SAME: ring.abi = {causal = false, key = tensor<1x2x8x16xf32>, length = 7 : i64, query = tensor<1x2x8x16xf32>, scale = 2.500000e-01 : f32, softcap = 5.000000e+01 : f32, value = tensor<1x2x8x16xf32>, window_left = 3 : i64, window_right = 2 : i64}
func.func @window_entry(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  %o = ring.attention %q, %k, %v window_left 3 window_right 2 softcap 50.0 length 7 : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// The default scale is recorded explicitly; a ring entry records its ring
// size and layout.
// CHECK-LABEL: func.func @ring_entry
// CHECK-SAME: ring.abi = {causal = false, key = tensor<1x2x8x16xf32>, layout = "striped", query = tensor<1x2x8x16xf32>, ranks = 4 : i64, scale = 2.500000e-01 : f32, value = tensor<1x2x8x16xf32>}
func.func @ring_entry(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  %o = ring.attention %q, %k, %v ring @ring axis 0 layout striped : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// Not entry points: private, operands swapped, result not returned as is.
// CHECK-LABEL: func.func private @private_entry
// CHECK-NOT: ring.abi
func.func private @private_entry(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  %o = ring.attention %q, %k, %v : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}
// CHECK-LABEL: func.func @swapped
// CHECK-NOT: ring.abi
func.func @swapped(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  %o = ring.attention %q, %v, %k : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}
// CHECK-LABEL: func.func @not_returned
// CHECK-NOT: ring.abi
func.func @not_returned(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  %o = ring.attention %q, %k, %v : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>
  return %q : tensor<1x2x8x16xf32>
}

// A ring of dynamic size has no C ABI to record (ring-schedule rejects it).
shard.grid @dynamic(shape = ?)
// CHECK-LABEL: func.func @dynamic_ring
// CHECK-NOT: ring.abi
func.func @dynamic_ring(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  %o = ring.attention %q, %k, %v ring @dynamic axis 0 layout contiguous : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}
