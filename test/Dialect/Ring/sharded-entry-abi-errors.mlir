// Every message of ring.sharded_abi's decoder, through the dialect's
// attribute verifier.
// RUN: ring-opt %s -split-input-file -verify-diagnostics

// A well-formed one verifies: x split along its tokens over 2 ranks, w
// whole.
func.func @layer(%x: tensor<8x4xf32>, %w: tensor<4x4xf32>) -> tensor<8x4xf32>
    attributes {ring.sharded_abi = {ranks = 2 : i64, arguments = [tensor<8x4xf32>, tensor<4x4xf32>], argument_splits = array<i64: 0, -1>, results = [tensor<8x4xf32>], result_splits = array<i64: 0>}} {
  return %x : tensor<8x4xf32>
}

// -----

// expected-error @below {{'ring.sharded_abi' belongs on a function}}
module attributes {ring.sharded_abi = {}} {}

// -----

// expected-error @below {{'ring.sharded_abi' must be a dictionary}}
func.func @f() attributes {ring.sharded_abi = 1 : i64} {
  return
}

// -----

// expected-error @below {{malformed 'ring.sharded_abi': 'layout' is not a ring.sharded_abi key}}
func.func @f() attributes {ring.sharded_abi = {ranks = 2 : i64, layout = "zigzag", arguments = [], argument_splits = array<i64>, results = [], result_splits = array<i64>}} {
  return
}

// -----

// expected-error @below {{malformed 'ring.sharded_abi': 'ranks' must be an integer from 1 to 2^20}}
func.func @f() attributes {ring.sharded_abi = {ranks = 0 : i64, arguments = [], argument_splits = array<i64>, results = [], result_splits = array<i64>}} {
  return
}

// -----

// expected-error @below {{malformed 'ring.sharded_abi': 'arguments' must be an array of tensor types}}
func.func @f() attributes {ring.sharded_abi = {ranks = 2 : i64, argument_splits = array<i64>, results = [], result_splits = array<i64>}} {
  return
}

// -----

// expected-error @below {{malformed 'ring.sharded_abi': 'result_splits' must be an array<i64> with one entry per result (-1: whole)}}
func.func @f() attributes {ring.sharded_abi = {ranks = 2 : i64, arguments = [], argument_splits = array<i64>, results = [tensor<8xf32>], result_splits = array<i64>}} {
  return
}

// -----

// expected-error @below {{malformed 'ring.sharded_abi': 'arguments'[1] must be a static tensor of f32, f16, bf16 or i32}}
func.func @f() attributes {ring.sharded_abi = {ranks = 2 : i64, arguments = [tensor<8xf32>, tensor<?xf32>], argument_splits = array<i64: 0, -1>, results = [], result_splits = array<i64>}} {
  return
}

// -----

// expected-error @below {{malformed 'ring.sharded_abi': 'arguments'[0] must be a static tensor of f32, f16, bf16 or i32}}
func.func @f() attributes {ring.sharded_abi = {ranks = 2 : i64, arguments = [tensor<8xf64>], argument_splits = array<i64: 0>, results = [], result_splits = array<i64>}} {
  return
}

// -----

// expected-error @below {{malformed 'ring.sharded_abi': 'argument_splits'[0] names dimension 2 of a rank-2 tensor}}
func.func @f() attributes {ring.sharded_abi = {ranks = 2 : i64, arguments = [tensor<8x4xf32>], argument_splits = array<i64: 2>, results = [], result_splits = array<i64>}} {
  return
}

// -----

// expected-error @below {{malformed 'ring.sharded_abi': 'result_splits'[0] splits dimension 0 of size 6 unevenly over 4 ranks}}
func.func @f() attributes {ring.sharded_abi = {ranks = 4 : i64, arguments = [], argument_splits = array<i64>, results = [tensor<6x4xf32>], result_splits = array<i64: 0>}} {
  return
}
