//===- FlashAttentionKernel.cpp - Block attention as a CPU kernel ---------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// The kernel a ring.block_attention becomes a call of (one per block
// signature): it loops over query tiles and key tiles with an
// online softmax (FlashAttention's forward pass), written directly in the
// vector dialect so the inner loops are register-tiled broadcast-FMA
// micro-kernels. Their vector width and tile come from the module's CPU
// (CpuTarget.h): 8-lane vectors and a 6 x 2 tile on AVX2's 16 registers,
// 16-lane vectors and a 6 x 4 tile on AVX-512's 32.
//
// For each (batch, kv head):
//   KT, Vp = K^T, V in f32 panels              zero padded to the tile
//   for each query head of the group, for each query tile q0:
//     Qs = scale * Q[q0 : q0+Tq]; m = -inf; l = 0; O = 0
//     for each key tile k0 the mask leaves the tile (causal: up to its
//     frontier; a left window: from the oldest key it reaches):
//       for each group of R query rows:
//         for each key chunk (the keys of one micro-kernel):
//           S[rows, chunk] = mask(Qs[rows] KT[:, chunk])   R x C accumulators
//         m' = max(m, rowmax S); P = exp(S - m'); a = exp(m - m')
//         l = a l + rowsum P; O[rows] = a O[rows] + P Vp[k0 : k0+Tk]
//     out = O / l, lse = m + log l                 (l = 0: out 0, lse -inf)
//
// Every loop is an scf.for, only the register tile is unrolled, so the
// compile time does not grow with the tile sizes nor, kernels being shared,
// with the number of blocks. The op is lowered in its buffer form, after
// bufferization: the kernel reads the operands' buffers and writes the
// destinations. Its scratch (linear in the block's length) is its own,
// allocated on entry and freed on return, so a caller holds none between
// blocks.
//
//===----------------------------------------------------------------------===//

#include "FlashAttentionKernel.h"

#include "CpuKernelBuilder.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/SymbolTable.h"

using namespace mlir;
using namespace mlir::ring;

namespace {

/// P V register tiles per output row emitted inline; more run in a loop, so
/// the code does not grow with head_dim.
constexpr int64_t kMaxUnrolledValueTiles = 16;

/// Emits IR for one block_attention op on buffers. Scores are in the
/// natural base: Q is scaled by `scale` and exponentiated with exp.
class FlashAttentionEmitter : CpuKernelBuilder {
public:
  FlashAttentionEmitter(ImplicitLocOpBuilder &b, BlockAttentionOp op,
                        const CpuKernelShape &shape, int64_t queryTile,
                        int64_t keyTile)
      : CpuKernelBuilder(b, BlockGeometry::of(op), shape), op(op),
        queryTile(queryTile), keyTile(keyTile) {
    batch = block.batch;
    queryHeads = block.queryHeads;
    kvHeads = block.kvHeads;
    queryLen = block.queryLen;
    keyLen = block.keyLen;
    headDim = block.headDim;
    scale = block.scale;
    paddedKeyLen = llvm::divideCeil(keyLen, keyTile) * keyTile;
    // Whole micro-kernels: the rows past the query tile repeat its last row.
    tileRows = llvm::divideCeil(queryTile, shape.rows) * shape.rows;
    // The widest vector that divides head_dim walks an output row exactly.
    for (int64_t width = shape.lanes; width >= 1; width /= 2)
      if (headDim % width == 0) {
        outLanes = width;
        break;
      }
    outVec = VectorType::get({outLanes}, f32);
  }

  /// Calls the kernel for the op, created on first use.
  void emit();

private:
  void allocateScratch();

  SmallVector<Value> keyPanelIndex(Value j, Value d);
  SmallVector<Value> valuePanelIndex(Value j, Value d);
  void packKeyValue(Value batchIdx, Value kvHead);
  void loadQueryTile(Value batchIdx, Value queryHead, Value q0);
  void computeScores(Value q0, Value k0, Value rowBlock);
  void updateSoftmax(Value rowBlock);
  void accumulateValues(Value k0, Value rowBlock, Value panel, int64_t count);
  void accumulateRow(Value k0, Value rowBlock);
  void processKeyTile(Value q0, Value k0, Value rowBlock);
  void storeTile(Value batchIdx, Value queryHead, Value q0, Value rows);
  void emitKernelBody();
  std::string kernelSignature(TypeRange argTypes);

  BlockAttentionOp op;
  int64_t queryTile, keyTile;
  int64_t batch, queryHeads, kvHeads, queryLen, keyLen, headDim;
  int64_t paddedKeyLen, tileRows, outLanes = 1;
  /// Columns of one value panel.
  int64_t groupWidth() const { return shape.outVectors * outLanes; }
  VectorType outVec;
  float scale;

  // The kernel's arguments, in this order: inputs, positions, outputs.
  // Inside the kernel they are its block arguments.
  Value query, key, value, out, lse;
  // The kernel's scratch.
  // K transposed in panels of one key chunk, and V in panels of one P V
  // register tile's columns, both f32: a micro-kernel walks its panel
  // contiguously (a transposed K row would stride over the whole block).
  Value keyPanels;   // [paddedKeyLen / keyChunk, headDim, keyChunk]
  Value valuePanels; // [column groups, paddedKeyLen, outVectors * outLanes]
  Value queryF;      // [tileRows, headDim]      scale * Q tile, f32
  Value probs;       // [rows, keyTile]          S, then P, of the current rows
  Value rowScale;    // [rows]                   alpha of the current rows
  Value acc;         // [tileRows, headDim]      unnormalized O
  Value rowMax;      // [tileRows]               running max m
  Value rowSum;      // [tileRows]               running sum l
};

/// Where key j, dimension d lives in the panels.
SmallVector<Value> FlashAttentionEmitter::keyPanelIndex(Value j, Value d) {
  Value chunk = idx(shape.keyChunk());
  return {arith::DivUIOp::create(b, j, chunk), d,
          arith::RemUIOp::create(b, j, chunk)};
}
SmallVector<Value> FlashAttentionEmitter::valuePanelIndex(Value j, Value d) {
  Value width = idx(groupWidth());
  return {arith::DivUIOp::create(b, d, width), j,
          arith::RemUIOp::create(b, d, width)};
}

/// Packs K and V of one (batch, kv head) into their f32 panels; the padding
/// keys past keyLen stay zero from the initial fill.
void FlashAttentionEmitter::packKeyValue(Value batchIdx, Value kvHead) {
  forLoop(idx(0), idx(keyLen), idx(1), [&](Value j) {
    forLoop(idx(0), idx(headDim), idx(1), [&](Value d) {
      SmallVector<Value, 4> src{batchIdx, kvHead, j, d};
      Value k = memref::LoadOp::create(b, key, src);
      Value v = memref::LoadOp::create(b, value, src);
      memref::StoreOp::create(b, toF32(k), keyPanels, keyPanelIndex(j, d));
      memref::StoreOp::create(b, toF32(v), valuePanels, valuePanelIndex(j, d));
    });
  });
}

/// Qs = scale * Q[q0 : q0 + tileRows]; rows past the end of the block (or
/// of the query tile) repeat the last row: they are computed but never
/// stored. Resets m, l and O.
void FlashAttentionEmitter::loadQueryTile(Value batchIdx, Value queryHead,
                                          Value q0) {
  Value scaleValue = f32Const(scale);
  Value lastRow = idx(queryLen - 1);
  Value zeros = zeroVector(outVec);
  Value lastTileRow = idx(queryTile - 1);
  forLoop(idx(0), idx(tileRows), idx(1), [&](Value i) {
    Value inTile = arith::MinSIOp::create(b, i, lastTileRow);
    Value row = arith::MinSIOp::create(b, add(q0, inTile), lastRow);
    forLoop(idx(0), idx(headDim), idx(1), [&](Value d) {
      Value x = memref::LoadOp::create(b, query,
                                       ValueRange{batchIdx, queryHead, row, d});
      Value scaled = arith::MulFOp::create(b, toF32(x), scaleValue);
      memref::StoreOp::create(b, scaled, queryF, ValueRange{i, d});
    });
    forLoop(idx(0), idx(headDim), idx(outLanes), [&](Value d) {
      vector::StoreOp::create(b, zeros, acc, ValueRange{i, d});
    });
    memref::StoreOp::create(b, minusInf(), rowMax, i);
    memref::StoreOp::create(b, f32Const(0.0f), rowSum, i);
  });
}

/// probs[rows] = mask(Qs[rows] . KT[:, k0 : k0 + keyTile]), one key chunk
/// at a time: rows x scoreVectors accumulators over head_dim.
void FlashAttentionEmitter::computeScores(Value q0, Value k0, Value rowBlock) {
  const int64_t lanes = shape.lanes, vectors = shape.scoreVectors;
  forLoop(idx(0), idx(keyTile), idx(shape.keyChunk()), [&](Value chunk) {
    Value c0 = add(k0, chunk);
    Value panel = arith::DivUIOp::create(b, c0, idx(shape.keyChunk()));
    SmallVector<Value> init(shape.rows * vectors, zeroVector(scoreVec));
    SmallVector<Value> scores = broadcastFmaLoop(
        headDim, scoreVec, shape.rows, vectors, init,
        [&](Value d, int64_t c) {
          return vector::LoadOp::create(b, scoreVec, keyPanels,
                                        ValueRange{panel, d, idx(c * lanes)});
        },
        [&](Value d, int64_t r) {
          return memref::LoadOp::create(b, queryF,
                                        ValueRange{add(rowBlock, idx(r)), d});
        });
    capScores(scores);
    maskScores(scores, q0, c0, rowBlock, keyTile);
    for (int64_t r = 0; r < shape.rows; ++r)
      for (int64_t c = 0; c < vectors; ++c)
        vector::StoreOp::create(b, scores[r * vectors + c], probs,
                                ValueRange{idx(r), add(chunk, idx(c * lanes))});
  });
}

/// Online softmax of each row: m' = max(m, rowmax S), P = exp(S - m') in
/// place of S, alpha = exp(m - m'), l = alpha l + rowsum P.
void FlashAttentionEmitter::updateSoftmax(Value rowBlock) {
  const int64_t lanes = shape.lanes;
  forLoop(idx(0), idx(shape.rows), idx(1), [&](Value r) {
    Value row = add(rowBlock, r);
    Value tileMax =
        forLoop(idx(0), idx(keyTile), idx(lanes), {splat(scoreVec, minusInf())},
                [&](Value j, ValueRange max) -> SmallVector<Value> {
                  Value s = vector::LoadOp::create(b, scoreVec, probs,
                                                   ValueRange{r, j});
                  return {maxf(max[0], s)};
                })[0];
    tileMax = vector::ReductionOp::create(b, vector::CombiningKind::MAXIMUMF,
                                          tileMax);
    Value oldMax = memref::LoadOp::create(b, rowMax, row);
    Value newMax = maxf(oldMax, tileMax);
    Rescale step = rescale(oldMax, newMax);
    Value refVec = splat(scoreVec, step.reference);
    Value sum =
        forLoop(idx(0), idx(keyTile), idx(lanes), {zeroVector(scoreVec)},
                [&](Value j, ValueRange sum) -> SmallVector<Value> {
                  Value s = vector::LoadOp::create(b, scoreVec, probs,
                                                   ValueRange{r, j});
                  Value p = expShifted(s, refVec);
                  vector::StoreOp::create(b, p, probs, ValueRange{r, j});
                  return {addf(sum[0], p)};
                })[0];
    sum = vector::ReductionOp::create(b, vector::CombiningKind::ADD, sum);
    Value oldSum = memref::LoadOp::create(b, rowSum, row);
    memref::StoreOp::create(b, newMax, rowMax, row);
    memref::StoreOp::create(b, updateSum(oldSum, step.alpha, sum), rowSum, row);
    memref::StoreOp::create(b, step.alpha, rowScale, r);
  });
}

/// O[rows, the first `count` vectors of value panel `panel`] = alpha O +
/// P . Vp[k0 : k0 + keyTile]: rows x count output vectors in registers over
/// the key tile.
void FlashAttentionEmitter::accumulateValues(Value k0, Value rowBlock,
                                             Value panel, int64_t count) {
  Value panelColumn = mul(panel, idx(groupWidth()));
  auto column = [&](int64_t c) { return add(panelColumn, idx(c * outLanes)); };
  SmallVector<Value> init;
  for (int64_t r = 0; r < shape.rows; ++r) {
    Value alpha = splat(outVec, memref::LoadOp::create(b, rowScale, idx(r)));
    for (int64_t c = 0; c < count; ++c) {
      Value o = vector::LoadOp::create(
          b, outVec, acc, ValueRange{add(rowBlock, idx(r)), column(c)});
      init.push_back(arith::MulFOp::create(b, o, alpha));
    }
  }
  SmallVector<Value> result = broadcastFmaLoop(
      keyTile, outVec, shape.rows, count, init,
      [&](Value j, int64_t c) {
        return vector::LoadOp::create(
            b, outVec, valuePanels,
            ValueRange{panel, add(k0, j), idx(c * outLanes)});
      },
      [&](Value j, int64_t r) {
        return memref::LoadOp::create(b, probs, ValueRange{idx(r), j});
      });
  for (int64_t r = 0; r < shape.rows; ++r)
    for (int64_t c = 0; c < count; ++c)
      vector::StoreOp::create(b, result[r * count + c], acc,
                              ValueRange{add(rowBlock, idx(r)), column(c)});
}

/// The micro-kernels of shape.rows query rows against one key tile.
void FlashAttentionEmitter::processKeyTile(Value q0, Value k0, Value rowBlock) {
  computeScores(q0, k0, rowBlock);
  updateSoftmax(rowBlock);
  accumulateRow(k0, rowBlock);
}

/// O += P V over the whole output row, one value panel (shape.outVectors
/// vectors) at a time so the accumulators stay in registers: inline for a
/// few panels, in a loop for many (a large or odd head_dim), then the
/// narrower last panel.
void FlashAttentionEmitter::accumulateRow(Value k0, Value rowBlock) {
  const int64_t rowVectors = headDim / outLanes;
  const int64_t panels = rowVectors / shape.outVectors;
  const int64_t tail = rowVectors % shape.outVectors;
  if (panels <= kMaxUnrolledValueTiles) {
    for (int64_t p = 0; p < panels; ++p)
      accumulateValues(k0, rowBlock, idx(p), shape.outVectors);
  } else {
    forLoop(idx(0), idx(panels), idx(1), [&](Value p) {
      accumulateValues(k0, rowBlock, p, shape.outVectors);
    });
  }
  if (tail)
    accumulateValues(k0, rowBlock, idx(panels), tail);
}

/// out = O / l and lse = m + log(l) for the valid rows of the tile; a row
/// that saw no key gets out = 0 and lse = -inf.
void FlashAttentionEmitter::storeTile(Value batchIdx, Value queryHead, Value q0,
                                      Value rows) {
  forLoop(idx(0), rows, idx(1), [&](Value i) {
    Value sum = memref::LoadOp::create(b, rowSum, i);
    Value max = memref::LoadOp::create(b, rowMax, i);
    Value seen = sawKeys(sum);
    Value inv = normalizer(seen, sum);
    Value rowLse = logSumExp(seen, max, sum);
    Value row = add(q0, i);
    memref::StoreOp::create(b, rowLse, lse,
                            ValueRange{batchIdx, queryHead, row});
    Value invVec = splat(outVec, inv);
    forLoop(idx(0), idx(headDim), idx(outLanes), [&](Value d) {
      Value o = vector::LoadOp::create(b, outVec, acc, ValueRange{i, d});
      Value normalized = arith::MulFOp::create(b, o, invVec);
      // A final output in the input type is rounded once, as it is stored.
      Type outElement = cast<MemRefType>(out.getType()).getElementType();
      if (!outElement.isF32())
        normalized =
            arith::TruncFOp::create(b, outVec.clone(outElement), normalized);
      vector::StoreOp::create(b, normalized, out,
                              ValueRange{batchIdx, queryHead, row, d});
    });
  });
}

/// The kernel: packs K and V, then walks query tiles, key tiles and row
/// groups. Its buffers and positions are the kernel's arguments.
void FlashAttentionEmitter::emitKernelBody() {
  // Zero the key padding once; packing never writes it.
  Value zero = f32Const(0.0f);
  forLoop(idx(keyLen), idx(paddedKeyLen), idx(1), [&](Value j) {
    forLoop(idx(0), idx(headDim), idx(1), [&](Value d) {
      memref::StoreOp::create(b, zero, keyPanels, keyPanelIndex(j, d));
      memref::StoreOp::create(b, zero, valuePanels, valuePanelIndex(j, d));
    });
  });

  const int64_t group = queryHeads / kvHeads;
  forLoop(idx(0), idx(batch), idx(1), [&](Value n) {
    forLoop(idx(0), idx(kvHeads), idx(1), [&](Value kvHead) {
      packKeyValue(n, kvHead);
      forLoop(idx(0), idx(group), idx(1), [&](Value g) {
        Value queryHead = add(mul(kvHead, idx(group)), g);
        forLoop(idx(0), idx(queryLen), idx(queryTile), [&](Value q0) {
          Value rows = arith::MinSIOp::create(
              b, idx(queryTile), arith::SubIOp::create(b, idx(queryLen), q0));
          loadQueryTile(n, queryHead, q0);
          auto [keyBegin, keyEnd] = visibleKeyTiles(q0, rows, keyTile);
          // Only the micro-kernels that hold valid rows.
          Value rowEnd =
              mul(arith::CeilDivSIOp::create(b, rows, idx(shape.rows)),
                  idx(shape.rows));
          forLoop(keyBegin, keyEnd, idx(keyTile), [&](Value k0) {
            forLoop(idx(0), rowEnd, idx(shape.rows),
                    [&](Value rb) { processKeyTile(q0, k0, rb); });
          });
          storeTile(n, queryHead, q0, rows);
        });
      });
    });
  });
}

/// The kernel's scratch, in the shapes the tiles give.
void FlashAttentionEmitter::allocateScratch() {
  keyPanels =
      scratch({paddedKeyLen / shape.keyChunk(), headDim, shape.keyChunk()});
  valuePanels = scratch({llvm::divideCeilSigned(headDim, groupWidth()),
                         paddedKeyLen, groupWidth()});
  queryF = scratch({tileRows, headDim});
  probs = scratch({shape.rows, keyTile});
  rowScale = scratch({shape.rows});
  acc = scratch({tileRows, headDim});
  rowMax = scratch({tileRows});
  rowSum = scratch({tileRows});
}

/// What makes two blocks' kernels the same: argument types, mask, position
/// strides, scale and tiles.
std::string FlashAttentionEmitter::kernelSignature(TypeRange argTypes) {
  return blockSignature(argTypes) + "|" + std::to_string(queryTile) + "x" +
         std::to_string(keyTile);
}

void FlashAttentionEmitter::emit() {
  SmallVector<Value> operands = {asKernelInput(op.getQuery()),
                                 asKernelInput(op.getKey()),
                                 asKernelInput(op.getValue()),
                                 op.getQueryOffset() ? op.getQueryOffset()
                                                     : idx(0),
                                 op.getKeyOffset() ? op.getKeyOffset() : idx(0),
                                 op.getOutInit(),
                                 op.getLseInit()};
  if (block.mask.documents)
    operands.append({asKernelInput(op.getDocumentBegin()),
                     asKernelInput(op.getDocumentEnd())});
  TypeRange argTypes = ValueRange(operands).getTypes();
  func::FuncOp kernel = getOrCreateKernel(
      op, "__ring_block_attention", argTypes, kernelSignature(argTypes),
      [&](ValueRange args) {
        std::tie(query, key, value, queryOffset, keyOffset, out, lse) =
            std::make_tuple(args[0], args[1], args[2], args[3], args[4],
                            args[5], args[6]);
        if (block.mask.documents)
          std::tie(documentBegin, documentEnd) =
              std::make_tuple(args[7], args[8]);
        allocateScratch();
        emitKernelBody();
      });
  func::CallOp::create(b, kernel, operands);
}

} // namespace

void mlir::ring::emitFlashAttentionCall(ImplicitLocOpBuilder &b,
                                        BlockAttentionOp op,
                                        const CpuKernelShape &shape,
                                        int64_t queryTile, int64_t keyTile) {
  FlashAttentionEmitter(b, op, shape, queryTile, keyTile).emit();
}
