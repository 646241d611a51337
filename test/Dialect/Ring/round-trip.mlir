// Every op parses, prints and parses again, in the custom and generic forms.
// RUN: ring-opt %s | ring-opt | FileCheck %s
// RUN: ring-opt %s --mlir-print-op-generic | ring-opt | FileCheck %s

shard.grid @ring(shape = 4)
shard.grid @ring8(shape = 8)

// CHECK-LABEL: func.func @attention_single_device
func.func @attention_single_device(%q: tensor<2x8x100x80xf32>, %k: tensor<2x8x100x80xf32>, %v: tensor<2x8x100x80xf32>) -> tensor<2x8x100x80xf32> {
  // CHECK: ring.attention %{{.*}}, %{{.*}}, %{{.*}} : tensor<2x8x100x80xf32>, tensor<2x8x100x80xf32>, tensor<2x8x100x80xf32>
  %o = ring.attention %q, %k, %v : tensor<2x8x100x80xf32>, tensor<2x8x100x80xf32>, tensor<2x8x100x80xf32>
  return %o : tensor<2x8x100x80xf32>
}

// CHECK-LABEL: func.func @attention_cross_lengths
func.func @attention_cross_lengths(%q: tensor<1x4x16x64xf16>, %k: tensor<1x1x48x64xf16>, %v: tensor<1x1x48x64xf16>) -> tensor<1x4x16x64xf16> {
  // CHECK: ring.attention %{{.*}}, %{{.*}}, %{{.*}} scale 5.000000e-01 :
  %o = ring.attention %q, %k, %v scale 0.5 : tensor<1x4x16x64xf16>, tensor<1x1x48x64xf16>, tensor<1x1x48x64xf16>
  return %o : tensor<1x4x16x64xf16>
}

// CHECK-LABEL: func.func @attention_ring_gqa_zigzag
func.func @attention_ring_gqa_zigzag(%q: tensor<1x8x64x128xbf16>, %k: tensor<1x2x64x128xbf16>, %v: tensor<1x2x64x128xbf16>) -> tensor<1x8x64x128xbf16> {
  // CHECK: ring.attention %{{.*}}, %{{.*}}, %{{.*}} causal ring @ring axis 0 layout zigzag : tensor<1x8x64x128xbf16>, tensor<1x2x64x128xbf16>, tensor<1x2x64x128xbf16>
  %o = ring.attention %q, %k, %v causal ring @ring axis 0 layout zigzag : tensor<1x8x64x128xbf16>, tensor<1x2x64x128xbf16>, tensor<1x2x64x128xbf16>
  return %o : tensor<1x8x64x128xbf16>
}

// CHECK-LABEL: func.func @attention_windows
func.func @attention_windows(%q: tensor<1x2x64x16xf32>, %o: tensor<1x2x64x16xf32>, %l: tensor<1x2x64xf32>, %od: tensor<1x2x64x16xf32>, %p: index) -> tensor<1x2x64x16xf32> {
  // CHECK: ring.attention %{{.*}}, %{{.*}}, %{{.*}} causal window_left 16 softcap 3.000000e+01 ring @ring axis 0 :
  %a = ring.attention %q, %q, %q causal window_left 16 softcap 30.0 ring @ring axis 0 : tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>
  // CHECK: ring.attention_grad %{{.*}} window_left 3 window_right 5 length 200 ring @ring axis 0 :
  %dq, %dk, %dv = ring.attention_grad %q, %q, %q, %o, %l, %od window_left 3 window_right 5 length 200 ring @ring axis 0 : tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>, tensor<1x2x64xf32>
  // CHECK: ring.block_attention %{{.*}} into %{{.*}} window_right 0 query_pos(%{{.*}}, 2) key_pos(%{{.*}}, 1) softcap 5.000000e+00 :
  %b:2 = ring.block_attention %q, %q, %q into %o, %l window_right 0 query_pos(%p, 2) key_pos(%p, 1) softcap 5.0 : tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32> -> tensor<1x2x64x16xf32>, tensor<1x2x64xf32>
  // CHECK: ring.block_attention_grad %{{.*}} into %{{.*}} causal window_left 7 length 60 query_pos(%{{.*}}, 1) key_pos(%{{.*}}, 1) :
  %g:3 = ring.block_attention_grad %q, %q, %q, %q, %l, %l into %o, %o, %o causal window_left 7 length 60 query_pos(%p, 1) key_pos(%p, 1) : tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>, tensor<1x2x64xf32> -> tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>
  return %a : tensor<1x2x64x16xf32>
}

// CHECK-LABEL: func.func @attention_sinks
func.func @attention_sinks(%q: tensor<1x2x64x16xf32>, %s: tensor<2xf32>, %l: tensor<1x2x64xf32>) -> tensor<2xf32> {
  // CHECK: ring.attention %{{.*}}, %{{.*}}, %{{.*}} sinks(%{{.*}} : tensor<2xf32>) causal ring @ring axis 0 : tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32> -> tensor<1x2x64xf32>
  %o, %lse = ring.attention %q, %q, %q sinks(%s : tensor<2xf32>) causal ring @ring axis 0 : tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32> -> tensor<1x2x64xf32>
  // CHECK: ring.attention_grad %{{.*}} sinks(%{{.*}} : tensor<2xf32>) causal ring @ring axis 0 : tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>, tensor<1x2x64xf32> -> tensor<2xf32>
  %dq, %dk, %dv, %ds = ring.attention_grad %q, %q, %q, %o, %lse, %q sinks(%s : tensor<2xf32>) causal ring @ring axis 0 : tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>, tensor<1x2x64xf32> -> tensor<2xf32>
  return %ds : tensor<2xf32>
}

// CHECK-LABEL: func.func @attention_placement
func.func @attention_placement(%q: tensor<1x2x64x16xf32>, %d: tensor<5xi32>, %p: tensor<16xi32>) -> tensor<1x2x64x16xf32> {
  // CHECK: ring.attention %{{.*}}, %{{.*}}, %{{.*}} documents(%{{.*}} : tensor<5xi32>) placement(%{{.*}} : tensor<16xi32>) causal ring @ring axis 0 :
  %o, %lse = ring.attention %q, %q, %q documents(%d : tensor<5xi32>) placement(%p : tensor<16xi32>) causal ring @ring axis 0 : tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32> -> tensor<1x2x64xf32>
  // CHECK: ring.attention_grad %{{.*}} placement(%{{.*}} : tensor<16xi32>) causal ring @ring axis 0 :
  %dq, %dk, %dv = ring.attention_grad %q, %q, %q, %o, %lse, %q placement(%p : tensor<16xi32>) causal ring @ring axis 0 : tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>, tensor<1x2x64xf32>
  return %dq : tensor<1x2x64x16xf32>
}

// CHECK-LABEL: func.func @attention_documents
func.func @attention_documents(%q: tensor<1x2x64x16xf32>, %s: tensor<2xf32>, %d: tensor<5xi32>, %rows: tensor<64xi32>, %l: tensor<1x2x64xf32>, %p: index) -> tensor<1x2x64x16xf32> {
  // CHECK: ring.attention %{{.*}}, %{{.*}}, %{{.*}} sinks(%{{.*}} : tensor<2xf32>) documents(%{{.*}} : tensor<5xi32>) causal ring @ring axis 0 :
  %o, %lse = ring.attention %q, %q, %q sinks(%s : tensor<2xf32>) documents(%d : tensor<5xi32>) causal ring @ring axis 0 : tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32> -> tensor<1x2x64xf32>
  // CHECK: ring.attention_grad %{{.*}} documents(%{{.*}} : tensor<5xi32>) ring @ring axis 0 :
  %dq, %dk, %dv = ring.attention_grad %q, %q, %q, %o, %lse, %q documents(%d : tensor<5xi32>) ring @ring axis 0 : tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>, tensor<1x2x64xf32>
  // CHECK: ring.block_attention %{{.*}} into %{{.*}} query_pos(%{{.*}}, 1) key_pos(%{{.*}}, 2) documents(%{{.*}}, %{{.*}} : tensor<64xi32>, tensor<64xi32>) :
  %b:2 = ring.block_attention %q, %q, %q into %o, %l query_pos(%p, 1) key_pos(%p, 2) documents(%rows, %rows : tensor<64xi32>, tensor<64xi32>) : tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32> -> tensor<1x2x64x16xf32>, tensor<1x2x64xf32>
  // CHECK: ring.block_attention_grad %{{.*}} into %{{.*}} causal query_pos(%{{.*}}, 1) key_pos(%{{.*}}, 1) documents(%{{.*}}, %{{.*}} : tensor<64xi32>, tensor<64xi32>) :
  %g:3 = ring.block_attention_grad %q, %q, %q, %q, %l, %l into %o, %o, %o causal query_pos(%p, 1) key_pos(%p, 1) documents(%rows, %rows : tensor<64xi32>, tensor<64xi32>) : tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>, tensor<1x2x64xf32> -> tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>
  return %dq : tensor<1x2x64x16xf32>
}

// CHECK-LABEL: func.func @attention_ring_striped
func.func @attention_ring_striped(%q: tensor<1x2x7x16xf32>) -> tensor<1x2x7x16xf32> {
  // CHECK: ring.attention %{{.*}}, %{{.*}}, %{{.*}} ring @ring8 axis 0 layout striped :
  %o = ring.attention %q, %q, %q ring @ring8 axis 0 layout striped : tensor<1x2x7x16xf32>, tensor<1x2x7x16xf32>, tensor<1x2x7x16xf32>
  // The default layout is contiguous and is not printed.
  // CHECK: ring.attention %{{.*}}, %{{.*}}, %{{.*}} ring @ring axis 0 :
  %c = ring.attention %o, %o, %o ring @ring axis 0 layout contiguous : tensor<1x2x7x16xf32>, tensor<1x2x7x16xf32>, tensor<1x2x7x16xf32>
  return %c : tensor<1x2x7x16xf32>
}

// CHECK-LABEL: func.func @block_attention
func.func @block_attention(%q: tensor<1x8x32x64xbf16>, %k: tensor<1x2x48x64xbf16>, %v: tensor<1x2x48x64xbf16>, %qo: index, %ko: index, %od: tensor<1x8x32x64xf32>, %ld: tensor<1x8x32xf32>) -> (tensor<1x8x32x64xf32>, tensor<1x8x32xf32>) {
  // CHECK: ring.block_attention %{{.*}}, %{{.*}}, %{{.*}} into %{{.*}}, %{{.*}} : tensor<1x8x32x64xbf16>, tensor<1x2x48x64xbf16>, tensor<1x2x48x64xbf16> -> tensor<1x8x32x64xf32>, tensor<1x8x32xf32>
  %o0, %l0 = ring.block_attention %q, %k, %v into %od, %ld : tensor<1x8x32x64xbf16>, tensor<1x2x48x64xbf16>, tensor<1x2x48x64xbf16> -> tensor<1x8x32x64xf32>, tensor<1x8x32xf32>
  // CHECK: ring.block_attention %{{.*}}, %{{.*}}, %{{.*}} into %{{.*}}, %{{.*}} causal query_pos(%{{.*}}, 1) key_pos(%{{.*}}, 4) scale 1.000000e+00 :
  %o1, %l1 = ring.block_attention %q, %k, %v into %o0, %l0 causal query_pos(%qo, 1) key_pos(%ko, 4) scale 1.0 : tensor<1x8x32x64xbf16>, tensor<1x2x48x64xbf16>, tensor<1x2x48x64xbf16> -> tensor<1x8x32x64xf32>, tensor<1x8x32xf32>
  return %o1, %l1 : tensor<1x8x32x64xf32>, tensor<1x8x32xf32>
}

// A final output in the query's element type.
// CHECK-LABEL: func.func @block_attention_final_output
func.func @block_attention_final_output(%q: tensor<1x8x32x64xbf16>, %od: tensor<1x8x32x64xbf16>, %ld: tensor<1x8x32xf32>) -> tensor<1x8x32x64xbf16> {
  // CHECK: ring.block_attention {{.*}} -> tensor<1x8x32x64xbf16>, tensor<1x8x32xf32>
  %o, %l = ring.block_attention %q, %q, %q into %od, %ld : tensor<1x8x32x64xbf16>, tensor<1x8x32x64xbf16>, tensor<1x8x32x64xbf16> -> tensor<1x8x32x64xbf16>, tensor<1x8x32xf32>
  return %o : tensor<1x8x32x64xbf16>
}

// The buffer form: no results; the views of a ring layout's chunks are
// accepted (any offset and outer strides, rows contiguous).
// CHECK-LABEL: func.func @block_attention_buffers
func.func @block_attention_buffers(%q: memref<1x8x64x64xbf16>, %k: memref<1x2x48x64xbf16>, %v: memref<1x2x48x64xbf16>, %od: memref<1x8x32x64xf32>, %ld: memref<1x8x32xf32>) {
  %qs = memref.subview %q[0, 0, 32, 0] [1, 8, 32, 64] [1, 1, 1, 1] : memref<1x8x64x64xbf16> to memref<1x8x32x64xbf16, strided<[32768, 4096, 64, 1], offset: 2048>>
  // CHECK: ring.block_attention %{{.*}}, %{{.*}}, %{{.*}} into %{{.*}}, %{{.*}} : memref<1x8x32x64xbf16, strided<[32768, 4096, 64, 1], offset: 2048>>, memref<1x2x48x64xbf16>, memref<1x2x48x64xbf16> -> memref<1x8x32x64xf32>, memref<1x8x32xf32>
  ring.block_attention %qs, %k, %v into %od, %ld : memref<1x8x32x64xbf16, strided<[32768, 4096, 64, 1], offset: 2048>>, memref<1x2x48x64xbf16>, memref<1x2x48x64xbf16> -> memref<1x8x32x64xf32>, memref<1x8x32xf32>
  return
}

// CHECK-LABEL: func.func @combine
func.func @combine(%oa: tensor<1x8x32x64xf32>, %la: tensor<1x8x32xf32>, %ob: tensor<1x8x32x64xf32>, %lb: tensor<1x8x32xf32>) -> (tensor<1x8x32x64xf32>, tensor<1x8x32xf32>) {
  // CHECK: ring.combine(%{{.*}}, %{{.*}}), (%{{.*}}, %{{.*}}) into(%{{.*}}, %{{.*}}) : tensor<1x8x32x64xf32>, tensor<1x8x32xf32>
  %o, %l = ring.combine (%oa, %la), (%ob, %lb) into (%oa, %la) : tensor<1x8x32x64xf32>, tensor<1x8x32xf32>
  return %o, %l : tensor<1x8x32x64xf32>, tensor<1x8x32xf32>
}

// CHECK-LABEL: func.func @combine_buffers
func.func @combine_buffers(%oa: memref<1x8x32x64xf32>, %la: memref<1x8x32xf32>, %ob: memref<1x8x32x64xf32>, %lb: memref<1x8x32xf32>) {
  // CHECK: ring.combine(%{{.*}}, %{{.*}}), (%{{.*}}, %{{.*}}) into(%{{.*}}, %{{.*}}) : memref<1x8x32x64xf32>, memref<1x8x32xf32>
  ring.combine (%oa, %la), (%ob, %lb) into (%oa, %la) : memref<1x8x32x64xf32>, memref<1x8x32xf32>
  return
}

// CHECK-LABEL: func.func @shift
func.func @shift(%kv: tensor<1x2x48x64xbf16>) -> (tensor<1x2x48x64xbf16>, tensor<1x2x48x64xbf16>) {
  // CHECK: %[[F:.*]] = ring.shift_start %{{.*}} ring @ring axis 0 : tensor<1x2x48x64xbf16>
  %f = ring.shift_start %kv ring @ring axis 0 : tensor<1x2x48x64xbf16>
  // CHECK: %[[G:.*]] = ring.shift_start %{{.*}} ring @ring8 axis 0 offset -1 : tensor<1x2x48x64xbf16>
  %g = ring.shift_start %kv ring @ring8 axis 0 offset -1 : tensor<1x2x48x64xbf16>
  // CHECK: ring.shift_wait %[[F]] : !ring.future<tensor<1x2x48x64xbf16>>
  %a = ring.shift_wait %f : !ring.future<tensor<1x2x48x64xbf16>>
  // CHECK: ring.shift_wait %[[G]] : !ring.future<tensor<1x2x48x64xbf16>>
  %b = ring.shift_wait %g : !ring.future<tensor<1x2x48x64xbf16>>
  return %a, %b : tensor<1x2x48x64xbf16>, tensor<1x2x48x64xbf16>
}

// CHECK-LABEL: func.func @shift_dynamic_offset
// CHECK-SAME: %[[BACK:[^:]*]]: index)
func.func @shift_dynamic_offset(%kv: tensor<1x2x48x64xbf16>, %back: index) -> tensor<1x2x48x64xbf16> {
  // CHECK: %[[F:.*]] = ring.shift_start %{{.*}} ring @ring axis 0 dynamic_offset %[[BACK]] : tensor<1x2x48x64xbf16>
  %f = ring.shift_start %kv ring @ring axis 0 dynamic_offset %back : tensor<1x2x48x64xbf16>
  %a = ring.shift_wait %f : !ring.future<tensor<1x2x48x64xbf16>>
  return %a : tensor<1x2x48x64xbf16>
}

// CHECK-LABEL: func.func @shift_buffers
func.func @shift_buffers(%cur: memref<1x2x48x64xbf16>, %spare: memref<1x2x48x64xbf16>) -> memref<1x2x48x64xbf16> {
  // CHECK: %[[F:.*]] = ring.shift_start %{{.*}} into %{{.*}} ring @ring axis 0 : memref<1x2x48x64xbf16>
  %f = ring.shift_start %cur into %spare ring @ring axis 0 : memref<1x2x48x64xbf16>
  // CHECK: ring.shift_wait %[[F]] : !ring.future<memref<1x2x48x64xbf16>>
  %r = ring.shift_wait %f : !ring.future<memref<1x2x48x64xbf16>>
  return %r : memref<1x2x48x64xbf16>
}

// What a shift sends exactly: index elements (the data layout's width),
// 8-bit floats, and one contiguous range at any offset (the stride of a
// unit dimension is never used), on the largest ring (2^20 ranks).
shard.grid @ring_max(shape = 1048576)
// CHECK-LABEL: func.func @shift_exact_bytes
func.func @shift_exact_bytes(%i: memref<4xindex>, %j: memref<4xindex>,
                             %e: tensor<8xf8E4M3FN>,
                             %s: memref<4x1x4xf32, strided<[4, 7, 1], offset: 3>>,
                             %t: memref<4x1x4xf32, strided<[4, 7, 1], offset: 3>>) {
  // CHECK: ring.shift_start %{{.*}} into %{{.*}} ring @ring_max axis 0 : memref<4xindex>
  %f = ring.shift_start %i into %j ring @ring_max axis 0 : memref<4xindex>
  %a = ring.shift_wait %f : !ring.future<memref<4xindex>>
  // CHECK: ring.shift_start %{{.*}} ring @ring_max axis 0 : tensor<8xf8E4M3FN>
  %g = ring.shift_start %e ring @ring_max axis 0 : tensor<8xf8E4M3FN>
  %b = ring.shift_wait %g : !ring.future<tensor<8xf8E4M3FN>>
  // CHECK: ring.shift_start %{{.*}} into %{{.*}} ring @ring_max axis 0 : memref<4x1x4xf32, strided<[4, 7, 1], offset: 3>>
  %h = ring.shift_start %s into %t ring @ring_max axis 0 : memref<4x1x4xf32, strided<[4, 7, 1], offset: 3>>
  %c = ring.shift_wait %h : !ring.future<memref<4x1x4xf32, strided<[4, 7, 1], offset: 3>>>
  return
}

// The layout attribute stands on its own too.
// CHECK-LABEL: func.func @layout_attribute
// CHECK-SAME: ring.layout = #ring<layout striped>
func.func @layout_attribute() attributes {ring.layout = #ring<layout striped>} {
  return
}

// The training ops: the forward with its log-sum-exp, the ring gradient,
// and one block's gradient on tensors and on buffers.
// CHECK-LABEL: func.func @training
func.func @training(%q: tensor<1x4x8x16xbf16>, %k: tensor<1x2x8x16xbf16>,
                    %do: tensor<1x4x8x16xbf16>) -> tensor<1x4x8x16xbf16> {
  // CHECK: ring.attention %{{.*}} causal ring @ring axis 0 layout zigzag : tensor<1x4x8x16xbf16>, tensor<1x2x8x16xbf16>, tensor<1x2x8x16xbf16> -> tensor<1x4x8xf32>
  %o, %lse = ring.attention %q, %k, %k causal ring @ring axis 0 layout zigzag
      : tensor<1x4x8x16xbf16>, tensor<1x2x8x16xbf16>, tensor<1x2x8x16xbf16> -> tensor<1x4x8xf32>
  // CHECK: ring.attention_grad %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} causal scale 5.000000e-01 ring @ring axis 0 layout zigzag : tensor<1x4x8x16xbf16>, tensor<1x2x8x16xbf16>, tensor<1x2x8x16xbf16>, tensor<1x4x8xf32>
  %dq, %dk, %dv = ring.attention_grad %q, %k, %k, %o, %lse, %do causal
      scale 0.5 ring @ring axis 0 layout zigzag
      : tensor<1x4x8x16xbf16>, tensor<1x2x8x16xbf16>, tensor<1x2x8x16xbf16>, tensor<1x4x8xf32>
  return %dq : tensor<1x4x8x16xbf16>
}

// CHECK-LABEL: func.func @block_grad
func.func @block_grad(%q: tensor<1x4x8x16xbf16>, %k: tensor<1x2x8x16xbf16>,
                      %l: tensor<1x4x8xf32>, %dq: tensor<1x4x8x16xf32>,
                      %dk: tensor<1x2x8x16xf32>, %p: index,
                      %qb: memref<1x4x8x16xbf16>, %kb: memref<1x2x8x16xbf16>,
                      %lb: memref<1x4x8xf32>, %dqb: memref<1x4x8x16xf32>,
                      %dkb: memref<1x2x8x16xf32>) {
  // CHECK: ring.block_attention_grad %{{.*}} into %{{.*}}, %{{.*}}, %{{.*}} causal query_pos(%{{.*}}, 2) key_pos(%{{.*}}, 1) : tensor<1x4x8x16xbf16>, tensor<1x2x8x16xbf16>, tensor<1x2x8x16xbf16>, tensor<1x4x8xf32> -> tensor<1x4x8x16xf32>, tensor<1x2x8x16xf32>
  %a, %b, %c = ring.block_attention_grad %q, %k, %k, %q, %l, %l into %dq, %dk, %dk
      causal query_pos(%p, 2) key_pos(%p, 1)
      : tensor<1x4x8x16xbf16>, tensor<1x2x8x16xbf16>, tensor<1x2x8x16xbf16>, tensor<1x4x8xf32>
      -> tensor<1x4x8x16xf32>, tensor<1x2x8x16xf32>
  // CHECK: ring.block_attention_grad %{{.*}} into %{{.*}}, %{{.*}}, %{{.*}} : memref<1x4x8x16xbf16>, memref<1x2x8x16xbf16>, memref<1x2x8x16xbf16>, memref<1x4x8xf32> -> memref<1x4x8x16xf32>, memref<1x2x8x16xf32>
  ring.block_attention_grad %qb, %kb, %kb, %qb, %lb, %lb into %dqb, %dkb, %dkb
      : memref<1x4x8x16xbf16>, memref<1x2x8x16xbf16>, memref<1x2x8x16xbf16>, memref<1x4x8xf32>
      -> memref<1x4x8x16xf32>, memref<1x2x8x16xf32>
  return
}
