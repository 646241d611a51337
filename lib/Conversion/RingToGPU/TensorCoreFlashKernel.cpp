//===- TensorCoreFlashKernel.cpp - Block attention on mma.sync ------------===//
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
//===----------------------------------------------------------------------===//

#include "FlashKernelBuilder.h"
#include "MmaSyncFragmentLayout.h"

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

namespace {

/// The lane part of an ldmatrix.x4 address (row, column in the tile). Lanes
/// 8i..8i+7 give the rows of 8x8 tile i, which lands in result register i;
/// one bit of i moves the tile down 8 rows, the other right 8 columns.
struct LdMatrixLanes {
  Value row, col;
};

class TensorCoreKernelBuilder : FlashKernelBuilder {
public:
  TensorCoreKernelBuilder(ImplicitLocOpBuilder &b, gpu::GPUFuncOp func,
                          const FlashKernelConfig &config)
      : FlashKernelBuilder(b, func, config),
        mTiles(config.rowsPerWarp() / Mma::kM), pitch(config.tileRowPitch()) {}

  void build() {
    setUpLanes();
    queryTileBuf =
        sharedTile(0, {config.queryTile(), pitch}, config.elementType);
    keyTileBuf = sharedTile(config.keyTileOffset(), {keyTile, pitch},
                            config.elementType);
    valueTileBuf = sharedTile(config.valueTileOffset(), {keyTile, pitch},
                              config.elementType);

    SmallVector<Value> copies = copyRowsAsync(
        query, queryHead, query0, queryLen, queryTileBuf, config.queryTile());
    llvm::append_range(copies, copyRowsAsync(key, kvHead, idx(0), keyLen,
                                             keyTileBuf, keyTile));
    commit(copies);

    // Carried: per row (mTiles x 2 of them) its max, then its sum (this
    // lane's partial, reduced over the group at the end), then the O
    // fragments.
    const int64_t rowCount = 2 * mTiles;
    SmallVector<Value> init(rowCount, minusInf());
    init.append(rowCount, f32Const(0.0f));
    init.append(mTiles * dimTilesN() * Mma::kCElements, f32Const(0.0f));

    SmallVector<Value> state =
        forLoop(idx(0), keyEnd, idx(keyTile), init,
                [&](Value key0, ValueRange carried) -> SmallVector<Value> {
                  return keyTileStep(key0, carried);
                });

    // A block whose rows see no key skips the loop: its prologue copies
    // must still complete before the block exits.
    waitForCopies(commit({}));
    storeRows(state);
    gpu::ReturnOp::create(b);
  }

private:
  /// One key tile of the pipeline in the file comment; returns the new
  /// carried state.
  SmallVector<Value> keyTileStep(Value key0, ValueRange carried) {
    // K(t) (and, the first time, Q) landed; no warp still reads V(t - 1).
    // K's copies were committed before this iteration, so the wait closes
    // an empty group to get a token: cp.async.wait_group 0 waits for all.
    waitForCopies(commit({}));
    gpu::BarrierOp::create(b);
    Value valueCopies = commit(
        copyRowsAsync(value, kvHead, key0, keyLen, valueTileBuf, keyTile));

    SmallVector<Value> scores = maskedScores(key0);
    SmallVector<Value> next(carried.begin(), carried.end());
    SmallVector<Value> alpha = softmaxStep(scores, carried, next);

    // V(t) landed; no warp still reads K(t).
    waitForCopies(valueCopies);
    gpu::BarrierOp::create(b);
    Value nextKey0 = add(key0, idx(keyTile));
    ifThen(ult(nextKey0, keyEnd), [&] {
      commit(copyRowsAsync(key, kvHead, nextKey0, keyLen, keyTileBuf, keyTile));
    });

    accumulateOutput(scores, alpha, next);
    return next;
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
    Value warp = divui(thread, 32);
    Value lane = remui(thread, 32);
    groupId = divui(lane, Mma::kGroupLanes);
    pairCol = mul(remui(lane, Mma::kGroupLanes), idx(Mma::kPerRegister));
    warpRow0 = mul(warp, idx(config.rowsPerWarp()));
    // A (row-major) and V read with .trans take tile i at rows +8 (i & 1),
    // columns +8 (i & 2): registers a0..a3 and (b0, b1) of two n-tiles. K
    // takes it at columns +8 (i & 1), rows +8 (i & 2): (b0, b1) of n-tile
    // 0, then of n-tile 1.
    Value inTile = remui(lane, 8);
    Value bit0 = mul(remui(divui(lane, 8), 2), idx(8));
    Value bit1 = mul(divui(lane, 16), idx(8));
    rowMajorLanes = {add(inTile, bit0), bit1};
    keyLanes = {add(inTile, bit1), bit0};
    // rows[2 mi + h]: row h of m-tile mi (C rows groupId, groupId + 8).
    static_assert(Mma::cRowOffset(0) == 0 && Mma::cRowOffset(2) == 8 &&
                      Mma::cColOffset(0) == 0 && Mma::cColOffset(1) == 1,
                  "C elements 2h, 2h + 1: adjacent columns of row h");
    for (int64_t mi = 0; mi < mTiles; ++mi)
      for (int64_t h = 0; h < 2; ++h)
        rows.push_back(add(add(query0, warpRow0),
                           add(groupId, idx(mi * Mma::kM + 8 * h))));
  }

  //===--- Tiles in shared memory ----------------------------------------===//

  /// cp.async of rows [row0, row0 + count) of (batch, head) of `source` into
  /// `tile`, 16 bytes a copy; rows past `len` repeat its last row. Each
  /// thread issues the same number of copies, unrolled so the tokens can be
  /// committed together; where the chunks do not divide evenly, the last
  /// round's extra threads copy the last chunk again (same bytes, same
  /// place).
  SmallVector<Value> copyRowsAsync(Value source, Value head, Value row0,
                                   Value len, Value tile, int64_t count) {
    const int64_t chunk = 16 * 8 / config.elementType.getIntOrFloatBitWidth();
    const int64_t chunksPerRow = headDim / chunk;
    const int64_t chunks = count * chunksPerRow;
    const int64_t threads = config.threads();
    auto token = nvgpu::DeviceAsyncTokenType::get(b.getContext());
    SmallVector<Value> tokens;
    for (int64_t first = 0; first < chunks; first += threads) {
      Value c = add(thread, idx(first));
      if (first + threads > chunks)
        c = arith::MinUIOp::create(b, c, idx(chunks - 1));
      Value r = divui(c, chunksPerRow);
      Value col = mul(remui(c, chunksPerRow), idx(chunk));
      Value from = clampRow(add(row0, r), len);
      tokens.push_back(nvgpu::DeviceAsyncCopyOp::create(
          b, token, tile, ValueRange{r, col}, source,
          ValueRange{batch, head, from, col}, b.getIndexAttr(chunk),
          /*srcElements=*/Value(), /*bypassL1=*/b.getUnitAttr()));
    }
    return tokens;
  }

  /// Closes a cp.async group of `copies` (none: of whatever this thread
  /// issued since its last group, as cp.async.commit_group does).
  Value commit(ValueRange copies) {
    return nvgpu::DeviceAsyncCreateGroupOp::create(
        b, nvgpu::DeviceAsyncTokenType::get(b.getContext()), copies);
  }
  /// Waits for every group this thread committed, `group` the newest.
  void waitForCopies(Value group) {
    nvgpu::DeviceAsyncWaitOp::create(b, group, b.getI32IntegerAttr(0));
  }

  /// ldmatrix.x4 at (row, col) + this lane's part: four registers.
  SmallVector<Value, 4> ldmatrix(Value tile, Value row, Value col,
                                 const LdMatrixLanes &lanes, bool transpose) {
    auto type = VectorType::get({4, Mma::kPerRegister}, config.elementType);
    Value tiles = nvgpu::LdMatrixOp::create(
        b, type, tile, ValueRange{add(row, lanes.row), add(col, lanes.col)},
        transpose, 4);
    SmallVector<Value, 4> registers;
    for (int64_t i = 0; i < 4; ++i)
      registers.push_back(
          packPair(vector::ExtractOp::create(b, tiles, ArrayRef<int64_t>{i})));
    return registers;
  }

  //===--- mma.sync -------------------------------------------------------===//

  /// An mma.sync operand register: two elements, as the NVVM op wants them
  /// (vector<2xf16>, or bf16 pairs packed in an i32).
  Value packPair(Value pair) {
    if (!config.elementType.isBF16())
      return pair;
    Value word = vector::BitCastOp::create(
        b, VectorType::get({1}, b.getI32Type()), pair);
    return vector::ExtractOp::create(b, word, ArrayRef<int64_t>{0});
  }
  Value packProbabilities(Value p0, Value p1) {
    auto type = VectorType::get({2}, config.elementType);
    Value pair = vector::FromElementsOp::create(
        b, type,
        ValueRange{arith::TruncFOp::create(b, config.elementType, p0),
                   arith::TruncFOp::create(b, config.elementType, p1)});
    return packPair(pair);
  }

  /// D += A B for one m16n8k16 tile; A is 4 registers, B 2, D 4 floats.
  SmallVector<Value> mma(ArrayRef<Value> a, ArrayRef<Value> bFrag,
                         ArrayRef<Value> acc) {
    Type f32Type = b.getF32Type();
    auto resultType = LLVM::LLVMStructType::getLiteral(
        b.getContext(), {f32Type, f32Type, f32Type, f32Type});
    NVVM::MMATypes ptx = config.elementType.isBF16() ? NVVM::MMATypes::bf16
                                                     : NVVM::MMATypes::f16;
    Value d = NVVM::MmaOp::create(
        b, resultType, a, bFrag, acc, ArrayRef<int64_t>{16, 8, 16},
        std::nullopt, std::nullopt, std::array<NVVM::MMATypes, 2>{ptx, ptx},
        std::array<NVVM::MMALayout, 2>{NVVM::MMALayout::row,
                                       NVVM::MMALayout::col});
    SmallVector<Value> result;
    for (int64_t i = 0; i < 4; ++i)
      result.push_back(LLVM::ExtractValueOp::create(b, d, i));
    return result;
  }

  /// Accumulates the products of the m-tiles' A registers `a` with a pair of
  /// n-tiles' B registers (ldmatrix.x4 of two (b0, b1)) into `acc` at
  /// n-tiles nt0 and nt0 + 1.
  void mmaTilePair(ArrayRef<SmallVector<Value, 4>> a, ArrayRef<Value> pairOfB,
                   int64_t nt0,
                   function_ref<int64_t(int64_t, int64_t, int64_t)> at,
                   SmallVector<Value> &acc) {
    for (int64_t half = 0; half < 2; ++half) {
      ArrayRef<Value> bFrag = pairOfB.slice(2 * half, 2);
      for (int64_t mi = 0; mi < mTiles; ++mi) {
        SmallVector<Value> c;
        for (int64_t e = 0; e < Mma::kCElements; ++e)
          c.push_back(acc[at(mi, nt0 + half, e)]);
        c = mma(a[mi], bFrag, c);
        for (int64_t e = 0; e < Mma::kCElements; ++e)
          acc[at(mi, nt0 + half, e)] = c[e];
      }
    }
  }

  //===--- One key tile ---------------------------------------------------===//

  /// S = Q K^T of the tile at key0, scaled to base 2, masked where a row
  /// must not see a key: scores[scoreAt(mi, nt, e)].
  SmallVector<Value> maskedScores(Value key0) {
    SmallVector<Value> scores(mTiles * keyTilesN() * Mma::kCElements,
                              f32Const(0.0f));
    auto at = [&](int64_t mi, int64_t nt, int64_t e) {
      return scoreAt(mi, nt, e);
    };
    for (int64_t kk = 0; kk < kSlices(); ++kk) {
      Value col = idx(kk * Mma::kK);
      SmallVector<SmallVector<Value, 4>> a;
      for (int64_t mi = 0; mi < mTiles; ++mi)
        a.push_back(ldmatrix(queryTileBuf, add(warpRow0, idx(mi * Mma::kM)),
                             col, rowMajorLanes, /*transpose=*/false));
      // B = K^T: column n of B is key row n, so K's rows give B directly.
      for (int64_t nt = 0; nt < keyTilesN(); nt += 2)
        mmaTilePair(a,
                    ldmatrix(keyTileBuf, idx(nt * Mma::kN), col, keyLanes,
                             /*transpose=*/false),
                    nt, at, scores);
    }
    for (Value &s : scores)
      s = mulf(s, scaleLog2);

    auto masked = [&]() -> SmallVector<Value> {
      SmallVector<Value> result(scores);
      for (int64_t mi = 0; mi < mTiles; ++mi)
        for (int64_t nt = 0; nt < keyTilesN(); ++nt) {
          Value keyCol = add(add(key0, idx(nt * Mma::kN)), pairCol);
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
        rowMax =
            quadReduce(rowMax, [&](Value x, Value y) { return maxf(x, y); });
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
    auto at = [&](int64_t mi, int64_t nd, int64_t e) {
      return outAt(mi, nd, e);
    };
    for (int64_t ks = 0; ks < keyTile / Mma::kK; ++ks) {
      SmallVector<SmallVector<Value, 4>> a;
      for (int64_t mi = 0; mi < mTiles; ++mi) {
        auto probability = [&](int64_t i) {
          return probabilities[scoreAt(
              mi, ks * (Mma::kK / Mma::kN) + Mma::cTileOf(i),
              Mma::cElementOf(i))];
        };
        SmallVector<Value, 4> regs;
        for (int64_t i = 0; i < Mma::kAElements; i += Mma::kPerRegister)
          regs.push_back(packProbabilities(probability(i), probability(i + 1)));
        a.push_back(regs);
      }
      // B = V (keys x head_dim, row-major): ldmatrix.trans hands each lane
      // the two adjacent keys of its B registers.
      for (int64_t nd = 0; nd < dimTilesN(); nd += 2)
        mmaTilePair(a,
                    ldmatrix(valueTileBuf, idx(ks * Mma::kK), idx(nd * Mma::kN),
                             rowMajorLanes,
                             /*transpose=*/true),
                    nd, at, next);
    }
  }

  //===--- Epilogue -------------------------------------------------------===//

  /// The value of `x` in every lane of its quad combined with `combine`: the
  /// four lanes of an mma fragment row hold disjoint columns of that row.
  Value quadReduce(Value x, function_ref<Value(Value, Value)> combine) {
    for (int32_t offset : {1, 2}) {
      auto shuffle =
          gpu::ShuffleOp::create(b, x, offset, 32, gpu::ShuffleMode::XOR);
      x = combine(x, shuffle.getShuffleResult());
    }
    return x;
  }

  /// Each lane writes its two adjacent columns (C elements 2h, 2h + 1) of
  /// each of its rows, one 8-byte store (4 for a final f16/bf16 output);
  /// the group's first lane writes the row's lse.
  void storeRows(ArrayRef<Value> state) {
    for (int64_t r = 0; r < 2 * mTiles; ++r) {
      int64_t mi = r / 2, h = r % 2;
      Value sum = quadReduce(state[2 * mTiles + r],
                             [&](Value x, Value y) { return addf(x, y); });
      ifThen(ult(rows[r], queryLen), [&] {
        Value scale = rowNormalizer(sum);
        for (int64_t nd = 0; nd < dimTilesN(); ++nd) {
          Value pair = vector::FromElementsOp::create(
              b, VectorType::get({2}, b.getF32Type()),
              ValueRange{mulf(state[outAt(mi, nd, 2 * h)], scale),
                         mulf(state[outAt(mi, nd, 2 * h + 1)], scale)});
          vector::StoreOp::create(b, asOutput(pair), out,
                                  ValueRange{batch, queryHead, rows[r],
                                             add(idx(nd * Mma::kN), pairCol)});
        }
        ifThen(
            arith::CmpIOp::create(b, arith::CmpIPredicate::eq, pairCol, idx(0)),
            [&] { storeLse(rows[r], state[r], sum); });
      });
    }
  }

  const int64_t mTiles;
  const int64_t pitch;
  Value queryTileBuf, keyTileBuf, valueTileBuf;
  Value groupId, pairCol, warpRow0;
  LdMatrixLanes rowMajorLanes, keyLanes;
  SmallVector<Value> rows;
};

} // namespace

void mlir::ring::buildTensorCoreFlashKernel(ImplicitLocOpBuilder &b,
                                            gpu::GPUFuncOp func,
                                            const FlashKernelConfig &config) {
  TensorCoreKernelBuilder(b, func, config).build();
}
