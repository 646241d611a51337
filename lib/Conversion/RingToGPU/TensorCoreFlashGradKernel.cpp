//===- TensorCoreFlashGradKernel.cpp - Block gradients on mma.sync --------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// The f16/bf16 gradient bodies (the math: FlashGradKernelBuilder.h). Four
// warps; each owns 16 rows (one m16 tile) of the block's 64 and multiplies
// with mma.sync m16n8k16, keeping S, dP and the accumulators in the
// registers of the mma fragments. The block's own rows are copied to shared
// memory once; the other side's rows stream through it a tile at a time,
// all by cp.async. Rows are padded by 16 bytes, so ldmatrix is
// conflict-free, as in the forward kernel.
//
//   dq kernel (own: Q, dout; streams K, V):
//     S  = Q K^T    dP = dout V^T          (B operands: K, V rows)
//     dS = P (dP - delta)                  (P from the row's lse)
//     dQ += dS K                           (A: dS's accumulators; B: K by
//                                           ldmatrix.trans)
//   dk/dv kernel (own: K, V; streams Q, dout of each query head of its
//   group, with their rows' lse and delta):
//     S^T = K Q^T   dP^T = V dout^T
//     dS^T = P^T (dP^T - delta)            (P^T from the columns' lse)
//     dV += P^T dout    dK += dS^T Q       (A: accumulators; B by .trans)
//
// P and dS are rounded to the element type to enter the second products,
// as FlashAttention-2 does; every sum is f32. The streamed tiles go through
// two stages of shared memory, so the next tile's copies land while the
// warps multiply the current one:
//
//   prologue: own rows, tile 0 -> stage 0
//   for each tile t (stage t % 2):
//     barrier                    every warp is done with tile t - 1
//     tile t + 1 -> stage (t + 1) % 2       async
//     wait for all but that group; barrier  tile t landed
//     the products of tile t
//
// Masks (keys or queries past the end of the block, the causal mask) cost
// ALU time only on the tiles that need them: a warp whose rows see every
// pair of the tile skips the per-element select, as in the forward.
//
//===----------------------------------------------------------------------===//

#include "FlashGradKernelBuilder.h"
#include "MmaSyncFragmentLayout.h"
#include "MmaSyncIRBuilder.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

using namespace mlir;
using namespace mlir::ring;

using Mma = MmaSyncFragmentLayout;

namespace {

class TensorCoreGradKernelBuilder : FlashGradKernelBuilder {
public:
  TensorCoreGradKernelBuilder(ImplicitLocOpBuilder &b, gpu::GPUFuncOp func,
                              const FlashGradKernelConfig &config)
      : FlashGradKernelBuilder(b, func, config),
        warpMma(b, config.elementType, config.headDim, thread,
                config.threads()),
        pitch(config.tileRowPitch()) {
    warpRow0 = mul(warpMma.warp, idx(Mma::kM));
    Type element = config.elementType;
    ownFirst =
        sharedTile(0, {FlashGradKernelConfig::kRowsPerBlock, pitch}, element);
    ownSecond =
        sharedTile(config.ownTileBytes(),
                   {FlashGradKernelConfig::kRowsPerBlock, pitch}, element);
    // Rows h = 0, 1 of this lane's C fragments (rows groupId, groupId + 8).
    for (int64_t h = 0; h < 2; ++h)
      ownRows.push_back(
          add(add(row0, warpRow0), add(warpMma.groupId, idx(8 * h))));
  }

  void buildQueryPart();
  void buildKeyValuePart();

private:
  int64_t kSlices() const { return headDim / Mma::kK; } // k-steps over d
  int64_t tileN() const { return tileRows / Mma::kN; }  // n-tiles of S
  int64_t dimN() const { return headDim / Mma::kN; }    // n-tiles over d
  static int64_t rowOf(int64_t e) { return Mma::cRowOffset(e) / 8; }
  /// Element e of n-tile nt in a flat fragment list.
  static int64_t at(int64_t, int64_t nt, int64_t e) {
    return nt * Mma::kCElements + e;
  }

  /// The two streamed tiles of a pipeline stage.
  struct Stage {
    Value first, second;
  };
  /// Stage `stage` (0 or 1) of the streamed tiles.
  Stage stageTiles(Value stage);
  Value otherStage(Value stage) {
    return arith::SubIOp::create(b, idx(1), stage);
  }

  /// Copies the block's own rows of `first` and `second` (head `h`, `len`
  /// rows) into ownFirst and ownSecond; returns the copies.
  SmallVector<Value> copyOwnRows(Value first, Value second, Value h, Value len);
  /// The streamed rows [tileRow0, + tileRows) of `first` and `second` into
  /// the tiles of `into`.
  SmallVector<Value> copyStreamedRows(Value first, Value second, Value h,
                                      Value tileRow0, Value len,
                                      const Stage &into);

  /// (X Y^T, X' Y'^T) over head_dim for the warp's 16 own rows of X, X'
  /// (ownFirst, ownSecond) against the streamed tiles Y, Y' of `tiles`: the
  /// scores and dP, or their transposes, as tileN() n-tiles of
  /// accumulators each.
  std::pair<SmallVector<Value>, SmallVector<Value>>
  ownTimesStreamed(const Stage &tiles);
  /// The `count` f32 values `compute(masked)` builds, under an scf.if on
  /// `whole`: the unmasked ones where the warp sees every pair of the tile.
  SmallVector<Value>
  maskedWhereNeeded(Value whole, int64_t count,
                    function_ref<SmallVector<Value>(bool masked)> compute);
  /// acc += A B for A the 16 x tileRows fragments `fragments` (rounded to
  /// the element type) and B the streamed tile `tile` (tileRows x head_dim,
  /// read with ldmatrix.trans).
  void accumulate(ArrayRef<Value> fragments, Value tile,
                  SmallVector<Value> &acc);
  /// gradient[batch, h, row, :] += factor * acc (factor null: 1) for the
  /// lane's two fragment rows, where the row is below `len`.
  void addToGradient(Value gradient, Value h, ArrayRef<Value> acc, Value len,
                     Value factor);

  MmaSyncIRBuilder warpMma;
  const int64_t pitch;
  Value warpRow0;
  Value ownFirst, ownSecond;
  SmallVector<Value, 2> ownRows;
};

SmallVector<Value> TensorCoreGradKernelBuilder::copyOwnRows(Value first,
                                                            Value second,
                                                            Value h,
                                                            Value len) {
  const int64_t rows = FlashGradKernelConfig::kRowsPerBlock;
  SmallVector<Value> copies =
      warpMma.copyRowsAsync(first, batch, h, row0, len, ownFirst, rows);
  llvm::append_range(copies, warpMma.copyRowsAsync(second, batch, h, row0, len,
                                                   ownSecond, rows));
  return copies;
}

TensorCoreGradKernelBuilder::Stage
TensorCoreGradKernelBuilder::stageTiles(Value stage) {
  Value first =
      add(idx(config.firstTileOffset()), mul(stage, idx(config.stageBytes())));
  Value second =
      add(first, idx(config.secondTileOffset() - config.firstTileOffset()));
  return {sharedTile(first, {tileRows, pitch}, config.elementType),
          sharedTile(second, {tileRows, pitch}, config.elementType)};
}

SmallVector<Value>
TensorCoreGradKernelBuilder::copyStreamedRows(Value first, Value second,
                                              Value h, Value tileRow0,
                                              Value len, const Stage &into) {
  SmallVector<Value> copies = warpMma.copyRowsAsync(first, batch, h, tileRow0,
                                                    len, into.first, tileRows);
  llvm::append_range(copies, warpMma.copyRowsAsync(second, batch, h, tileRow0,
                                                   len, into.second, tileRows));
  return copies;
}

std::pair<SmallVector<Value>, SmallVector<Value>>
TensorCoreGradKernelBuilder::ownTimesStreamed(const Stage &tiles) {
  SmallVector<Value> first(tileN() * Mma::kCElements, f32Const(0.0f));
  SmallVector<Value> second(first);
  for (int64_t kk = 0; kk < kSlices(); ++kk) {
    Value col = idx(kk * Mma::kK);
    SmallVector<Value, 4> a =
        warpMma.ldmatrix(ownFirst, warpRow0, col, warpMma.rowMajorLanes, false);
    SmallVector<Value, 4> a2 = warpMma.ldmatrix(ownSecond, warpRow0, col,
                                                warpMma.rowMajorLanes, false);
    // B = Y^T: column n of B is row n of the tile, so its rows give B.
    for (int64_t nt = 0; nt < tileN(); nt += 2) {
      warpMma.mmaTilePair({a},
                          warpMma.ldmatrix(tiles.first, idx(nt * Mma::kN), col,
                                           warpMma.transposedLanes, false),
                          nt, at, first);
      warpMma.mmaTilePair({a2},
                          warpMma.ldmatrix(tiles.second, idx(nt * Mma::kN), col,
                                           warpMma.transposedLanes, false),
                          nt, at, second);
    }
  }
  return {first, second};
}

SmallVector<Value> TensorCoreGradKernelBuilder::maskedWhereNeeded(
    Value whole, int64_t count,
    function_ref<SmallVector<Value>(bool masked)> compute) {
  SmallVector<Type> types(count, b.getF32Type());
  auto ifElse = scf::IfOp::create(b, types, whole, /*addThenBlock=*/true,
                                  /*addElseBlock=*/true);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(ifElse.thenBlock());
  scf::YieldOp::create(b, compute(/*masked=*/false));
  b.setInsertionPointToStart(ifElse.elseBlock());
  scf::YieldOp::create(b, compute(/*masked=*/true));
  b.setInsertionPointAfter(ifElse);
  return llvm::to_vector_of<Value>(ifElse.getResults());
}

void TensorCoreGradKernelBuilder::accumulate(ArrayRef<Value> fragments,
                                             Value tile,
                                             SmallVector<Value> &acc) {
  for (int64_t ks = 0; ks < tileRows / Mma::kK; ++ks) {
    // A k-slice of 16 spans two n-tiles of the fragments.
    auto element = [&](int64_t i) {
      return fragments[at(0, ks * (Mma::kK / Mma::kN) + Mma::cTileOf(i),
                          Mma::cElementOf(i))];
    };
    SmallVector<Value, 4> a;
    for (int64_t i = 0; i < Mma::kAElements; i += Mma::kPerRegister)
      a.push_back(warpMma.packF32Pair(element(i), element(i + 1)));
    // B = the tile (tileRows x head_dim, row-major): ldmatrix.trans hands
    // each lane the two adjacent rows of its B registers.
    for (int64_t nd = 0; nd < dimN(); nd += 2)
      warpMma.mmaTilePair({a},
                          warpMma.ldmatrix(tile, idx(ks * Mma::kK),
                                           idx(nd * Mma::kN),
                                           warpMma.rowMajorLanes,
                                           /*transpose=*/true),
                          nd, at, acc);
  }
}

void TensorCoreGradKernelBuilder::addToGradient(Value gradient, Value h,
                                                ArrayRef<Value> acc, Value len,
                                                Value factor) {
  auto pairType = VectorType::get({2}, b.getF32Type());
  for (int64_t r = 0; r < 2; ++r)
    ifThen(ult(ownRows[r], len), [&] {
      for (int64_t nd = 0; nd < dimN(); ++nd) {
        SmallVector<Value> index = {batch, h, ownRows[r],
                                    add(idx(nd * Mma::kN), warpMma.pairCol)};
        Value x0 = acc[at(0, nd, 2 * r)];
        Value x1 = acc[at(0, nd, 2 * r + 1)];
        if (factor) {
          x0 = mulf(x0, factor);
          x1 = mulf(x1, factor);
        }
        Value added =
            vector::FromElementsOp::create(b, pairType, ValueRange{x0, x1});
        Value old = vector::LoadOp::create(b, pairType, gradient, index);
        vector::StoreOp::create(b, addf(old, added), gradient, index);
      }
    });
}

void TensorCoreGradKernelBuilder::buildQueryPart() {
  Value kvHead = arith::DivUIOp::create(b, head, group);
  SmallVector<Value> prologue = copyOwnRows(query, dout, head, queryLen);
  llvm::append_range(prologue, copyStreamedRows(key, value, kvHead, idx(0),
                                                keyLen, stageTiles(idx(0))));
  warpMma.commit(prologue);
  SmallVector<Value, 2> references, deltas;
  for (Value row : ownRows) {
    SmallVector<Value> at = {batch, head, clampRow(row, queryLen)};
    references.push_back(
        probabilityReference(memref::LoadOp::create(b, lse, at)));
    deltas.push_back(memref::LoadOp::create(b, delta, at));
  }

  Value keyEnd = this->keyEnd();
  SmallVector<Value> init(dimN() * Mma::kCElements, f32Const(0.0f));
  SmallVector<Value> dqAcc = forLoop(
      idx(0), keyEnd, idx(tileRows), init,
      [&](Value key0, ValueRange carried) -> SmallVector<Value> {
        Value stage = remui(divui(key0, tileRows), 2);
        // Every warp is done with the previous tile, whose stage takes the
        // next; then this one (and, the first time, Q and dout) landed.
        gpu::BarrierOp::create(b);
        Value nextKey0 = add(key0, idx(tileRows));
        ifThen(ult(nextKey0, keyEnd), [&] {
          copyStreamedRows(key, value, kvHead, nextKey0, keyLen,
                           stageTiles(otherStage(stage)));
        });
        warpMma.waitForCopies(warpMma.commit({}), /*pending=*/1);
        gpu::BarrierOp::create(b);

        Stage current = stageTiles(stage);
        // (Not a structured binding: the lambdas below capture them.)
        SmallVector<Value> scores, dp;
        std::tie(scores, dp) = ownTimesStreamed(current);
        // Every row of the warp sees every key of the tile: the tile lies
        // inside the block and, when causal, its last key is not in the
        // future of the warp's first row.
        Value lastKey = add(key0, idx(tileRows - 1));
        Value whole = ult(lastKey, keyLen);
        if (Value causal = causallyVisible(add(row0, warpRow0), lastKey))
          whole = arith::AndIOp::create(b, whole, causal);
        // dS overwrites the scores.
        scores = maskedWhereNeeded(
            whole, scores.size(), [&](bool masked) -> SmallVector<Value> {
              SmallVector<Value> ds;
              for (int64_t nt = 0; nt < tileN(); ++nt)
                for (int64_t e = 0; e < Mma::kCElements; ++e) {
                  Value keyIndex =
                      add(add(key0, idx(nt * Mma::kN)),
                          add(warpMma.pairCol, idx(Mma::cColOffset(e))));
                  Value visible;
                  if (masked) {
                    visible = ult(keyIndex, keyLen);
                    if (Value causal =
                            causallyVisible(ownRows[rowOf(e)], keyIndex))
                      visible = arith::AndIOp::create(b, visible, causal);
                  }
                  Value p = probability(visible, scores[at(0, nt, e)],
                                        references[rowOf(e)]);
                  ds.push_back(
                      mulf(p, arith::SubFOp::create(b, dp[at(0, nt, e)],
                                                    deltas[rowOf(e)])));
                }
              return ds;
            });
        SmallVector<Value> next(carried.begin(), carried.end());
        accumulate(scores, current.first, next);
        return next;
      });
  // A block whose rows see no key skips the loop: the prologue's copies
  // must still complete before the block exits.
  warpMma.waitForCopies(warpMma.commit({}));
  addToGradient(dq, head, dqAcc, queryLen, scale);
  gpu::ReturnOp::create(b);
}

void TensorCoreGradKernelBuilder::buildKeyValuePart() {
  Value kvHead = head;
  Value firstQueryHead = mul(kvHead, group);
  Value queryBegin = this->queryBegin();
  // The streamed tiles run over (query head of the group, query tile),
  // flattened so the pipeline crosses from one head to the next.
  Value tilesPerHead = arith::CeilDivUIOp::create(
      b, arith::SubIOp::create(b, queryLen, queryBegin), idx(tileRows));
  Value tileCount = mul(group, tilesPerHead);
  // The query head and first row of tile i (tilesPerHead > 0 once a tile
  // exists).
  auto tileAt = [&](Value i) -> std::pair<Value, Value> {
    Value queryHead =
        add(firstQueryHead, arith::DivUIOp::create(b, i, tilesPerHead));
    Value query0 =
        add(queryBegin,
            mul(arith::RemUIOp::create(b, i, tilesPerHead), idx(tileRows)));
    return {queryHead, query0};
  };
  // Tile t's query and dout rows and its rows' lse and delta into stage
  // `stage`.
  auto load = [&](Value queryHead, Value query0, Value stage) {
    copyStreamedRows(query, dout, queryHead, query0, queryLen,
                     stageTiles(stage));
    Value references, deltas;
    std::tie(references, deltas) = rowScalarTiles(stage);
    stageRowScalars(queryHead, query0, references, deltas);
  };

  SmallVector<Value> prologue = copyOwnRows(key, value, kvHead, keyLen);
  warpMma.commit(prologue);
  load(firstQueryHead, queryBegin, idx(0));
  warpMma.commit({});

  SmallVector<Value> init(2 * dimN() * Mma::kCElements, f32Const(0.0f));
  SmallVector<Value> acc = forLoop(
      idx(0), tileCount, idx(1), init,
      [&](Value t, ValueRange carried) -> SmallVector<Value> {
        Value stage = remui(t, 2);
        // Every warp is done with the previous tile, whose stage takes the
        // next; then this one landed.
        gpu::BarrierOp::create(b);
        Value next = add(t, idx(1));
        ifThen(ult(next, tileCount), [&] {
          auto [nextHead, nextQuery0] = tileAt(next);
          load(nextHead, nextQuery0, otherStage(stage));
        });
        warpMma.waitForCopies(warpMma.commit({}), /*pending=*/1);
        gpu::BarrierOp::create(b);

        Value query0 = tileAt(t).second;
        Stage current = stageTiles(stage);
        Value references, deltas;
        std::tie(references, deltas) = rowScalarTiles(stage);
        // The scores' and dP's transposes: rows are keys, columns queries.
        // (Not a structured binding: the lambdas below capture them.)
        SmallVector<Value> scores, dp;
        std::tie(scores, dp) = ownTimesStreamed(current);
        // Every key row of the warp is seen by every query of the tile:
        // the tile lies inside the block and, when causal, its first query
        // is not in the past of the warp's last key row.
        Value whole = ult(add(query0, idx(tileRows - 1)), queryLen);
        if (Value causal = causallyVisible(
                query0, add(add(row0, warpRow0), idx(Mma::kM - 1))))
          whole = arith::AndIOp::create(b, whole, causal);
        // The tile's columns (queries) this lane holds, two an n-tile, with
        // their lse reference and delta, read once for both branches.
        SmallVector<Value> cols, colReferences, colDeltas;
        for (int64_t nt = 0; nt < tileN(); ++nt)
          for (int64_t c = 0; c < 2; ++c) {
            cols.push_back(
                add(idx(nt * Mma::kN), add(warpMma.pairCol, idx(c))));
            colReferences.push_back(
                memref::LoadOp::create(b, references, cols.back()));
            colDeltas.push_back(memref::LoadOp::create(b, deltas, cols.back()));
          }
        // P^T, then dS^T.
        SmallVector<Value> pAndDs = maskedWhereNeeded(
            whole, 2 * scores.size(), [&](bool masked) -> SmallVector<Value> {
              SmallVector<Value> probs, ds;
              for (int64_t nt = 0; nt < tileN(); ++nt)
                for (int64_t e = 0; e < Mma::kCElements; ++e) {
                  int64_t c = 2 * nt + Mma::cColOffset(e);
                  Value visible;
                  if (masked) {
                    Value queryIndex = add(query0, cols[c]);
                    visible = ult(queryIndex, queryLen);
                    if (Value causal =
                            causallyVisible(queryIndex, ownRows[rowOf(e)]))
                      visible = arith::AndIOp::create(b, visible, causal);
                  }
                  Value p = probability(visible, scores[at(0, nt, e)],
                                        colReferences[c]);
                  probs.push_back(p);
                  ds.push_back(mulf(p, arith::SubFOp::create(
                                           b, dp[at(0, nt, e)], colDeltas[c])));
                }
              llvm::append_range(probs, ds);
              return probs;
            });
        ArrayRef<Value> all(pAndDs);
        SmallVector<Value> probs(all.take_front(scores.size()));
        SmallVector<Value> ds(all.drop_front(scores.size()));
        SmallVector<Value> dkAcc(carried.begin(),
                                 carried.begin() + dimN() * Mma::kCElements);
        SmallVector<Value> dvAcc(carried.begin() + dimN() * Mma::kCElements,
                                 carried.end());
        accumulate(probs, current.second, dvAcc);
        accumulate(ds, current.first, dkAcc);
        llvm::append_range(dkAcc, dvAcc);
        return dkAcc;
      });
  warpMma.waitForCopies(warpMma.commit({}));
  ArrayRef<Value> all(acc);
  addToGradient(dk, kvHead, all.take_front(dimN() * Mma::kCElements), keyLen,
                scale);
  addToGradient(dv, kvHead, all.drop_front(dimN() * Mma::kCElements), keyLen,
                nullptr);
  gpu::ReturnOp::create(b);
}

} // namespace

void mlir::ring::buildTensorCoreFlashGradKernel(
    ImplicitLocOpBuilder &b, gpu::GPUFuncOp func,
    const FlashGradKernelConfig &config, GradKernelPart part) {
  TensorCoreGradKernelBuilder builder(b, func, config);
  if (part == GradKernelPart::Query)
    builder.buildQueryPart();
  else
    builder.buildKeyValuePart();
}
