// RUN: not ring-opt %s -ring-lower-block-attention="query-tile=-6" 2>&1 | FileCheck %s --check-prefix=QTILE
// RUN: not ring-opt %s -ring-set-cpu-target=cpu=x86-64-v3 -ring-lower-block-attention="key-tile=12" 2>&1 | FileCheck %s --check-prefix=KTILE
// RUN: not ring-opt %s -ring-set-cpu-target=cpu=x86-64-v4 -ring-lower-block-attention="key-tile=24" 2>&1 | FileCheck %s --check-prefix=KTILE512
// RUN: ring-opt %s -split-input-file -ring-lower-block-attention -verify-diagnostics

// QTILE: error: ring-lower-block-attention: query-tile must be positive (got -6)
// KTILE: error: ring-lower-block-attention: key-tile must be a positive multiple of 8, the f32 lanes of a vector on this target (got 12)
// KTILE512: error: ring-lower-block-attention: key-tile must be a positive multiple of 16, the f32 lanes of a vector on this target (got 24)

func.func @fine(%q: tensor<1x1x8x16xf32>) -> tensor<1x1x8x16xf32> {
  %o, %l = ring.block_attention %q, %q, %q : tensor<1x1x8x16xf32>, tensor<1x1x8x16xf32>, tensor<1x1x8x16xf32> -> tensor<1x1x8x16xf32>, tensor<1x1x8xf32>
  return %o : tensor<1x1x8x16xf32>
}

// -----

func.func @empty_query(%q: tensor<1x1x0x16xf32>, %k: tensor<1x1x8x16xf32>) -> tensor<1x1x0x16xf32> {
  // expected-error @+1 {{block attention of an empty query block is not supported}}
  %o, %l = ring.block_attention %q, %k, %k : tensor<1x1x0x16xf32>, tensor<1x1x8x16xf32>, tensor<1x1x8x16xf32> -> tensor<1x1x0x16xf32>, tensor<1x1x0xf32>
  return %o : tensor<1x1x0x16xf32>
}
