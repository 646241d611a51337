//===- LowerBlockAttention.cpp - Flash-style tiled block attention --------===//
//
// Lowers ring.block_attention to loops over query tiles and key tiles with an
// online softmax (FlashAttention's forward pass), written directly in the
// vector dialect so the inner loops are register-tiled broadcast-FMA
// micro-kernels that LLVM maps onto AVX-512 (or whatever the host has).
//
// For each (batch, kv head):
//   KT[d, j] = K[j, d], Vp[j, d] = V[j, d]       f32, zero padded to the tile
//   for each query head of the group, for each query tile q0:
//     Qs = scale * Q[q0 : q0+Tq]; m = -inf; l = 0; O = 0
//     for each key tile k0 (stopping at the causal frontier):
//       for each group of R query rows:
//         S = Qs[rows] KT[:, k0 : k0+Tk]          R x Tk vector accumulators
//         S = mask(S)                              causal, ragged last tile
//         m' = max(m, rowmax S); P = exp(S - m'); a = exp(m - m')
//         l = a l + rowsum P; O[rows] = a O[rows] + P Vp[k0 : k0+Tk]
//     out = O / l, lse = m + log l                 (l = 0: out 0, lse -inf)
//
// Scratch buffers are allocated once, at the entry of the function, and are
// linear in the sequence length.
//
//===----------------------------------------------------------------------===//

#include "RingAttn/Dialect/Ring/IR/RingOps.h"
#include "RingAttn/Transforms/Passes.h"

#include "mlir/IR/ImplicitLocOpBuilder.h"
#include "mlir/Interfaces/FunctionInterfaces.h"

#include <limits>
#include <map>

namespace mlir {
namespace ring {
#define GEN_PASS_DEF_RINGLOWERBLOCKATTENTION
#include "RingAttn/Transforms/Passes.h.inc"
} // namespace ring
} // namespace mlir

using namespace mlir;
using namespace mlir::ring;

namespace {

/// f32 lanes of the score vectors; LLVM splits them where the host is
/// narrower than AVX-512.
constexpr int64_t kLanes = 16;
/// Query rows of one micro-kernel.
constexpr int64_t kRows = 4;
/// Vectors of the output row a micro-kernel keeps in registers at once.
constexpr int64_t kOutVectors = 4;

using BodyFn = function_ref<void(Value)>;
using CarriedBodyFn = function_ref<SmallVector<Value>(Value, ValueRange)>;

/// Emits IR for one block_attention op on buffers.
class FlashAttentionEmitter {
public:
  /// Scratch buffers by role and shape, shared by the blocks of a function.
  using ScratchPool =
      std::map<std::pair<std::string, SmallVector<int64_t>>, Value>;

  FlashAttentionEmitter(ImplicitLocOpBuilder &b, BlockAttentionOp op,
                        int64_t queryTile, int64_t keyTile,
                        ScratchPool &scratchPool)
      : b(b), op(op), queryTile(queryTile), keyTile(keyTile),
        scratchPool(scratchPool) {
    RankedTensorType q = op.getQuery().getType();
    RankedTensorType k = op.getKey().getType();
    batch = q.getDimSize(0);
    queryHeads = q.getDimSize(1);
    kvHeads = k.getDimSize(1);
    queryLen = q.getDimSize(2);
    keyLen = k.getDimSize(2);
    headDim = q.getDimSize(3);
    elementType = q.getElementType();
    paddedKeyLen = llvm::divideCeil(keyLen, keyTile) * keyTile;
    // The widest vector that divides head_dim walks an output row exactly.
    for (int64_t width : {16, 8, 4, 2, 1})
      if (headDim % width == 0) {
        outLanes = width;
        break;
      }
    f32 = b.getF32Type();
    i32 = b.getI32Type();
    scoreVec = VectorType::get({kLanes}, f32);
    outVec = VectorType::get({outLanes}, f32);
  }

  /// Returns the (out, lse) tensors replacing the op.
  std::pair<Value, Value> emit();

private:
  Value idx(int64_t v) { return arith::ConstantIndexOp::create(b, v); }
  Value f32Const(float v) {
    return arith::ConstantOp::create(b, b.getF32FloatAttr(v));
  }
  Value minusInf() { return f32Const(-std::numeric_limits<float>::infinity()); }
  Value splat(VectorType type, Value scalar) {
    return vector::BroadcastOp::create(b, type, scalar);
  }
  Value add(Value x, Value y) { return arith::AddIOp::create(b, x, y); }
  Value mul(Value x, Value y) { return arith::MulIOp::create(b, x, y); }
  Value toF32(Value x) {
    return x.getType() == f32 ? x : arith::ExtFOp::create(b, f32, x);
  }
  Value toI32(Value index) {
    return arith::IndexCastOp::create(b, i32, index);
  }

  /// An scf.for whose body `body` fills through `b`.
  void loop(Value lb, Value ub, Value step, BodyFn body);
  /// An scf.for carrying `init`; `body` returns the values to yield.
  SmallVector<Value> loopCarried(Value lb, Value ub, Value step,
                                 ValueRange init, CarriedBodyFn body);

  /// A buffer allocated once at the entry of the function: a block inside a
  /// ring loop (or behind its causal skip test) reuses it on every step.
  Value alloc(ArrayRef<int64_t> shape) {
    OpBuilder::InsertionGuard guard(b);
    Block &entry = op->getParentOfType<FunctionOpInterface>()
                       .getFunctionBody()
                       .front();
    b.setInsertionPointToStart(&entry);
    return memref::AllocOp::create(b, MemRefType::get(shape, f32));
  }
  /// Scratch for `role`, shared by every block of the function that needs
  /// the same shape: blocks run one after the other, and scratch never
  /// outlives its block.
  Value scratch(StringRef role, ArrayRef<int64_t> shape) {
    Value &buffer = scratchPool[{role.str(), SmallVector<int64_t>(shape)}];
    if (!buffer)
      buffer = alloc(shape);
    return buffer;
  }

  /// The register tile both products use: for i in [0, extent),
  /// acc[r][c] += broadcast(scalarAt(i, r)) * vectorAt(i, c), with kRows
  /// rows and `vectors` vectors of `type` per row carried in registers.
  SmallVector<Value>
  broadcastFmaLoop(int64_t extent, VectorType type, int64_t vectors,
                   ValueRange init, function_ref<Value(Value, int64_t)> vectorAt,
                   function_ref<Value(Value, int64_t)> scalarAt);
  void packKeyValue(Value batchIdx, Value kvHead);
  void loadQueryTile(Value batchIdx, Value queryHead, Value q0);
  Value causalKeyEnd(Value q0, Value rows);
  void processKeyTile(Value q0, Value k0, Value rowBlock);
  void storeTile(Value batchIdx, Value queryHead, Value q0, Value rows);

  ImplicitLocOpBuilder &b;
  BlockAttentionOp op;
  int64_t queryTile, keyTile;
  ScratchPool &scratchPool;
  int64_t batch, queryHeads, kvHeads, queryLen, keyLen, headDim;
  int64_t paddedKeyLen, outLanes = 1;
  Type elementType, f32, i32;
  VectorType scoreVec, outVec;

  // Buffers: inputs and outputs, then scratch.
  Value query, key, value, out, lse;
  Value keyT;     // [headDim, paddedKeyLen]  K transposed, f32
  Value valueF;   // [paddedKeyLen, headDim]  V in f32
  Value queryF;   // [queryTile, headDim]     scale * Q tile, f32
  Value probs;    // [kRows, keyTile]         P of the current rows
  Value acc;      // [queryTile, headDim]     unnormalized O
  Value rowMax;   // [queryTile]              running max m
  Value rowSum;   // [queryTile]              running sum l
};

void FlashAttentionEmitter::loop(Value lb, Value ub, Value step,
                                 BodyFn body) {
  auto forOp = scf::ForOp::create(b, lb, ub, step);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPoint(forOp.getBody()->getTerminator());
  body(forOp.getInductionVar());
}

SmallVector<Value> FlashAttentionEmitter::loopCarried(Value lb, Value ub,
                                                      Value step,
                                                      ValueRange init,
                                                      CarriedBodyFn body) {
  auto forOp = scf::ForOp::create(b, lb, ub, step, init);
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(forOp.getBody());
    scf::YieldOp::create(
        b, body(forOp.getInductionVar(), forOp.getRegionIterArgs()));
  }
  return SmallVector<Value>(forOp.getResults());
}

SmallVector<Value> FlashAttentionEmitter::broadcastFmaLoop(
    int64_t extent, VectorType type, int64_t vectors, ValueRange init,
    function_ref<Value(Value, int64_t)> vectorAt,
    function_ref<Value(Value, int64_t)> scalarAt) {
  return loopCarried(
      idx(0), idx(extent), idx(1), init, [&](Value i, ValueRange acc) {
        SmallVector<Value> row;
        for (int64_t c = 0; c < vectors; ++c)
          row.push_back(vectorAt(i, c));
        SmallVector<Value> next;
        for (int64_t r = 0; r < kRows; ++r) {
          Value scalar = splat(type, scalarAt(i, r));
          for (int64_t c = 0; c < vectors; ++c)
            next.push_back(
                vector::FMAOp::create(b, scalar, row[c], acc[r * vectors + c]));
        }
        return next;
      });
}

/// Transposes K and converts K and V to f32 for one (batch, kv head); the
/// padding rows past keyLen stay zero from the initial fill.
void FlashAttentionEmitter::packKeyValue(Value batchIdx, Value kvHead) {
  loop(idx(0), idx(keyLen), idx(1), [&](Value j) {
    loop(idx(0), idx(headDim), idx(1),
         [&](Value d) {
           ValueRange src{batchIdx, kvHead, j, d};
           Value k = memref::LoadOp::create(b, key, src);
           Value v = memref::LoadOp::create(b, value, src);
           memref::StoreOp::create(b, toF32(k), keyT, ValueRange{d, j});
           memref::StoreOp::create(b, toF32(v), valueF, ValueRange{j, d});
         });
  });
}

/// Qs = scale * Q[q0 : q0 + queryTile]; rows past the end repeat the last
/// row (they are computed but never stored). Resets m, l and O.
void FlashAttentionEmitter::loadQueryTile(Value batchIdx, Value queryHead,
                                          Value q0) {
  Value scale = f32Const(op.getScaleOrDefault());
  Value lastRow = idx(queryLen - 1);
  Value zeros = arith::ConstantOp::create(
      b, DenseElementsAttr::get(outVec, b.getF32FloatAttr(0.0f)));
  loop(idx(0), idx(queryTile), idx(1),
       [&](Value i) {
         Value row = arith::MinSIOp::create(b, add(q0, i), lastRow);
         loop(idx(0), idx(headDim), idx(1),
              [&](Value d) {
                Value x = memref::LoadOp::create(
                    b, query, ValueRange{batchIdx, queryHead, row, d});
                Value scaled = arith::MulFOp::create(b, toF32(x), scale);
                memref::StoreOp::create(b, scaled, queryF, ValueRange{i, d});
              });
         loop(idx(0), idx(headDim), idx(outLanes),
              [&](Value d) {
                vector::StoreOp::create(b, zeros, acc, ValueRange{i, d});
              });
         memref::StoreOp::create(b, minusInf(), rowMax, i);
         memref::StoreOp::create(b, f32Const(0.0f), rowSum, i);
       });
}

/// One past the last key any query of [q0, q0 + rows) may see:
/// keys j with key_offset + key_stride * j <= max query position.
Value FlashAttentionEmitter::causalKeyEnd(Value q0, Value rows) {
  Value lastQuery = add(q0, arith::SubIOp::create(b, rows, idx(1)));
  Value maxPos = add(op.getQueryOffset(), mul(idx(op.getQueryStride()),
                                              lastQuery));
  Value span = arith::SubIOp::create(b, maxPos, op.getKeyOffset());
  Value lastKey = arith::FloorDivSIOp::create(b, span, idx(op.getKeyStride()));
  Value end = add(lastKey, idx(1));
  end = arith::MaxSIOp::create(b, end, idx(0));
  return arith::MinSIOp::create(b, end, idx(keyLen));
}

/// The micro-kernel: kRows query rows against one key tile.
void FlashAttentionEmitter::processKeyTile(Value q0, Value k0, Value rowBlock) {
  const int64_t scoreVectors = keyTile / kLanes;
  Value zeroScore = arith::ConstantOp::create(
      b, DenseElementsAttr::get(scoreVec, b.getF32FloatAttr(0.0f)));

  // S = Qs[rows] . KT[:, k0 : k0 + keyTile], accumulated over head_dim.
  SmallVector<Value> init(kRows * scoreVectors, zeroScore);
  SmallVector<Value> scores = broadcastFmaLoop(
      headDim, scoreVec, scoreVectors, init,
      [&](Value d, int64_t c) {
        return vector::LoadOp::create(b, scoreVec, keyT,
                                      ValueRange{d, add(k0, idx(c * kLanes))});
      },
      [&](Value d, int64_t r) {
        return memref::LoadOp::create(b, queryF,
                                      ValueRange{add(rowBlock, idx(r)), d});
      });

  // Mask: keys past the end of the block, and keys in a query's future.
  bool raggedTail = keyLen % keyTile != 0;
  if (raggedTail || op.isCausal()) {
    VectorType laneIdxType = VectorType::get({kLanes}, i32);
    SmallVector<int32_t> lanes(kLanes);
    for (int64_t l = 0; l < kLanes; ++l)
      lanes[l] = l;
    Value iota = arith::ConstantOp::create(
        b, DenseElementsAttr::get(laneIdxType, ArrayRef<int32_t>(lanes)));
    Value masked = splat(scoreVec, minusInf());
    for (int64_t c = 0; c < scoreVectors; ++c) {
      Value keyIdx = arith::AddIOp::create(
          b, splat(laneIdxType, toI32(add(k0, idx(c * kLanes)))), iota);
      Value inRange;
      if (raggedTail)
        inRange = arith::CmpIOp::create(
            b, arith::CmpIPredicate::slt, keyIdx,
            splat(laneIdxType, toI32(idx(keyLen))));
      Value keyPos;
      if (op.isCausal())
        keyPos = arith::AddIOp::create(
            b, splat(laneIdxType, toI32(op.getKeyOffset())),
            arith::MulIOp::create(
                b, splat(laneIdxType, toI32(idx(op.getKeyStride()))), keyIdx));
      for (int64_t r = 0; r < kRows; ++r) {
        Value visible = inRange;
        if (op.isCausal()) {
          Value queryIdx = add(q0, add(rowBlock, idx(r)));
          Value queryPos = add(op.getQueryOffset(),
                               mul(idx(op.getQueryStride()), queryIdx));
          Value notFuture = arith::CmpIOp::create(
              b, arith::CmpIPredicate::sge,
              splat(laneIdxType, toI32(queryPos)), keyPos);
          visible = visible ? arith::AndIOp::create(b, visible, notFuture)
                            : notFuture;
        }
        Value &s = scores[r * scoreVectors + c];
        s = arith::SelectOp::create(b, visible, s, masked);
      }
    }
  }

  // Online softmax, one row at a time.
  SmallVector<Value> alphas;
  for (int64_t r = 0; r < kRows; ++r) {
    Value row = add(rowBlock, idx(r));
    ArrayRef<Value> s = ArrayRef<Value>(scores).slice(r * scoreVectors,
                                                      scoreVectors);
    Value tileMax = s[0];
    for (int64_t c = 1; c < scoreVectors; ++c)
      tileMax = arith::MaximumFOp::create(b, tileMax, s[c]);
    tileMax = vector::ReductionOp::create(b, vector::CombiningKind::MAXIMUMF,
                                          tileMax);
    Value oldMax = memref::LoadOp::create(b, rowMax, row);
    Value newMax = arith::MaximumFOp::create(b, oldMax, tileMax);
    // A row with nothing visible yet keeps m = -inf; subtracting 0 instead
    // keeps exp(-inf - m) at 0 rather than NaN.
    Value noneVisible = arith::CmpFOp::create(b, arith::CmpFPredicate::OEQ,
                                              newMax, minusInf());
    Value ref = arith::SelectOp::create(b, noneVisible, f32Const(0.0f), newMax);
    Value refVec = splat(scoreVec, ref);
    Value sum;
    for (int64_t c = 0; c < scoreVectors; ++c) {
      Value p = math::ExpOp::create(b, arith::SubFOp::create(b, s[c], refVec));
      vector::StoreOp::create(b, p, probs, ValueRange{idx(r), idx(c * kLanes)});
      sum = sum ? arith::AddFOp::create(b, sum, p) : p;
    }
    sum = vector::ReductionOp::create(b, vector::CombiningKind::ADD, sum);
    Value alpha = math::ExpOp::create(b, arith::SubFOp::create(b, oldMax, ref));
    Value oldSum = memref::LoadOp::create(b, rowSum, row);
    Value newSum = math::FmaOp::create(b, oldSum, alpha, sum);
    memref::StoreOp::create(b, newMax, rowMax, row);
    memref::StoreOp::create(b, newSum, rowSum, row);
    alphas.push_back(splat(outVec, alpha));
  }

  // O[rows] = alpha * O[rows] + P . Vp[k0 : k0 + keyTile], a few output
  // vectors at a time so the accumulators stay in registers.
  const int64_t rowVectors = headDim / outLanes;
  for (int64_t first = 0; first < rowVectors; first += kOutVectors) {
    int64_t count = std::min(kOutVectors, rowVectors - first);
    SmallVector<Value> init;
    for (int64_t r = 0; r < kRows; ++r)
      for (int64_t c = 0; c < count; ++c) {
        Value o = vector::LoadOp::create(
            b, outVec, acc,
            ValueRange{add(rowBlock, idx(r)), idx((first + c) * outLanes)});
        init.push_back(arith::MulFOp::create(b, o, alphas[r]));
      }
    SmallVector<Value> result = broadcastFmaLoop(
        keyTile, outVec, count, init,
        [&](Value j, int64_t c) {
          return vector::LoadOp::create(
              b, outVec, valueF,
              ValueRange{add(k0, j), idx((first + c) * outLanes)});
        },
        [&](Value j, int64_t r) {
          return memref::LoadOp::create(b, probs, ValueRange{idx(r), j});
        });
    for (int64_t r = 0; r < kRows; ++r)
      for (int64_t c = 0; c < count; ++c)
        vector::StoreOp::create(
            b, result[r * count + c], acc,
            ValueRange{add(rowBlock, idx(r)), idx((first + c) * outLanes)});
  }
}

/// out = O / l and lse = m + log(l) for the valid rows of the tile; a row
/// that saw no key gets out = 0 and lse = -inf.
void FlashAttentionEmitter::storeTile(Value batchIdx, Value queryHead, Value q0,
                                      Value rows) {
  loop(idx(0), rows, idx(1), [&](Value i) {
    Value sum = memref::LoadOp::create(b, rowSum, i);
    Value max = memref::LoadOp::create(b, rowMax, i);
    Value sawKeys =
        arith::CmpFOp::create(b, arith::CmpFPredicate::OGT, sum, f32Const(0));
    Value inv = arith::SelectOp::create(
        b, sawKeys, arith::DivFOp::create(b, f32Const(1.0f), sum),
        f32Const(0.0f));
    Value rowLse = arith::SelectOp::create(
        b, sawKeys, arith::AddFOp::create(b, max, math::LogOp::create(b, sum)),
        minusInf());
    Value row = add(q0, i);
    memref::StoreOp::create(b, rowLse, lse,
                            ValueRange{batchIdx, queryHead, row});
    Value invVec = splat(outVec, inv);
    loop(idx(0), idx(headDim), idx(outLanes),
         [&](Value d) {
           Value o = vector::LoadOp::create(b, outVec, acc, ValueRange{i, d});
           vector::StoreOp::create(b, arith::MulFOp::create(b, o, invVec), out,
                                   ValueRange{batchIdx, queryHead, row, d});
         });
  });
}

std::pair<Value, Value> FlashAttentionEmitter::emit() {
  // Operands may be slices of larger buffers (the chunks of a ring layout):
  // any offset and outer strides, rows contiguous.
  auto asBuffer = [&](Value tensor) {
    auto type = cast<RankedTensorType>(tensor.getType());
    int64_t dyn = ShapedType::kDynamic;
    auto layout = StridedLayoutAttr::get(b.getContext(), dyn, {dyn, dyn, dyn, 1});
    return bufferization::ToBufferOp::create(
        b, MemRefType::get(type.getShape(), type.getElementType(), layout),
        tensor, /*read_only=*/true);
  };
  query = asBuffer(op.getQuery());
  key = asBuffer(op.getKey());
  value = asBuffer(op.getValue());
  out = alloc(op.getOut().getType().getShape());
  lse = alloc(op.getLse().getType().getShape());

  keyT = scratch("keyT", {headDim, paddedKeyLen});
  valueF = scratch("valueF", {paddedKeyLen, headDim});
  queryF = scratch("queryF", {queryTile, headDim});
  probs = scratch("probs", {kRows, keyTile});
  acc = scratch("acc", {queryTile, headDim});
  rowMax = scratch("rowMax", {queryTile});
  rowSum = scratch("rowSum", {queryTile});

  // Zero the key padding once; packing never writes it.
  Value zero = f32Const(0.0f);
  loop(idx(keyLen), idx(paddedKeyLen), idx(1),
       [&](Value j) {
         loop(idx(0), idx(headDim), idx(1),
              [&](Value d) {
                memref::StoreOp::create(b, zero, keyT, ValueRange{d, j});
                memref::StoreOp::create(b, zero, valueF, ValueRange{j, d});
              });
       });

  const int64_t group = queryHeads / kvHeads;
  loop(idx(0), idx(batch), idx(1), [&](Value n) {
    loop(idx(0), idx(kvHeads), idx(1),
         [&](Value kvHead) {
           packKeyValue(n, kvHead);
           loop(idx(0), idx(group), idx(1),
                [&](Value g) {
                  Value queryHead = add(mul(kvHead, idx(group)), g);
                  loop(idx(0), idx(queryLen), idx(queryTile),
                       [&](Value q0) {
                         Value rows = arith::MinSIOp::create(
                             b, idx(queryTile),
                             arith::SubIOp::create(b, idx(queryLen), q0));
                         loadQueryTile(n, queryHead, q0);
                         Value keyEnd = op.isCausal() ? causalKeyEnd(q0, rows)
                                                      : idx(keyLen);
                         loop(idx(0), keyEnd, idx(keyTile),
                              [&](Value k0) {
                                loop(idx(0), idx(queryTile), idx(kRows),
                                     [&](Value rb) {
                                       processKeyTile(q0, k0, rb);
                                     });
                              });
                         storeTile(n, queryHead, q0, rows);
                       });
                });
         });
  });

  auto asTensor = [&](Value buffer, Type type) {
    return bufferization::ToTensorOp::create(b, type, buffer,
                                             /*restrict=*/true,
                                             /*writable=*/true)
        .getResult();
  };
  return {asTensor(out, op.getOut().getType()),
          asTensor(lse, op.getLse().getType())};
}

struct RingLowerBlockAttentionPass
    : ring::impl::RingLowerBlockAttentionBase<RingLowerBlockAttentionPass> {
  using Base::Base;

  void runOnOperation() override {
    if (queryTile <= 0 || queryTile % kRows != 0) {
      getOperation().emitError("ring-lower-block-attention: query-tile must "
                               "be a positive multiple of ")
          << kRows << " (got " << queryTile.getValue() << ")";
      return signalPassFailure();
    }
    if (keyTile <= 0 || keyTile % kLanes != 0) {
      getOperation().emitError("ring-lower-block-attention: key-tile must be "
                               "a positive multiple of ")
          << kLanes << " (got " << keyTile.getValue() << ")";
      return signalPassFailure();
    }
    SmallVector<BlockAttentionOp> ops;
    getOperation().walk([&](BlockAttentionOp op) { ops.push_back(op); });
    FlashAttentionEmitter::ScratchPool scratchPool;
    for (BlockAttentionOp op : ops) {
      if (op.getQuery().getType().getDimSize(2) == 0) {
        op.emitError("block attention of an empty query block is not "
                     "supported");
        return signalPassFailure();
      }
      ImplicitLocOpBuilder b(op.getLoc(), op);
      FlashAttentionEmitter emitter(b, op, queryTile, keyTile, scratchPool);
      auto [out, lse] = emitter.emit();
      op.getOut().replaceAllUsesWith(out);
      op.getLse().replaceAllUsesWith(lse);
      op.erase();
    }
  }
};

} // namespace
