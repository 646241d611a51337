//===- Passes.td - RingAttn passes -------------------------*- tablegen -*-===//

#ifndef RINGATTN_TRANSFORMS_PASSES_TD
#define RINGATTN_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def RingExportABI : Pass<"ring-export-abi", "ModuleOp"> {
  let summary = "Describe attention entry points for the runtime and tools";
  let description = [{
    For every public `func.func` whose body is one `ring.attention` of its
    three arguments, returned as is, attaches `llvm.emit_c_interface` (so the
    lowered function has a `_mlir_ciface_` wrapper taking memref descriptors)
    and a `ring.abi` dictionary that survives lowering to LLVM:

    ```
    ring.abi = {query = tensor<...>, key = tensor<...>, value = tensor<...>,
                causal = true, scale = 0.125 : f32}
    ```

    `ring-run` reads it to build inputs, call the entry and check the result
    against its own float64 reference, also for modules that were lowered
    elsewhere.
  }];
}

def RingLowerAttention : Pass<"ring-lower-attention", "func::FuncOp"> {
  let summary = "Lower single-device ring.attention to ring.block_attention";
  let description = [{
    Single-device attention is one block: a `ring.block_attention` of the
    query against all of the keys (with positions 0, 1, ... when causal),
    whose f32 output is cast to the element type of the query. Attention over
    a ring (`ring @grid axis k`) is left for the ring schedule; this pass
    reports it as an error when it finds one.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect"];
}

def RingLowerBlockAttention : Pass<"ring-lower-block-attention", "func::FuncOp"> {
  let summary = "Tile ring.block_attention into flash-style vector loops";
  let description = [{
    Lowers each `ring.block_attention` to loops over query tiles and key
    tiles with an online softmax, f32 accumulation and a register-tiled
    micro-kernel on `vector` ops, on buffers bridged from the op's tensors
    (`bufferization.to_buffer` / `to_tensor`).

    Per (batch, key/value head) the key block is transposed once into an f32
    scratch buffer (and the value block converted), then shared by every
    query head of the group (GQA/MQA). Per query tile, a loop over key tiles
    computes `S = Q K^T` four query rows at a time into vector accumulators,
    masks it (causal positions, ragged last tile), updates the running max
    and sum, and accumulates `P V`. Key tiles entirely in the future of a
    causal query tile are not visited. Scratch memory is linear in the
    sequence length: nothing of size `seq x seq` exists.
  }];
  let options = [
    Option<"queryTile", "query-tile", "int64_t", /*default=*/"64",
           "Query rows per tile (a multiple of 4)">,
    Option<"keyTile", "key-tile", "int64_t", /*default=*/"64",
           "Key rows per tile (a multiple of 16)">
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::bufferization::BufferizationDialect",
    "::mlir::math::MathDialect", "::mlir::memref::MemRefDialect",
    "::mlir::scf::SCFDialect", "::mlir::vector::VectorDialect"
  ];
}

def RingApproximateMath : Pass<"ring-approximate-math"> {
  let summary = "Replace f32 exp and log by vectorizable polynomials";
  let description = [{
    `math.exp` and `math.log` on f32 scalars and vectors become upstream's
    polynomial approximations (a few ulp), so the lowered kernels need no
    libm call and stay vectorized.
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
