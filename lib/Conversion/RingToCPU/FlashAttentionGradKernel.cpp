//===- FlashAttentionGradKernel.cpp - Block gradients as a CPU kernel -----===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// The kernel a ring.block_attention_grad becomes a call of: FlashAttention's
// backward from the global log-sum-exp, in the forward kernel's
// register-tiled broadcast-FMA loops (CpuKernelBuilder.h). Key tiles are the
// outer loop, so dK and dV of a tile accumulate while the query tiles
// stream past; dQ accumulates per query head.
//
// For each (batch, kv head):
//   KT, VT, Ks = K^T, V^T, scale * K in f32  zero padded to the key tile
//   dKa, dVa = 0
//   for each query head of the group:
//     Qs, dO = scale * Q, dO in f32; L = lse (+inf where no probability:
//     padding rows, rows that saw no key); D = delta; dQa = 0
//     for each key tile k0, for each query tile q0 (under a mask: pairs
//     that may interact):
//       for each group of R query rows, for each key chunk:
//         S = mask(Qs KT)  P = exp(S - L)      R x C accumulators each
//         dP = dO VT       dS = P (dP - D)     -> P, dS tiles
//       dVa[k0..] += P^T dO;  dKa[k0..] += dS^T Qs     R keys x vectors
//       dQa[q0..] += dS Ks[k0..]                        R rows x vectors
//     dq += dQa                                  (valid rows)
//   dk += dKa; dv += dVa                         (valid rows)
//
// Masked, padded and unseen entries get P = 0, so dS = 0 and they add
// nothing: a row that saw no key has zero gradients, never NaN. Every loop
// is an scf.for; only the register tiles are unrolled. Scratch is linear in
// the block's length and freed on return.
//
//===----------------------------------------------------------------------===//

#include "FlashAttentionGradKernel.h"

#include "CpuKernelBuilder.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

#include <limits>

using namespace mlir;
using namespace mlir::ring;

namespace {

class FlashAttentionGradEmitter : CpuKernelBuilder {
public:
  FlashAttentionGradEmitter(ImplicitLocOpBuilder &b, BlockAttentionGradOp op,
                            const CpuKernelShape &shape, int64_t queryTile,
                            int64_t keyTile)
      : CpuKernelBuilder(b, BlockGeometry::of(op), shape), op(op),
        queryTile(queryTile), keyTile(keyTile) {
    paddedQueryLen = llvm::divideCeil(block.queryLen, queryTile) * queryTile;
    paddedKeyLen = llvm::divideCeil(block.keyLen, keyTile) * keyTile;
    for (int64_t width = shape.lanes; width >= 1; width /= 2)
      if (block.headDim % width == 0) {
        rowLanes = width;
        break;
      }
    rowVec = VectorType::get({rowLanes}, f32);
    // The dK/dV register tile takes as many keys as the score tile takes
    // rows when they divide the key tile, else 4 (which always does).
    keyTileRows = keyTile % shape.rows == 0 ? shape.rows : 4;
  }

  void emit();

private:
  SmallVector<Value> panelIndex(Value j, Value d);
  Value load(Value buffer, ValueRange indices) {
    return memref::LoadOp::create(b, buffer, indices);
  }
  void store(Value x, Value buffer, ValueRange indices) {
    memref::StoreOp::create(b, x, buffer, indices);
  }
  void zeroRows(Value buffer, int64_t rows);
  void packKeyValue(Value n, Value kvHead);
  void packQueries(Value n, Value queryHead);
  void probabilitiesAndGrads(Value q0, Value k0, Value rowBlock);
  void forRowPanels(function_ref<void(Value column, int64_t vectors)> body);
  void accumulateKeyGrads(Value q0, Value k0);
  void accumulateQueryGrads(Value k0, Value q0);
  void processTilePair(Value q0, Value k0);
  void addRows(Value from, Value to, Value n, Value head, int64_t rows);
  void emitKernelBody();
  void allocateScratch();

  BlockAttentionGradOp op;
  int64_t queryTile, keyTile, paddedQueryLen, paddedKeyLen;
  int64_t rowLanes = 1, keyTileRows;
  VectorType rowVec;

  // Kernel arguments.
  Value query, key, value, dout, lse, delta, dq, dk, dv;
  // Scratch, f32.
  Value keyPanels;    // [paddedKeyLen / keyChunk, headDim, keyChunk]  K^T
  Value valuePanels;  // [paddedKeyLen / keyChunk, headDim, keyChunk]  V^T
  Value keyRows;      // [paddedKeyLen, headDim]   scale * K
  Value queryRows;    // [paddedQueryLen, headDim] scale * Q
  Value doutRows;     // [paddedQueryLen, headDim] dO
  Value rowLse;       // [paddedQueryLen]          L
  Value rowDelta;     // [paddedQueryLen]          D
  Value probs;        // [queryTile, keyTile]      P of the tile pair
  Value dscores;      // [queryTile, keyTile]      dS of the tile pair
  Value capSlopes;    // [queryTile, keyTile]      1 - tanh^2 (with a cap)
  Value dqAcc;        // [paddedQueryLen, headDim]
  Value dkAcc, dvAcc; // [paddedKeyLen, headDim]
};

/// Where key j, dimension d lives in a transposed panel.
SmallVector<Value> FlashAttentionGradEmitter::panelIndex(Value j, Value d) {
  Value chunk = idx(shape.keyChunk());
  return {arith::DivUIOp::create(b, j, chunk), d,
          arith::RemUIOp::create(b, j, chunk)};
}

void FlashAttentionGradEmitter::zeroRows(Value buffer, int64_t rows) {
  Value zeros = zeroVector(rowVec);
  forLoop(idx(0), idx(rows), idx(1), [&](Value i) {
    forLoop(idx(0), idx(block.headDim), idx(rowLanes), [&](Value d) {
      vector::StoreOp::create(b, zeros, buffer, ValueRange{i, d});
    });
  });
}

/// K^T and V^T panels for the score products and scale * K rows for dQ; the
/// padding keys stay zero from the kernel's first fill.
void FlashAttentionGradEmitter::packKeyValue(Value n, Value kvHead) {
  Value scaleValue = f32Const(block.scale);
  forLoop(idx(0), idx(block.keyLen), idx(1), [&](Value j) {
    forLoop(idx(0), idx(block.headDim), idx(1), [&](Value d) {
      SmallVector<Value, 4> at{n, kvHead, j, d};
      Value k = toF32(load(key, at));
      store(k, keyPanels, panelIndex(j, d));
      store(toF32(load(value, at)), valuePanels, panelIndex(j, d));
      store(mulf(k, scaleValue), keyRows, ValueRange{j, d});
    });
  });
}

/// Qs, dO, L and D of one query head. Rows past the block are zero with
/// L = +inf, as are rows that saw no key (lse = -inf): exp(S - L) is 0.
void FlashAttentionGradEmitter::packQueries(Value n, Value queryHead) {
  Value scaleValue = f32Const(block.scale);
  Value plusInf = f32Const(std::numeric_limits<float>::infinity());
  forLoop(idx(0), idx(block.queryLen), idx(1), [&](Value i) {
    forLoop(idx(0), idx(block.headDim), idx(1), [&](Value d) {
      SmallVector<Value, 4> at{n, queryHead, i, d};
      store(mulf(toF32(load(query, at)), scaleValue), queryRows,
            ValueRange{i, d});
      store(toF32(load(dout, at)), doutRows, ValueRange{i, d});
    });
    Value l = load(lse, ValueRange{n, queryHead, i});
    Value unseen =
        arith::CmpFOp::create(b, arith::CmpFPredicate::OEQ, l, minusInf());
    store(arith::SelectOp::create(b, unseen, plusInf, l), rowLse, i);
    store(load(delta, ValueRange{n, queryHead, i}), rowDelta, i);
  });
  forLoop(idx(block.queryLen), idx(paddedQueryLen), idx(1), [&](Value i) {
    store(plusInf, rowLse, i);
    store(f32Const(0.0f), rowDelta, i);
  });
  zeroRows(dqAcc, paddedQueryLen);
}

/// For R query rows against one key tile, one key chunk at a time: first
/// P = exp(mask(Qs KT) - L), then dS = P (dO VT - D), into the tile
/// buffers. Two passes, so that each streams one panel (K^T, then V^T)
/// that fits the L1 cache with the rows.
void FlashAttentionGradEmitter::probabilitiesAndGrads(Value q0, Value k0,
                                                      Value rowBlock) {
  const int64_t lanes = shape.lanes, vectors = shape.scoreVectors;
  auto product = [&](Value rows, Value panels, Value panel) {
    SmallVector<Value> init(shape.rows * vectors, zeroVector(scoreVec));
    return broadcastFmaLoop(
        block.headDim, scoreVec, shape.rows, vectors, init,
        [&](Value d, int64_t c) {
          return vector::LoadOp::create(b, scoreVec, panels,
                                        ValueRange{panel, d, idx(c * lanes)});
        },
        [&](Value d, int64_t r) {
          return load(rows, ValueRange{add(q0, add(rowBlock, idx(r))), d});
        });
  };
  // Calls `body(r, c, at)` for each accumulator of a chunk's register tile,
  // `at` being its place in the tile buffers.
  auto forEachVector =
      [&](Value chunk,
          function_ref<void(int64_t, int64_t, ValueRange, Value row)> body) {
        for (int64_t r = 0; r < shape.rows; ++r) {
          Value row = add(q0, add(rowBlock, idx(r)));
          for (int64_t c = 0; c < vectors; ++c) {
            SmallVector<Value, 2> at{add(rowBlock, idx(r)),
                                     add(chunk, idx(c * lanes))};
            body(r, c, at, row);
          }
        }
      };
  auto panelOf = [&](Value chunk) {
    return arith::DivUIOp::create(b, add(k0, chunk), idx(shape.keyChunk()));
  };
  forLoop(idx(0), idx(keyTile), idx(shape.keyChunk()), [&](Value chunk) {
    SmallVector<Value> scores = product(queryRows, keyPanels, panelOf(chunk));
    SmallVector<Value> slopes;
    capScores(scores, &slopes);
    maskScores(scores, q0, add(k0, chunk), rowBlock, keyTile);
    forEachVector(chunk, [&](int64_t r, int64_t c, ValueRange at, Value row) {
      Value l = splat(scoreVec, load(rowLse, row));
      Value p = math::ExpOp::create(
          b, arith::SubFOp::create(b, scores[r * vectors + c], l));
      vector::StoreOp::create(b, p, probs, at);
      if (!slopes.empty())
        vector::StoreOp::create(b, slopes[r * vectors + c], capSlopes, at);
    });
  });
  forLoop(idx(0), idx(keyTile), idx(shape.keyChunk()), [&](Value chunk) {
    SmallVector<Value> dprobs = product(doutRows, valuePanels, panelOf(chunk));
    forEachVector(chunk, [&](int64_t r, int64_t c, ValueRange at, Value row) {
      Value dd = splat(scoreVec, load(rowDelta, row));
      Value p = vector::LoadOp::create(b, scoreVec, probs, at);
      Value ds = mulf(p, arith::SubFOp::create(b, dprobs[r * vectors + c], dd));
      // Through the cap: dS of the raw score is the capped one's times the
      // cap's slope.
      if (capSlopes)
        ds = mulf(ds, vector::LoadOp::create(b, scoreVec, capSlopes, at));
      vector::StoreOp::create(b, ds, dscores, at);
    });
  });
}

/// Calls `body(column, vectors)` for each register tile across head_dim:
/// shape.outVectors vectors at a time in a loop, then the narrower rest.
void FlashAttentionGradEmitter::forRowPanels(
    function_ref<void(Value, int64_t)> body) {
  const int64_t rowVectors = block.headDim / rowLanes;
  const int64_t width = shape.outVectors * rowLanes;
  const int64_t panels = rowVectors / shape.outVectors;
  const int64_t tail = rowVectors % shape.outVectors;
  forLoop(idx(0), idx(panels * width), idx(width),
          [&](Value column) { body(column, shape.outVectors); });
  if (tail)
    body(idx(panels * width), tail);
}

/// dVa[k0 + j] += sum_i P[i, j] dO[q0 + i] and dKa[k0 + j] += sum_i
/// dS[i, j] Qs[q0 + i]: keyTileRows keys x vectors in registers over the
/// query tile.
void FlashAttentionGradEmitter::accumulateKeyGrads(Value q0, Value k0) {
  auto accumulate = [&](Value acc, Value weights, Value rows, Value kb,
                        Value column, int64_t vectors) {
    auto at = [&](int64_t r, int64_t c) -> SmallVector<Value> {
      return {add(k0, add(kb, idx(r))), add(column, idx(c * rowLanes))};
    };
    SmallVector<Value> init;
    for (int64_t r = 0; r < keyTileRows; ++r)
      for (int64_t c = 0; c < vectors; ++c)
        init.push_back(vector::LoadOp::create(b, rowVec, acc, at(r, c)));
    SmallVector<Value> result = broadcastFmaLoop(
        queryTile, rowVec, keyTileRows, vectors, init,
        [&](Value i, int64_t c) {
          return vector::LoadOp::create(
              b, rowVec, rows,
              ValueRange{add(q0, i), add(column, idx(c * rowLanes))});
        },
        [&](Value i, int64_t r) {
          return load(weights, ValueRange{i, add(kb, idx(r))});
        });
    for (int64_t r = 0; r < keyTileRows; ++r)
      for (int64_t c = 0; c < vectors; ++c)
        vector::StoreOp::create(b, result[r * vectors + c], acc, at(r, c));
  };
  // dV, then dK: each pass streams one tile of rows and one of weights.
  forLoop(idx(0), idx(keyTile), idx(keyTileRows), [&](Value kb) {
    forRowPanels([&](Value column, int64_t vectors) {
      accumulate(dvAcc, probs, doutRows, kb, column, vectors);
    });
  });
  forLoop(idx(0), idx(keyTile), idx(keyTileRows), [&](Value kb) {
    forRowPanels([&](Value column, int64_t vectors) {
      accumulate(dkAcc, dscores, queryRows, kb, column, vectors);
    });
  });
}

/// dQa[q0 + i] += sum_j dS[i, j] (scale K)[k0 + j]: R rows x vectors in
/// registers over the key tile.
void FlashAttentionGradEmitter::accumulateQueryGrads(Value k0, Value q0) {
  forLoop(idx(0), idx(queryTile), idx(shape.rows), [&](Value rb) {
    forRowPanels([&](Value column, int64_t vectors) {
      auto at = [&](int64_t r, int64_t c) -> SmallVector<Value> {
        return {add(q0, add(rb, idx(r))), add(column, idx(c * rowLanes))};
      };
      SmallVector<Value> init;
      for (int64_t r = 0; r < shape.rows; ++r)
        for (int64_t c = 0; c < vectors; ++c)
          init.push_back(vector::LoadOp::create(b, rowVec, dqAcc, at(r, c)));
      SmallVector<Value> result = broadcastFmaLoop(
          keyTile, rowVec, shape.rows, vectors, init,
          [&](Value j, int64_t c) {
            return vector::LoadOp::create(
                b, rowVec, keyRows,
                ValueRange{add(k0, j), add(column, idx(c * rowLanes))});
          },
          [&](Value j, int64_t r) {
            return load(dscores, ValueRange{add(rb, idx(r)), j});
          });
      for (int64_t r = 0; r < shape.rows; ++r)
        for (int64_t c = 0; c < vectors; ++c)
          vector::StoreOp::create(b, result[r * vectors + c], dqAcc, at(r, c));
    });
  });
}

void FlashAttentionGradEmitter::processTilePair(Value q0, Value k0) {
  forLoop(idx(0), idx(queryTile), idx(shape.rows),
          [&](Value rb) { probabilitiesAndGrads(q0, k0, rb); });
  accumulateKeyGrads(q0, k0);
  accumulateQueryGrads(k0, q0);
}

/// to[n, head, i] += from[i] for the block's `rows` rows.
void FlashAttentionGradEmitter::addRows(Value from, Value to, Value n,
                                        Value head, int64_t rows) {
  forLoop(idx(0), idx(rows), idx(1), [&](Value i) {
    forLoop(idx(0), idx(block.headDim), idx(rowLanes), [&](Value d) {
      SmallVector<Value, 4> at{n, head, i, d};
      // One statement per op here and below: the IR's order does not
      // depend on the order a compiler evaluates arguments in.
      Value old = vector::LoadOp::create(b, rowVec, to, at);
      Value part = vector::LoadOp::create(b, rowVec, from, ValueRange{i, d});
      Value sum = addf(old, part);
      vector::StoreOp::create(b, sum, to, at);
    });
  });
}

void FlashAttentionGradEmitter::emitKernelBody() {
  // Padding keys are zero in every panel; packing never writes them.
  Value zero = f32Const(0.0f);
  forLoop(idx(block.keyLen), idx(paddedKeyLen), idx(1), [&](Value j) {
    forLoop(idx(0), idx(block.headDim), idx(1), [&](Value d) {
      store(zero, keyPanels, panelIndex(j, d));
      store(zero, valuePanels, panelIndex(j, d));
      store(zero, keyRows, ValueRange{j, d});
    });
  });
  zeroRows(queryRows, paddedQueryLen);
  zeroRows(doutRows, paddedQueryLen);

  const int64_t group = block.queryHeads / block.kvHeads;
  forLoop(idx(0), idx(block.batch), idx(1), [&](Value n) {
    forLoop(idx(0), idx(block.kvHeads), idx(1), [&](Value kvHead) {
      packKeyValue(n, kvHead);
      zeroRows(dkAcc, paddedKeyLen);
      zeroRows(dvAcc, paddedKeyLen);
      forLoop(idx(0), idx(group), idx(1), [&](Value g) {
        Value queryHead = add(mul(kvHead, idx(group)), g);
        packQueries(n, queryHead);
        forLoop(idx(0), idx(paddedKeyLen), idx(keyTile), [&](Value k0) {
          forLoop(idx(0), idx(paddedQueryLen), idx(queryTile), [&](Value q0) {
            Value interact = tilesMayInteract(q0, queryTile, k0, keyTile);
            if (!interact)
              return processTilePair(q0, k0);
            auto ifOp = scf::IfOp::create(b, interact);
            OpBuilder::InsertionGuard guard(b);
            b.setInsertionPointToStart(ifOp.thenBlock());
            processTilePair(q0, k0);
          });
        });
        addRows(dqAcc, dq, n, queryHead, block.queryLen);
      });
      addRows(dkAcc, dk, n, kvHead, block.keyLen);
      addRows(dvAcc, dv, n, kvHead, block.keyLen);
    });
  });
}

void FlashAttentionGradEmitter::allocateScratch() {
  int64_t panels = paddedKeyLen / shape.keyChunk(), d = block.headDim;
  keyPanels = scratch({panels, d, shape.keyChunk()});
  valuePanels = scratch({panels, d, shape.keyChunk()});
  keyRows = scratch({paddedKeyLen, d});
  queryRows = scratch({paddedQueryLen, d});
  doutRows = scratch({paddedQueryLen, d});
  rowLse = scratch({paddedQueryLen});
  rowDelta = scratch({paddedQueryLen});
  probs = scratch({queryTile, keyTile});
  dscores = scratch({queryTile, keyTile});
  if (block.softcap != 0)
    capSlopes = scratch({queryTile, keyTile});
  dqAcc = scratch({paddedQueryLen, d});
  dkAcc = scratch({paddedKeyLen, d});
  dvAcc = scratch({paddedKeyLen, d});
}

void FlashAttentionGradEmitter::emit() {
  SmallVector<Value> operands = {asKernelInput(op.getQuery()),
                                 asKernelInput(op.getKey()),
                                 asKernelInput(op.getValue()),
                                 asKernelInput(op.getDout()),
                                 asKernelInput(op.getLse()),
                                 asKernelInput(op.getDelta()),
                                 op.getQueryOffset() ? op.getQueryOffset()
                                                     : idx(0),
                                 op.getKeyOffset() ? op.getKeyOffset() : idx(0),
                                 asKernelInput(op.getDqueryInit()),
                                 asKernelInput(op.getDkeyInit()),
                                 asKernelInput(op.getDvalueInit())};
  if (block.mask.documents)
    operands.append({asKernelInput(op.getDocumentBegin()),
                     asKernelInput(op.getDocumentEnd())});
  TypeRange argTypes = ValueRange(operands).getTypes();
  std::string signature = blockSignature(argTypes) + "|" +
                          std::to_string(queryTile) + "x" +
                          std::to_string(keyTile);
  func::FuncOp kernel = getOrCreateKernel(
      op, "__ring_block_attention_grad", argTypes, signature,
      [&](ValueRange args) {
        std::tie(query, key, value, dout, lse, delta) = std::make_tuple(
            args[0], args[1], args[2], args[3], args[4], args[5]);
        std::tie(queryOffset, keyOffset, dq, dk, dv) =
            std::make_tuple(args[6], args[7], args[8], args[9], args[10]);
        if (block.mask.documents)
          std::tie(documentBegin, documentEnd) =
              std::make_tuple(args[11], args[12]);
        allocateScratch();
        emitKernelBody();
      });
  func::CallOp::create(b, kernel, operands);
}

} // namespace

void mlir::ring::emitFlashAttentionGradCall(ImplicitLocOpBuilder &b,
                                            BlockAttentionGradOp op,
                                            const CpuKernelShape &shape,
                                            int64_t queryTile,
                                            int64_t keyTile) {
  FlashAttentionGradEmitter(b, op, shape, queryTile, keyTile).emit();
}
