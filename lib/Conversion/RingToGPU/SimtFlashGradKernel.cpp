//===- SimtFlashGradKernel.cpp - Block gradients, one thread per row ------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// The portable gradient bodies (any element type and head_dim), in the
// forward SIMT kernel's shape: a thread owns one row with its vectors in
// private memory and f32 FMAs, and the block streams the other side's rows
// through shared memory as f32 (the math: FlashGradKernelBuilder.h).
//
//   dq kernel, a thread per query row:       for each key/value tile:
//                                              dq_acc += dS k
//   dk/dv kernel, a thread per key row:      for each query head of its
//                                            group, each query/dO tile:
//                                              dv_acc += P dout
//                                              dk_acc += dS q
//   then dq += scale dq_acc, dk += scale dk_acc, dv += dv_acc (owned rows)
//
//===----------------------------------------------------------------------===//

#include "FlashGradKernelBuilder.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"

using namespace mlir;
using namespace mlir::ring;

namespace {

class SimtGradKernelBuilder : FlashGradKernelBuilder {
public:
  SimtGradKernelBuilder(ImplicitLocOpBuilder &b, gpu::GPUFuncOp func,
                        const FlashGradKernelConfig &config)
      : FlashGradKernelBuilder(b, func, config) {
    firstTile = sharedTile(config.firstTileOffset(), {tileRows, headDim},
                           b.getF32Type());
    secondTile = sharedTile(config.secondTileOffset(), {tileRows, headDim},
                            b.getF32Type());
  }

  void buildQueryPart();
  void buildKeyValuePart();

private:
  /// The private f32 copy of row `row` of `source` (head `h`).
  Value privateRow(Value source, Value h, Value row);
  Value zeroPrivateRow();
  /// Rows [row0, row0 + tileRows) of `first` and `second` (head `h`, `len`
  /// rows, clamped) as f32 into the block's two tiles, every thread a
  /// strided share of the elements.
  void loadTiles(Value first, Value second, Value h, Value tileRow0, Value len);
  /// (x . tile[r], y . other[r]) over head_dim, for private rows x, y.
  std::pair<Value, Value> dots(Value x, Value tile, Value y, Value other,
                               Value r);
  /// acc[d] += factor * tile[r, d] for every d.
  void accumulate(Value acc, Value factor, Value tile, Value r);
  /// gradient[batch, h, row, d] += factor * acc[d] (factor null: 1).
  void addToGradient(Value gradient, Value h, Value row, Value acc,
                     Value factor);
  Value firstTile, secondTile;
};

Value SimtGradKernelBuilder::privateRow(Value source, Value h, Value row) {
  Value copy = func.addPrivateAttribution(
      privateType({headDim}, b.getF32Type()), b.getLoc());
  forLoop(idx(0), idx(headDim), idx(1), [&](Value d) {
    Value x = memref::LoadOp::create(b, source, ValueRange{batch, h, row, d});
    memref::StoreOp::create(b, toF32(x), copy, d);
  });
  return copy;
}

Value SimtGradKernelBuilder::zeroPrivateRow() {
  Value acc = func.addPrivateAttribution(privateType({headDim}, b.getF32Type()),
                                         b.getLoc());
  Value zero = f32Const(0.0f);
  forLoop(idx(0), idx(headDim), idx(1),
          [&](Value d) { memref::StoreOp::create(b, zero, acc, d); });
  return acc;
}

void SimtGradKernelBuilder::loadTiles(Value first, Value second, Value h,
                                      Value tileRow0, Value len) {
  forLoop(thread, idx(tileRows * headDim), idx(config.threads()), [&](Value i) {
    Value r = divui(i, headDim);
    Value d = remui(i, headDim);
    SmallVector<Value> at = {batch, h, clampRow(add(tileRow0, r), len), d};
    memref::StoreOp::create(b, toF32(memref::LoadOp::create(b, first, at)),
                            firstTile, ValueRange{r, d});
    memref::StoreOp::create(b, toF32(memref::LoadOp::create(b, second, at)),
                            secondTile, ValueRange{r, d});
  });
}

std::pair<Value, Value> SimtGradKernelBuilder::dots(Value x, Value tile,
                                                    Value y, Value other,
                                                    Value r) {
  Value zero = f32Const(0.0f);
  SmallVector<Value> sums =
      forLoop(idx(0), idx(headDim), idx(1), {zero, zero},
              [&](Value d, ValueRange acc) -> SmallVector<Value> {
                Value xd = memref::LoadOp::create(b, x, d);
                Value t = memref::LoadOp::create(b, tile, ValueRange{r, d});
                Value yd = memref::LoadOp::create(b, y, d);
                Value o = memref::LoadOp::create(b, other, ValueRange{r, d});
                return {math::FmaOp::create(b, xd, t, acc[0]),
                        math::FmaOp::create(b, yd, o, acc[1])};
              });
  return {sums[0], sums[1]};
}

void SimtGradKernelBuilder::accumulate(Value acc, Value factor, Value tile,
                                       Value r) {
  forLoop(idx(0), idx(headDim), idx(1), [&](Value d) {
    Value t = memref::LoadOp::create(b, tile, ValueRange{r, d});
    Value a = memref::LoadOp::create(b, acc, d);
    memref::StoreOp::create(b, math::FmaOp::create(b, factor, t, a), acc, d);
  });
}

void SimtGradKernelBuilder::addToGradient(Value gradient, Value h, Value row,
                                          Value acc, Value factor) {
  forLoop(idx(0), idx(headDim), idx(1), [&](Value d) {
    SmallVector<Value> at = {batch, h, row, d};
    Value a = memref::LoadOp::create(b, acc, d);
    if (factor)
      a = mulf(a, factor);
    Value old = memref::LoadOp::create(b, gradient, at);
    memref::StoreOp::create(b, addf(old, a), gradient, at);
  });
}

void SimtGradKernelBuilder::buildQueryPart() {
  Value kvHead = arith::DivUIOp::create(b, head, group);
  Value row = add(row0, thread);
  Value rowClamped = clampRow(row, queryLen);
  Value queryRow = privateRow(query, head, rowClamped);
  Value doutRow = privateRow(dout, head, rowClamped);
  Value dqAcc = zeroPrivateRow();
  SmallVector<Value> at = {batch, head, rowClamped};
  Value reference = probabilityReference(memref::LoadOp::create(b, lse, at));
  Value rowDelta = memref::LoadOp::create(b, delta, at);

  Value keyEnd = this->keyEnd();
  forLoop(idx(0), keyEnd, idx(tileRows), [&](Value key0) {
    gpu::BarrierOp::create(b);
    loadTiles(key, value, kvHead, key0, keyLen);
    gpu::BarrierOp::create(b);
    Value keys = arith::MinUIOp::create(b, idx(tileRows),
                                        arith::SubIOp::create(b, keyEnd, key0));
    forLoop(idx(0), keys, idx(1), [&](Value jj) {
      auto [score, dp] = dots(queryRow, firstTile, doutRow, secondTile, jj);
      Value p = probability(causallyVisible(rowClamped, add(key0, jj)), score,
                            reference);
      Value ds = mulf(p, arith::SubFOp::create(b, dp, rowDelta));
      accumulate(dqAcc, ds, firstTile, jj);
    });
  });
  ifThen(ult(row, queryLen),
         [&] { addToGradient(dq, head, row, dqAcc, scale); });
  gpu::ReturnOp::create(b);
}

void SimtGradKernelBuilder::buildKeyValuePart() {
  Value kvHead = head;
  Value row = add(row0, thread);
  Value rowClamped = clampRow(row, keyLen);
  Value keyRow = privateRow(key, kvHead, rowClamped);
  Value valueRow = privateRow(value, kvHead, rowClamped);
  Value dkAcc = zeroPrivateRow();
  Value dvAcc = zeroPrivateRow();
  Value references, deltas;
  std::tie(references, deltas) = rowScalarTiles();

  Value queryBegin = this->queryBegin();
  forLoop(idx(0), group, idx(1), [&](Value g) {
    Value queryHead = add(mul(kvHead, group), g);
    forLoop(queryBegin, queryLen, idx(tileRows), [&](Value query0) {
      gpu::BarrierOp::create(b);
      loadTiles(query, dout, queryHead, query0, queryLen);
      stageRowScalars(queryHead, query0, references, deltas);
      gpu::BarrierOp::create(b);
      Value rows = arith::MinUIOp::create(
          b, idx(tileRows), arith::SubIOp::create(b, queryLen, query0));
      forLoop(idx(0), rows, idx(1), [&](Value ii) {
        auto [score, dp] = dots(keyRow, firstTile, valueRow, secondTile, ii);
        Value p = probability(causallyVisible(add(query0, ii), rowClamped),
                              score, memref::LoadOp::create(b, references, ii));
        Value rowDelta = memref::LoadOp::create(b, deltas, ii);
        Value ds = mulf(p, arith::SubFOp::create(b, dp, rowDelta));
        accumulate(dvAcc, p, secondTile, ii);
        accumulate(dkAcc, ds, firstTile, ii);
      });
    });
  });
  ifThen(ult(row, keyLen), [&] {
    addToGradient(dk, kvHead, row, dkAcc, scale);
    addToGradient(dv, kvHead, row, dvAcc, nullptr);
  });
  gpu::ReturnOp::create(b);
}

} // namespace

void mlir::ring::buildSimtFlashGradKernel(ImplicitLocOpBuilder &b,
                                          gpu::GPUFuncOp func,
                                          const FlashGradKernelConfig &config,
                                          GradKernelPart part) {
  SimtGradKernelBuilder builder(b, func, config);
  if (part == GradKernelPart::Query)
    builder.buildQueryPart();
  else
    builder.buildKeyValuePart();
}
