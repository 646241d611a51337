// RUN: not ring-opt %s -ring-lower-block-attention="query-tile=6" 2>&1 | FileCheck %s --check-prefix=QTILE
// RUN: not ring-opt %s -ring-lower-block-attention="key-tile=40" 2>&1 | FileCheck %s --check-prefix=KTILE
// RUN: ring-opt %s -split-input-file -ring-lower-block-attention -verify-diagnostics

// QTILE: error: ring-lower-block-attention: query-tile must be a positive multiple of 4 (got 6)
// KTILE: error: ring-lower-block-attention: key-tile must be a positive multiple of 16 (got 40)

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
