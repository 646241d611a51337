//===- BlockwiseFeedforward.cpp - Token-wise ops in sequence blocks -------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// The paper's blockwise feedforward: with attention on the ring, the next
// largest activation of a layer is the MLP's hidden one, seq x hidden (4x
// the model width, or more). Every op of the feedforward is token-wise, so
// the whole chain can run over blocks of tokens: the last op of the chain
// is tiled along the token dimension and every producer fused into the
// tile's loop (upstream's tileConsumerAndFuseProducersUsingSCF), leaving
// intermediates of block x width.
//
//   %h = matmul(x, W1) -> gelu -> %y = matmul(h, W2) -> %z = x + y
//     =>
//   scf.for %t = 0 to seq step B   (%z's tile [t, t + B))
//     x_t = slice x; h_t = matmul(x_t, W1) -> gelu; y_t = matmul(h_t, W2)
//     z_t = x_t + y_t; insert z_t into %z
//
// The fusion only follows producers that are tileable (linalg); anything
// else (ring.attention, an argument) is read whole, as it was.
//
//===----------------------------------------------------------------------===//

#include "RingAttn/Transforms/Passes.h"

#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/Tensor/Transforms/Transforms.h"
#include "mlir/Interfaces/TilingInterface.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir {
namespace ring {
#define GEN_PASS_DEF_RINGBLOCKWISEFEEDFORWARD
#include "RingAttn/Transforms/Passes.h.inc"
} // namespace ring
} // namespace mlir

using namespace mlir;
using namespace mlir::ring;

namespace {

/// The loop of `op` that walks its result's token dimension (the
/// second-to-last), when that is a parallel loop over more than
/// `blockSize` tokens.
std::optional<unsigned> tokenLoop(linalg::LinalgOp op, int64_t blockSize) {
  if (!op.hasPureTensorSemantics() || op->getNumResults() != 1 ||
      isa<linalg::FillOp>(op))
    return std::nullopt;
  auto type = dyn_cast<RankedTensorType>(op->getResult(0).getType());
  if (!type || type.getRank() < 2)
    return std::nullopt;
  int64_t tokenDim = type.getRank() - 2;
  if (ShapedType::isDynamic(type.getDimSize(tokenDim)) ||
      type.getDimSize(tokenDim) <= blockSize)
    return std::nullopt;
  AffineMap map = op.getIndexingMapMatchingResult(op->getResult(0));
  auto loop = dyn_cast<AffineDimExpr>(map.getResult(tokenDim));
  if (!loop || op.getIteratorTypesArray()[loop.getPosition()] !=
                   utils::IteratorType::parallel)
    return std::nullopt;
  return loop.getPosition();
}

/// Whether `op` ends a chain: no other linalg op on tensors reads it, so
/// tiling it tiles the chain once.
bool endsChain(linalg::LinalgOp op) {
  return llvm::none_of(op->getUsers(), [](Operation *user) {
    auto linalgUser = dyn_cast<linalg::LinalgOp>(user);
    return linalgUser && linalgUser.hasPureTensorSemantics();
  });
}

/// Tiles `op` along `loop` in blocks of `blockSize`, fusing its producers.
LogicalResult tileChain(RewriterBase &rewriter, linalg::LinalgOp op,
                        unsigned loop, int64_t blockSize) {
  SmallVector<OpFoldResult> tileSizes(op.getNumLoops(),
                                      rewriter.getIndexAttr(0));
  tileSizes[loop] = rewriter.getIndexAttr(blockSize);
  scf::SCFTileAndFuseOptions options;
  options.tilingOptions.setTileSizes(tileSizes);
  rewriter.setInsertionPoint(op);
  FailureOr<scf::SCFTileAndFuseResult> tiled =
      scf::tileConsumerAndFuseProducersUsingSCF(
          rewriter, cast<TilingInterface>(op.getOperation()), options);
  if (failed(tiled))
    return op.emitOpError("could not be tiled into blocks of ")
           << blockSize << " tokens";
  for (OpResult result : op->getResults())
    rewriter.replaceAllUsesWith(result, tiled->replacements.lookup(result));
  return success();
}

struct RingBlockwiseFeedforwardPass
    : ring::impl::RingBlockwiseFeedforwardBase<RingBlockwiseFeedforwardPass> {
  using Base::Base;

  void runOnOperation() override {
    if (blockSize < 1) {
      getOperation().emitError("ring-blockwise-feedforward: block-size must "
                               "be positive, got ")
          << static_cast<int64_t>(blockSize);
      return signalPassFailure();
    }
    if (getOperation().isExternal())
      return;
    // The chains' ends, last first: tiling one replaces only its own
    // uses, and the producers it fused are erased once nothing reads them.
    SmallVector<std::pair<linalg::LinalgOp, unsigned>> ends;
    for (Operation &op : llvm::reverse(body()))
      if (auto linalgOp = dyn_cast<linalg::LinalgOp>(&op))
        if (std::optional<unsigned> loop = tokenLoop(linalgOp, blockSize);
            loop && endsChain(linalgOp))
          ends.push_back({linalgOp, *loop});
    IRRewriter rewriter(&getContext());
    for (auto [op, loop] : ends)
      if (failed(tileChain(rewriter, op, loop, blockSize)))
        return signalPassFailure();
    // The untiled chains are dead now but for slices of them the fusion
    // left unused in the loops: erase both. The fused ops write into
    // slices of their whole-sequence tensor.empty, which would bufferize
    // to whole-sequence buffers: each slice becomes a block-sized empty.
    RewritePatternSet cleanup(&getContext());
    tensor::populateFoldTensorEmptyPatterns(cleanup);
    if (failed(applyPatternsGreedily(getOperation(), std::move(cleanup))))
      return signalPassFailure();
  }

  Block &body() { return getOperation().getFunctionBody().front(); }
};

} // namespace
