//===- SimtFlashKernel.cpp - Block attention, one thread per query row ----===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// The portable body (any element type and head_dim): one thread per query
// row with its scaled q row and output accumulator in private memory, f32
// FMAs, an online softmax step per key. The block stages each K and V tile
// in shared memory as f32.
//
//===----------------------------------------------------------------------===//

#include "FlashKernelBuilder.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"

using namespace mlir;
using namespace mlir::ring;

namespace {

class SimtKernelBuilder : FlashKernelBuilder {
public:
  SimtKernelBuilder(ImplicitLocOpBuilder &b, gpu::GPUFuncOp func,
                    const FlashKernelConfig &config)
      : FlashKernelBuilder(b, func, config) {}

  void build() {
    Type f32Type = b.getF32Type();
    Value keyTileBuf =
        sharedTile(config.keyTileOffset(), {keyTile, headDim}, f32Type);
    Value valueTileBuf =
        sharedTile(config.valueTileOffset(), {keyTile, headDim}, f32Type);
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
          loadTiles(key0, keyTileBuf, valueTileBuf);
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
        memref::StoreOp::create(b, asOutput(mulf(a, scale)), out,
                                ValueRange{batch, queryHead, row, d});
      });
      storeLse(row, state[0], state[1]);
    });
    gpu::ReturnOp::create(b);
  }

private:
  /// The K and V rows of the tile at key0 as f32, every thread a strided
  /// share of the elements.
  void loadTiles(Value key0, Value keyTileBuf, Value valueTileBuf) {
    forLoop(
        thread, idx(keyTile * headDim), idx(config.threads()), [&](Value i) {
          Value r = divui(i, headDim);
          Value d = remui(i, headDim);
          Value j = clampRow(add(key0, r), keyLen);
          SmallVector<Value> at = {batch, kvHead, j, d};
          memref::StoreOp::create(b, toF32(memref::LoadOp::create(b, key, at)),
                                  keyTileBuf, ValueRange{r, d});
          memref::StoreOp::create(b,
                                  toF32(memref::LoadOp::create(b, value, at)),
                                  valueTileBuf, ValueRange{r, d});
        });
  }
};

} // namespace

void mlir::ring::buildSimtFlashKernel(ImplicitLocOpBuilder &b,
                                      gpu::GPUFuncOp func,
                                      const FlashKernelConfig &config) {
  SimtKernelBuilder(b, func, config).build();
}
