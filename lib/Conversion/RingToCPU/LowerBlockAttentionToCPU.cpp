//===- LowerBlockAttentionToCPU.cpp - block_attention as kernel calls -----===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// Replaces each ring.block_attention on buffers with a call of the CPU
// flash-attention kernel for its signature (FlashAttentionKernel.h), with
// tiles sized for the module's CPU (CpuTarget.h) and clamped to the block.
// It runs after bufferization: the kernel reads the operands' buffers and
// writes the destinations. The pass checks what the pattern cannot say (the
// tile options, the block sizes the kernel holds) before rewriting anything.
//
//===----------------------------------------------------------------------===//

#include "CpuKernelBuilder.h"
#include "FlashAttentionGradKernel.h"
#include "FlashAttentionKernel.h"

#include "RingAttn/Conversion/Passes.h"
#include "RingAttn/Conversion/RingToCPU.h"
#include "RingAttn/Dialect/Ring/IR/RingOps.h"
#include "RingAttn/Transforms/CpuTarget.h"

#include "mlir/IR/ImplicitLocOpBuilder.h"
#include "mlir/Interfaces/FunctionInterfaces.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <numeric>

namespace mlir {
namespace ring {
#define GEN_PASS_DEF_RINGLOWERBLOCKATTENTION
#include "RingAttn/Conversion/Passes.h.inc"
} // namespace ring
} // namespace mlir

using namespace mlir;
using namespace mlir::ring;

namespace {

// The sizes the kernel holds (documented in Passes.td). Tiles are clamped to
// the block first, so a larger tile option is refused before any block.
/// Query rows or keys of one tile: the per-tile scratch is tile x head_dim.
constexpr int64_t kMaxTile = 16384;
/// head_dim: the per-tile scratch and the packed panels grow with it.
constexpr int64_t kMaxHeadDim = 16384;
/// Query or key rows of one block: the mask compares key indices and
/// positions in 32-bit vector lanes.
constexpr int64_t kMaxBlockRows = int64_t(1) << 30;

/// Once its blocks are kernel calls, a function holds only control code: the
/// ring loop, shifts, copies and the element-wise combine, all memory-bound.
/// LLVM's unroller and vectorizer multiply that code eightfold at O3 (99 KB
/// against 10 KB for the 4-rank example) for no measurable time and most of
/// the compile time, so it is compiled for size; the kernels keep O3.
void markCallerForSize(FunctionOpInterface caller) {
  addPassthrough(caller, "optsize");
}

/// The requested tiles, checked against the target and the kernel's
/// limits; a bad tile is reported at the first block it would tile.
static LogicalResult checkTileOptions(BlockAttentionOp first,
                                      const CpuKernelShape &shape,
                                      int64_t rowsPerTile,
                                      int64_t keysPerTile) {
  if (rowsPerTile <= 0)
    return first.emitError("ring-lower-block-attention: query-tile must be "
                           "positive (got ")
           << rowsPerTile << ")";
  if (keysPerTile <= 0 || keysPerTile % shape.lanes != 0)
    return first.emitError("ring-lower-block-attention: key-tile must be a "
                           "positive multiple of ")
           << shape.lanes << ", the f32 lanes of a vector on this target (got "
           << keysPerTile << ")";
  if (rowsPerTile > kMaxTile || keysPerTile > kMaxTile)
    return first.emitError("ring-lower-block-attention: query-tile ")
           << rowsPerTile << " and key-tile " << keysPerTile
           << " must be at most " << kMaxTile
           << ", the largest tile the kernel holds";
  return success();
}

/// The block's sizes are within what the kernels hold.
template <typename BlockOp> static LogicalResult checkBlockSizes(BlockOp op) {
  ShapedType q = op.getQuery().getType();
  int64_t queryLen = q.getDimSize(2), headDim = q.getDimSize(3);
  int64_t keyLen = op.getKey().getType().getDimSize(2);
  if (queryLen == 0)
    return op.emitError("block attention of an empty query block is not "
                        "supported");
  if (headDim > kMaxHeadDim)
    return op.emitError("ring-lower-block-attention: head_dim ")
           << headDim << " exceeds the CPU kernel's limit of " << kMaxHeadDim;
  if (queryLen > kMaxBlockRows || keyLen > kMaxBlockRows)
    return op.emitError("ring-lower-block-attention: a block of ")
           << queryLen << " query rows and " << keyLen
           << " key rows exceeds the CPU kernel's limit of " << kMaxBlockRows
           << " rows (it compares positions in 32-bit lanes)";
  return success();
}

/// The tiles of one block.
struct BlockTiles {
  CpuKernelShape shape;
  int64_t queryTile, keyTile;
};

/// The requested tiles with the target's defaults filled in: sixteen
/// micro-kernels per query tile; at least 64 keys and two key chunks per key
/// tile (64 keys on AVX2, 128 on AVX-512, where one 64-key chunk a tile left
/// the kernel 10% slower: docs/bench/cpu-attention.md).
static BlockAttentionTiles withDefaults(BlockAttentionTiles requested,
                                        const CpuKernelShape &shape) {
  return {requested.queryTile ? requested.queryTile : 16 * shape.rows,
          requested.keyTile ? requested.keyTile
                            : std::max<int64_t>(64, 2 * shape.keyChunk())};
}

/// The requested tiles clamped to the block, so a tile larger than the data
/// costs neither padding nor compile time: the query tile to the query rows,
/// the key tile to the keys rounded up to whole vectors. A key tile
/// narrower than the register tile takes fewer vectors.
static BlockTiles clampTiles(BlockAttentionOp op, CpuKernelShape shape,
                             BlockAttentionTiles requested) {
  int64_t queryLen = op.getQuery().getType().getDimSize(2);
  int64_t keyLen = op.getKey().getType().getDimSize(2);
  int64_t keyExtent =
      std::max<int64_t>(llvm::alignTo(keyLen, shape.lanes), shape.lanes);
  BlockTiles tiles{shape, std::min(requested.queryTile, queryLen),
                   std::min(requested.keyTile, keyExtent)};
  while (tiles.keyTile % tiles.shape.keyChunk() != 0)
    --tiles.shape.scoreVectors;
  return tiles;
}

/// A block on buffers becomes a call of its kernel.
struct BlockAttentionToKernelCall : OpRewritePattern<BlockAttentionOp> {
  BlockAttentionToKernelCall(MLIRContext *context, BlockAttentionTiles tiles)
      : OpRewritePattern(context), tiles(tiles) {}

  LogicalResult matchAndRewrite(BlockAttentionOp op,
                                PatternRewriter &rewriter) const override {
    if (!op.hasPureBufferSemantics())
      return rewriter.notifyMatchFailure(op, "not bufferized");
    CpuKernelShape shape = getCpuKernelShape(op);
    BlockTiles clamped = clampTiles(op, shape, withDefaults(tiles, shape));
    ImplicitLocOpBuilder b(op.getLoc(), rewriter);
    emitFlashAttentionCall(b, op, clamped.shape, clamped.queryTile,
                           clamped.keyTile);
    auto caller = op->getParentOfType<FunctionOpInterface>();
    rewriter.modifyOpInPlace(caller, [&] { markCallerForSize(caller); });
    rewriter.eraseOp(op);
    return success();
  }

  BlockAttentionTiles tiles;
};

/// The tiles of a block's gradient: 8 register tiles of query rows per
/// query tile, and about 64 keys per key tile, a multiple of the register
/// tile's rows where that is at most 64 keys (48 on AVX2), so the dK/dV
/// tile holds as many keys as the score tile holds rows. Both are clamped
/// to the block (the query-tile and key-tile options tune the forward
/// kernel only).
static std::pair<int64_t, int64_t> gradTiles(BlockAttentionGradOp op,
                                             const CpuKernelShape &shape) {
  int64_t queryLen = op.getQuery().getType().getDimSize(2);
  int64_t keyLen = op.getKey().getType().getDimSize(2);
  int64_t queryTile =
      std::min<int64_t>(8 * shape.rows, llvm::alignTo(queryLen, shape.rows));
  int64_t unit = std::lcm(shape.keyChunk(), shape.rows);
  if (unit > 64)
    unit = shape.keyChunk();
  int64_t keyTile = std::min<int64_t>(
      unit * std::max<int64_t>(1, 64 / unit),
      std::max<int64_t>(llvm::alignTo(keyLen, shape.keyChunk()),
                        shape.keyChunk()));
  return {queryTile, keyTile};
}

/// A block's gradient on buffers becomes a call of its kernel.
struct BlockAttentionGradToKernelCall : OpRewritePattern<BlockAttentionGradOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(BlockAttentionGradOp op,
                                PatternRewriter &rewriter) const override {
    if (!op.hasPureBufferSemantics())
      return rewriter.notifyMatchFailure(op, "not bufferized");
    CpuKernelShape shape = getCpuKernelShape(op);
    auto [queryTile, keyTile] = gradTiles(op, shape);
    ImplicitLocOpBuilder b(op.getLoc(), rewriter);
    emitFlashAttentionGradCall(b, op, shape, queryTile, keyTile);
    auto caller = op->getParentOfType<FunctionOpInterface>();
    rewriter.modifyOpInPlace(caller, [&] { markCallerForSize(caller); });
    rewriter.eraseOp(op);
    return success();
  }
};

struct RingLowerBlockAttentionPass
    : ring::impl::RingLowerBlockAttentionBase<RingLowerBlockAttentionPass> {
  using Base::Base;

  void runOnOperation() override {
    // Bad options and blocks the kernel cannot hold are errors, reported
    // before anything is rewritten.
    SmallVector<BlockAttentionOp> ops;
    getOperation().walk([&](BlockAttentionOp op) { ops.push_back(op); });
    BlockAttentionTiles tiles{queryTile, keyTile};
    CpuKernelShape shape = getCpuKernelShape(getOperation());
    BlockAttentionTiles resolved = withDefaults(tiles, shape);
    if (!ops.empty() &&
        failed(checkTileOptions(ops.front(), shape, resolved.queryTile,
                                resolved.keyTile)))
      return signalPassFailure();
    for (BlockAttentionOp op : ops) {
      if (failed(checkBlockSizes(op)))
        return signalPassFailure();
      if (!op.hasPureBufferSemantics()) {
        op.emitError("ring-lower-block-attention lowers blocks on buffers; "
                     "bufferize this one first (one-shot-bufferize)");
        return signalPassFailure();
      }
    }
    WalkResult badGrad = getOperation().walk([](BlockAttentionGradOp op) {
      if (failed(checkBlockSizes(op)))
        return WalkResult::interrupt();
      if (op.hasPureBufferSemantics())
        return WalkResult::advance();
      op.emitError("ring-lower-block-attention lowers block gradients on "
                   "buffers; bufferize this one first (one-shot-bufferize)");
      return WalkResult::interrupt();
    });
    if (badGrad.wasInterrupted())
      return signalPassFailure();
    RewritePatternSet patterns(&getContext());
    populateRingLowerBlockAttentionPatterns(patterns, tiles);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace

void mlir::ring::populateRingLowerBlockAttentionPatterns(
    RewritePatternSet &patterns, BlockAttentionTiles tiles) {
  patterns.add<BlockAttentionToKernelCall>(patterns.getContext(), tiles);
  patterns.add<BlockAttentionGradToKernelCall>(patterns.getContext());
}
