//===- MmaSyncIRBuilder.cpp - Warp-level mma.sync IR ----------------------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception

#include "MmaSyncIRBuilder.h"
#include "MmaSyncFragmentLayout.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

using namespace mlir;
using namespace mlir::ring;

using Mma = MmaSyncFragmentLayout;

MmaSyncIRBuilder::MmaSyncIRBuilder(ImplicitLocOpBuilder &b, Type element,
                                   int64_t headDim, Value thread,
                                   int64_t threads)
    : b(b), element(element), headDim(headDim), threads(threads),
      thread(thread) {
  auto div = [&](Value x, int64_t y) {
    return arith::DivUIOp::create(b, x, idx(y)).getResult();
  };
  auto rem = [&](Value x, int64_t y) {
    return arith::RemUIOp::create(b, x, idx(y)).getResult();
  };
  auto times8 = [&](Value x) {
    return arith::MulIOp::create(b, x, idx(8)).getResult();
  };
  warp = div(thread, 32);
  Value lane = rem(thread, 32);
  groupId = div(lane, Mma::kGroupLanes);
  pairCol = arith::MulIOp::create(b, rem(lane, Mma::kGroupLanes),
                                  idx(Mma::kPerRegister));
  // A (row-major) and B read with .trans take tile i at rows +8 (i & 1),
  // columns +8 (i & 2): registers a0..a3 and (b0, b1) of two n-tiles. A
  // B = K^T takes it at columns +8 (i & 1), rows +8 (i & 2): (b0, b1) of
  // n-tile 0, then of n-tile 1.
  Value inTile = rem(lane, 8);
  Value bit0 = times8(rem(div(lane, 8), 2));
  Value bit1 = times8(div(lane, 16));
  rowMajorLanes = {arith::AddIOp::create(b, inTile, bit0), bit1};
  transposedLanes = {arith::AddIOp::create(b, inTile, bit1), bit0};
}

Value MmaSyncIRBuilder::idx(int64_t v) {
  return arith::ConstantIndexOp::create(b, v);
}

SmallVector<Value> MmaSyncIRBuilder::copyRowsAsync(Value source, Value batch,
                                                   Value head, Value row0,
                                                   Value len, Value tile,
                                                   int64_t count,
                                                   TilePlace place) {
  const int64_t chunk = 16 * 8 / element.getIntOrFloatBitWidth();
  const int64_t chunksPerRow = headDim / chunk;
  const int64_t chunks = count * chunksPerRow;
  auto token = nvgpu::DeviceAsyncTokenType::get(b.getContext());
  Value lastRow = arith::SubIOp::create(b, len, idx(1));
  SmallVector<Value> tokens;
  for (int64_t first = 0; first < chunks; first += threads) {
    Value c = arith::AddIOp::create(b, thread, idx(first));
    if (first + threads > chunks)
      c = arith::MinUIOp::create(b, c, idx(chunks - 1));
    Value r = arith::DivUIOp::create(b, c, idx(chunksPerRow));
    Value col = arith::MulIOp::create(
        b, arith::RemUIOp::create(b, c, idx(chunksPerRow)), idx(chunk));
    Value from =
        arith::MinUIOp::create(b, arith::AddIOp::create(b, row0, r), lastRow);
    auto [tileRow, tileCol] = place ? place(r, col) : std::pair(r, col);
    tokens.push_back(nvgpu::DeviceAsyncCopyOp::create(
        b, token, tile, ValueRange{tileRow, tileCol}, source,
        ValueRange{batch, head, from, col}, b.getIndexAttr(chunk),
        /*srcElements=*/Value(), /*bypassL1=*/b.getUnitAttr()));
  }
  return tokens;
}

Value MmaSyncIRBuilder::commit(ValueRange copies) {
  return nvgpu::DeviceAsyncCreateGroupOp::create(
      b, nvgpu::DeviceAsyncTokenType::get(b.getContext()), copies);
}

void MmaSyncIRBuilder::waitForCopies(Value group, int32_t pending) {
  nvgpu::DeviceAsyncWaitOp::create(b, group, b.getI32IntegerAttr(pending));
}

SmallVector<Value, 4> MmaSyncIRBuilder::ldmatrix(Value tile, Value row,
                                                 Value col,
                                                 const LdMatrixLanes &lanes,
                                                 bool transpose) {
  auto type = VectorType::get({4, Mma::kPerRegister}, element);
  Value tiles = nvgpu::LdMatrixOp::create(
      b, type, tile,
      ValueRange{arith::AddIOp::create(b, row, lanes.row),
                 arith::AddIOp::create(b, col, lanes.col)},
      transpose, 4);
  SmallVector<Value, 4> registers;
  for (int64_t i = 0; i < 4; ++i)
    registers.push_back(
        packPair(vector::ExtractOp::create(b, tiles, ArrayRef<int64_t>{i})));
  return registers;
}

Value MmaSyncIRBuilder::packPair(Value pair) {
  if (!element.isBF16())
    return pair;
  Value word =
      vector::BitCastOp::create(b, VectorType::get({1}, b.getI32Type()), pair);
  return vector::ExtractOp::create(b, word, ArrayRef<int64_t>{0});
}

Value MmaSyncIRBuilder::packF32Pair(Value x0, Value x1) {
  auto type = VectorType::get({2}, element);
  Value pair = vector::FromElementsOp::create(
      b, type,
      ValueRange{arith::TruncFOp::create(b, element, x0),
                 arith::TruncFOp::create(b, element, x1)});
  return packPair(pair);
}

SmallVector<Value> MmaSyncIRBuilder::mma(ArrayRef<Value> a,
                                         ArrayRef<Value> bFrag,
                                         ArrayRef<Value> acc) {
  Type f32Type = b.getF32Type();
  auto resultType = LLVM::LLVMStructType::getLiteral(
      b.getContext(), {f32Type, f32Type, f32Type, f32Type});
  NVVM::MMATypes ptx =
      element.isBF16() ? NVVM::MMATypes::bf16 : NVVM::MMATypes::f16;
  Value d = NVVM::MmaOp::create(
      b, resultType, a, bFrag, acc, ArrayRef<int64_t>{16, 8, 16}, std::nullopt,
      std::nullopt, std::array<NVVM::MMATypes, 2>{ptx, ptx},
      std::array<NVVM::MMALayout, 2>{NVVM::MMALayout::row,
                                     NVVM::MMALayout::col});
  SmallVector<Value> result;
  for (int64_t i = 0; i < 4; ++i)
    result.push_back(LLVM::ExtractValueOp::create(b, d, i));
  return result;
}

void MmaSyncIRBuilder::mmaTilePair(
    ArrayRef<SmallVector<Value, 4>> a, ArrayRef<Value> pairOfB, int64_t nt0,
    function_ref<int64_t(int64_t, int64_t, int64_t)> at,
    SmallVector<Value> &acc) {
  for (int64_t half = 0; half < 2; ++half) {
    ArrayRef<Value> bFrag = pairOfB.slice(2 * half, 2);
    for (int64_t mi = 0; mi < int64_t(a.size()); ++mi) {
      SmallVector<Value> c;
      for (int64_t e = 0; e < Mma::kCElements; ++e)
        c.push_back(acc[at(mi, nt0 + half, e)]);
      c = mma(a[mi], bFrag, c);
      for (int64_t e = 0; e < Mma::kCElements; ++e)
        acc[at(mi, nt0 + half, e)] = c[e];
    }
  }
}

Value MmaSyncIRBuilder::quadReduce(Value x,
                                   function_ref<Value(Value, Value)> combine) {
  for (int32_t offset : {1, 2}) {
    auto shuffle =
        gpu::ShuffleOp::create(b, x, offset, 32, gpu::ShuffleMode::XOR);
    x = combine(x, shuffle.getShuffleResult());
  }
  return x;
}
