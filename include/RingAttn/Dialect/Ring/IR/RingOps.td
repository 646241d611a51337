//===- RingOps.td - Operations of the ring dialect ---------*- tablegen -*-===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception

#ifndef RINGATTN_DIALECT_RING_IR_RINGOPS_TD
#define RINGATTN_DIALECT_RING_IR_RINGOPS_TD

include "RingAttn/Dialect/Ring/IR/RingDialect.td"
include "RingAttn/Dialect/Ring/IR/RingAttributes.td"
include "RingAttn/Dialect/Ring/IR/RingTypes.td"
include "mlir/IR/SymbolInterfaces.td"
include "mlir/Interfaces/DestinationStyleOpInterface.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

//===----------------------------------------------------------------------===//
// Type constraints
//===----------------------------------------------------------------------===//

// Activations: [batch, heads, seq, head_dim], statically shaped.
def Ring_ActivationTensor : Type<
    And<[TensorRankOf<[F32, F16, BF16], [4]>.predicate, HasStaticShapePred]>,
    "statically shaped 4-D tensor of f32, f16 or bf16",
    "::mlir::RankedTensorType">;

// Partial outputs, what ring.combine merges, are always f32 (see
// docs/Semantics.md: partials in bf16 make the error grow with the ring
// size); only a block whose output is final writes the input type.
def Ring_PartialOutTensor : Type<
    And<[TensorRankOf<[F32], [4]>.predicate, HasStaticShapePred]>,
    "statically shaped 4-D tensor of f32", "::mlir::RankedTensorType">;
def Ring_LseTensor : Type<
    And<[TensorRankOf<[F32], [3]>.predicate, HasStaticShapePred]>,
    "statically shaped 3-D tensor of f32", "::mlir::RankedTensorType">;
// Packed documents: the ascending global positions at which documents
// start, known at run time.
def Ring_DocumentStarts : Type<
    And<[TensorRankOf<[I32], [1]>.predicate, HasStaticShapePred]>,
    "statically shaped 1-D tensor of i32", "::mlir::RankedTensorType">;
// A block placement: which global blocks each rank holds, at run time.
def Ring_BlockPlacement : Type<
    And<[TensorRankOf<[I32], [1]>.predicate, HasStaticShapePred]>,
    "statically shaped 1-D tensor of i32", "::mlir::RankedTensorType">;
// A block's per-query-row bounds of the keys its document holds.
def Ring_RowBounds : Type<
    And<[Or<[TensorRankOf<[I32], [1]>.predicate,
             MemRefRankOf<[I32], [1]>.predicate]>, HasStaticShapePred]>,
    "statically shaped 1-D tensor or memref of i32", "::mlir::ShapedType">;
// Attention sinks and their gradient: one logit per query head.
def Ring_SinkTensor : Type<
    And<[TensorRankOf<[F32], [1]>.predicate, HasStaticShapePred]>,
    "statically shaped 1-D tensor of f32", "::mlir::RankedTensorType">;

// The buffer forms of the destination-passing ops: any strided layout (the
// chunks of a ring layout are views with offsets and outer strides).
def Ring_ActivationBuffer : Type<
    And<[MemRefRankOf<[F32, F16, BF16], [4]>.predicate, HasStaticShapePred]>,
    "statically shaped 4-D memref of f32, f16 or bf16", "::mlir::MemRefType">;
def Ring_PartialOutBuffer : Type<
    And<[MemRefRankOf<[F32], [4]>.predicate, HasStaticShapePred]>,
    "statically shaped 4-D memref of f32", "::mlir::MemRefType">;
def Ring_LseBuffer : Type<
    And<[MemRefRankOf<[F32], [3]>.predicate, HasStaticShapePred]>,
    "statically shaped 3-D memref of f32", "::mlir::MemRefType">;

// Tensor (value) or buffer (destination) form.
def Ring_Activation : Type<
    Or<[Ring_ActivationTensor.predicate, Ring_ActivationBuffer.predicate]>,
    "statically shaped 4-D tensor or memref of f32, f16 or bf16",
    "::mlir::ShapedType">;
def Ring_PartialOut : Type<
    Or<[Ring_PartialOutTensor.predicate, Ring_PartialOutBuffer.predicate]>,
    "statically shaped 4-D tensor or memref of f32", "::mlir::ShapedType">;
def Ring_Lse : Type<
    Or<[Ring_LseTensor.predicate, Ring_LseBuffer.predicate]>,
    "statically shaped 3-D tensor or memref of f32", "::mlir::ShapedType">;

// Destination-passing style, like linalg: on tensors the results are the
// new values of the destinations; on buffers there are no results, the op
// reads its inputs and writes its destinations (MemoryEffectsOpInterface).
class Ring_DestinationStyleOp<string mnemonic, list<Trait> traits = []>
    : Ring_Op<mnemonic, !listconcat(traits, [
        DestinationStyleOpInterface,
        DeclareOpInterfaceMethods<MemoryEffectsOpInterface>,
        DeclareOpInterfaceMethods<InferTypeOpInterface>])> {
  // The tensor results, one per destination (none on buffers).
  let results = (outs Variadic<AnyRankedTensor>:$result_tensors);
  code commonExtraClassDeclaration = [{
    /// The destinations (out then lse): two consecutive operands.
    ::mlir::MutableOperandRange getDpsInitsMutable() {
      return ::mlir::MutableOperandRange(
          getOperation(), getOutInitMutable().getOperandNumber(), 2);
    }
    /// The tensor results; only on tensors.
    ::mlir::TypedValue<::mlir::RankedTensorType> getOut() {
      return ::llvm::cast<::mlir::TypedValue<::mlir::RankedTensorType>>(
          getResultTensors()[0]);
    }
    ::mlir::TypedValue<::mlir::RankedTensorType> getLse() {
      return ::llvm::cast<::mlir::TypedValue<::mlir::RankedTensorType>>(
          getResultTensors()[1]);
    }
  }];
}

//===----------------------------------------------------------------------===//
// ring.attention
//===----------------------------------------------------------------------===//

def Ring_AttentionOp : Ring_Op<"attention", [
    Pure, AttrSizedOperandSegments, AllTypesMatch<["query", "result"]>,
    DeclareOpInterfaceMethods<SymbolUserOpInterface>]> {
  let summary = "Exact scaled dot-product attention, optionally over a ring";
  let description = [{
    `softmax(scale * Q K^T + mask) V` on `[batch, heads, seq, head_dim]`
    tensors. `key` and `value` may have fewer heads than `query` (grouped-query
    or multi-query attention): query head `h` reads key/value head
    `h / (H_q / H_kv)`. `scale` defaults to `1/sqrt(head_dim)`. With `causal`,
    query token `i` attends to key tokens `j <= i` by global position. A
    sliding window bounds the keys further: with `window_left w`, `i` sees
    `j >= i - w`; with `window_right w` (not with `causal`, which already
    bounds the keys at the query), `j <= i + w`. A window needs equal query
    and key/value lengths, as `causal` does. Over a ring, the schedule
    plans the window: key/value blocks travel only as many hops as some
    rank's queries still see them (docs/Semantics.md, "Masks beyond
    causal"). With `softcap c`, each score `s` becomes `c * tanh(s / c)`
    before the mask and the softmax (as Gemma 2 and gpt-oss cap logits);
    `c` must be positive and finite.

    `sinks(%s : tensor<H_q x f32>)` gives each query head `h` an attention
    sink (as gpt-oss has): a logit `s[h]` whose `exp` joins the softmax
    denominator of every row of the head, with no value. It only takes
    weight away from the keys: `out_i = sum_j exp(x_ij - lse_i) v_j` with
    `lse_i = log(exp(s[h]) + sum_j exp(x_ij))`. A row that sees no key is 0,
    and its `lse` is `s[h]`. Over a ring every rank passes the same sinks
    (they are weights, not activations).

    `documents(%starts : tensor<M x i32>)` packs documents into the
    sequence: `%starts` holds, at run time, the global positions at which
    documents start (ascending; `cu_seqlens` as is), and a query sees only
    the keys of its own document, from the last start at or before it to
    the first start after it. With `causal` and windows, each document is
    causal or windowed on its own. Over a ring the blocks whose queries and
    keys lie in different documents are skipped at run time; the ring
    itself is planned without them (docs/Semantics.md, "Packed documents").

    `placement(%blocks : tensor<P x i32>)` lays the ring's sequence out at
    run time instead of by `layout`: its N*L positions are cut into P equal
    blocks, P/N per rank, and rank r's local block j is global block
    `%blocks[r * P/N + j]`. Every rank passes the same `%blocks`, which
    lists each block once. A placement balances what no static layout can,
    the causal work of a given mix of packed documents (docs/Semantics.md,
    "Balanced placement"); since positions are then run-time data, the ring
    is planned as for any layout the mask says nothing about (no steps are
    cut) and block pairs are skipped at run time. It needs a ring of static
    size, and takes the place of `layout`.

    `length T` says the sequence has `T` real tokens and the tensors hold
    more positions (the ranks' shards of a sequence they do not divide,
    padded at its end): positions from `T` on are padding, which sees no
    key and is seen by no query (its rows are 0, its gradients 0). `T` is
    between 1 and the positions held (the sequence length, times the ring
    size over a ring).

    Without `ring`, this is attention on one device. With
    `ring @grid axis k`, the operands are this rank's shard of a sequence laid
    out over axis `k` of the `shard.grid` named `@grid`, in the given
    `layout`, and the result is this rank's shard of exact attention over the
    whole sequence. The grid must be 1-D (`axis 0`): the runtime's ring
    spans all ranks, so a ring along one axis of a larger grid is rejected.
    A static ring size must be between 1 and 2^20 ranks (the runtime counts
    ranks in C `int`s); `head_dim` must be positive; no operand may have a
    byte size beyond int64.

    ```mlir
    shard.grid @ring(shape = 4)
    %o = ring.attention %q, %k, %v causal ring @ring axis 0 layout zigzag
        : tensor<1x8x1024x128xbf16>, tensor<1x2x1024x128xbf16>,
          tensor<1x2x1024x128xbf16>
    %w = ring.attention %q, %k, %v causal window_left 512 ring @ring axis 0
        : tensor<1x8x1024x128xbf16>, tensor<1x2x1024x128xbf16>,
          tensor<1x2x1024x128xbf16>
    %s = ring.attention %q, %k, %v sinks(%sinks : tensor<8xf32>) causal
        ring @ring axis 0
        : tensor<1x8x1024x128xbf16>, tensor<1x2x1024x128xbf16>,
          tensor<1x2x1024x128xbf16>
    ```
  }];
  let arguments = (ins
    Ring_ActivationTensor:$query,
    Ring_ActivationTensor:$key,
    Ring_ActivationTensor:$value,
    Optional<Ring_SinkTensor>:$sinks,
    Optional<Ring_DocumentStarts>:$documents,
    Optional<Ring_BlockPlacement>:$placement,
    UnitAttr:$causal,
    OptionalAttr<I64Attr>:$window_left,
    OptionalAttr<I64Attr>:$window_right,
    OptionalAttr<F32Attr>:$softcap,
    OptionalAttr<I64Attr>:$length,
    OptionalAttr<F32Attr>:$scale,
    OptionalAttr<FlatSymbolRefAttr>:$grid,
    OptionalAttr<I64Attr>:$axis,
    DefaultValuedAttr<Ring_SequenceLayoutAttr,
                      "::mlir::ring::SequenceLayout::Contiguous">:$layout);
  let results = (outs Ring_ActivationTensor:$result,
                      Optional<Ring_LseTensor>:$lse);
  let assemblyFormat = [{
    $query `,` $key `,` $value
    (`sinks` `(` $sinks^ `:` type($sinks) `)`)?
    (`documents` `(` $documents^ `:` type($documents) `)`)?
    (`placement` `(` $placement^ `:` type($placement) `)`)?
    (`causal` $causal^)?
    (`window_left` $window_left^)? (`window_right` $window_right^)?
    (`softcap` $softcap^)? (`length` $length^)? (`scale` $scale^)?
    (`ring` $grid^ `axis` $axis)? (`layout` `` $layout^)? attr-dict
    `:` type($query) `,` type($key) `,` type($value) (`->` type($lse)^)?
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// True when the operands are one rank's shard of a ring.
    bool isRing() { return getGridAttr() != nullptr; }
    /// The softmax scale, with its default filled in.
    float getScaleOrDefault();
    /// What `causal`, the window, the length and the documents say about
    /// positions.
    PositionMask getPositionMask() {
      return {getCausal(), getWindowLeft(), getWindowRight(), getLength(),
              static_cast<bool>(getDocuments())};
    }
  }];
}

//===----------------------------------------------------------------------===//
// ring.attention_grad
//===----------------------------------------------------------------------===//

def Ring_AttentionGradOp : Ring_Op<"attention_grad", [
    Pure, AttrSizedOperandSegments,
    AllTypesMatch<["query", "dout", "out", "dquery"]>,
    AllTypesMatch<["key", "dkey"]>, AllTypesMatch<["value", "dvalue"]>,
    DeclareOpInterfaceMethods<SymbolUserOpInterface>]> {
  let summary = "Gradients of attention with respect to query, key and value";
  let description = [{
    The backward of `ring.attention`: given the forward's operands, its
    output `out`, its log-sum-exp `lse` (the second result of
    `ring.attention ... -> tensor<...>`) and the gradient `dout` of a loss
    with respect to `out`, returns the gradients `dquery`, `dkey` and
    `dvalue` of that loss with respect to `query`, `key` and `value`. The
    attributes, the sinks, the documents and the placement mean what they
    mean on `ring.attention` and must be the forward's.

    With `ring @grid axis k`, every operand and result is this rank's shard
    in the given `layout` (or `placement`): the key/value blocks travel the ring as in the
    forward, and the partial sums of `dkey`/`dvalue` travel with them so
    each returns, complete, to the rank that owns it. With grouped-query
    attention the gradient of a key/value head sums over the query heads
    that read it. Gradients accumulate in f32 and are rounded once to the
    operands' element type. With `sinks`, the op also returns `dsinks`, the
    gradient of each head's sink over this rank's rows: over a ring the
    gradient of the (replicated) sinks is the sum of the ranks' `dsinks`,
    which the caller forms as it does for any replicated weight. The math, with fully masked rows (zero
    gradients), is in docs/Semantics.md.

    ```mlir
    %o, %lse = ring.attention %q, %k, %v causal ring @ring axis 0
        : tensor<1x8x512x64xf32>, tensor<1x2x512x64xf32>,
          tensor<1x2x512x64xf32> -> tensor<1x8x512xf32>
    %dq, %dk, %dv = ring.attention_grad %q, %k, %v, %o, %lse, %do causal
        ring @ring axis 0
        : tensor<1x8x512x64xf32>, tensor<1x2x512x64xf32>,
          tensor<1x2x512x64xf32>, tensor<1x8x512xf32>
    ```
  }];
  let arguments = (ins
    Ring_ActivationTensor:$query,
    Ring_ActivationTensor:$key,
    Ring_ActivationTensor:$value,
    Ring_ActivationTensor:$out,
    Ring_LseTensor:$lse,
    Ring_ActivationTensor:$dout,
    Optional<Ring_SinkTensor>:$sinks,
    Optional<Ring_DocumentStarts>:$documents,
    Optional<Ring_BlockPlacement>:$placement,
    UnitAttr:$causal,
    OptionalAttr<I64Attr>:$window_left,
    OptionalAttr<I64Attr>:$window_right,
    OptionalAttr<F32Attr>:$softcap,
    OptionalAttr<I64Attr>:$length,
    OptionalAttr<F32Attr>:$scale,
    OptionalAttr<FlatSymbolRefAttr>:$grid,
    OptionalAttr<I64Attr>:$axis,
    DefaultValuedAttr<Ring_SequenceLayoutAttr,
                      "::mlir::ring::SequenceLayout::Contiguous">:$layout);
  let results = (outs Ring_ActivationTensor:$dquery,
                      Ring_ActivationTensor:$dkey,
                      Ring_ActivationTensor:$dvalue,
                      Optional<Ring_SinkTensor>:$dsinks);
  let assemblyFormat = [{
    $query `,` $key `,` $value `,` $out `,` $lse `,` $dout
    (`sinks` `(` $sinks^ `:` type($sinks) `)`)?
    (`documents` `(` $documents^ `:` type($documents) `)`)?
    (`placement` `(` $placement^ `:` type($placement) `)`)?
    (`causal` $causal^)?
    (`window_left` $window_left^)? (`window_right` $window_right^)?
    (`softcap` $softcap^)? (`length` $length^)? (`scale` $scale^)?
    (`ring` $grid^ `axis` $axis)? (`layout` `` $layout^)? attr-dict
    `:` type($query) `,` type($key) `,` type($value) `,` type($lse)
    (`->` type($dsinks)^)?
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// True when the operands are one rank's shard of a ring.
    bool isRing() { return getGridAttr() != nullptr; }
    /// The softmax scale, with its default filled in.
    float getScaleOrDefault();
    /// What `causal`, the window, the length and the documents say about
    /// positions.
    PositionMask getPositionMask() {
      return {getCausal(), getWindowLeft(), getWindowRight(), getLength(),
              static_cast<bool>(getDocuments())};
    }
  }];
}

//===----------------------------------------------------------------------===//
// ring.block_attention
//===----------------------------------------------------------------------===//

def Ring_BlockAttentionOp : Ring_DestinationStyleOp<"block_attention", [
    AttrSizedOperandSegments]> {
  let summary = "Partial attention of a query block against one key/value block";
  let description = [{
    Computes, for each query row, `S = scale * Q K^T` (masked entries `-inf`),
    `lse = log(sum_j exp(S_ij))` (natural log) and `O = softmax(S) V`, both in
    f32, into the destinations `out` and `lse` (it does not read them). Rows
    with no visible key have `lse = -inf` and `O = 0`.

    `out` is f32, a partial result for `ring.combine` to merge, or the
    query's element type when the block's output is final: the kernel then
    rounds each f32 output once as it stores it, as `arith.truncf` of the
    f32 result would. Canonicalization folds such a `truncf` of a block's
    f32 output into the block.

    With `causal` or a window, the mask is built from global token
    positions given as affine functions of the local index: query row `i`
    sits at `query_offset + query_stride * i`, key row `j` at
    `key_offset + key_stride * j`, and `i` may attend to `j` as on
    `ring.attention` (`causal`: the key's position is not larger; the
    window bounds their distance; `length` ends both before the padding). The positions are given exactly when such
    a mask is. Every sequence layout is affine per chunk, which is all a
    block needs. `softcap` caps the scores as on `ring.attention`.

    The op is in destination-passing style. On tensors it returns the new
    `out` and `lse`; one-shot bufferization turns it into the buffer form,
    which returns nothing and writes the destination buffers (any strided
    layout, innermost dimension contiguous). The backends lower the buffer
    form (`ring-lower-block-attention`, `ring-lower-block-attention-gpu`).

    ```mlir
    %o, %lse = ring.block_attention %q, %k, %v into %o0, %lse0
        causal query_pos(%qo, 1) key_pos(%ko, 1)
        : tensor<1x8x512x128xbf16>, tensor<1x2x512x128xbf16>,
          tensor<1x2x512x128xbf16>
          -> tensor<1x8x512x128xf32>, tensor<1x8x512xf32>

    ring.block_attention %q, %k, %v into %o, %lse
        : memref<1x8x512x128xbf16>, memref<1x2x512x128xbf16>,
          memref<1x2x512x128xbf16>
          -> memref<1x8x512x128xf32>, memref<1x8x512xf32>
    ```
  }];
  let arguments = (ins
    Ring_Activation:$query,
    Ring_Activation:$key,
    Ring_Activation:$value,
    Ring_Activation:$out_init,
    Ring_Lse:$lse_init,
    Optional<Index>:$query_offset,
    Optional<Index>:$key_offset,
    Optional<Ring_RowBounds>:$document_begin,
    Optional<Ring_RowBounds>:$document_end,
    DefaultValuedAttr<I64Attr, "1">:$query_stride,
    DefaultValuedAttr<I64Attr, "1">:$key_stride,
    OptionalAttr<F32Attr>:$scale,
    UnitAttr:$causal,
    OptionalAttr<I64Attr>:$window_left,
    OptionalAttr<I64Attr>:$window_right,
    OptionalAttr<F32Attr>:$softcap,
    OptionalAttr<I64Attr>:$length);
  let assemblyFormat = [{
    $query `,` $key `,` $value `into` $out_init `,` $lse_init
    (`causal` $causal^)?
    (`window_left` $window_left^)? (`window_right` $window_right^)?
    (`length` $length^)?
    (`query_pos` `(` $query_offset^ `,` $query_stride `)`
     `key_pos` `(` $key_offset `,` $key_stride `)`)?
    (`documents` `(` $document_begin^ `,` $document_end `:`
     type($document_begin) `,` type($document_end) `)`)?
    (`softcap` $softcap^)?
    (`scale` $scale^)? attr-dict
    `:` type($query) `,` type($key) `,` type($value)
    `->` type($out_init) `,` type($lse_init)
  }];
  let builders = [
    // The mask and the cap as the schedules know them (the positions are
    // given iff `mask.any()`).
    OpBuilder<(ins "Value":$query, "Value":$key, "Value":$value,
      "Value":$out_init, "Value":$lse_init, "Value":$query_offset,
      "Value":$key_offset, "int64_t":$query_stride, "int64_t":$key_stride,
      "FloatAttr":$scale, "const PositionMask &":$mask,
      "FloatAttr":$softcap, CArg<"ValueRange", "{}">:$documents)>
  ];
  let hasVerifier = 1;
  let hasCanonicalizer = 1;
  let extraClassDeclaration = commonExtraClassDeclaration # [{
    /// What `causal`, the window, the length and the documents say about
    /// the positions (given iff the mask bounds any).
    PositionMask getPositionMask() {
      return {getCausal(), getWindowLeft(), getWindowRight(), getLength(),
              static_cast<bool>(getDocumentBegin())};
    }
    /// The softmax scale, with its default filled in.
    float getScaleOrDefault();
  }];
}

//===----------------------------------------------------------------------===//
// ring.block_attention_grad
//===----------------------------------------------------------------------===//

def Ring_BlockAttentionGradOp : Ring_Op<"block_attention_grad", [
    AttrSizedOperandSegments, AllTypesMatch<["query", "dout"]>,
    AllTypesMatch<["lse", "delta"]>,
    AllTypesMatch<["dkey_init", "dvalue_init"]>, DestinationStyleOpInterface,
    DeclareOpInterfaceMethods<MemoryEffectsOpInterface>,
    DeclareOpInterfaceMethods<InferTypeOpInterface>]> {
  let summary = "Accumulate the gradients of one (query block, key/value "
                "block) pair";
  let description = [{
    The backward of one `ring.block_attention`, from the global
    log-sum-exp: for each query row `i` and visible key `j`,

    ```
    P_ij  = exp(scale * q_i . k_j - lse_i)      (0 when masked or lse_i = -inf)
    dP_ij = dout_i . v_j
    dS_ij = P_ij * (dP_ij - delta_i)            delta_i = dout_i . out_i
    dq_i += scale * sum_j dS_ij k_j
    dk_j += scale * sum_i dS_ij q_i             (summed over the query heads
    dv_j += sum_i P_ij dout_i                    of a key/value head)
    ```

    `lse` and `delta` are per query row, f32, for the whole sequence the
    query block attends to (not this block alone), so the probabilities
    this block recomputes are final and no S x S matrix is ever stored.
    The destinations `dq`, `dk`, `dv` are f32 and are accumulated into:
    the op reads and writes them. The mask (`causal`, the window) and its
    positions are given as on `ring.block_attention`. With `softcap c`, the
    scores are capped as in the forward and `dS` is multiplied by the cap's
    slope `1 - (capped / c)^2`.

    On tensors the results are the new values of the destinations; the
    ring schedule emits the buffer form, which returns nothing
    (`ring-lower-block-attention` lowers it).

    ```mlir
    ring.block_attention_grad %q, %k, %v, %do, %lse, %delta
        into %dq, %dk, %dv causal query_pos(%qo, 1) key_pos(%ko, 1)
        : memref<1x8x512x64xbf16>, memref<1x2x512x64xbf16>,
          memref<1x2x512x64xbf16>, memref<1x8x512xf32>
          -> memref<1x8x512x64xf32>, memref<1x2x512x64xf32>
    ```
  }];
  let arguments = (ins
    Ring_Activation:$query,
    Ring_Activation:$key,
    Ring_Activation:$value,
    Ring_Activation:$dout,
    Ring_Lse:$lse,
    Ring_Lse:$delta,
    Ring_PartialOut:$dquery_init,
    Ring_PartialOut:$dkey_init,
    Ring_PartialOut:$dvalue_init,
    Optional<Index>:$query_offset,
    Optional<Index>:$key_offset,
    Optional<Ring_RowBounds>:$document_begin,
    Optional<Ring_RowBounds>:$document_end,
    DefaultValuedAttr<I64Attr, "1">:$query_stride,
    DefaultValuedAttr<I64Attr, "1">:$key_stride,
    OptionalAttr<F32Attr>:$scale,
    UnitAttr:$causal,
    OptionalAttr<I64Attr>:$window_left,
    OptionalAttr<I64Attr>:$window_right,
    OptionalAttr<F32Attr>:$softcap,
    OptionalAttr<I64Attr>:$length);
  let results = (outs Variadic<AnyRankedTensor>:$result_tensors);
  let assemblyFormat = [{
    $query `,` $key `,` $value `,` $dout `,` $lse `,` $delta
    `into` $dquery_init `,` $dkey_init `,` $dvalue_init
    (`causal` $causal^)?
    (`window_left` $window_left^)? (`window_right` $window_right^)?
    (`length` $length^)?
    (`query_pos` `(` $query_offset^ `,` $query_stride `)`
     `key_pos` `(` $key_offset `,` $key_stride `)`)?
    (`documents` `(` $document_begin^ `,` $document_end `:`
     type($document_begin) `,` type($document_end) `)`)?
    (`softcap` $softcap^)?
    (`scale` $scale^)? attr-dict
    `:` type($query) `,` type($key) `,` type($value) `,` type($lse)
    `->` type($dquery_init) `,` type($dkey_init)
  }];
  let builders = [
    // As block_attention's.
    OpBuilder<(ins "Value":$query, "Value":$key, "Value":$value,
      "Value":$dout, "Value":$lse, "Value":$delta, "Value":$dquery_init,
      "Value":$dkey_init, "Value":$dvalue_init, "Value":$query_offset,
      "Value":$key_offset, "int64_t":$query_stride, "int64_t":$key_stride,
      "FloatAttr":$scale, "const PositionMask &":$mask,
      "FloatAttr":$softcap, CArg<"ValueRange", "{}">:$documents)>
  ];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// The destinations dq, dk, dv: three consecutive operands.
    ::mlir::MutableOperandRange getDpsInitsMutable() {
      return ::mlir::MutableOperandRange(
          getOperation(), getDqueryInitMutable().getOperandNumber(), 3);
    }
    /// What `causal`, the window, the length and the documents say about
    /// the positions (given iff the mask bounds any).
    PositionMask getPositionMask() {
      return {getCausal(), getWindowLeft(), getWindowRight(), getLength(),
              static_cast<bool>(getDocumentBegin())};
    }
    /// The softmax scale, with its default filled in.
    float getScaleOrDefault();
  }];
}

//===----------------------------------------------------------------------===//
// ring.combine
//===----------------------------------------------------------------------===//

def Ring_CombineOp : Ring_DestinationStyleOp<"combine", [
    AllTypesMatch<["out_a", "out_b", "out_init"]>,
    AllTypesMatch<["lse_a", "lse_b", "lse_init"]>]> {
  let summary = "Merge two partial attention results";
  let description = [{
    `lse = logaddexp(lse_a, lse_b)`,
    `out = exp(lse_a - lse) * out_a + exp(lse_b - lse) * out_b`, computed in
    an overflow-free form, into the destinations `out` and `lse`. The merge
    is associative and commutative; a side whose `lse` is `-inf` (no visible
    key) contributes nothing, and two such sides give `lse = -inf`,
    `out = 0`, never NaN.

    The op is in destination-passing style and element-wise: each row of the
    destinations depends only on the same row of the inputs, so a
    destination may be the same buffer as the input it merges (the ring
    schedule accumulates in place into side `a`). On buffers it returns
    nothing; `ring-lower-combine` lowers that form.

    ```mlir
    %o, %lse = ring.combine (%o0, %lse0), (%o1, %lse1) into (%o0, %lse0)
        : tensor<1x8x512x128xf32>, tensor<1x8x512xf32>
    ```
  }];
  let arguments = (ins Ring_PartialOut:$out_a, Ring_Lse:$lse_a,
                       Ring_PartialOut:$out_b, Ring_Lse:$lse_b,
                       Ring_PartialOut:$out_init, Ring_Lse:$lse_init);
  let assemblyFormat = [{
    `(` $out_a `,` $lse_a `)` `,` `(` $out_b `,` $lse_b `)`
    `into` `(` $out_init `,` $lse_init `)` attr-dict
    `:` type($out_a) `,` type($lse_a)
  }];
  let hasVerifier = 1;
  let hasFolder = 1;
  let extraClassDeclaration = commonExtraClassDeclaration;
}

//===----------------------------------------------------------------------===//
// ring.shift_start / ring.shift_wait
//===----------------------------------------------------------------------===//

def Ring_ShiftStartOp : Ring_Op<"shift_start", [
    TypesMatchWith<"future wraps the source type", "source", "future",
                   "::mlir::ring::FutureType::get($_self)">,
    OptionalTypesMatchWith<"destination has the source type", "source", "dest",
                           "$_self">,
    DeclareOpInterfaceMethods<SymbolUserOpInterface>,
    AttrSizedOperandSegments,
    MemoryEffects<[MemRead, MemWrite]>]> {
  let summary = "Start rotating a value around a grid axis";
  let description = [{
    Sends `source` to the rank `offset` steps further along axis `axis` of
    `@grid` (cyclically) and starts receiving the value of the rank `offset`
    steps behind. Returns a future for the received value; the transfer
    overlaps whatever runs until the matching `ring.shift_wait`. The send and
    the receive are issued together, so a ring of any size cannot deadlock.
    The offset is the `offset` attribute (1 unless given) or, when the
    distance is known only at run time, the index operand `dynamic_offset`;
    either is taken modulo the axis size, and every rank must shift by the
    same offset.
    As for `ring.attention`, `@grid` must be 1-D: the runtime's ring spans
    all ranks, and its size must be between 1 and 2^20 ranks.

    A shift sends the value's bytes as they lie in memory, so every byte
    must belong to exactly one element and the elements must be one range:
    the element type is `index` (at the data layout's width) or an integer
    or float whose width is a power of two of at least 8 bits (not `i1`,
    `i4`, `i7`, `f80`, `complex` or `vector`); a buffer has a contiguous
    row-major layout (any offset, no gaps); and the byte size fits int64.

    On tensors the received value is new (value semantics). On buffers the
    op is in destination style: the received bytes land in `dest`, which must
    not be read, and `source` not written, until the wait. This is the form
    the ring schedule emits, double-buffering the key/value blocks without
    allocating in the ring loop.

    The op has side effects: every rank of the axis must issue the same
    shifts in the same order, so they are never merged or dropped.

    ```mlir
    %f = ring.shift_start %kv ring @ring axis 0 : tensor<1x2x512x128xbf16>
    ...
    %next = ring.shift_wait %f : !ring.future<tensor<1x2x512x128xbf16>>

    %g = ring.shift_start %cur into %spare ring @ring axis 0 : memref<1x2x512x128xbf16>
    ...
    %recv = ring.shift_wait %g : !ring.future<memref<1x2x512x128xbf16>>  // %recv is %spare

    %h = ring.shift_start %sums into %home ring @ring axis 0 dynamic_offset %back : memref<1x2x512x128xf32>
    ```
  }];
  let arguments = (ins AnyTypeOf<[AnyRankedTensor, AnyStaticShapeMemRef]>:$source,
                       Optional<AnyStaticShapeMemRef>:$dest,
                       Optional<Index>:$dynamic_offset,
                       FlatSymbolRefAttr:$grid, I64Attr:$axis,
                       OptionalAttr<I64Attr>:$offset);
  let results = (outs Ring_FutureType:$future);
  let assemblyFormat = [{
    $source (`into` $dest^)? `ring` $grid `axis` $axis (`offset` $offset^)?
    (`dynamic_offset` $dynamic_offset^)? attr-dict `:` type($source)
  }];
  let hasVerifier = 1;
  let hasCanonicalizer = 1;
  let extraClassDeclaration = [{
    /// Bytes of one element of the shifted value in memory (index at the
    /// data layout's width); std::nullopt for a type the verifier rejects.
    std::optional<int64_t> getElementBytes();
    /// Bytes the shift sends: the whole value (verified to fit int64).
    int64_t getPayloadBytes();
    /// The offset when it is static (the attribute, 1 when absent);
    /// std::nullopt when it is the `dynamic_offset` operand.
    std::optional<int64_t> getStaticOffset();
  }];
}

def Ring_ShiftWaitOp : Ring_Op<"shift_wait", [
    TypesMatchWith<"result is the value the future carries", "future",
                   "result",
                   "::llvm::cast<::mlir::ring::FutureType>($_self).getValueType()">,
    MemoryEffects<[MemRead, MemWrite]>]> {
  let summary = "Wait for a shift to complete and yield the received value";
  let description = [{
    Blocks until the transfer started by the `ring.shift_start` that produced
    `future` has completed on this rank, and yields the value received from
    the rank behind (for buffers: the destination buffer, now filled). The
    source may be reused only after this wait.
  }];
  let arguments = (ins Ring_FutureType:$future);
  let results = (outs AnyTypeOf<[AnyRankedTensor, AnyStaticShapeMemRef]>:$result);
  let assemblyFormat = "$future attr-dict `:` qualified(type($future))";
  let hasVerifier = 1;
}

#endif // RINGATTN_DIALECT_RING_IR_RINGOPS_TD
