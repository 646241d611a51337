// RUN: ring-opt %s -split-input-file -verify-diagnostics

// `ring.abi` (what a caller needs to know about an entry, EntryABI.h) is
// verified wherever it appears: each key, its type, and where it sits.

// A complete ring entry's ABI verifies.
func.func @valid() attributes {ring.abi = {causal = true, key = tensor<1x2x8x16xf32>, layout = "zigzag", query = tensor<1x4x8x16xf32>, ranks = 4 : i64, scale = 2.500000e-01 : f32, value = tensor<1x2x8x16xf32>}} {
  return
}

// -----

// expected-error @below {{'ring.abi' belongs on a function}}
module attributes {ring.abi = {}} {
}

// -----

// expected-error @below {{'ring.abi' must be a dictionary}}
func.func @not_a_dictionary() attributes {ring.abi = 1 : i64} {
  return
}

// -----

// expected-error @below {{malformed 'ring.abi': 'query' must be a 4-D ranked tensor type}}
func.func @missing_query() attributes {ring.abi = {causal = true, key = tensor<1x2x8x16xf32>, scale = 2.500000e-01 : f32, value = tensor<1x2x8x16xf32>}} {
  return
}

// -----

// expected-error @below {{malformed 'ring.abi': 'value' must be a 4-D ranked tensor type}}
func.func @value_of_rank_3() attributes {ring.abi = {causal = true, key = tensor<1x2x8x16xf32>, query = tensor<1x2x8x16xf32>, scale = 2.500000e-01 : f32, value = tensor<2x8x16xf32>}} {
  return
}

// -----

// expected-error @below {{malformed 'ring.abi': 'causal' must be a bool}}
func.func @causal_not_bool() attributes {ring.abi = {causal = 1 : i64, key = tensor<1x2x8x16xf32>, query = tensor<1x2x8x16xf32>, scale = 2.500000e-01 : f32, value = tensor<1x2x8x16xf32>}} {
  return
}

// -----

// expected-error @below {{malformed 'ring.abi': 'scale' must be an f32}}
func.func @scale_f64() attributes {ring.abi = {causal = true, key = tensor<1x2x8x16xf32>, query = tensor<1x2x8x16xf32>, scale = 2.500000e-01 : f64, value = tensor<1x2x8x16xf32>}} {
  return
}

// -----

// expected-error @below {{malformed 'ring.abi': 'layout' must be given with a ring's other key}}
func.func @ranks_without_layout() attributes {ring.abi = {causal = true, key = tensor<1x2x8x16xf32>, query = tensor<1x2x8x16xf32>, ranks = 2 : i64, scale = 2.500000e-01 : f32, value = tensor<1x2x8x16xf32>}} {
  return
}

// -----

// expected-error @below {{malformed 'ring.abi': 'ranks' must be given with a ring's other key}}
func.func @layout_without_ranks() attributes {ring.abi = {causal = true, key = tensor<1x2x8x16xf32>, layout = "zigzag", query = tensor<1x2x8x16xf32>, scale = 2.500000e-01 : f32, value = tensor<1x2x8x16xf32>}} {
  return
}

// -----

// expected-error @below {{malformed 'ring.abi': 'ranks' must be an integer from 1 to 2^20}}
func.func @zero_ranks() attributes {ring.abi = {causal = true, key = tensor<1x2x8x16xf32>, layout = "zigzag", query = tensor<1x2x8x16xf32>, ranks = 0 : i64, scale = 2.500000e-01 : f32, value = tensor<1x2x8x16xf32>}} {
  return
}

// -----

// expected-error @below {{malformed 'ring.abi': 'layout' must be "contiguous", "zigzag" or "striped"}}
func.func @unknown_layout() attributes {ring.abi = {causal = true, key = tensor<1x2x8x16xf32>, layout = "spiral", query = tensor<1x2x8x16xf32>, ranks = 2 : i64, scale = 2.500000e-01 : f32, value = tensor<1x2x8x16xf32>}} {
  return
}

// -----

// expected-error @below {{malformed 'ring.abi': 'grid' is not a ring.abi key}}
func.func @unknown_key() attributes {ring.abi = {causal = true, grid = @ring, key = tensor<1x2x8x16xf32>, query = tensor<1x2x8x16xf32>, scale = 2.500000e-01 : f32, value = tensor<1x2x8x16xf32>}} {
  return
}

// -----

// expected-error @below {{malformed 'ring.abi': 'training' must be a bool}}
func.func @training_not_bool() attributes {ring.abi = {causal = true, key = tensor<1x2x8x16xf32>, query = tensor<1x2x8x16xf32>, scale = 2.500000e-01 : f32, training = 1 : i64, value = tensor<1x2x8x16xf32>}} {
  return
}

// -----

// expected-error @below {{malformed 'ring.abi': 'window_left' must be a non-negative integer}}
func.func @window_negative() attributes {ring.abi = {causal = true, key = tensor<1x2x8x16xf32>, query = tensor<1x2x8x16xf32>, scale = 2.500000e-01 : f32, value = tensor<1x2x8x16xf32>, window_left = -1 : i64}} {
  return
}

// -----

// expected-error @below {{malformed 'ring.abi': 'window_right' must be a non-negative integer}}
func.func @window_not_integer() attributes {ring.abi = {causal = false, key = tensor<1x2x8x16xf32>, query = tensor<1x2x8x16xf32>, scale = 2.500000e-01 : f32, value = tensor<1x2x8x16xf32>, window_right = true}} {
  return
}

// -----

// expected-error @below {{malformed 'ring.abi': 'softcap' must be a positive, finite f32}}
func.func @softcap_negative() attributes {ring.abi = {causal = true, key = tensor<1x2x8x16xf32>, query = tensor<1x2x8x16xf32>, scale = 2.500000e-01 : f32, softcap = -1.000000e+00 : f32, value = tensor<1x2x8x16xf32>}} {
  return
}

// -----

// expected-error @below {{malformed 'ring.abi': 'length' must be a positive integer}}
func.func @length_zero() attributes {ring.abi = {causal = true, key = tensor<1x2x8x16xf32>, length = 0 : i64, query = tensor<1x2x8x16xf32>, scale = 2.500000e-01 : f32, value = tensor<1x2x8x16xf32>}} {
  return
}

// -----

// expected-error @below {{malformed 'ring.abi': 'sinks' must be a tensor of one f32 per query head}}
func.func @sinks_per_head() attributes {ring.abi = {causal = true, key = tensor<1x2x8x16xf32>, query = tensor<1x2x8x16xf32>, scale = 2.500000e-01 : f32, sinks = tensor<3xf32>, value = tensor<1x2x8x16xf32>}} {
  return
}

// -----

// expected-error @below {{malformed 'ring.abi': 'documents' must be a 1-D tensor of i32 (the documents' start positions)}}
func.func @documents_f32() attributes {ring.abi = {causal = true, documents = tensor<4xf32>, key = tensor<1x2x8x16xf32>, query = tensor<1x2x8x16xf32>, scale = 2.500000e-01 : f32, value = tensor<1x2x8x16xf32>}} {
  return
}

// -----

// expected-error @below {{malformed 'ring.abi': 'placement' must be a 1-D tensor of i32 (the blocks each rank holds)}}
func.func @placement_2d() attributes {ring.abi = {causal = true, key = tensor<1x2x8x16xf32>, placement = tensor<2x4xi32>, query = tensor<1x2x8x16xf32>, ranks = 2 : i64, scale = 2.500000e-01 : f32, value = tensor<1x2x8x16xf32>}} {
  return
}

// -----

// expected-error @below {{malformed 'ring.abi': 'placement' lays out a ring: it needs 'ranks' and 'layout'}}
func.func @placement_without_ring() attributes {ring.abi = {causal = true, key = tensor<1x2x8x16xf32>, placement = tensor<4xi32>, query = tensor<1x2x8x16xf32>, scale = 2.500000e-01 : f32, value = tensor<1x2x8x16xf32>}} {
  return
}
