//===- TensorCoreFlashKernel.cpp - Block attention on tensor cores --------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// The f16/bf16 body, in FlashAttention-2's shape. Four warps; each owns
// rowsPerWarp() query rows (two or one m16 tiles) and multiplies with
// mma.sync m16n8k16, keeping S, P and O in the registers of the mma
// fragments; P feeds the second product straight from the first's
// accumulators. Q, K and V sit row-major in shared memory, rows padded by
// 16 bytes, and reach the tensor cores through ldmatrix (.trans for V, whose
// B operand is column-major), conflict-free at every head_dim.
//
// Tiles arrive by cp.async, and each load overlaps the other product:
//
//   prologue: Q, K(0) -> shared
//   for each key tile t:
//     wait; barrier             K(t) (and Q) landed; every warp is done
//                                with V(t - 1)
//     V(t) -> shared            async, lands during S = Q K(t)^T
//     S = Q K(t)^T, mask, online softmax
//     wait; barrier             V(t) landed; every warp is done with K(t)
//     K(t + 1) -> shared        async, lands during O += P V(t)
//     O = a O + P V(t)
//
// Masks cost ALU time only on the tiles that need them: a warp whose rows
// see every key of the tile skips the per-element select.
//
// On sm_90a (FlashKernelConfig::warpgroupMma) the products run on wgmma
// instead (WarpgroupMmaIRBuilder.h): two warpgroups of 64 query rows, Q, K
// and V in 128-byte-swizzled shared memory, P from registers as with
// mma.sync. The accumulators hold the elements mma.sync's would, so the
// mask, the online softmax, P's registers and the epilogue are the same
// code. K and V go through two stages. Up to head_dim 128 the block is
// warp-specialized (FlashAttention-3's structure): a third warpgroup, the
// producer, loads and the two consumer warpgroups only compute; they hand
// the stages over through mbarriers (MBarrierIRBuilder.h), with no block
// barrier after the set-up:
//
//   producer (one thread)              consumers
//   expect Q's bytes; TMA Q            wait Q's
//   for each key tile t:               for each key tile t:
//     wait "empty"(t % 2)                wait "full"(t % 2)
//     expect K(t), V(t)'s bytes          S = Q K(t)^T, mask, softmax,
//     TMA K(t), V(t) -> stage t % 2        O = a O + P V(t)
//                                        arrive "empty"(t % 2)
//
// The producer's loads are TMA copies (TmaLoadIRBuilder.h): a "full" phase
// completes once their bytes have landed, written through the async proxy
// wgmma reads through. At larger head dims a consumer needs more registers than
// a producer would leave it, and the two warpgroups share the loads, one block
// barrier a tile:
//
//   prologue: Q, K(0), V(0) -> shared (stage 0)
//   for each key tile t:
//     wait; fence; barrier      K(t), V(t) landed; every warp is done with
//                                tile t - 1, whose stage is t + 1's
//     K(t + 1), V(t + 1) -> the other stage
//     S = Q K(t)^T, mask, online softmax, O = a O + P V(t)
//
//===----------------------------------------------------------------------===//

#include "FlashKernelBuilder.h"
#include "MBarrierIRBuilder.h"
#include "MmaSyncFragmentLayout.h"
#include "MmaSyncIRBuilder.h"
#include "TmaLoadIRBuilder.h"
#include "WarpgroupMmaIRBuilder.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

#include "llvm/ADT/STLExtras.h"

using namespace mlir;
using namespace mlir::ring;

using Mma = MmaSyncFragmentLayout;
using Swizzled = SwizzledTileLayout;

namespace {

class TensorCoreKernelBuilder : FlashKernelBuilder {
public:
  TensorCoreKernelBuilder(ImplicitLocOpBuilder &b, gpu::GPUFuncOp func,
                          const FlashKernelConfig &config)
      : FlashKernelBuilder(b, func, config),
        warpMma(b, config.elementType, config.headDim, thread,
                config.threads()),
        mTiles(config.rowsPerWarp() / Mma::kM), pitch(config.tileRowPitch()) {
    if (config.warpgroupMma)
      wgmma.emplace(b, config.elementType, thread);
  }

  void build() {
    setUpLanes();
    if (wgmma)
      setUpSwizzledTiles();
    else
      setUpPaddedTiles();
    if (config.warpSpecialized())
      return buildWarpSpecialized();

    SmallVector<Value> copies = copyRowsAsync(
        query, queryHead, query0, queryLen, queryTileBuf, config.queryTile());
    llvm::append_range(copies, copyRowsAsync(key, kvHead, idx(0), keyLen,
                                             keyTileBuf, keyTile));
    if (wgmma)
      llvm::append_range(copies, copyRowsAsync(value, kvHead, idx(0), keyLen,
                                               valueTileBuf, keyTile));
    warpMma.commit(copies);

    SmallVector<Value> state =
        forLoop(idx(0), keyEnd, idx(keyTile), initialState(),
                [&](Value key0, ValueRange carried) -> SmallVector<Value> {
                  return wgmma ? doubleBufferedStep(key0, carried)
                               : keyTileStep(key0, carried);
                });

    // A block whose rows see no key skips the loop: its prologue copies
    // must still complete before the block exits.
    warpMma.waitForCopies(warpMma.commit({}));
    storeRows(state);
    gpu::ReturnOp::create(b);
  }

private:
  //===--- Warp specialization (sm_90a, head_dim <= 128) ------------------===//

  /// The producer warpgroup loads, the two consumer warpgroups compute;
  /// they hand the stages over through mbarriers (MBarrierIRBuilder.h).
  void buildWarpSpecialized() {
    assert(32 * config.producerWarps() * FlashKernelConfig::kProducerRegisters +
                   consumerThreads() * FlashKernelConfig::kConsumerRegisters <=
               config.threads() * config.launchRegisters() &&
           "setmaxnreg's split exceeds the block's register pool");
    MBarrierIRBuilder barriers(b);
    ifThen(arith::CmpIOp::create(b, arith::CmpIPredicate::eq, thread, idx(0)),
           [&] {
             // A "full" phase is one arrival and the bytes of its loads.
             barriers.init(queryFull(barriers), 1);
             for (int64_t s = 0; s < config.stages(); ++s) {
               barriers.init(stageBarrier(barriers, kFull, idx(s)), 1);
               barriers.init(stageBarrier(barriers, kEmpty, idx(s)),
                             consumerThreads());
             }
             // The TMA unit completes transactions on them: the async
             // proxy must see them initialized.
             NVVM::FenceMbarrierInitOp::create(b);
           });
    gpu::BarrierOp::create(b); // the barriers are set up for every thread
    ifThenElse(
        arith::CmpIOp::create(b, arith::CmpIPredicate::uge, thread,
                              idx(consumerThreads())),
        [&] { produce(barriers); }, [&] { consume(barriers); });
    gpu::ReturnOp::create(b);
  }

  /// The producer: its first thread loads Q, then each key tile's K and V
  /// into stage t % stages once the consumers have emptied it, by TMA; a
  /// "full" phase completes when its loads have landed, and TMA writes
  /// through the async proxy wgmma reads through: no fence.
  void produce(MBarrierIRBuilder &barriers) {
    NVVM::SetMaxRegisterOp::create(b, FlashKernelConfig::kProducerRegisters,
                                   NVVM::SetMaxRegisterAction::decrease);
    Value issuer = arith::CmpIOp::create(b, arith::CmpIPredicate::eq, thread,
                                         idx(consumerThreads()));
    ifThen(issuer, [&] {
      TmaLoadIRBuilder tma(b, config.elementType, headDim);
      Value full = queryFull(barriers);
      barriers.arriveExpectTx(full, tma.tileBytes(config.queryTile()));
      tma.loadTile(queryMap, alignedWindow, batch, queryHead, query0,
                   config.queryTile(), full);
      forLoop(idx(0), keyEnd, idx(keyTile), [&](Value key0) {
        auto [stage, parity] = stageUse(key0);
        barriers.waitParity(stageBarrier(barriers, kEmpty, stage),
                            arith::XOrIOp::create(b, parity, i32Const(1)));
        Value full = stageBarrier(barriers, kFull, stage);
        barriers.arriveExpectTx(full, 2 * tma.tileBytes(keyTile));
        Value stageStart =
            add(alignedWindow, mul(stage, idx(config.stageBytes())));
        tma.loadTile(keyMap, add(stageStart, idx(config.keyTileOffset())),
                     batch, kvHead, key0, keyTile, full);
        tma.loadTile(valueMap, add(stageStart, idx(config.valueTileOffset())),
                     batch, kvHead, key0, keyTile, full);
      });
    });
  }

  /// A consumer warpgroup: 64 query rows against each tile once its stage
  /// is full; it empties the stage when its products have read it.
  void consume(MBarrierIRBuilder &barriers) {
    NVVM::SetMaxRegisterOp::create(b, FlashKernelConfig::kConsumerRegisters,
                                   NVVM::SetMaxRegisterAction::increase);
    barriers.waitParity(queryFull(barriers), i32Const(0));
    SmallVector<Value> state = forLoop(
        idx(0), keyEnd, idx(keyTile), initialState(),
        [&](Value key0, ValueRange carried) -> SmallVector<Value> {
          auto [stage, parity] = stageUse(key0);
          barriers.waitParity(stageBarrier(barriers, kFull, stage), parity);
          useStageDescriptors(stage);
          SmallVector<Value> scores = maskedScores(key0);
          SmallVector<Value> next(carried.begin(), carried.end());
          SmallVector<Value> alpha = softmaxStep(scores, carried, next);
          accumulateOutput(scores, alpha, next); // waits for its wgmma
          barriers.arrive(stageBarrier(barriers, kEmpty, stage));
          return next;
        });
    storeRows(state);
  }

  /// The stage of the tile at key0, and the parity of its use of that
  /// stage (tile t is use t / stages of stage t % stages).
  std::pair<Value, Value> stageUse(Value key0) {
    Value tile = divui(key0, keyTile);
    Value use = divui(tile, config.stages());
    return {remui(tile, config.stages()),
            arith::IndexCastUIOp::create(b, b.getI32Type(), remui(use, 2))};
  }

  enum StageBarrier : int64_t { kFull = 0, kEmpty = 1 };
  Value queryFull(MBarrierIRBuilder &barriers) {
    return barriers.at(add(alignedWindow, idx(config.barrierOffset())));
  }
  Value stageBarrier(MBarrierIRBuilder &barriers, StageBarrier which,
                     Value stage) {
    Value slot = add(idx(1 + which * config.stages()), stage);
    return barriers.at(add(add(alignedWindow, idx(config.barrierOffset())),
                           mul(slot, idx(8))));
  }
  Value i32Const(int64_t v) {
    return arith::ConstantIntOp::create(b, b.getI32Type(), v);
  }

  /// Threads of the consumer warpgroups: the first ones.
  int64_t consumerThreads() const { return 32 * config.warps(); }

  /// One key tile of the pipeline in the file comment; returns the new
  /// carried state.
  SmallVector<Value> keyTileStep(Value key0, ValueRange carried) {
    // K(t) (and, the first time, Q) landed; no warp still reads V(t - 1).
    // K's copies were committed before this iteration, so the wait closes
    // an empty group to get a token: cp.async.wait_group 0 waits for all.
    warpMma.waitForCopies(warpMma.commit({}));
    publishSharedWrites();
    Value valueCopies = warpMma.commit(
        copyRowsAsync(value, kvHead, key0, keyLen, valueTileBuf, keyTile));

    SmallVector<Value> scores = maskedScores(key0);
    SmallVector<Value> next(carried.begin(), carried.end());
    SmallVector<Value> alpha = softmaxStep(scores, carried, next);

    // V(t) landed; no warp still reads K(t).
    warpMma.waitForCopies(valueCopies);
    publishSharedWrites();
    Value nextKey0 = add(key0, idx(keyTile));
    ifThen(ult(nextKey0, keyEnd), [&] {
      warpMma.commit(
          copyRowsAsync(key, kvHead, nextKey0, keyLen, keyTileBuf, keyTile));
    });

    accumulateOutput(scores, alpha, next);
    return next;
  }

  /// wgmma: one key tile of the double-buffered pipeline in the file
  /// comment; returns the new carried state.
  SmallVector<Value> doubleBufferedStep(Value key0, ValueRange carried) {
    warpMma.waitForCopies(warpMma.commit({}));
    publishSharedWrites();
    Value stage = remui(divui(key0, keyTile), 2);
    Value nextKey0 = add(key0, idx(keyTile));
    ifThen(ult(nextKey0, keyEnd), [&] {
      useStageTiles(arith::SubIOp::create(b, idx(1), stage));
      SmallVector<Value> copies =
          copyRowsAsync(key, kvHead, nextKey0, keyLen, keyTileBuf, keyTile);
      llvm::append_range(copies, copyRowsAsync(value, kvHead, nextKey0, keyLen,
                                               valueTileBuf, keyTile));
      warpMma.commit(copies);
    });

    useStageDescriptors(stage);
    SmallVector<Value> scores = maskedScores(key0);
    SmallVector<Value> next(carried.begin(), carried.end());
    SmallVector<Value> alpha = softmaxStep(scores, carried, next);
    accumulateOutput(scores, alpha, next);
    return next;
  }

  /// The key loop's carried state: per row (mTiles x 2 of them) its max,
  /// then its sum (this lane's partial, reduced over the group at the end),
  /// then the O fragments.
  SmallVector<Value> initialState() {
    const int64_t rowCount = 2 * mTiles;
    SmallVector<Value> init(rowCount, minusInf());
    init.append(rowCount, f32Const(0.0f));
    init.append(mTiles * dimTilesN() * Mma::kCElements, f32Const(0.0f));
    return init;
  }

  int64_t kSlices() const { return headDim / Mma::kK; }   // k-steps of Q K^T
  int64_t keyTilesN() const { return keyTile / Mma::kN; } // n-tiles of S
  int64_t dimTilesN() const { return headDim / Mma::kN; } // n-tiles of O
  /// Where fragment values sit in the flat lists: S and O fragments by
  /// (m-tile, n-tile, element), row state by (m-tile, h).
  int64_t scoreAt(int64_t mi, int64_t nt, int64_t e) const {
    return (mi * keyTilesN() + nt) * Mma::kCElements + e;
  }
  int64_t outAt(int64_t mi, int64_t nd, int64_t e) const {
    return 4 * mTiles + (mi * dimTilesN() + nd) * Mma::kCElements + e;
  }
  static int64_t rowOf(int64_t e) { return Mma::cRowOffset(e) / 8; }

  //===--- Lanes ----------------------------------------------------------===//

  void setUpLanes() {
    warpRow0 = mul(warpMma.warp, idx(config.rowsPerWarp()));
    // rows[2 mi + h]: row h of m-tile mi (C rows groupId, groupId + 8).
    static_assert(Mma::cRowOffset(0) == 0 && Mma::cRowOffset(2) == 8 &&
                      Mma::cColOffset(0) == 0 && Mma::cColOffset(1) == 1,
                  "C elements 2h, 2h + 1: adjacent columns of row h");
    for (int64_t mi = 0; mi < mTiles; ++mi)
      for (int64_t h = 0; h < 2; ++h)
        rows.push_back(add(add(query0, warpRow0),
                           add(warpMma.groupId, idx(mi * Mma::kM + 8 * h))));
  }

  /// The block's copies of `count` rows of `source` from row0 into `tile`.
  SmallVector<Value> copyRowsAsync(Value source, Value head, Value row0,
                                   Value len, Value tile, int64_t count) {
    if (!wgmma)
      return warpMma.copyRowsAsync(source, batch, head, row0, len, tile, count);
    return warpMma.copyRowsAsync(
        source, batch, head, row0, len, tile, count,
        [&](Value r, Value c) { return wgmma->place(r, c, count); });
  }

  /// This thread's shared-memory writes (stores, landed copies) made
  /// visible to every thread of the block, and to wgmma.
  void publishSharedWrites() {
    if (wgmma)
      wgmma->fenceSharedForAsyncProxy();
    gpu::BarrierOp::create(b);
  }

  //===--- Tiles ----------------------------------------------------------===//

  /// mma.sync: Q, K, V row-major, rows padded to `pitch`.
  void setUpPaddedTiles() {
    queryTileBuf =
        sharedTile(0, {config.queryTile(), pitch}, config.elementType);
    keyTileBuf = sharedTile(config.keyTileOffset(), {keyTile, pitch},
                            config.elementType);
    valueTileBuf = sharedTile(config.valueTileOffset(), {keyTile, pitch},
                              config.elementType);
  }

  /// wgmma: Q, K and V 128-byte swizzled from the first 1024-byte boundary
  /// of the shared window, and the descriptors of the operands that do not
  /// move; where cp.async fills them, each tile viewed as its panels' rows
  /// of 64 elements (TMA writes to addresses).
  void setUpSwizzledTiles() {
    Value window = sharedWindowAddress();
    Value align = idx(FlashKernelConfig::kSwizzleAlignment - 1);
    swizzleSkip = arith::AndIOp::create(
        b, arith::SubIOp::create(b, idx(0), window), align);
    alignedWindow = add(window, swizzleSkip);
    auto address = [&](int64_t offset) {
      return add(alignedWindow, idx(offset));
    };
    // The second warpgroup's 64 rows of Q start 64 rows into the tile.
    Value warpgroupRows = mul(wgmma->warpgroup, idx(64 * Swizzled::kRowBytes));
    queryDescriptor = wgmma->kMajorDescriptor(add(address(0), warpgroupRows));
    firstKeyDescriptor =
        wgmma->kMajorDescriptor(address(config.keyTileOffset()));
    firstValueDescriptor = wgmma->mnMajorDescriptor(
        address(config.valueTileOffset()), keyTile * Swizzled::kRowBytes);
    if (config.warpSpecialized())
      return;
    queryTileBuf = swizzledTile(idx(0), config.queryTile());
    useStageTiles(idx(0));
  }

  /// A swizzled tile of `rows` rows of head_dim at `offset` from the first
  /// 1024-byte boundary, viewed as its panels' rows of 64 elements.
  Value swizzledTile(Value offset, int64_t rows) {
    return sharedTile(add(swizzleSkip, offset),
                      {headDim / kPanelElements * rows, kPanelElements},
                      config.elementType);
  }

  /// wgmma: the K and V tiles of pipeline stage `stage` (where copies
  /// land), and their descriptors (what the products read).
  void useStageTiles(Value stage) {
    Value offset = mul(stage, idx(config.stageBytes()));
    keyTileBuf =
        swizzledTile(add(offset, idx(config.keyTileOffset())), keyTile);
    valueTileBuf =
        swizzledTile(add(offset, idx(config.valueTileOffset())), keyTile);
  }
  void useStageDescriptors(Value stage) {
    Value offset = mul(stage, idx(config.stageBytes()));
    keyDescriptor = wgmma->advance(firstKeyDescriptor, offset);
    valueDescriptor = wgmma->advance(firstValueDescriptor, offset);
  }

  /// The byte offset of k-slice `slice` (16 columns) in a K-major tile of
  /// `rows` rows: the descriptors' advance, with the swizzle left to wgmma.
  int64_t sliceOffset(int64_t slice, int64_t rows) const {
    return Swizzled::offset(0, slice * Mma::kK * elementBytes(), rows);
  }
  int64_t elementBytes() const {
    return config.elementType.getIntOrFloatBitWidth() / 8;
  }

  //===--- One key tile ---------------------------------------------------===//

  /// S = Q K^T of the tile at key0, scaled to base 2, masked where a row
  /// must not see a key: scores[scoreAt(mi, nt, e)].
  SmallVector<Value> maskedScores(Value key0) {
    SmallVector<Value> scores(mTiles * keyTilesN() * Mma::kCElements,
                              f32Const(0.0f));
    if (wgmma)
      multiplyScoresOnWarpgroups(scores);
    else
      multiplyScoresOnWarps(scores);
    for (Value &s : scores)
      s = mulf(s, scaleLog2);

    auto masked = [&]() -> SmallVector<Value> {
      SmallVector<Value> result(scores);
      for (int64_t mi = 0; mi < mTiles; ++mi)
        for (int64_t nt = 0; nt < keyTilesN(); ++nt) {
          Value keyCol = add(add(key0, idx(nt * Mma::kN)), warpMma.pairCol);
          for (int64_t e = 0; e < Mma::kCElements; ++e) {
            Value keyIndex = add(keyCol, idx(Mma::cColOffset(e)));
            Value &s = result[scoreAt(mi, nt, e)];
            s = arith::SelectOp::create(
                b, visible(rows[2 * mi + rowOf(e)], keyIndex), s, minusInf());
          }
        }
      return result;
    };
    auto ifElse = scf::IfOp::create(b, TypeRange(ValueRange(scores)),
                                    warpSeesWholeTile(key0),
                                    /*addThenBlock=*/true,
                                    /*addElseBlock=*/true);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(ifElse.thenBlock());
    scf::YieldOp::create(b, scores);
    b.setInsertionPointToStart(ifElse.elseBlock());
    scf::YieldOp::create(b, masked());
    b.setInsertionPointAfter(ifElse);
    return llvm::to_vector_of<Value>(ifElse.getResults());
  }

  /// mma.sync: S = Q K^T from ldmatrix fragments, a k-slice at a time.
  void multiplyScoresOnWarps(SmallVector<Value> &scores) {
    auto at = [&](int64_t mi, int64_t nt, int64_t e) {
      return scoreAt(mi, nt, e);
    };
    for (int64_t kk = 0; kk < kSlices(); ++kk) {
      Value col = idx(kk * Mma::kK);
      SmallVector<SmallVector<Value, 4>> a;
      for (int64_t mi = 0; mi < mTiles; ++mi)
        a.push_back(
            warpMma.ldmatrix(queryTileBuf, add(warpRow0, idx(mi * Mma::kM)),
                             col, warpMma.rowMajorLanes, /*transpose=*/false));
      // B = K^T: column n of B is key row n, so K's rows give B directly.
      for (int64_t nt = 0; nt < keyTilesN(); nt += 2)
        warpMma.mmaTilePair(a,
                            warpMma.ldmatrix(keyTileBuf, idx(nt * Mma::kN), col,
                                             warpMma.transposedLanes,
                                             /*transpose=*/false),
                            nt, at, scores);
    }
  }

  /// wgmma: S = Q K^T, both K-major in their swizzled tiles; the k-slices
  /// are 16 columns of head_dim each.
  void multiplyScoresOnWarpgroups(SmallVector<Value> &scores) {
    SmallVector<Value> a, bDesc;
    for (int64_t kk = 0; kk < kSlices(); ++kk) {
      a.push_back(
          wgmma->advance(queryDescriptor, sliceOffset(kk, config.queryTile())));
      bDesc.push_back(wgmma->advance(keyDescriptor, sliceOffset(kk, keyTile)));
    }
    wgmma->multiply(scores, a, bDesc, /*transposeB=*/false);
  }

  /// Whether every row of this warp sees every key of the tile at key0: the
  /// tile lies inside the block and, when causal, its last key is not in
  /// the future of the warp's first row. The same in every lane of a warp.
  Value warpSeesWholeTile(Value key0) {
    Value lastKey = add(key0, idx(keyTile - 1));
    Value inside = ult(lastKey, keyLen);
    if (!config.causal)
      return inside;
    return arith::AndIOp::create(
        b, inside,
        notInFuture(queryPosition(add(query0, warpRow0)),
                    position(keyOffset, keyStride, lastKey)));
  }

  /// The online softmax over the tile's scores, row by row (C elements 2h
  /// and 2h + 1 of each n-tile are row h): turns `scores` into P, writes the
  /// new max and sum into `next`, and returns each row's rescale factor.
  SmallVector<Value> softmaxStep(SmallVector<Value> &scores, ValueRange carried,
                                 SmallVector<Value> &next) {
    SmallVector<Value> alpha;
    for (int64_t mi = 0; mi < mTiles; ++mi)
      for (int64_t h = 0; h < 2; ++h) {
        int64_t r = 2 * mi + h;
        Value rowMax = carried[r];
        for (int64_t nt = 0; nt < keyTilesN(); ++nt)
          rowMax = maxf(rowMax, maxf(scores[scoreAt(mi, nt, 2 * h)],
                                     scores[scoreAt(mi, nt, 2 * h + 1)]));
        rowMax = warpMma.quadReduce(
            rowMax, [&](Value x, Value y) { return maxf(x, y); });
        Rescale step = rescale(carried[r], rowMax);
        alpha.push_back(step.alpha);
        Value rowSum = mulf(carried[2 * mTiles + r], step.alpha);
        for (int64_t nt = 0; nt < keyTilesN(); ++nt)
          for (int64_t e = 2 * h; e < 2 * h + 2; ++e) {
            Value &s = scores[scoreAt(mi, nt, e)];
            s = expShifted(s, step.reference);
            rowSum = addf(rowSum, s);
          }
        next[r] = rowMax;
        next[2 * mTiles + r] = rowSum;
      }
    return alpha;
  }

  /// O = alpha O + P V: P's accumulators are the A operands (a k-slice of P
  /// spans two n-tiles of S), V's B operands come from ldmatrix.trans.
  void accumulateOutput(ArrayRef<Value> probabilities, ArrayRef<Value> alpha,
                        SmallVector<Value> &next) {
    for (int64_t mi = 0; mi < mTiles; ++mi)
      for (int64_t nd = 0; nd < dimTilesN(); ++nd)
        for (int64_t e = 0; e < Mma::kCElements; ++e) {
          Value &o = next[outAt(mi, nd, e)];
          o = mulf(o, alpha[2 * mi + rowOf(e)]);
        }
    if (wgmma)
      return accumulateOutputOnWarpgroups(probabilities, next);
    auto at = [&](int64_t mi, int64_t nd, int64_t e) {
      return outAt(mi, nd, e);
    };
    for (int64_t ks = 0; ks < keyTile / Mma::kK; ++ks) {
      SmallVector<SmallVector<Value, 4>> a;
      for (int64_t mi = 0; mi < mTiles; ++mi)
        a.push_back(probabilityRegisters(probabilities, mi, ks));
      // B = V (keys x head_dim, row-major): ldmatrix.trans hands each lane
      // the two adjacent keys of its B registers.
      for (int64_t nd = 0; nd < dimTilesN(); nd += 2)
        warpMma.mmaTilePair(a,
                            warpMma.ldmatrix(valueTileBuf, idx(ks * Mma::kK),
                                             idx(nd * Mma::kN),
                                             warpMma.rowMajorLanes,
                                             /*transpose=*/true),
                            nd, at, next);
    }
  }

  /// The A registers of k-slice `ks` of P for m-tile mi: a k-slice spans two
  /// n-tiles of S, whose accumulators hold the A fragment's elements.
  SmallVector<Value, 4> probabilityRegisters(ArrayRef<Value> probabilities,
                                             int64_t mi, int64_t ks) {
    auto probability = [&](int64_t i) {
      return probabilities[scoreAt(
          mi, ks * (Mma::kK / Mma::kN) + Mma::cTileOf(i), Mma::cElementOf(i))];
    };
    SmallVector<Value, 4> regs;
    for (int64_t i = 0; i < Mma::kAElements; i += Mma::kPerRegister)
      regs.push_back(warpMma.packF32Pair(probability(i), probability(i + 1)));
    return regs;
  }

  /// wgmma: O += P V, P from registers, V from its tile as an MN-major B
  /// operand; the k-slices are 16 keys each.
  void accumulateOutputOnWarpgroups(ArrayRef<Value> probabilities,
                                    SmallVector<Value> &next) {
    SmallVector<SmallVector<Value, 4>> a;
    SmallVector<Value> bDesc;
    for (int64_t ks = 0; ks < keyTile / Mma::kK; ++ks) {
      a.push_back(probabilityRegisters(probabilities, 0, ks));
      bDesc.push_back(
          wgmma->advance(valueDescriptor, ks * Mma::kK * Swizzled::kRowBytes));
    }
    auto out = MutableArrayRef<Value>(next).slice(outAt(0, 0, 0), headDim / 2);
    SmallVector<Value> acc(out.begin(), out.end());
    wgmma->multiplyRegisterA(acc, a, bDesc, /*transposeB=*/true);
    llvm::copy(acc, out.begin());
  }

  //===--- Epilogue -------------------------------------------------------===//

  /// Each lane writes its two adjacent columns (C elements 2h, 2h + 1) of
  /// each of its rows, one 8-byte store (4 for a final f16/bf16 output);
  /// the group's first lane writes the row's lse.
  void storeRows(ArrayRef<Value> state) {
    for (int64_t r = 0; r < 2 * mTiles; ++r) {
      int64_t mi = r / 2, h = r % 2;
      Value sum = warpMma.quadReduce(
          state[2 * mTiles + r], [&](Value x, Value y) { return addf(x, y); });
      ifThen(ult(rows[r], queryLen), [&] {
        Value scale = rowNormalizer(sum);
        for (int64_t nd = 0; nd < dimTilesN(); ++nd) {
          Value pair = vector::FromElementsOp::create(
              b, VectorType::get({2}, b.getF32Type()),
              ValueRange{mulf(state[outAt(mi, nd, 2 * h)], scale),
                         mulf(state[outAt(mi, nd, 2 * h + 1)], scale)});
          vector::StoreOp::create(
              b, asOutput(pair), out,
              ValueRange{batch, queryHead, rows[r],
                         add(idx(nd * Mma::kN), warpMma.pairCol)});
        }
        ifThen(arith::CmpIOp::create(b, arith::CmpIPredicate::eq,
                                     warpMma.pairCol, idx(0)),
               [&] { storeLse(rows[r], state[r], sum); });
      });
    }
  }

  /// Elements of one 128-byte row of a swizzled panel.
  static constexpr int64_t kPanelElements = 64;

  MmaSyncIRBuilder warpMma;
  std::optional<WarpgroupMmaIRBuilder> wgmma;
  const int64_t mTiles;
  const int64_t pitch;
  Value queryTileBuf, keyTileBuf, valueTileBuf;
  Value queryDescriptor, keyDescriptor, valueDescriptor;
  /// wgmma: the gap to the first 1024-byte boundary, that boundary's
  /// address, and stage 0's K and V descriptors.
  Value swizzleSkip, alignedWindow, firstKeyDescriptor, firstValueDescriptor;
  Value warpRow0;
  SmallVector<Value> rows;
};

} // namespace

void mlir::ring::buildTensorCoreFlashKernel(ImplicitLocOpBuilder &b,
                                            gpu::GPUFuncOp func,
                                            const FlashKernelConfig &config) {
  TensorCoreKernelBuilder(b, func, config).build();
}
