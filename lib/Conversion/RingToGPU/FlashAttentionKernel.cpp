//===- FlashAttentionKernel.cpp - Block attention as a GPU kernel ---------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// A thread block computes kQueryTile query rows of one (batch, query head)
// against the whole key/value block (GQA: the key/value head of its group):
//
//   for each key tile k0 (stopping at the causal frontier of its rows):
//     barrier; K, V tile -> shared memory; barrier
//     S = Q K^T * scale * log2(e)            masked entries -inf
//     m' = max(m, rowmax S); P = 2^(S - m'); a = 2^(m - m')
//     l = a l + rowsum P; O = a O + P V
//   out = O / l, lse = ln(2) m + ln(l)       (l = 0: out 0, lse -inf)
//
// Scores live in base 2 so the exponentials are exp2; the log-sum-exp the
// kernel writes is in the natural base, like every other producer of lse.
//
// Two bodies share that loop:
//  - tensor cores (f16/bf16, head_dim % 16 == 0): each warp owns 16 rows and
//    multiplies with mma.sync m16n8k16, keeping Q, S, P and O in the
//    registers of the mma fragments; P feeds the second product straight
//    from the first's accumulators (FlashAttention-2's register reuse). K is
//    kept row-major and V transposed in shared memory, rows padded by 16
//    bytes, so every fragment is a 32-bit load without bank conflicts.
//  - SIMT (any type and head_dim): one thread per query row with its q row
//    and output accumulator in private memory, f32 FMAs, an online softmax
//    step per key. The portable fallback.
//
// Rows past the end of the query block compute on a clamped copy of the last
// row and are never stored; keys past the end are clamped on load and masked,
// so the loops need no divergent bounds around barriers or mma.sync.
//
//===----------------------------------------------------------------------===//

#include "FlashAttentionKernel.h"
#include "MmaSyncFragmentLayout.h"

#include "AttentionIR/AttentionIRBuilder.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"

#include "llvm/ADT/STLExtras.h"

using namespace mlir;
using namespace mlir::ring;

/// Shared memory the K and V tiles may use together.
constexpr int64_t kTileBytes = 32 * 1024;
/// Padding of each shared-memory row of the tensor-core tiles: 16 bytes
/// shifts consecutive rows by four banks.
constexpr int64_t kRowPad = 8;

using Mma = MmaSyncFragmentLayout;

bool mlir::ring::tensorCoresSupport(Type elementType, int64_t headDim) {
  return (elementType.isF16() || elementType.isBF16()) && headDim % 16 == 0 &&
         headDim <= 256;
}

int64_t FlashKernelConfig::keyTile() const {
  int64_t bytes = elementType.getIntOrFloatBitWidth() / 8;
  if (tensorCores)
    return std::clamp<int64_t>(kTileBytes / (2 * bytes * headDim) / 16 * 16, 16,
                               64);
  return std::clamp<int64_t>(kTileBytes / (2 * 4 * headDim), 1, 64);
}

std::string FlashKernelConfig::name() const {
  std::string type;
  llvm::raw_string_ostream os(type);
  elementType.print(os);
  return "flash_attention_" + type + "_d" + std::to_string(headDim) +
         (causal ? "_causal" : "") + (tensorCores ? "_mma" : "_simt");
}

namespace {

/// Builds the body of one flash-attention kernel. Scores are in base 2: the
/// scale argument carries log2(e) and the exponentials are exp2.
class FlashKernelBuilder : AttentionIRBuilder {
public:
  FlashKernelBuilder(ImplicitLocOpBuilder &b, gpu::GPUFuncOp func,
                     const FlashKernelConfig &config)
      : AttentionIRBuilder(b, ScoreBase::Two), func(func), config(config),
        headDim(config.headDim), keyTile(config.keyTile()) {}

  void build() {
    prologue();
    if (config.tensorCores)
      buildTensorCoreBody();
    else
      buildSimtBody();
    gpu::ReturnOp::create(b);
  }

private:
  //===--- Small IR helpers ----------------------------------------------===//

  Value ult(Value x, Value y) {
    return arith::CmpIOp::create(b, arith::CmpIPredicate::ult, x, y);
  }

  void ifThen(Value cond, function_ref<void()> body) {
    scf::IfOp::create(b, cond, [&](OpBuilder &, Location) {
      body();
      scf::YieldOp::create(b);
    });
  }

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

  //===--- Shared by both bodies -----------------------------------------===//

  void prologue() {
    Block &entry = func.getBody().front();
    query = entry.getArgument(0);
    key = entry.getArgument(1);
    value = entry.getArgument(2);
    out = entry.getArgument(3);
    lse = entry.getArgument(4);
    scaleLog2 = entry.getArgument(5);
    queryOffset = entry.getArgument(6);
    queryStride = entry.getArgument(7);
    keyOffset = entry.getArgument(8);
    keyStride = entry.getArgument(9);

    batch = gpu::BlockIdOp::create(b, gpu::Dimension::z);
    queryHead = gpu::BlockIdOp::create(b, gpu::Dimension::y);
    query0 = mul(gpu::BlockIdOp::create(b, gpu::Dimension::x),
                 idx(FlashKernelConfig::kQueryTile));
    thread = gpu::ThreadIdOp::create(b, gpu::Dimension::x);
    queryLen = memref::DimOp::create(b, query, 2);
    keyLen = memref::DimOp::create(b, key, 2);
    Value group = arith::DivUIOp::create(b, memref::DimOp::create(b, query, 1),
                                         memref::DimOp::create(b, key, 1));
    kvHead = arith::DivUIOp::create(b, queryHead, group);
    keyEnd = config.causal ? causalKeyEnd() : keyLen;
  }

  /// One past the last key any row of this block's query tile may see: the
  /// same for every thread, so the key loop is uniform around its barriers.
  Value causalKeyEnd() {
    Value lastRow = arith::SubIOp::create(
        b,
        arith::MinUIOp::create(
            b, add(query0, idx(FlashKernelConfig::kQueryTile)), queryLen),
        idx(1));
    return AttentionIRBuilder::causalKeyEnd(queryPosition(lastRow), keyOffset,
                                            keyStride, keyLen);
  }

  Value queryPosition(Value row) {
    return position(queryOffset, queryStride, row);
  }

  /// Whether query `row` sees key `keyIndex`: inside the block, and not in
  /// its future when causal.
  Value visible(Value row, Value keyIndex) {
    Value inside = ult(keyIndex, keyLen);
    if (!config.causal)
      return inside;
    Value keyPosition = position(keyOffset, keyStride, keyIndex);
    return arith::AndIOp::create(b, inside,
                                 notInFuture(queryPosition(row), keyPosition));
  }

  Value clampRow(Value row, Value len) {
    return arith::MinUIOp::create(b, row,
                                  arith::SubIOp::create(b, len, idx(1)));
  }

  /// A finished row: out = acc / l, lse = ln(2) m + ln(l); a row that saw
  /// no key gets out 0 and lse -inf.
  Value rowNormalizer(Value sum) { return normalizer(sawKeys(sum), sum); }
  void storeLse(Value row, Value max, Value sum) {
    memref::StoreOp::create(b, logSumExp(sawKeys(sum), max, sum), lse,
                            ValueRange{batch, queryHead, row});
  }

  MemRefType sharedType(ArrayRef<int64_t> shape, Type element) {
    return MemRefType::get(shape, element, MemRefLayoutAttrInterface{},
                           gpu::AddressSpaceAttr::get(
                               b.getContext(), gpu::AddressSpace::Workgroup));
  }
  MemRefType privateType(ArrayRef<int64_t> shape, Type element) {
    return MemRefType::get(
        shape, element, MemRefLayoutAttrInterface{},
        gpu::AddressSpaceAttr::get(b.getContext(), gpu::AddressSpace::Private));
  }

  //===--- SIMT body ------------------------------------------------------===//

  void buildSimtBody() {
    Type f32Type = b.getF32Type();
    Value keyTileBuf = func.addWorkgroupAttribution(
        sharedType({keyTile, headDim}, f32Type), b.getLoc());
    Value valueTileBuf = func.addWorkgroupAttribution(
        sharedType({keyTile, headDim}, f32Type), b.getLoc());
    Value queryRow =
        func.addPrivateAttribution(privateType({headDim}, f32Type), b.getLoc());
    Value acc =
        func.addPrivateAttribution(privateType({headDim}, f32Type), b.getLoc());

    Value row = add(query0, thread);
    Value rowClamped = clampRow(row, queryLen);
    forLoop(idx(0), idx(headDim), idx(1), [&](Value d) {
      Value q = memref::LoadOp::create(
          b, query, ValueRange{batch, queryHead, rowClamped, d});
      memref::StoreOp::create(b, mulf(toF32(q), scaleLog2), queryRow, d);
      memref::StoreOp::create(b, f32Const(0.0f), acc, d);
    });

    SmallVector<Value> state = forLoop(
        idx(0), keyEnd, idx(keyTile), {minusInf(), f32Const(0.0f)},
        [&](Value key0, ValueRange carried) -> SmallVector<Value> {
          gpu::BarrierOp::create(b);
          forLoop(thread, idx(keyTile * headDim), idx(config.threads()),
                  [&](Value i) {
                    Value r = arith::DivUIOp::create(b, i, idx(headDim));
                    Value d = arith::RemUIOp::create(b, i, idx(headDim));
                    Value j = clampRow(add(key0, r), keyLen);
                    SmallVector<Value> at = {batch, kvHead, j, d};
                    memref::StoreOp::create(
                        b, toF32(memref::LoadOp::create(b, key, at)),
                        keyTileBuf, ValueRange{r, d});
                    memref::StoreOp::create(
                        b, toF32(memref::LoadOp::create(b, value, at)),
                        valueTileBuf, ValueRange{r, d});
                  });
          gpu::BarrierOp::create(b);

          Value keys = arith::MinUIOp::create(
              b, idx(keyTile), arith::SubIOp::create(b, keyEnd, key0));
          return forLoop(
              idx(0), keys, idx(1), carried,
              [&](Value jj, ValueRange rowState) -> SmallVector<Value> {
                Value max = rowState[0], sum = rowState[1];
                Value score =
                    forLoop(idx(0), idx(headDim), idx(1), {f32Const(0.0f)},
                            [&](Value d, ValueRange dot) -> SmallVector<Value> {
                              Value q = memref::LoadOp::create(b, queryRow, d);
                              Value k = memref::LoadOp::create(
                                  b, keyTileBuf, ValueRange{jj, d});
                              return {math::FmaOp::create(b, q, k, dot[0])};
                            })[0];
                score = arith::SelectOp::create(b, visible(row, add(key0, jj)),
                                                score, minusInf());
                Value newMax = maxf(max, score);
                Rescale step = rescale(max, newMax);
                Value p = expShifted(score, step.reference);
                forLoop(idx(0), idx(headDim), idx(1), [&](Value d) {
                  Value v = memref::LoadOp::create(b, valueTileBuf,
                                                   ValueRange{jj, d});
                  Value a = memref::LoadOp::create(b, acc, d);
                  memref::StoreOp::create(
                      b, math::FmaOp::create(b, p, v, mulf(a, step.alpha)), acc,
                      d);
                });
                return {newMax, updateSum(sum, step.alpha, p)};
              });
        });

    ifThen(ult(row, queryLen), [&] {
      Value scale = rowNormalizer(state[1]);
      forLoop(idx(0), idx(headDim), idx(1), [&](Value d) {
        Value a = memref::LoadOp::create(b, acc, d);
        memref::StoreOp::create(b, mulf(a, scale), out,
                                ValueRange{batch, queryHead, row, d});
      });
      storeLse(row, state[0], state[1]);
    });
  }

  //===--- Tensor-core body -----------------------------------------------===//

  /// An mma.sync operand register: two elements, as the NVVM op wants them
  /// (vector<2xf16>, or bf16 pairs packed in an i32).
  Value packPair(Value pair) {
    if (!config.elementType.isBF16())
      return pair;
    Value word = vector::BitCastOp::create(
        b, VectorType::get({1}, b.getI32Type()), pair);
    return vector::ExtractOp::create(b, word, ArrayRef<int64_t>{0});
  }
  Value loadPair(Value buffer, ValueRange indices) {
    auto type = VectorType::get({2}, config.elementType);
    return packPair(vector::LoadOp::create(b, type, buffer, indices,
                                           /*nontemporal=*/false,
                                           llvm::MaybeAlign(4)));
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

  void buildTensorCoreBody() {
    Type element = config.elementType;
    const int64_t kSlices = headDim / Mma::kK;   // k-steps of Q K^T
    const int64_t keyTilesN = keyTile / Mma::kN; // n-tiles of S
    const int64_t keySlices = keyTile / Mma::kK; // k-steps of P V
    const int64_t dimTilesN = headDim / Mma::kN; // n-tiles of O
    Value keyTileBuf = func.addWorkgroupAttribution(
        sharedType({keyTile, headDim + kRowPad}, element), b.getLoc());
    Value valueTileT = func.addWorkgroupAttribution(
        sharedType({headDim, keyTile + kRowPad}, element), b.getLoc());

    // The lane parts of every fragment index (MmaSyncFragmentLayout.h).
    Value warp = arith::DivUIOp::create(b, thread, idx(32));
    Value lane = arith::RemUIOp::create(b, thread, idx(32));
    Value groupId = arith::DivUIOp::create(b, lane, idx(Mma::kGroupLanes));
    Value pairCol = mul(arith::RemUIOp::create(b, lane, idx(Mma::kGroupLanes)),
                        idx(Mma::kPerRegister));
    // The warp's 16 rows; a lane holds rows[0] = groupId and rows[1] =
    // groupId + 8 of them, the row offsets 0 and 8 of the A and C fragments.
    static_assert(Mma::cRowOffset(0) == 0 && Mma::cRowOffset(1) == 0 &&
                      Mma::cRowOffset(2) == 8 && Mma::cRowOffset(3) == 8 &&
                      Mma::cColOffset(0) == 0 && Mma::cColOffset(1) == 1,
                  "C elements 2h, 2h + 1: adjacent columns of row h");
    Value rows[2];
    rows[0] = add(add(query0, mul(warp, idx(Mma::kM))), groupId);
    rows[1] = add(rows[0], idx(8));
    Value clamped[2] = {clampRow(rows[0], queryLen),
                        clampRow(rows[1], queryLen)};
    auto rowOf = [](int64_t rowOffset) { return rowOffset / 8; };
    // Register r of an A fragment holds elements 2r and 2r + 1, adjacent
    // columns; of a B fragment, elements 2r and 2r + 1, adjacent rows.
    auto aRegisterRow = [&](int64_t r) {
      return rowOf(Mma::aRowOffset(Mma::kPerRegister * r));
    };
    auto aRegisterCol = [&](int64_t k0, int64_t r) {
      return add(idx(k0 + Mma::aColOffset(Mma::kPerRegister * r)), pairCol);
    };
    auto bRegisterRow = [&](int64_t k0, int64_t r) {
      return add(idx(k0 + Mma::bRowOffset(Mma::kPerRegister * r)), pairCol);
    };
    auto bFragment = [&](Value tile, Value n,
                         int64_t k0) -> SmallVector<Value> {
      return {loadPair(tile, {n, bRegisterRow(k0, 0)}),
              loadPair(tile, {n, bRegisterRow(k0, 1)})};
    };

    // Q fragments stay in registers for the whole key loop.
    SmallVector<SmallVector<Value, 4>> queryFrags;
    for (int64_t kk = 0; kk < kSlices; ++kk) {
      SmallVector<Value, 4> frag;
      for (int64_t r = 0; r < Mma::kAElements / Mma::kPerRegister; ++r)
        frag.push_back(
            loadPair(query, {batch, queryHead, clamped[aRegisterRow(r)],
                             aRegisterCol(kk * Mma::kK, r)}));
      queryFrags.push_back(frag);
    }

    // Carried: max and sum of rows[0] and rows[1] (the sum is this lane's
    // partial, reduced over the group at the end), then the O fragments.
    SmallVector<Value> init = {minusInf(), minusInf(), f32Const(0.0f),
                               f32Const(0.0f)};
    init.append(dimTilesN * Mma::kCElements, f32Const(0.0f));

    SmallVector<Value> state = forLoop(
        idx(0), keyEnd, idx(keyTile), init,
        [&](Value key0, ValueRange carried) -> SmallVector<Value> {
          gpu::BarrierOp::create(b);
          loadKeyValueTiles(key0, keyTileBuf, valueTileT);
          gpu::BarrierOp::create(b);

          // S = Q K^T, scaled to base 2 and masked. B = K^T: column n of B
          // is key row n of the tile.
          SmallVector<SmallVector<Value>> scores;
          for (int64_t nt = 0; nt < keyTilesN; ++nt) {
            SmallVector<Value> acc(Mma::kCElements, f32Const(0.0f));
            Value keyRow = add(idx(nt * Mma::kN), groupId);
            for (int64_t kk = 0; kk < kSlices; ++kk)
              acc = mma(queryFrags[kk],
                        bFragment(keyTileBuf, keyRow, kk * Mma::kK), acc);
            Value keyCol = add(add(key0, idx(nt * Mma::kN)), pairCol);
            for (int64_t e = 0; e < Mma::kCElements; ++e) {
              Value keyIndex = Mma::cColOffset(e)
                                   ? add(keyCol, idx(Mma::cColOffset(e)))
                                   : keyCol;
              acc[e] = arith::SelectOp::create(
                  b, visible(rows[rowOf(Mma::cRowOffset(e))], keyIndex),
                  mulf(acc[e], scaleLog2), minusInf());
            }
            scores.push_back(acc);
          }

          // Online softmax per fragment row h: C elements 2h and 2h + 1.
          auto inRow = [&](int64_t e, int h) {
            return rowOf(Mma::cRowOffset(e)) == h;
          };
          SmallVector<Value> next(carried.begin(), carried.end());
          Value alpha[2];
          for (int h = 0; h < 2; ++h) {
            Value rowMax = carried[h];
            for (auto &s : scores)
              rowMax = maxf(rowMax, maxf(s[2 * h], s[2 * h + 1]));
            rowMax = quadReduce(rowMax,
                                [&](Value x, Value y) { return maxf(x, y); });
            Rescale step = rescale(carried[h], rowMax);
            alpha[h] = step.alpha;
            Value rowSum = mulf(carried[2 + h], alpha[h]);
            for (auto &s : scores)
              for (int64_t e = 0; e < Mma::kCElements; ++e)
                if (inRow(e, h)) {
                  s[e] = expShifted(s[e], step.reference);
                  rowSum = addf(rowSum, s[e]);
                }
            next[h] = rowMax;
            next[2 + h] = rowSum;
          }

          // O = alpha O + P V, with P's accumulators reused as A operands:
          // a k-slice of P spans two n-tiles of S.
          SmallVector<SmallVector<Value>> outFrags;
          for (int64_t nd = 0; nd < dimTilesN; ++nd) {
            SmallVector<Value> o(carried.begin() + 4 + nd * Mma::kCElements,
                                 carried.begin() + 4 +
                                     (nd + 1) * Mma::kCElements);
            for (int64_t e = 0; e < Mma::kCElements; ++e)
              o[e] = mulf(o[e], alpha[rowOf(Mma::cRowOffset(e))]);
            outFrags.push_back(o);
          }
          for (int64_t ks = 0; ks < keySlices; ++ks) {
            auto probability = [&](int64_t i) {
              return scores[ks * (Mma::kK / Mma::kN) + Mma::cTileOf(i)]
                           [Mma::cElementOf(i)];
            };
            SmallVector<Value> probs;
            for (int64_t i = 0; i < Mma::kAElements; i += Mma::kPerRegister)
              probs.push_back(
                  packProbabilities(probability(i), probability(i + 1)));
            // B = V: column n of B is row n of the transposed V tile.
            for (int64_t nd = 0; nd < dimTilesN; ++nd) {
              Value dimRow = add(idx(nd * Mma::kN), groupId);
              outFrags[nd] =
                  mma(probs, bFragment(valueTileT, dimRow, ks * Mma::kK),
                      outFrags[nd]);
            }
          }
          for (int64_t nd = 0; nd < dimTilesN; ++nd)
            llvm::copy(outFrags[nd], next.begin() + 4 + nd * Mma::kCElements);
          return next;
        });

    // Each lane writes its two adjacent columns (C elements 2h, 2h + 1) of
    // row h; the group's first lane writes the row's lse.
    for (int h = 0; h < 2; ++h) {
      Value sum = quadReduce(state[2 + h],
                             [&](Value x, Value y) { return addf(x, y); });
      ifThen(ult(rows[h], queryLen), [&] {
        Value scale = rowNormalizer(sum);
        for (int64_t nd = 0; nd < dimTilesN; ++nd) {
          Value *frag = &state[4 + nd * Mma::kCElements];
          Value pair = vector::FromElementsOp::create(
              b, VectorType::get({2}, b.getF32Type()),
              ValueRange{mulf(frag[2 * h], scale),
                         mulf(frag[2 * h + 1], scale)});
          vector::StoreOp::create(b, pair, out,
                                  ValueRange{batch, queryHead, rows[h],
                                             add(idx(nd * Mma::kN), pairCol)});
        }
        ifThen(
            arith::CmpIOp::create(b, arith::CmpIPredicate::eq, pairCol, idx(0)),
            [&] { storeLse(rows[h], state[h], sum); });
      });
    }
  }

  /// K tile row-major, V tile transposed, 8 elements per 16-byte load.
  void loadKeyValueTiles(Value key0, Value keyTileBuf, Value valueTileT) {
    const int64_t chunksPerRow = headDim / 8;
    auto chunk = VectorType::get({8}, config.elementType);
    forLoop(thread, idx(keyTile * chunksPerRow), idx(config.threads()),
            [&](Value i) {
              Value r = arith::DivUIOp::create(b, i, idx(chunksPerRow));
              Value d =
                  mul(arith::RemUIOp::create(b, i, idx(chunksPerRow)), idx(8));
              Value j = clampRow(add(key0, r), keyLen);
              SmallVector<Value> at = {batch, kvHead, j, d};
              Value k = vector::LoadOp::create(b, chunk, key, at, false,
                                               llvm::MaybeAlign(16));
              vector::StoreOp::create(b, k, keyTileBuf, ValueRange{r, d});
              Value v = vector::LoadOp::create(b, chunk, value, at, false,
                                               llvm::MaybeAlign(16));
              for (int64_t e = 0; e < 8; ++e)
                memref::StoreOp::create(
                    b, vector::ExtractOp::create(b, v, ArrayRef<int64_t>{e}),
                    valueTileT, ValueRange{add(d, idx(e)), r});
            });
  }

  gpu::GPUFuncOp func;
  const FlashKernelConfig &config;
  const int64_t headDim;
  const int64_t keyTile;

  Value query, key, value, out, lse, scaleLog2;
  Value queryOffset, queryStride, keyOffset, keyStride;
  Value batch, queryHead, kvHead, query0, thread;
  Value queryLen, keyLen, keyEnd;
};

MemRefType dynamicStrided(MLIRContext *ctx, int64_t rank, Type element) {
  SmallVector<int64_t> strides(rank, ShapedType::kDynamic);
  strides.back() = 1;
  return MemRefType::get(
      SmallVector<int64_t>(rank, ShapedType::kDynamic), element,
      StridedLayoutAttr::get(ctx, ShapedType::kDynamic, strides));
}

} // namespace

gpu::GPUFuncOp
mlir::ring::getOrCreateFlashKernel(gpu::GPUModuleOp module,
                                   const FlashKernelConfig &config) {
  std::string name = config.name();
  if (auto existing = module.lookupSymbol<gpu::GPUFuncOp>(name))
    return existing;

  MLIRContext *ctx = module.getContext();
  ImplicitLocOpBuilder b(module.getLoc(), ctx);
  b.setInsertionPointToEnd(module.getBody());
  Type activation = dynamicStrided(ctx, 4, config.elementType);
  Type index = b.getIndexType();
  auto type = b.getFunctionType({activation, activation, activation,
                                 dynamicStrided(ctx, 4, b.getF32Type()),
                                 dynamicStrided(ctx, 3, b.getF32Type()),
                                 b.getF32Type(), index, index, index, index},
                                {});
  auto func = gpu::GPUFuncOp::create(b, name, type);
  func->setAttr(gpu::GPUDialect::getKernelFuncAttrName(), b.getUnitAttr());
  func.setKnownBlockSize(
      ArrayRef<int32_t>{static_cast<int32_t>(config.threads()), 1, 1});
  b.setInsertionPointToStart(&func.getBody().front());
  FlashKernelBuilder(b, func, config).build();
  return func;
}
