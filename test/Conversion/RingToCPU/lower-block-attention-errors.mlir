// RUN: not ring-opt %s -ring-lower-block-attention="query-tile=-6" 2>&1 | FileCheck %s --check-prefix=QTILE
// RUN: not ring-opt %s -ring-set-cpu-target=cpu=x86-64-v3 -ring-lower-block-attention="key-tile=12" 2>&1 | FileCheck %s --check-prefix=KTILE
// RUN: not ring-opt %s -ring-set-cpu-target=cpu=x86-64-v4 -ring-lower-block-attention="key-tile=24" 2>&1 | FileCheck %s --check-prefix=KTILE512
// RUN: not ring-opt %s -ring-lower-block-attention="key-tile=32768" 2>&1 | FileCheck %s --check-prefix=KTILEMAX
// RUN: not ring-opt %s -ring-lower-block-attention="query-tile=16385" 2>&1 | FileCheck %s --check-prefix=QTILEMAX
// RUN: ring-opt %s -split-input-file -ring-lower-block-attention -verify-diagnostics

// QTILE: error: ring-lower-block-attention: query-tile must be positive (got -6)
// KTILE: error: ring-lower-block-attention: key-tile must be a positive multiple of 8, the f32 lanes of a vector on this target (got 12)
// KTILEMAX: error: ring-lower-block-attention: query-tile {{[0-9]+}} and key-tile 32768 must be at most 16384, the largest tile the kernel holds
// QTILEMAX: error: ring-lower-block-attention: query-tile 16385 and key-tile {{[0-9]+}} must be at most 16384, the largest tile the kernel holds
// KTILE512: error: ring-lower-block-attention: key-tile must be a positive multiple of 16, the f32 lanes of a vector on this target (got 24)

func.func @fine(%q: memref<1x1x8x16xf32>, %od: memref<1x1x8x16xf32>, %ld: memref<1x1x8xf32>) {
  ring.block_attention %q, %q, %q into %od, %ld : memref<1x1x8x16xf32>, memref<1x1x8x16xf32>, memref<1x1x8x16xf32> -> memref<1x1x8x16xf32>, memref<1x1x8xf32>
  return
}

// -----

func.func @empty_query(%q: memref<1x1x0x16xf32>, %k: memref<1x1x8x16xf32>, %od: memref<1x1x0x16xf32>, %ld: memref<1x1x0xf32>) {
  // expected-error @+1 {{block attention of an empty query block is not supported}}
  ring.block_attention %q, %k, %k into %od, %ld : memref<1x1x0x16xf32>, memref<1x1x8x16xf32>, memref<1x1x8x16xf32> -> memref<1x1x0x16xf32>, memref<1x1x0xf32>
  return
}

// -----

// head_dim 2^31 used to unroll P V tiles until memory ran out.
func.func @head_dim_2_31(%q: memref<1x1x8x2147483648xf32>, %od: memref<1x1x8x2147483648xf32>, %ld: memref<1x1x8xf32>) {
  // expected-error @+1 {{ring-lower-block-attention: head_dim 2147483648 exceeds the CPU kernel's limit of 16384}}
  ring.block_attention %q, %q, %q into %od, %ld : memref<1x1x8x2147483648xf32>, memref<1x1x8x2147483648xf32>, memref<1x1x8x2147483648xf32> -> memref<1x1x8x2147483648xf32>, memref<1x1x8xf32>
  return
}

// -----

func.func @head_dim_above_limit(%q: memref<1x1x8x16385xbf16>, %od: memref<1x1x8x16385xf32>, %ld: memref<1x1x8xf32>) {
  // expected-error @+1 {{ring-lower-block-attention: head_dim 16385 exceeds the CPU kernel's limit of 16384}}
  ring.block_attention %q, %q, %q into %od, %ld : memref<1x1x8x16385xbf16>, memref<1x1x8x16385xbf16>, memref<1x1x8x16385xbf16> -> memref<1x1x8x16385xf32>, memref<1x1x8xf32>
  return
}

// -----

// The mask compares key indices and positions in 32-bit lanes.
func.func @key_block_above_limit(%q: memref<1x1x8x4xf32>, %k: memref<1x1x1073741825x4xf32>, %od: memref<1x1x8x4xf32>, %ld: memref<1x1x8xf32>) {
  // expected-error @+1 {{ring-lower-block-attention: a block of 8 query rows and 1073741825 key rows exceeds the CPU kernel's limit of 1073741824 rows (it compares positions in 32-bit lanes)}}
  ring.block_attention %q, %k, %k into %od, %ld : memref<1x1x8x4xf32>, memref<1x1x1073741825x4xf32>, memref<1x1x1073741825x4xf32> -> memref<1x1x8x4xf32>, memref<1x1x8xf32>
  return
}

// -----

func.func @tensors(%q: tensor<1x1x8x16xf32>, %od: tensor<1x1x8x16xf32>, %ld: tensor<1x1x8xf32>) -> tensor<1x1x8x16xf32> {
  // expected-error @+1 {{ring-lower-block-attention lowers blocks on buffers; bufferize this one first (one-shot-bufferize)}}
  %o:2 = ring.block_attention %q, %q, %q into %od, %ld : tensor<1x1x8x16xf32>, tensor<1x1x8x16xf32>, tensor<1x1x8x16xf32> -> tensor<1x1x8x16xf32>, tensor<1x1x8xf32>
  return %o#0 : tensor<1x1x8x16xf32>
}
