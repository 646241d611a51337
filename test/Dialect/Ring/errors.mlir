// One case per verifier message of the ring dialect.
// RUN: ring-opt %s -split-input-file -verify-diagnostics

func.func @element_types(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xbf16>) {
  // expected-error @+1 {{query, key and value must have the same element type (got 'f32', 'bf16', 'bf16')}}
  %o = ring.attention %q, %k, %k : tensor<1x2x8x16xf32>, tensor<1x2x8x16xbf16>, tensor<1x2x8x16xbf16>
  return
}

// -----

func.func @key_value_shapes(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x9x16xf32>) {
  // expected-error @+1 {{key and value must have the same shape (got [1, 2, 8, 16] and [1, 2, 9, 16])}}
  %o = ring.attention %q, %k, %v : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x9x16xf32>
  return
}

// -----

func.func @batch(%q: tensor<2x2x8x16xf32>, %k: tensor<1x2x8x16xf32>) {
  // expected-error @+1 {{query and key must have the same batch size (got 2 and 1)}}
  %o = ring.attention %q, %k, %k : tensor<2x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>
  return
}

// -----

func.func @head_dim(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x32xf32>) {
  // expected-error @+1 {{query and key must have the same head_dim (got 16 and 32)}}
  %o = ring.attention %q, %k, %k : tensor<1x2x8x16xf32>, tensor<1x2x8x32xf32>, tensor<1x2x8x32xf32>
  return
}

// -----

func.func @head_ratio(%q: tensor<1x6x8x16xf32>, %k: tensor<1x4x8x16xf32>) {
  // expected-error @+1 {{key/value heads (4) must divide query heads (6)}}
  %o = ring.attention %q, %k, %k : tensor<1x6x8x16xf32>, tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32>
  return
}

// -----

func.func @zero_kv_heads(%q: tensor<1x6x8x16xf32>, %k: tensor<1x0x8x16xf32>) {
  // expected-error @+1 {{key/value heads (0) must divide query heads (6)}}
  %o = ring.attention %q, %k, %k : tensor<1x6x8x16xf32>, tensor<1x0x8x16xf32>, tensor<1x0x8x16xf32>
  return
}

// -----

func.func @scale_not_finite(%q: tensor<1x2x8x16xf32>) {
  // expected-error @+1 {{scale must be finite (got INF)}}
  %o = ring.attention %q, %q, %q scale 0x7F800000 : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>
  return
}

// -----

func.func @dynamic_shape(%q: tensor<1x2x?x16xf32>) {
  // expected-error @+1 {{operand #0 must be statically shaped 4-D tensor of f32, f16 or bf16}}
  %o = "ring.attention"(%q, %q, %q) <{operandSegmentSizes = array<i32: 1, 1, 1, 0, 0, 0>}> : (tensor<1x2x?x16xf32>, tensor<1x2x?x16xf32>, tensor<1x2x?x16xf32>) -> tensor<1x2x?x16xf32>
  return
}

// -----

func.func @integer_elements(%q: tensor<1x2x8x16xi8>) {
  // expected-error @+1 {{operand #0 must be statically shaped 4-D tensor of f32, f16 or bf16}}
  %o = "ring.attention"(%q, %q, %q) <{operandSegmentSizes = array<i32: 1, 1, 1, 0, 0, 0>}> : (tensor<1x2x8x16xi8>, tensor<1x2x8x16xi8>, tensor<1x2x8x16xi8>) -> tensor<1x2x8x16xi8>
  return
}

// -----

func.func @result_type(%q: tensor<1x2x8x16xf32>) {
  // expected-error @+1 {{failed to verify that all of {query, result} have same type}}
  %o = "ring.attention"(%q, %q, %q) <{operandSegmentSizes = array<i32: 1, 1, 1, 0, 0, 0>}> : (tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf16>
  return
}

// -----

shard.grid @ring(shape = 4)
func.func @grid_without_axis(%q: tensor<1x2x8x16xf32>) {
  // expected-error @+1 {{'grid' and 'axis' must be given together}}
  %o = "ring.attention"(%q, %q, %q) <{operandSegmentSizes = array<i32: 1, 1, 1, 0, 0, 0>}> {grid = @ring} : (tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32>
  return
}

// -----

func.func @layout_without_ring(%q: tensor<1x2x8x16xf32>) {
  // expected-error @+1 {{layout zigzag applies only to ring attention (add 'ring @grid axis k')}}
  %o = ring.attention %q, %q, %q layout zigzag : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>
  return
}

// -----

shard.grid @ring(shape = 4)
func.func @ring_lengths(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x4x16xf32>) {
  // expected-error @+1 {{a ring shard needs equal query and key/value sequence lengths (got 8 and 4)}}
  %o = ring.attention %q, %k, %k ring @ring axis 0 : tensor<1x2x8x16xf32>, tensor<1x2x4x16xf32>, tensor<1x2x4x16xf32>
  return
}

// -----

func.func @causal_lengths(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x4x16xf32>) {
  // expected-error @+1 {{causal attention needs equal query and key/value sequence lengths (got 8 and 4)}}
  %o = ring.attention %q, %k, %k causal : tensor<1x2x8x16xf32>, tensor<1x2x4x16xf32>, tensor<1x2x4x16xf32>
  return
}

// -----

func.func @window_lengths(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x4x16xf32>) {
  // expected-error @+1 {{a window needs equal query and key/value sequence lengths (got 8 and 4)}}
  %o = ring.attention %q, %k, %k window_left 2 : tensor<1x2x8x16xf32>, tensor<1x2x4x16xf32>, tensor<1x2x4x16xf32>
  return
}

// -----

func.func @window_negative(%q: tensor<1x2x8x16xf32>) {
  // expected-error @+1 {{window_left must be a non-negative number of tokens (got -3)}}
  %o = ring.attention %q, %q, %q causal window_left -3 : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>
  return
}

// -----

func.func @window_right_negative(%q: tensor<1x2x8x16xf32>, %o: tensor<1x2x8x16xf32>, %l: tensor<1x2x8xf32>) {
  // expected-error @+1 {{window_right must be a non-negative number of tokens (got -1)}}
  %a, %b, %c = ring.attention_grad %q, %q, %q, %o, %l, %o window_right -1 : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8xf32>
  return
}

// -----

func.func @window_right_causal(%q: tensor<1x2x8x16xf32>) {
  // expected-error @+1 {{window_right does not apply to causal attention, whose keys already end at the query; drop it, or drop 'causal' for a two-sided window}}
  %o = ring.attention %q, %q, %q causal window_right 2 : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>
  return
}

// -----

func.func @sinks_per_head(%q: tensor<1x2x8x16xf32>, %s: tensor<3xf32>) {
  // expected-error @+1 {{sinks must have one logit per query head (2), got 3}}
  %o = ring.attention %q, %q, %q sinks(%s : tensor<3xf32>) : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>
  return
}

// -----

func.func @sinks_not_f32(%q: tensor<1x2x8x16xf32>, %s: tensor<2xf16>) {
  // expected-error @+1 {{operand #3 must be statically shaped 1-D tensor of f32}}
  %o = ring.attention %q, %q, %q sinks(%s : tensor<2xf16>) : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>
  return
}

// -----

func.func @grad_sinks_without_dsinks(%q: tensor<1x2x8x16xf32>, %l: tensor<1x2x8xf32>, %s: tensor<2xf32>) {
  // expected-error @+1 {{with sinks, the op must also return their gradient (-> tensor<Hxf32>)}}
  %a, %b, %c = ring.attention_grad %q, %q, %q, %q, %l, %q sinks(%s : tensor<2xf32>) : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8xf32>
  return
}

// -----

func.func @grad_dsinks_without_sinks(%q: tensor<1x2x8x16xf32>, %l: tensor<1x2x8xf32>) {
  // expected-error @+1 {{returns dsinks but has no sinks}}
  %a, %b, %c, %d = ring.attention_grad %q, %q, %q, %q, %l, %q : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8xf32> -> tensor<2xf32>
  return
}

// -----

func.func @grad_dsinks_type(%q: tensor<1x2x8x16xf32>, %l: tensor<1x2x8xf32>, %s: tensor<2xf32>) {
  // expected-error @+1 {{dsinks must have the sinks' type 'tensor<2xf32>' (got 'tensor<3xf32>')}}
  %a, %b, %c, %d = ring.attention_grad %q, %q, %q, %q, %l, %q sinks(%s : tensor<2xf32>) : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8xf32> -> tensor<3xf32>
  return
}

// -----

func.func @documents_lengths(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x4x16xf32>, %d: tensor<3xi32>) {
  // expected-error @+1 {{packed documents needs equal query and key/value sequence lengths (got 8 and 4)}}
  %o = ring.attention %q, %k, %k documents(%d : tensor<3xi32>) : tensor<1x2x8x16xf32>, tensor<1x2x4x16xf32>, tensor<1x2x4x16xf32>
  return
}

// -----

func.func @documents_not_i32(%q: tensor<1x2x8x16xf32>, %d: tensor<3xi64>) {
  // expected-error @+1 {{operand #3 must be statically shaped 1-D tensor of i32}}
  %o = ring.attention %q, %q, %q documents(%d : tensor<3xi64>) : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>
  return
}

// -----

func.func @block_document_rows(%q: tensor<1x2x8x16xf32>, %od: tensor<1x2x8x16xf32>, %ld: tensor<1x2x8xf32>, %d: tensor<4xi32>, %p: index) {
  // expected-error @+1 {{document bounds must have one entry per query row (8), got 'tensor<4xi32>'}}
  %o, %l = ring.block_attention %q, %q, %q into %od, %ld query_pos(%p, 1) key_pos(%p, 1) documents(%d, %d : tensor<4xi32>, tensor<4xi32>) : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>, tensor<1x2x8xf32>
  return
}

// -----

func.func @block_documents_without_positions(%q: tensor<1x2x8x16xf32>, %od: tensor<1x2x8x16xf32>, %ld: tensor<1x2x8xf32>, %d: tensor<8xi32>) {
  // expected-error @+1 {{a masked block (causal, a window, a length or documents) needs the positions of its rows (query_pos and key_pos)}}
  %o, %l = ring.block_attention %q, %q, %q into %od, %ld documents(%d, %d : tensor<8xi32>, tensor<8xi32>) : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>, tensor<1x2x8xf32>
  return
}

// -----

func.func @block_document_end_missing(%q: tensor<1x2x8x16xf32>, %od: tensor<1x2x8x16xf32>, %ld: tensor<1x2x8xf32>, %d: tensor<8xi32>, %p: index) {
  // expected-error @+1 {{document_begin and document_end must be given together}}
  %o:2 = "ring.block_attention"(%q, %q, %q, %od, %ld, %p, %p, %d) <{operandSegmentSizes = array<i32: 1, 1, 1, 1, 1, 1, 1, 1, 0>}> : (tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8xf32>, index, index, tensor<8xi32>) -> (tensor<1x2x8x16xf32>, tensor<1x2x8xf32>)
  return
}

// -----

func.func @softcap_zero(%q: tensor<1x2x8x16xf32>) {
  // expected-error @+1 {{softcap must be positive and finite (got 0.000000e+00)}}
  %o = ring.attention %q, %q, %q softcap 0.0 : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>
  return
}

// -----

func.func @block_softcap_negative(%q: tensor<1x2x8x16xf32>, %od: tensor<1x2x8x16xf32>, %ld: tensor<1x2x8xf32>) {
  // expected-error @+1 {{softcap must be positive and finite (got -2.000000e+00)}}
  %o, %l = ring.block_attention %q, %q, %q into %od, %ld softcap -2.0 : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>, tensor<1x2x8xf32>
  return
}

// -----

func.func @length_zero(%q: tensor<1x2x8x16xf32>) {
  // expected-error @+1 {{length must be at least 1 token (got 0)}}
  %o = ring.attention %q, %q, %q length 0 : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>
  return
}

// -----

func.func @length_too_long(%q: tensor<1x2x8x16xf32>) {
  // expected-error @+1 {{length 9 is more than the 8 positions the operands hold}}
  %o = ring.attention %q, %q, %q causal length 9 : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>
  return
}

// -----

func.func @length_lengths(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x4x16xf32>) {
  // expected-error @+1 {{a padded sequence (length) needs equal query and key/value sequence lengths (got 8 and 4)}}
  %o = ring.attention %q, %k, %k length 3 : tensor<1x2x8x16xf32>, tensor<1x2x4x16xf32>, tensor<1x2x4x16xf32>
  return
}

// -----

shard.grid @ring(shape = 4)
func.func @length_beyond_ring(%q: tensor<1x2x8x16xf32>, %o: tensor<1x2x8x16xf32>, %l: tensor<1x2x8xf32>) {
  // expected-error @+1 {{length 33 is more than the 32 positions the ring holds (4 ranks of 8)}}
  %a, %b, %c = ring.attention_grad %q, %q, %q, %o, %l, %o causal length 33 ring @ring axis 0 : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8xf32>
  return
}

// -----

func.func @block_length_zero(%q: tensor<1x2x8x16xf32>, %od: tensor<1x2x8x16xf32>, %ld: tensor<1x2x8xf32>, %p: index) {
  // expected-error @+1 {{length must be at least 1 token (got -4)}}
  %o, %l = ring.block_attention %q, %q, %q into %od, %ld length -4 query_pos(%p, 1) key_pos(%p, 1) : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>, tensor<1x2x8xf32>
  return
}

// -----

func.func @block_window_no_positions(%q: tensor<1x2x8x16xf32>, %od: tensor<1x2x8x16xf32>, %ld: tensor<1x2x8xf32>) {
  // expected-error @+1 {{a masked block (causal, a window, a length or documents) needs the positions of its rows (query_pos and key_pos)}}
  %o, %l = ring.block_attention %q, %q, %q into %od, %ld window_left 4 : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>, tensor<1x2x8xf32>
  return
}

// -----

func.func @block_positions_no_mask(%q: tensor<1x2x8x16xf32>, %i: index, %od: tensor<1x2x8x16xf32>, %ld: tensor<1x2x8xf32>) {
  // expected-error @+1 {{positions are given but no mask uses them (add 'causal', a window, a length or documents)}}
  %o, %l = ring.block_attention %q, %q, %q into %od, %ld query_pos(%i, 1) key_pos(%i, 1) : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>, tensor<1x2x8xf32>
  return
}

// -----

func.func @block_grad_window_causal(%q: tensor<1x2x8x16xf32>, %l: tensor<1x2x8xf32>, %p: index) {
  // expected-error @+1 {{window_right does not apply to causal attention}}
  %a, %b, %c = ring.block_attention_grad %q, %q, %q, %q, %l, %l into %q, %q, %q causal window_right 1 query_pos(%p, 1) key_pos(%p, 1) : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8xf32> -> tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>
  return
}

// -----

shard.grid @ring(shape = 4)
func.func @zigzag_odd(%q: tensor<1x2x7x16xf32>) {
  // expected-error @+1 {{zigzag layout needs an even local sequence length (got 7)}}
  %o = ring.attention %q, %q, %q causal ring @ring axis 0 layout zigzag : tensor<1x2x7x16xf32>, tensor<1x2x7x16xf32>, tensor<1x2x7x16xf32>
  return
}

// -----

func.func @attention_unknown_grid(%q: tensor<1x2x8x16xf32>) {
  // expected-error @+1 {{'@nowhere' does not name a shard.grid}}
  %o = ring.attention %q, %q, %q ring @nowhere axis 0 : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>
  return
}

// -----

shard.grid @ring(shape = 4)
func.func @attention_axis_range(%q: tensor<1x2x8x16xf32>) {
  // expected-error @+1 {{axis 1 is out of range for grid @ring of rank 1}}
  %o = ring.attention %q, %q, %q ring @ring axis 1 : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>
  return
}

// -----

shard.grid @grid2d(shape = 2x4)
func.func @attention_grid_2d(%q: tensor<1x2x8x16xf32>) {
  // expected-error @+1 {{ring over grid @grid2d of rank 2 is not supported: the runtime's ring spans all ranks, so the grid must be 1-D}}
  %o = ring.attention %q, %q, %q ring @grid2d axis 1 : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>
  return
}

// -----

shard.grid @grid3d(shape = 2x1x2)
func.func @attention_grid_3d_axis_0(%q: tensor<1x2x8x16xf32>) {
  // expected-error @+1 {{ring over grid @grid3d of rank 3 is not supported: the runtime's ring spans all ranks, so the grid must be 1-D}}
  %o = ring.attention %q, %q, %q causal ring @grid3d axis 0 layout zigzag : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>
  return
}

// -----

shard.grid @ring(shape = 4)
func.func @attention_negative_axis(%q: tensor<1x2x8x16xf32>) {
  // expected-error @+1 {{axis -1 is out of range for grid @ring of rank 1}}
  %o = ring.attention %q, %q, %q ring @ring axis -1 : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>
  return
}

// -----

func.func @block_shared_checks(%q: tensor<1x6x8x16xf32>, %k: tensor<1x4x8x16xf32>, %od: tensor<1x6x8x16xf32>, %ld: tensor<1x6x8xf32>) {
  // expected-error @+1 {{key/value heads (4) must divide query heads (6)}}
  %o, %l = ring.block_attention %q, %k, %k into %od, %ld : tensor<1x6x8x16xf32>, tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32> -> tensor<1x6x8x16xf32>, tensor<1x6x8xf32>
  return
}

// -----

func.func @block_one_offset(%q: tensor<1x2x8x16xf32>, %i: index, %od: tensor<1x2x8x16xf32>, %ld: tensor<1x2x8xf32>) {
  // expected-error @+1 {{query_offset and key_offset must be given together}}
  %o:2 = "ring.block_attention"(%q, %q, %q, %od, %ld, %i) {operandSegmentSizes = array<i32: 1, 1, 1, 1, 1, 1, 0, 0, 0>} : (tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8xf32>, index) -> (tensor<1x2x8x16xf32>, tensor<1x2x8xf32>)
  return
}

// -----

func.func @block_stride(%q: tensor<1x2x8x16xf32>, %i: index, %od: tensor<1x2x8x16xf32>, %ld: tensor<1x2x8xf32>) {
  // expected-error @+1 {{position strides must be positive (got query_stride 1, key_stride 0)}}
  %o, %l = ring.block_attention %q, %q, %q into %od, %ld causal query_pos(%i, 1) key_pos(%i, 0) : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>, tensor<1x2x8xf32>
  return
}

// -----

func.func @block_scale(%q: tensor<1x2x8x16xf32>, %od: tensor<1x2x8x16xf32>, %ld: tensor<1x2x8xf32>) {
  // expected-error @+1 {{scale must be finite (got nan)}}
  %o, %l = ring.block_attention %q, %q, %q into %od, %ld scale 0x7FC00000 : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>, tensor<1x2x8xf32>
  return
}

// -----

func.func @block_out_type(%q: tensor<1x2x8x16xbf16>, %od: tensor<1x2x8x16xf16>, %ld: tensor<1x2x8xf32>) {
  // expected-error @+1 {{out must be f32 (a partial result) or the query's element type 'bf16' (a final output); got 'f16'}}
  %o, %l = ring.block_attention %q, %q, %q into %od, %ld : tensor<1x2x8x16xbf16>, tensor<1x2x8x16xbf16>, tensor<1x2x8x16xbf16> -> tensor<1x2x8x16xf16>, tensor<1x2x8xf32>
  return
}

// -----

func.func @block_out_shape(%q: tensor<1x2x8x16xbf16>, %k: tensor<1x2x4x16xbf16>, %od: tensor<1x2x4x16xf32>, %ld: tensor<1x2x8xf32>) {
  // expected-error @+1 {{out must have the query's shape [1, 2, 8, 16] (got [1, 2, 4, 16])}}
  %o, %l = ring.block_attention %q, %k, %k into %od, %ld : tensor<1x2x8x16xbf16>, tensor<1x2x4x16xbf16>, tensor<1x2x4x16xbf16> -> tensor<1x2x4x16xf32>, tensor<1x2x8xf32>
  return
}

// -----

func.func @block_lse_shape(%q: tensor<1x2x8x16xf32>, %od: tensor<1x2x8x16xf32>, %ld: tensor<1x2x16xf32>) {
  // expected-error @+1 {{lse must have shape [1, 2, 8], the query's without head_dim (got [1, 2, 16])}}
  %o, %l = ring.block_attention %q, %q, %q into %od, %ld : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>, tensor<1x2x16xf32>
  return
}

// -----

func.func @combine_lse_shape(%o: tensor<1x2x8x16xf32>, %l: tensor<1x2x16xf32>) {
  // expected-error @+1 {{lse must have the out shape without head_dim: expected [1, 2, 8] (got [1, 2, 16])}}
  %a, %b = ring.combine (%o, %l), (%o, %l) into (%o, %l) : tensor<1x2x8x16xf32>, tensor<1x2x16xf32>
  return
}

// -----

func.func @combine_types(%o: tensor<1x2x8x16xf32>, %p: tensor<1x2x4x16xf32>, %l: tensor<1x2x8xf32>) {
  // expected-error @+1 {{failed to verify that all of {out_a, out_b, out_init} have same type}}
  %a:2 = "ring.combine"(%o, %l, %p, %l, %o, %l) : (tensor<1x2x8x16xf32>, tensor<1x2x8xf32>, tensor<1x2x4x16xf32>, tensor<1x2x8xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8xf32>) -> (tensor<1x2x8x16xf32>, tensor<1x2x8xf32>)
  return
}

// -----

func.func @block_mixed_forms(%q: tensor<1x2x8x16xf32>, %od: memref<1x2x8x16xf32>, %ld: memref<1x2x8xf32>) {
  // expected-error @+1 {{operands must be all tensors or all buffers}}
  ring.block_attention %q, %q, %q into %od, %ld : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> memref<1x2x8x16xf32>, memref<1x2x8xf32>
  return
}

// -----

func.func @block_strided_rows(%q: memref<1x2x8x32xf32>, %od: memref<1x2x8x16xf32>, %ld: memref<1x2x8xf32>) {
  %qs = memref.subview %q[0, 0, 0, 0] [1, 2, 8, 16] [1, 1, 1, 2] : memref<1x2x8x32xf32> to memref<1x2x8x16xf32, strided<[512, 256, 32, 2]>>
  // expected-error @+1 {{operand #0 of type 'memref<1x2x8x16xf32, strided<[512, 256, 32, 2]>>' must be a strided buffer whose innermost dimension is contiguous}}
  ring.block_attention %qs, %od, %od into %od, %ld : memref<1x2x8x16xf32, strided<[512, 256, 32, 2]>>, memref<1x2x8x16xf32>, memref<1x2x8x16xf32> -> memref<1x2x8x16xf32>, memref<1x2x8xf32>
  return
}

// -----

shard.grid @ring(shape = 4)
func.func @future_not_waited(%kv: tensor<1x2x8x16xf32>) {
  // expected-error @+1 {{future must be waited exactly once (it has 0 uses)}}
  %f = ring.shift_start %kv ring @ring axis 0 : tensor<1x2x8x16xf32>
  return
}

// -----

shard.grid @ring(shape = 4)
func.func @future_waited_twice(%kv: tensor<1x2x8x16xf32>) {
  // expected-error @+1 {{future must be waited exactly once (it has 2 uses)}}
  %f = ring.shift_start %kv ring @ring axis 0 : tensor<1x2x8x16xf32>
  %a = ring.shift_wait %f : !ring.future<tensor<1x2x8x16xf32>>
  %b = ring.shift_wait %f : !ring.future<tensor<1x2x8x16xf32>>
  return
}

// -----

shard.grid @ring(shape = 4)
func.func @future_escapes(%kv: tensor<1x2x8x16xf32>) -> !ring.future<tensor<1x2x8x16xf32>> {
  // expected-error @+1 {{future must be consumed by ring.shift_wait (it is used by 'func.return')}}
  %f = ring.shift_start %kv ring @ring axis 0 : tensor<1x2x8x16xf32>
  return %f : !ring.future<tensor<1x2x8x16xf32>>
}

// -----

func.func @wait_on_argument(%f: !ring.future<tensor<1x2x8x16xf32>>) {
  // expected-error @+1 {{future must come straight from ring.shift_start}}
  %a = ring.shift_wait %f : !ring.future<tensor<1x2x8x16xf32>>
  return
}

// -----

func.func @shift_unknown_grid(%kv: tensor<1x2x8x16xf32>) {
  // expected-error @+1 {{'@nowhere' does not name a shard.grid}}
  %f = ring.shift_start %kv ring @nowhere axis 0 : tensor<1x2x8x16xf32>
  %a = ring.shift_wait %f : !ring.future<tensor<1x2x8x16xf32>>
  return
}

// -----

shard.grid @grid2d(shape = 2x4)
func.func @shift_axis_range(%kv: tensor<1x2x8x16xf32>) {
  // expected-error @+1 {{axis 2 is out of range for grid @grid2d of rank 2}}
  %f = ring.shift_start %kv ring @grid2d axis 2 : tensor<1x2x8x16xf32>
  %a = ring.shift_wait %f : !ring.future<tensor<1x2x8x16xf32>>
  return
}

// -----

shard.grid @grid2d(shape = 2x4)
func.func @shift_grid_2d(%cur: memref<1x2x8x16xf32>, %next: memref<1x2x8x16xf32>) {
  // expected-error @+1 {{ring over grid @grid2d of rank 2 is not supported: the runtime's ring spans all ranks, so the grid must be 1-D}}
  %f = ring.shift_start %cur into %next ring @grid2d axis 0 : memref<1x2x8x16xf32>
  %a = ring.shift_wait %f : !ring.future<memref<1x2x8x16xf32>>
  return
}

// -----

shard.grid @ring(shape = 4)
func.func @wait_type(%kv: tensor<1x2x8x16xf32>) {
  %f = ring.shift_start %kv ring @ring axis 0 : tensor<1x2x8x16xf32>
  // expected-error @+1 {{failed to verify that result is the value the future carries}}
  %a = "ring.shift_wait"(%f) : (!ring.future<tensor<1x2x8x16xf32>>) -> tensor<1x2x8x16xf16>
  return
}

// -----

shard.grid @ring(shape = 4)
func.func @buffer_shift_without_dest(%kv: memref<1x2x8x16xf32>) {
  // expected-error @+1 {{a shift of a buffer needs a destination buffer ('into %dest')}}
  %f = "ring.shift_start"(%kv) {grid = @ring, axis = 0 : i64, operandSegmentSizes = array<i32: 1, 0, 0>} : (memref<1x2x8x16xf32>) -> !ring.future<memref<1x2x8x16xf32>>
  %a = ring.shift_wait %f : !ring.future<memref<1x2x8x16xf32>>
  return
}

// -----

shard.grid @ring(shape = 4)
func.func @two_offsets(%kv: memref<1x2x8x16xf32>, %next: memref<1x2x8x16xf32>, %back: index) {
  // expected-error @+1 {{takes its offset as the 'offset' attribute or as the 'dynamic_offset' operand, not both}}
  %f = ring.shift_start %kv into %next ring @ring axis 0 offset 2 dynamic_offset %back : memref<1x2x8x16xf32>
  %a = ring.shift_wait %f : !ring.future<memref<1x2x8x16xf32>>
  return
}

// -----

shard.grid @ring(shape = 4)
// Also what a tensor shift with a buffer destination runs into.
func.func @dest_type(%kv: memref<1x2x8x16xf32>, %buf: memref<1x2x8x8xf32>) {
  // expected-error @+1 {{failed to verify that destination has the source type}}
  %f = "ring.shift_start"(%kv, %buf) {grid = @ring, axis = 0 : i64, operandSegmentSizes = array<i32: 1, 1, 0>} : (memref<1x2x8x16xf32>, memref<1x2x8x8xf32>) -> !ring.future<memref<1x2x8x16xf32>>
  %a = ring.shift_wait %f : !ring.future<memref<1x2x8x16xf32>>
  return
}

// -----

// head_dim 0 used to surface as "scale must be finite" from the default
// scale 1/sqrt(0).
func.func @attention_head_dim_zero(%q: tensor<1x2x8x0xf32>) {
  // expected-error @+1 {{head_dim must be positive (got 0)}}
  %o = ring.attention %q, %q, %q : tensor<1x2x8x0xf32>, tensor<1x2x8x0xf32>, tensor<1x2x8x0xf32>
  return
}

// -----

func.func @block_head_dim_zero(%q: tensor<1x2x8x0xf32>, %ld: tensor<1x2x8xf32>) {
  // expected-error @+1 {{head_dim must be positive (got 0)}}
  %o, %l = ring.block_attention %q, %q, %q into %q, %ld scale 1.0 : tensor<1x2x8x0xf32>, tensor<1x2x8x0xf32>, tensor<1x2x8x0xf32> -> tensor<1x2x8x0xf32>, tensor<1x2x8xf32>
  return
}

// -----

// Ring sizes: 1 to 2^20 ranks (the runtime counts ranks in C ints).
shard.grid @ring(shape = 0)
func.func @attention_ring_size_zero(%q: tensor<1x2x8x16xf32>) {
  // expected-error @+1 {{ring size 0 of grid @ring is out of range: a ring has 1 to 1048576 ranks}}
  %o = ring.attention %q, %q, %q ring @ring axis 0 : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>
  return
}

// -----

shard.grid @ring(shape = 1048577)
func.func @attention_ring_size_above_limit(%q: tensor<1x2x8x16xf32>) {
  // expected-error @+1 {{ring size 1048577 of grid @ring is out of range: a ring has 1 to 1048576 ranks}}
  %o = ring.attention %q, %q, %q ring @ring axis 0 : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>
  return
}

// -----

shard.grid @ring(shape = 4294967296)
func.func @attention_ring_size_2_32(%q: tensor<1x2x8x16xf32>) {
  // expected-error @+1 {{ring size 4294967296 of grid @ring is out of range: a ring has 1 to 1048576 ranks}}
  %o = ring.attention %q, %q, %q causal ring @ring axis 0 layout zigzag : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>
  return
}

// -----

shard.grid @ring(shape = 9223372036854775807)
func.func @shift_ring_size_int64_max(%kv: tensor<1x2x8x16xf32>) {
  // expected-error @+1 {{ring size 9223372036854775807 of grid @ring is out of range: a ring has 1 to 1048576 ranks}}
  %f = ring.shift_start %kv ring @ring axis 0 : tensor<1x2x8x16xf32>
  %a = ring.shift_wait %f : !ring.future<tensor<1x2x8x16xf32>>
  return
}

// -----

// Byte sizes beyond int64 used to verify and lower to 0-byte operands.
func.func @attention_bytes_overflow(%q: tensor<4294967296x4294967296x4x4xf32>) {
  // expected-error @+1 {{operand #0 has shape [4294967296, 4294967296, 4, 4] of 4-byte elements, whose byte size overflows int64}}
  %o = ring.attention %q, %q, %q : tensor<4294967296x4294967296x4x4xf32>, tensor<4294967296x4294967296x4x4xf32>, tensor<4294967296x4294967296x4x4xf32>
  return
}

// -----

// The element count fits int64; the bytes do not.
func.func @block_bytes_overflow(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x1152921504606846976x16xbf16>, %ld: tensor<1x2x8xf32>) {
  // expected-error @+1 {{operand #1 has shape [1, 2, 1152921504606846976, 16] of 2-byte elements, whose byte size overflows int64}}
  %o, %l = "ring.block_attention"(%q, %k, %k, %q, %ld) {operandSegmentSizes = array<i32: 1, 1, 1, 1, 1, 0, 0, 0, 0>} : (tensor<1x2x8x16xf32>, tensor<1x2x1152921504606846976x16xbf16>, tensor<1x2x1152921504606846976x16xbf16>, tensor<1x2x8x16xf32>, tensor<1x2x8xf32>) -> (tensor<1x2x8x16xf32>, tensor<1x2x8xf32>)
  return
}

// -----

func.func @combine_bytes_overflow(%o: tensor<1x4x4611686018427387904x1xf32>, %l: tensor<1x4x4611686018427387904xf32>) {
  // expected-error @+1 {{operand #0 has shape [1, 4, 4611686018427387904, 1] of 4-byte elements, whose byte size overflows int64}}
  %a, %b = ring.combine (%o, %l), (%o, %l) into (%o, %l) : tensor<1x4x4611686018427387904x1xf32>, tensor<1x4x4611686018427387904xf32>
  return
}

// -----

shard.grid @ring(shape = 2)
func.func @shift_bytes_overflow(%a: memref<4294967296x4294967296x4x4xi8>, %b: memref<4294967296x4294967296x4x4xi8>) {
  // expected-error @+1 {{operand #0 has shape [4294967296, 4294967296, 4, 4] of 1-byte elements, whose byte size overflows int64}}
  %f = ring.shift_start %a into %b ring @ring axis 0 : memref<4294967296x4294967296x4x4xi8>
  %r = ring.shift_wait %f : !ring.future<memref<4294967296x4294967296x4x4xi8>>
  return
}

// -----

// A shift sends bytes: elements without an exact byte layout are rejected
// (i1, i4 and i7 are stored in whole bytes, f80 in 16 bytes).
shard.grid @ring(shape = 2)
func.func @shift_i1(%a: memref<4xi1>, %b: memref<4xi1>) {
  // expected-error @+1 {{cannot shift elements of type 'i1': a shift sends bytes, so elements must be index or an integer or float whose width is a power of two of at least 8 bits}}
  %f = ring.shift_start %a into %b ring @ring axis 0 : memref<4xi1>
  %r = ring.shift_wait %f : !ring.future<memref<4xi1>>
  return
}

// -----

shard.grid @ring(shape = 2)
func.func @shift_i4(%a: memref<4xi4>, %b: memref<4xi4>) {
  // expected-error @+1 {{cannot shift elements of type 'i4': a shift sends bytes, so elements must be index or an integer or float whose width is a power of two of at least 8 bits}}
  %f = ring.shift_start %a into %b ring @ring axis 0 : memref<4xi4>
  %r = ring.shift_wait %f : !ring.future<memref<4xi4>>
  return
}

// -----

shard.grid @ring(shape = 2)
func.func @shift_i7(%kv: tensor<4xi7>) {
  // expected-error @+1 {{cannot shift elements of type 'i7': a shift sends bytes, so elements must be index or an integer or float whose width is a power of two of at least 8 bits}}
  %f = ring.shift_start %kv ring @ring axis 0 : tensor<4xi7>
  %r = ring.shift_wait %f : !ring.future<tensor<4xi7>>
  return
}

// -----

shard.grid @ring(shape = 2)
func.func @shift_i24(%a: memref<4xi24>, %b: memref<4xi24>) {
  // expected-error @+1 {{cannot shift elements of type 'i24': a shift sends bytes, so elements must be index or an integer or float whose width is a power of two of at least 8 bits}}
  %f = ring.shift_start %a into %b ring @ring axis 0 : memref<4xi24>
  %r = ring.shift_wait %f : !ring.future<memref<4xi24>>
  return
}

// -----

shard.grid @ring(shape = 2)
func.func @shift_f80(%a: memref<4xf80>, %b: memref<4xf80>) {
  // expected-error @+1 {{cannot shift elements of type 'f80': a shift sends bytes, so elements must be index or an integer or float whose width is a power of two of at least 8 bits}}
  %f = ring.shift_start %a into %b ring @ring axis 0 : memref<4xf80>
  %r = ring.shift_wait %f : !ring.future<memref<4xf80>>
  return
}

// -----

// Complex, vector, pointer and future elements used to crash
// the lowering to runtime calls.
shard.grid @ring(shape = 2)
func.func @shift_complex(%a: memref<4xcomplex<f32>>, %b: memref<4xcomplex<f32>>) {
  // expected-error @+1 {{cannot shift elements of type 'complex<f32>': a shift sends bytes, so elements must be index or an integer or float whose width is a power of two of at least 8 bits}}
  %f = ring.shift_start %a into %b ring @ring axis 0 : memref<4xcomplex<f32>>
  %r = ring.shift_wait %f : !ring.future<memref<4xcomplex<f32>>>
  return
}

// -----

shard.grid @ring(shape = 2)
func.func @shift_vector(%a: memref<4xvector<4xf32>>, %b: memref<4xvector<4xf32>>) {
  // expected-error @+1 {{cannot shift elements of type 'vector<4xf32>': a shift sends bytes, so elements must be index or an integer or float whose width is a power of two of at least 8 bits}}
  %f = ring.shift_start %a into %b ring @ring axis 0 : memref<4xvector<4xf32>>
  %r = ring.shift_wait %f : !ring.future<memref<4xvector<4xf32>>>
  return
}

// -----

shard.grid @ring(shape = 2)
func.func @shift_pointer(%kv: tensor<4x!llvm.ptr>) {
  // expected-error @+1 {{cannot shift elements of type '!llvm.ptr': a shift sends bytes, so elements must be index or an integer or float whose width is a power of two of at least 8 bits}}
  %f = ring.shift_start %kv ring @ring axis 0 : tensor<4x!llvm.ptr>
  %r = ring.shift_wait %f : !ring.future<tensor<4x!llvm.ptr>>
  return
}

// -----

shard.grid @ring(shape = 2)
func.func @shift_future(%kv: tensor<4x!ring.future<tensor<4xf32>>>) {
  // expected-error @+1 {{cannot shift elements of type '!ring.future<tensor<4xf32>>': a shift sends bytes, so elements must be index or an integer or float whose width is a power of two of at least 8 bits}}
  %f = ring.shift_start %kv ring @ring axis 0 : tensor<4x!ring.future<tensor<4xf32>>>
  %r = ring.shift_wait %f : !ring.future<tensor<4x!ring.future<tensor<4xf32>>>>
  return
}

// -----

// A shift sends one contiguous range: buffers with gaps, out of row-major
// order or with a layout that is not strided are rejected.
shard.grid @ring(shape = 2)
func.func @shift_gaps(%a: memref<4x4xf32, strided<[8, 1]>>, %b: memref<4x4xf32, strided<[8, 1]>>) {
  // expected-error @+1 {{cannot shift 'memref<4x4xf32, strided<[8, 1]>>': its strides [8, 1] are not the contiguous row-major strides [4, 1], and a shift sends one contiguous range}}
  %f = ring.shift_start %a into %b ring @ring axis 0 : memref<4x4xf32, strided<[8, 1]>>
  %r = ring.shift_wait %f : !ring.future<memref<4x4xf32, strided<[8, 1]>>>
  return
}

// -----

shard.grid @ring(shape = 2)
func.func @shift_transposed(%a: memref<4x4xf32, strided<[1, 4]>>, %b: memref<4x4xf32, strided<[1, 4]>>) {
  // expected-error @+1 {{cannot shift 'memref<4x4xf32, strided<[1, 4]>>': its strides [1, 4] are not the contiguous row-major strides [4, 1], and a shift sends one contiguous range}}
  %f = ring.shift_start %a into %b ring @ring axis 0 : memref<4x4xf32, strided<[1, 4]>>
  %r = ring.shift_wait %f : !ring.future<memref<4x4xf32, strided<[1, 4]>>>
  return
}

// -----

shard.grid @ring(shape = 2)
func.func @shift_dynamic_strides(%a: memref<4x4xf32, strided<[?, 1], offset: ?>>, %b: memref<4x4xf32, strided<[?, 1], offset: ?>>) {
  // expected-error @+1 {{cannot shift 'memref<4x4xf32, strided<[?, 1], offset: ?>>': its strides [?, 1] are not the contiguous row-major strides [4, 1], and a shift sends one contiguous range}}
  %f = ring.shift_start %a into %b ring @ring axis 0 : memref<4x4xf32, strided<[?, 1], offset: ?>>
  %r = ring.shift_wait %f : !ring.future<memref<4x4xf32, strided<[?, 1], offset: ?>>>
  return
}

// -----

// An affine-map layout that is not strided used to fail inside the lowering
// with memref.extract_strided_metadata's internal message.
shard.grid @ring(shape = 2)
func.func @shift_affine_map_layout(%a: memref<4x4xf32, affine_map<(d0, d1) -> (d1, d0)>>, %b: memref<4x4xf32, affine_map<(d0, d1) -> (d1, d0)>>) {
  // expected-error @+1 {{cannot shift 'memref<4x4xf32, affine_map<(d0, d1) -> (d1, d0)>>': its layout affine_map<(d0, d1) -> (d1, d0)> is not strided, and a shift sends one contiguous row-major range}}
  %f = ring.shift_start %a into %b ring @ring axis 0 : memref<4x4xf32, affine_map<(d0, d1) -> (d1, d0)>>
  %r = ring.shift_wait %f : !ring.future<memref<4x4xf32, affine_map<(d0, d1) -> (d1, d0)>>>
  return
}

// -----

func.func @attention_lse_shape(%q: tensor<1x2x8x16xf32>) {
  // expected-error @+1 {{the lse result must have shape [1, 2, 8], the query's without head_dim (got [1, 2, 4])}}
  %o, %l = ring.attention %q, %q, %q : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x4xf32>
  return
}

// -----

func.func @grad_lse_shape(%q: tensor<1x2x8x16xf32>, %l: tensor<1x2x4xf32>) {
  // expected-error @+1 {{lse must have shape [1, 2, 8], the query's without head_dim (got [1, 2, 4])}}
  %dq, %dk, %dv = ring.attention_grad %q, %q, %q, %q, %l, %q : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x4xf32>
  return
}

// -----

func.func @grad_heads(%q: tensor<1x4x8x16xf32>, %k: tensor<1x3x8x16xf32>, %l: tensor<1x4x8xf32>) {
  // expected-error @+1 {{key/value heads (3) must divide query heads (4)}}
  %dq, %dk, %dv = ring.attention_grad %q, %k, %k, %q, %l, %q : tensor<1x4x8x16xf32>, tensor<1x3x8x16xf32>, tensor<1x3x8x16xf32>, tensor<1x4x8xf32>
  return
}

// -----

func.func @grad_causal_lengths(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x4x16xf32>, %l: tensor<1x2x8xf32>) {
  // expected-error @+1 {{causal attention needs equal query and key/value sequence lengths (got 8 and 4)}}
  %dq, %dk, %dv = ring.attention_grad %q, %k, %k, %q, %l, %q causal : tensor<1x2x8x16xf32>, tensor<1x2x4x16xf32>, tensor<1x2x4x16xf32>, tensor<1x2x8xf32>
  return
}

// -----

func.func @grad_layout_without_ring(%q: tensor<1x2x8x16xf32>, %l: tensor<1x2x8xf32>) {
  // expected-error @+1 {{layout zigzag applies only to ring attention (add 'ring @grid axis k')}}
  %dq, %dk, %dv = ring.attention_grad %q, %q, %q, %q, %l, %q layout zigzag : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8xf32>
  return
}

// -----

func.func @grad_grid(%q: tensor<1x2x8x16xf32>, %l: tensor<1x2x8xf32>) {
  // expected-error @+1 {{'@nowhere' does not name a shard.grid}}
  %dq, %dk, %dv = ring.attention_grad %q, %q, %q, %q, %l, %q ring @nowhere axis 0 : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8xf32>
  return
}

// -----

func.func @block_grad_dq_shape(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x4x16xf32>, %l: tensor<1x2x8xf32>, %dq: tensor<1x2x4x16xf32>, %dk: tensor<1x2x4x16xf32>) {
  // expected-error @+1 {{dq must have the query's shape [1, 2, 8, 16] (got [1, 2, 4, 16])}}
  %a, %b, %c = ring.block_attention_grad %q, %k, %k, %q, %l, %l into %dq, %dk, %dk : tensor<1x2x8x16xf32>, tensor<1x2x4x16xf32>, tensor<1x2x4x16xf32>, tensor<1x2x8xf32> -> tensor<1x2x4x16xf32>, tensor<1x2x4x16xf32>
  return
}

// -----

func.func @block_grad_dk_shape(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x4x16xf32>, %l: tensor<1x2x8xf32>, %dk: tensor<1x2x8x16xf32>) {
  // expected-error @+1 {{dk and dv must have the key's shape [1, 2, 4, 16] (got [1, 2, 8, 16])}}
  %a, %b, %c = ring.block_attention_grad %q, %k, %k, %q, %l, %l into %q, %dk, %dk : tensor<1x2x8x16xf32>, tensor<1x2x4x16xf32>, tensor<1x2x4x16xf32>, tensor<1x2x8xf32> -> tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>
  return
}

// -----

func.func @block_grad_lse_shape(%q: tensor<1x2x8x16xf32>, %l: tensor<1x2x4xf32>) {
  // expected-error @+1 {{lse must have shape [1, 2, 8], the query's without head_dim (got [1, 2, 4])}}
  %a, %b, %c = ring.block_attention_grad %q, %q, %q, %q, %l, %l into %q, %q, %q : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x4xf32> -> tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>
  return
}

// -----

func.func @block_grad_positions(%q: tensor<1x2x8x16xf32>, %l: tensor<1x2x8xf32>, %p: index) {
  // expected-error @+1 {{position strides must be positive (got query_stride 0, key_stride 1)}}
  %a, %b, %c = ring.block_attention_grad %q, %q, %q, %q, %l, %l into %q, %q, %q causal query_pos(%p, 0) key_pos(%p, 1) : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8xf32> -> tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>
  return
}

// -----

func.func @block_grad_mixed(%q: tensor<1x2x8x16xf32>, %l: tensor<1x2x8xf32>, %m: memref<1x2x8x16xf32>) {
  // expected-error @+1 {{operands must be all tensors or all buffers}}
  ring.block_attention_grad %q, %q, %q, %q, %l, %l into %m, %m, %m : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8xf32> -> memref<1x2x8x16xf32>, memref<1x2x8x16xf32>
  return
}

// -----

func.func @placement_without_ring(%q: tensor<1x2x8x16xf32>, %p: tensor<4xi32>) {
  // expected-error @+1 {{a placement applies only to ring attention (add 'ring @grid axis k')}}
  %o = ring.attention %q, %q, %q placement(%p : tensor<4xi32>) causal : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>
  return
}

// -----

shard.grid @ring(shape = 4)
func.func @placement_and_layout(%q: tensor<1x2x8x16xf32>, %p: tensor<8xi32>) {
  // expected-error @+1 {{a placement takes the place of the layout; drop 'layout zigzag'}}
  %o = ring.attention %q, %q, %q placement(%p : tensor<8xi32>) causal ring @ring axis 0 layout zigzag : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>
  return
}

// -----

shard.grid @ring(shape = ?)
func.func @placement_dynamic_ring(%q: tensor<1x2x8x16xf32>, %p: tensor<8xi32>) {
  // expected-error @+1 {{a placement needs a ring of static size (grid @ring has a dynamic size)}}
  %o = ring.attention %q, %q, %q placement(%p : tensor<8xi32>) causal ring @ring axis 0 : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>
  return
}

// -----

shard.grid @ring(shape = 4)
func.func @placement_uneven(%q: tensor<1x2x8x16xf32>, %p: tensor<6xi32>) {
  // expected-error @+1 {{a placement of 6 blocks does not give each of 4 ranks the same number}}
  %o = ring.attention %q, %q, %q placement(%p : tensor<6xi32>) causal ring @ring axis 0 : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>
  return
}

// -----

shard.grid @ring(shape = 4)
func.func @placement_empty(%q: tensor<1x2x8x16xf32>, %p: tensor<0xi32>) {
  // expected-error @+1 {{a placement of 0 blocks does not give each of 4 ranks the same number}}
  %o = ring.attention %q, %q, %q placement(%p : tensor<0xi32>) causal ring @ring axis 0 : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>
  return
}

// -----

shard.grid @ring(shape = 2)
func.func @placement_block_length(%q: tensor<1x2x8x16xf32>, %l: tensor<1x2x8xf32>, %p: tensor<6xi32>) {
  // expected-error @+1 {{3 blocks per rank do not divide 8 local tokens}}
  %dq, %dk, %dv = ring.attention_grad %q, %q, %q, %q, %l, %q placement(%p : tensor<6xi32>) causal ring @ring axis 0 : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8xf32>
  return
}

// -----

shard.grid @ring(shape = 2)
func.func @placement_not_i32(%q: tensor<1x2x8x16xf32>, %p: tensor<4xi64>) {
  // expected-error @+1 {{operand #3 must be statically shaped 1-D tensor of i32, but got 'tensor<4xi64>'}}
  %o = ring.attention %q, %q, %q placement(%p : tensor<4xi64>) ring @ring axis 0 : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>
  return
}
