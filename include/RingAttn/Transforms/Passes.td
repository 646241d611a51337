//===- Passes.td - RingAttn passes -------------------------*- tablegen -*-===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception

#ifndef RINGATTN_TRANSFORMS_PASSES_TD
#define RINGATTN_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def RingRaiseAttention : Pass<"ring-raise-attention"> {
  let summary = "Raise scaled dot-product attention in linalg to ring.attention";
  let description = [{
    Recognizes scaled dot-product attention written in linalg on tensors,
    as a model in upstream dialects has it, and replaces it with one
    single-device `ring.attention` that the ring pipelines then lower:

    ```
    S = Q K^T       batched contraction over head_dim, into zeros
    S = S * c       optional (or S / c): the op's scale (else 1)
    S = j > i ? -inf : S   optional: causal (linalg.index 3 against 2)
    P = softmax(S)  linalg.softmax dimension(3), or its expansion
                    exp(S - max S) / sum exp(S - max S) over the keys
                    (as upstream decomposes it or torch-mlir lowers it)
    O = P V         batched contraction over the keys, into zeros
    ```

    on `[batch, heads, seq, head_dim]` tensors of f32, f16 or bf16 (the
    raised op accumulates in f32 and rounds its output once). The
    contractions are any linalg op the contraction interface recognizes,
    on those tensors or over batch and heads collapsed into one dimension
    (`linalg.batch_matmul`), K transposed or not;
    the scale and the mask are element-wise `linalg.generic`s, in either
    order, and every intermediate has no other use. K and V may be
    repeated from fewer heads as `repeat_interleave` does (grouped-query
    attention); the raised op takes them unrepeated. What does not match
    (another mask, a softmax over another dimension, an intermediate used
    elsewhere, a contraction over another dimension, heads repeated whole)
    is left untouched. A sequence split by `shard.shard` annotations
    stays annotated; upstream's `shard-partition` then makes the raised
    op the ring form (docs/Passes.md). Not recognized yet: an additive
    mask.
  }];
  let dependentDialects = ["::mlir::ring::RingDialect"];
}

def RingBlockwiseFeedforward
    : Pass<"ring-blockwise-feedforward", "func::FuncOp"> {
  let summary = "Compute the token-wise part of a layer block by block along "
                "the sequence";
  let description = [{
    The blockwise transformer's feedforward: the token-wise ops of a layer
    (layer norm, the MLP's matmul -> activation -> matmul, residual adds)
    run over blocks of `block-size` tokens, each block computed through
    the whole chain before the next, so the MLP's hidden activation lives
    at `block-size x hidden` instead of `seq x hidden`.

    Each chain's last linalg op on tensors (one whose result no other
    tileable linalg op reads) is tiled along its result's token dimension
    (the second-to-last: activations are `[..., seq, features]`) with
    upstream's `tileConsumerAndFuseProducersUsingSCF`, which fuses every
    producer it reaches into the loop. What is not a linalg op (a
    `ring.attention`, a function argument) ends the fusion: it is computed
    whole, as before. Sequences of at most `block-size` tokens are left
    alone. docs/Passes.md shows the memory effect.
  }];
  let options = [
    Option<"blockSize", "block-size", "int64_t", /*default=*/"512",
           "Tokens per block">,
  ];
  let dependentDialects = ["::mlir::affine::AffineDialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::scf::SCFDialect",
                           "::mlir::tensor::TensorDialect"];
}

def RingDescribeShardedEntries
    : Pass<"ring-describe-sharded-entries", "ModuleOp"> {
  let summary = "Record how a sharded model entry's operands split, for "
                "the runtime and tools";
  let description = [{
    Before `shard-partition` rewrites a function on local shards and
    erases its `shard.shard` annotations, records what a caller needs to
    feed it: for every public `func.func` with an argument or result split
    by a `shard.shard` annotation, a `ring.sharded_abi` dictionary with
    the ranks, each argument's and result's whole type and the dimension
    split evenly over the ranks (-1: every rank holds it whole), and
    `llvm.emit_c_interface`. `ring-run` reads it to split, replicate and
    gather the operands of a whole layer, as it reads `ring.abi` for one
    attention.

    An operand is either whole or split along one dimension over a grid of
    one axis of static size, the same grid for every split operand of a
    function; other shardings (two split dimensions, two grid axes on one
    dimension, halos, uneven shards, a grid of more axes or of dynamic
    size, two grids) are errors that name the operand.
  }];
}

def RingLowerShardCollectives
    : Pass<"ring-lower-shard-collectives", "ModuleOp"> {
  let summary = "Write the shard.all_reduce that shard-partition emits as a "
                "ring all-reduce of ring shifts";
  let description = [{
    `shard-partition` sums a contraction over a split dimension (a weight's
    gradient over the tokens, a loss over the sequence) with
    `shard.all_reduce`. This pass writes each one, on tensors, as the ring
    all-reduce NCCL and MPI use, built from `ring.shift_start` /
    `ring.shift_wait`, so every backend runs it with no runtime function of
    its own:

    1. the tensor is flattened and padded into N rows (N: the ring's size);
    2. reduce-scatter, N-1 steps: at step s rank r sends row (r-s) mod N
       and folds what arrives into row (r-s-1) mod N, so row c is reduced
       once, in ring order starting at its owner c;
    3. all-gather, N-1 steps: the complete rows travel on;
    4. the padding goes and the tensor takes its shape again.

    Each rank sends 2(N-1)/N of the tensor. Every element is reduced by
    one rank in one order, so all ranks hold the same bits, run after run.
    f16 and bf16 are reduced in f32 and rounded once at the end (an f32
    result of f16 or bf16 input is accepted too), so the error of a sum
    does not grow with the ring. Reductions: sum, max, min (signed for
    integers), product, average (floats) and the bitwise ones (integers).

    Errors, each naming the op: an all-reduce on buffers, of a dynamic
    shape, of elements that are not whole-byte floats or integers, that
    converts to another element type, with a `generic` reduction, on a
    grid that is not one axis of static size or over an axis other than
    0; and any other shard collective (`all_gather`, `all_to_all`, ...),
    which has no ring form yet.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::linalg::LinalgDialect",
                           "::mlir::ring::RingDialect",
                           "::mlir::scf::SCFDialect",
                           "::mlir::tensor::TensorDialect"];
}

def RingExportABI : Pass<"ring-export-abi", "ModuleOp"> {
  let summary = "Describe attention entry points for the runtime and tools";
  let description = [{
    For every public `func.func` whose body is one `ring.attention` of its
    three arguments, returned as is, attaches `llvm.emit_c_interface` (so the
    lowered function has a `_mlir_ciface_` wrapper taking memref descriptors)
    and a `ring.abi` dictionary that survives lowering to LLVM:

    ```
    ring.abi = {query = tensor<...>, key = tensor<...>, value = tensor<...>,
                causal = true, scale = 0.125 : f32,
                ranks = 4, layout = "zigzag"}   // ring entries
    ```

    A training step (`ring-add-training-steps`), a public function of
    `(q, k, v, dout) -> (out, dq, dk, dv)` whose body is a `ring.attention`
    returning its log-sum-exp and the `ring.attention_grad` of the same
    attributes on them, gets the same dictionary with `training = true`.
    An attention with sinks takes them as the fourth argument, `(q, k, v,
    sinks) -> out` and `(q, k, v, sinks, dout) -> (out, dq, dk, dv,
    dsinks)`, and its dictionary records their type (`sinks =
    tensor<8xf32>`). Packed documents' starts follow any sinks among the
    inputs, and the dictionary records their type too (`documents =
    tensor<16xi32>`); a block placement comes next (`placement =
    tensor<64xi32>`).

    `ring-run` reads it to build inputs, call the entry and check the result
    against its own float64 reference, also for modules that were lowered
    elsewhere. It holds builtin attributes only, so upstream tools
    (`mlir-translate`, `mlir-runner`) read the lowered module.
  }];
}

def RingAddTrainingSteps : Pass<"ring-add-training-steps", "ModuleOp"> {
  let summary = "Add a training step beside each forward attention entry";
  let description = [{
    For every forward entry `@f` (a public `func.func` whose body is one
    `ring.attention` of its three arguments, returned as is), adds the public
    function `@f_grad(q, k, v, dout) -> (out, dq, dk, dv)`: the same
    attention, now returning its log-sum-exp, and the `ring.attention_grad`
    of the same attributes, which takes the output, the log-sum-exp and
    `dout`. `ring-export-abi` describes it with `training = true`;
    `ring-run --grad` runs it. With sinks, the forward entry is
    `@f(q, k, v, sinks)` and the step `@f_grad(q, k, v, sinks, dout) ->
    (out, dq, dk, dv, dsinks)`.

    ```mlir
    func.func @f_grad(%q, %k, %v, %do) -> (...) {
      %o, %lse = ring.attention %q, %k, %v causal ring @ring axis 0 ... -> tensor<...xf32>
      %dq, %dk, %dv = ring.attention_grad %q, %k, %v, %o, %lse, %do causal ring @ring axis 0 ...
      return %o, %dq, %dk, %dv
    }
    ```
  }];
}

def RingCheckEntryOperands : Pass<"ring-check-entry-operands", "ModuleOp"> {
  let summary = "Check at run time that entry operands have the compiled shapes";
  let description = [{
    Runs after bufferization, on the functions `ring-export-abi` marked. Their
    static memref arguments (q, k, v and the output out-parameter) become
    dynamic ones of the same element type, each checked on entry against the
    shape and row-major strides the code was compiled for, then cast back to
    the static type the body uses:

    ```
    func.func @attention(%q: memref<?x?x?x?xf32>, ...) {
      // for each operand i and dimension d, when size or stride differs:
      call @ringattn_bad_operand(i, d, expected size, size,
                                 expected stride, stride)
      %q0 = memref.cast %q : memref<?x?x?x?xf32> to memref<1x4x32x32xf32>
      ...
    ```

    An entry laid out by a block placement (`placement` in its `ring.abi`)
    also checks the placement's values: each entry a block `0 .. P-1`, none
    twice, else `ringattn_bad_placement(operand, entry, block, P)` stops
    the rank.

    A memref descriptor's layout does not depend on its static shape, so
    callers pass the same descriptors as before. A caller whose buffers
    disagree with the code (a hand-edited `ring.abi`, a wrong AOT call)
    stops the rank with a message naming the operand and dimension instead of
    reading or writing past its buffers. Calls of the entry within the module
    get casts to the dynamic type.
  }];
  let dependentDialects = ["arith::ArithDialect", "func::FuncDialect",
                           "memref::MemRefDialect", "scf::SCFDialect"];
}

def RingSchedule : Pass<"ring-schedule", "func::FuncOp"> {
  let summary = "Turn ring attention into a loop over ring steps";
  let description = [{
    Rewrites each `ring.attention ... ring @grid axis k` into the ring
    schedule: a loop over the first N-1 of the N ring steps that starts
    shifting the key/value block it holds to the next rank
    (`ring.shift_start ... into`), merges the block attention of the local
    queries against it into the running result (`ring.block_attention` +
    `ring.combine`), then waits for the incoming block. The last step is
    peeled, so nothing is sent after it.

    The key/value blocks (only the `H_kv` heads) are double-buffered in two
    buffer pairs allocated once before the loop; the loop selects which pair
    is current by the parity of the step, so it neither allocates nor copies.
    Blocks and merges are in destination-passing style: each block writes a
    destination (`tensor.empty`) created before the loop, and each merge
    writes into the running result it reads, so one-shot bufferization
    allocates every buffer once, outside the loop. The pattern is public:
    `populateRingSchedulePatterns` (`RingAttn/Transforms/Transforms.h`).

    The rank comes from `shard.process_multi_index`. Block positions follow
    the layout (`contiguous`, `zigzag`, `striped`); under causal or a sliding
    window, every pair of query and key chunks is a block with its own affine
    positions, guarded by a run-time test that skips it when the mask leaves
    it empty. A window is planned at compile time: the ring stops after the
    last step at which some rank still sees a key of the block it holds, so
    blocks travel only that many hops (docs/Semantics.md, "Sliding windows
    on the ops"). N must be static. A forward that returns its log-sum-exp
    gets the merged one.

    `ring.attention_grad` over a ring becomes the backward schedule
    (`populateRingGradientSchedulePatterns`): the key/value blocks travel as
    in the forward, and the dK/dV partial sums (f32) travel with them, one
    step behind, so that after N shifts each returns complete to its owner.
    Each step starts the shift of the sums that arrive for the block it
    holds, computes its own contributions (`ring.block_attention_grad`) into
    a separate buffer meanwhile, then waits and adds; dQ accumulates
    locally. Every buffer (two K/V pairs, two partial-sum pairs, one for the
    step's own contributions) is allocated once before the loop, and masked
    pairs are skipped as in the forward. Under a window that stops the ring
    after S steps, the sums go home in one shift of N - S ranks. The sums of
    a block are added in ring order, so gradients are deterministic.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::bufferization::BufferizationDialect",
    "::mlir::linalg::LinalgDialect", "::mlir::memref::MemRefDialect",
    "::mlir::scf::SCFDialect", "::mlir::shard::ShardDialect",
    "::mlir::tensor::TensorDialect"
  ];
}

def RingLowerCombine : Pass<"ring-lower-combine", "func::FuncOp"> {
  let summary = "Lower ring.combine on buffers to a parallel loop over rows";
  let description = [{
    `ring.combine` in its buffer form (after bufferization) becomes one
    `scf.parallel` over the rows, which merges the log-sum-exps once per row
    and blends the outputs with one FMA per element, allocating nothing:

    ```
    per row:  m = max(lse_a, lse_b); w_a = exp(lse_a - m); w_b = exp(lse_b - m)
              lse <- m + log(w_a + w_b);  w = w_b / (w_a + w_b)
              for each d: out <- out_a + w * (out_b - out_a)
    ```

    A row reads its inputs before it writes its destinations, so the
    destinations may be side a's buffers (the ring schedule's in-place
    accumulation). Every exponent is of a non-positive number, so nothing
    overflows; when both sides are `-inf` the result is `out = out_a` (0 in
    a ring loop), `lse = -inf`. A merge still on tensors is an error. The
    patterns are public: `populateRingLowerCombinePatterns`
    (`RingAttn/Transforms/Transforms.h`).
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::math::MathDialect",
    "::mlir::memref::MemRefDialect", "::mlir::scf::SCFDialect"
  ];
}

def RingLowerAttention : Pass<"ring-lower-attention", "func::FuncOp"> {
  let summary = "Lower single-device ring.attention to ring.block_attention";
  let description = [{
    Single-device attention is one block: a `ring.block_attention` of the
    query against all of the keys (with positions 0, 1, ... when causal),
    whose f32 output is cast to the element type of the query. Attention over
    a ring (`ring @grid axis k`) must have gone through `ring-schedule`
    first; this pass reports one it finds as an error. The block's
    destinations are new `tensor.empty`s. When it returns its log-sum-exp,
    that is the block's.

    Single-device `ring.attention_grad` is one `ring.block_attention_grad`
    accumulating into zeroed f32 buffers, after `delta = rowsum(dO * O)`
    (`linalg.generic`); the gradients are rounded to the operands' type.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::bufferization::BufferizationDialect",
    "::mlir::linalg::LinalgDialect", "::mlir::memref::MemRefDialect",
    "::mlir::tensor::TensorDialect"
  ];
}

def RingSetCpuTarget : Pass<"ring-set-cpu-target", "ModuleOp"> {
  let summary = "Name the CPU the module is compiled for";
  let description = [{
    Attaches `llvm.target = #llvm.target<triple, chip, features>` to the
    module: the host CPU and its detected features by default, or the CPU
    and features the options name (LLVM's names: `cpu=x86-64-v3`,
    `features=+avx2,-avx512f`; implied features follow, so `-avx2` also
    turns AVX-512 off). Without options, a target the module already has is
    kept. `ring-lower-block-attention` sizes its vectors and register tile
    for this target. The pass also copies the CPU and features onto every
    `llvm.func` definition (`target_cpu`, `target_features`), so that the
    JIT or an AOT compile generates code for that CPU; pipelines run it
    first and again after the conversion to the LLVM dialect.
  }];
  let options = [
    Option<"cpu", "cpu", "std::string", /*default=*/"\"\"",
           "LLVM CPU name (x86-64-v3, znver4, ...); empty: the host">,
    Option<"features", "features", "std::string", /*default=*/"\"\"",
           "Comma-separated +feature/-feature changes to the CPU's features">
  ];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect"];
}

def RingApproximateMath : Pass<"ring-approximate-math"> {
  let summary = "Replace f32 exp, log and tanh by vectorizable polynomials";
  let description = [{
    `math.exp`, `math.log` and `math.tanh` (the logit cap) on f32 scalars
    and vectors become upstream's polynomial approximations (a few ulp), so
    the lowered kernels need no libm call and stay vectorized.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::math::MathDialect",
    "::mlir::vector::VectorDialect"
  ];
}

def RingVerifyLowered : Pass<"ring-verify-lowered", "ModuleOp"> {
  let summary = "Check that lowering left no ring operation behind";
  let description = [{
    Fails with an error at the first `ring` operation or `!ring.future` value
    still present. Pipelines run it last, so that an unsupported construct is
    reported where it is rather than as an obscure conversion failure later.
  }];
}

#endif // RINGATTN_TRANSFORMS_PASSES_TD
