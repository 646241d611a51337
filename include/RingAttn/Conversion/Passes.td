//===- Passes.td - RingAttn conversion passes --------------*- tablegen -*-===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception

#ifndef RINGATTN_CONVERSION_PASSES_TD
#define RINGATTN_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

def ConvertRingToLLVM : Pass<"convert-ring-to-llvm", "ModuleOp"> {
  let summary = "Lower ring communication on buffers to runtime calls in the "
                "LLVM dialect";
  let description = [{
    `ring.shift_start %src into %dst` becomes a call of
    `ringattn_shift_start(src, dst, bytes, offset)` returning an opaque
    handle (`!ring.future` converts to `!llvm.ptr`), `ring.shift_wait` a call
    of `ringattn_shift_wait(handle)`, and `shard.process_multi_index` on a
    one-axis grid a call of `ringattn_rank()` (docs/Runtime.md has the C
    ABI). Grids are erased: nothing of them is left at run time. Shifts on
    tensors, and rank queries on a grid of several axes, are reported as
    errors: this runtime has one ring axis and the ring schedule emits the
    buffer form.

    The same patterns (`populateRingToLLVMConversionPatterns`,
    `RingAttn/Conversion/RingToLLVM.h`) are registered as the ring dialect's
    `ConvertToLLVMPatternInterface`, so upstream `convert-to-llvm` and
    `gpu-to-llvm` lower ring communication together with every other
    dialect; ring ops left over are illegal there.
  }];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect"];
}

def RingLowerBlockAttention : Pass<"ring-lower-block-attention", "ModuleOp"> {
  let summary = "Tile ring.block_attention into flash-style vector loops";
  let description = [{
    Lowers each `ring.block_attention` in its buffer form (after
    bufferization) to a call of a flash-attention kernel: loops over query tiles and key tiles with an online softmax, f32
    accumulation and register-tiled micro-kernels on `vector` ops, sized for
    the module's CPU (`llvm.target`, see `ring-set-cpu-target`; the host when
    the module names none). Blocks of the same signature (shapes, types,
    mask, position strides, scale) share one private kernel function
    (`@__ring_block_attention*`, internal linkage, found again by its
    `ring.kernel_signature`); the call passes the operands' buffers (inputs
    cast to one strided layout, so views of any offset share the kernel),
    the blocks' global positions and the destinations. The kernel allocates
    its scratch on entry and frees it on return, so a calling function
    holds no scratch between blocks.

    Per (batch, key/value head) the key block is packed once into f32
    panels of K transposed (and the value block into panels of V), shared
    by every query head of the group (GQA/MQA). Per query tile, a loop over
    key tiles computes `S = Q K^T` six query rows at a time into vector
    accumulators, masks it (causal positions, ragged last tile), updates the
    running max and sum, and accumulates `P V`. Key tiles entirely in the
    future of a causal query tile are not visited. Scratch memory is linear
    in the sequence length: nothing of size `seq x seq` exists.

    Each `ring.block_attention_grad` on buffers becomes a call of the
    backward kernel (`@__ring_block_attention_grad*`, shared the same way):
    key tiles outer, query tiles inner, it recomputes `P = exp(S - lse)`,
    forms `dS = P (dO V^T - delta)` and accumulates `dV += P^T dO`,
    `dK += dS^T Q` (f32 scratch per key/value head, summed over its query
    heads) and `dQ += dS K` in the same register-tiled micro-kernels, then
    adds them to the destinations. Its tiles are fixed per target (8 row
    groups by about 64 keys, 48 x 48 on AVX2, clamped to the block); the
    tile options apply to the forward kernel only.

    Tiles larger than a block are clamped to it: the query tile to the
    block's query rows, the key tile to its keys rounded up to whole
    vectors (narrowing the `Q K^T` register tile if that is less than one
    key chunk), so a large tile costs neither padding nor compile time. The
    `P V` register tiles of an output row are inline up to 16 per row and in
    a loop beyond, so the code does not grow with `head_dim`.

    Limits, each refused with an error at the block (or, for the options,
    at the first block): `query-tile` and `key-tile` at most 16384;
    `head_dim` at most 16384 (the per-tile scratch is tile x `head_dim`);
    at most 2^30 query or key rows per block (the mask compares key indices
    and positions in 32-bit vector lanes). A block still on tensors is an
    error. The patterns are public: `populateRingLowerBlockAttentionPatterns`
    (`RingAttn/Conversion/RingToCPU.h`).
  }];
  let options = [
    Option<"queryTile", "query-tile", "int64_t", /*default=*/"0",
           "Query rows per tile, at most 16384 (clamped to the block); "
           "0: 16 micro-kernels of the target">,
    Option<"keyTile", "key-tile", "int64_t", /*default=*/"0",
           "Key rows per tile, a multiple of the target's f32 vector "
           "lanes (8 on AVX2, 16 on AVX-512) of at most 16384 (clamped to "
           "the block); 0: 64 (128 on AVX-512)">
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::bufferization::BufferizationDialect",
    "::mlir::func::FuncDialect", "::mlir::LLVM::LLVMDialect",
    "::mlir::math::MathDialect", "::mlir::memref::MemRefDialect",
    "::mlir::scf::SCFDialect", "::mlir::vector::VectorDialect"
  ];
}

def RingLowerBlockAttentionGPU
    : Pass<"ring-lower-block-attention-gpu", "ModuleOp"> {
  let summary = "Lower ring.block_attention and ring.block_attention_grad to "
                "launches of flash-attention GPU kernels";
  let description = [{
    Each `ring.block_attention` becomes a `gpu.launch_func` of a kernel in
    `gpu.module @ring_kernels`, built once per element type, head dimension
    and mask (docs/GPU.md describes the kernels). A thread block owns a tile
    of query rows of one (batch, query head); the key/value block streams
    through dynamic shared memory in tiles while an online softmax keeps
    `m`, `l` and the output rows in f32 registers.

    With `tensor-cores` (the default), f16 and bf16 blocks whose head_dim is
    a multiple of 16 (up to 256) run FlashAttention-2's shape on
    `mma.sync.m16n8k16` (sm_80 and newer): 128 query rows a block, four
    warps of 32 rows (64 rows, 16 a warp, above head_dim 128), Q, K and V
    read through `ldmatrix` (`.trans` for V) from padded shared rows, tiles
    loaded by `cp.async` so that each load overlaps the other product, P
    reused from the score accumulators as the A operand of `P V`. Other
    blocks use a SIMT kernel with f32 FMAs, 64 rows a block. With `wgmma`
    as well (sm_90a; `ring-lower-nvvm` sets it for `chip=sm_90a`), blocks
    whose head_dim is a multiple of 64 run the forward on
    `wgmma.mma_async.m64nNk16` instead: two warpgroups of 64 query rows,
    Q and double-buffered K and V in 128-byte-swizzled shared memory read
    through matrix descriptors, P from registers; up to head_dim 128 a
    third, producer warpgroup loads the tiles by TMA and hands them over
    through mbarriers (warp specialization): the launch then also passes
    a tensor map of each of Q, K and V, made on the host by
    `nvgpu.tma.create.descriptor`. A block whose `out` is in
    the input type (a final output) gets a kernel variant that rounds as it
    stores.

    Each `ring.block_attention_grad` becomes two launches: a kernel owning
    query rows accumulates `dq`, then one owning key rows accumulates `dk`
    and `dv` over the query heads of its group. Each recomputes the
    probabilities from the global lse, so no two thread blocks write the
    same row: no atomics, bit-identical gradients. With `tensor-cores`,
    f16/bf16 blocks with head_dim % 16 == 0 up to 128 run them on
    `mma.sync` (four warps of 16 rows); others on SIMT kernels, a thread
    per row.

    The pass lowers the buffer form of the op, after bufferization and
    buffer deallocation (which cannot see what a `gpu.launch_func` does to
    its operands): the kernel reads the operands' buffers and writes the
    destinations. Kernel arguments are memrefs with dynamic sizes and
    strides and a unit innermost stride; the buffers must be 16-byte
    aligned (device allocations are). A block still on tensors, or one the
    kernels cannot run, is an error. The patterns are public:
    `populateRingBlockAttentionToGPUPatterns`
    (`RingAttn/Conversion/RingToGPU.h`).
  }];
  let options = [
    Option<"tensorCores", "tensor-cores", "bool", /*default=*/"true",
           "Use mma.sync for f16/bf16 blocks with head_dim % 16 == 0">,
    Option<"warpgroupMma", "wgmma", "bool", /*default=*/"false",
           "With tensor-cores, run the forward of blocks with head_dim % 64 "
           "== 0 on sm_90a's wgmma">,
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::bufferization::BufferizationDialect",
    "::mlir::gpu::GPUDialect", "::mlir::LLVM::LLVMDialect",
    "::mlir::math::MathDialect", "::mlir::memref::MemRefDialect",
    "::mlir::nvgpu::NVGPUDialect", "::mlir::NVVM::NVVMDialect",
    "::mlir::scf::SCFDialect", "::mlir::vector::VectorDialect"
  ];
}

def RingOffloadToGPU : Pass<"ring-offload-to-gpu", "ModuleOp"> {
  let summary = "Move the element-wise loops and buffers of host functions "
                "to the GPU";
  let description = [{
    Runs after bufferization and `convert-linalg-to-parallel-loops`. Every
    outermost `scf.parallel` outside a kernel
    becomes a kernel with one thread per iteration (the iteration space
    flattened, 256 threads a block, guarded at the tail), outlined into
    `gpu.module @ring_kernels` next to the attention kernels so that the
    module embeds one binary; `memref.alloc`/`dealloc` become
    `gpu.alloc`/`dealloc`; `memref.copy` becomes `gpu.memcpy` between
    contiguous buffers and a copy kernel otherwise. Host code is then left
    with address arithmetic, kernel launches and runtime calls.

    A host-side load, store or alloca that remains would touch device memory
    from the CPU and is reported as an error; so is a parallel loop with
    reductions, which this pass does not map. Buffers of `index` or `i1`
    elements are the exception: they are the deallocation's bookkeeping
    (the pointers and ownership flags `convert-bufferization-to-memref`
    writes when loops make ownership dynamic, as a ring all-reduce's do),
    they stay in host memory for host code to use, and a parallel loop that
    touches one is reported as an error.
    The patterns are public: `populateRingOffloadToGPUPatterns`
    (`RingAttn/Conversion/RingToGPU.h`).
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::gpu::GPUDialect",
    "::mlir::memref::MemRefDialect", "::mlir::scf::SCFDialect"
  ];
}

def RingApproximateGPUMath : Pass<"ring-approximate-gpu-math"> {
  let summary = "f32 exp, exp2, log, rsqrt and sqrt in GPU code on the "
                "special function units";
  let description = [{
    Inside `gpu.func` and `gpu.launch` bodies, f32 `math.exp2` becomes the
    NVVM intrinsic `ex2.approx.ftz`, `math.exp(x)` `ex2.approx.ftz(x *
    log2(e))` and `math.log(x)` `lg2.approx.ftz(x) * ln(2)`: one special
    function unit instruction each, accurate to a few ulp (denormal results
    flush to 0), as FlashAttention computes its softmax. A model's norms
    get `math.rsqrt` as `rsqrt.approx.ftz` (CUDA's `rsqrtf`) and
    `math.sqrt` as `sqrt.rn` (rounded to nearest). Upstream's lowering
    would call libdevice instead, which only links where a CUDA toolkit is
    found at compile time; with this pass the kernels' PTX is complete
    without one. Other math ops and types are left alone.
    The patterns are public: `populateRingApproximateGPUMathPatterns`
    (`RingAttn/Conversion/RingToGPU.h`).
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::LLVM::LLVMDialect"
  ];
}

#endif // RINGATTN_CONVERSION_PASSES_TD
