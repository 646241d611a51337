//===- FlashKernelBuilder.cpp - What both GPU kernel bodies share ---------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception

#include "FlashKernelBuilder.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

using namespace mlir;
using namespace mlir::ring;

FlashKernelBuilder::FlashKernelBuilder(ImplicitLocOpBuilder &b,
                                       gpu::GPUFuncOp func,
                                       const FlashKernelConfig &config)
    : GpuKernelIRBuilder(b, func), config(config), headDim(config.headDim),
      keyTile(config.keyTile()) {
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
  if (config.warpSpecialized()) {
    queryMap = entry.getArgument(10);
    keyMap = entry.getArgument(11);
    valueMap = entry.getArgument(12);
  }

  batch = gpu::BlockIdOp::create(b, gpu::Dimension::z);
  queryHead = gpu::BlockIdOp::create(b, gpu::Dimension::y);
  thread = gpu::ThreadIdOp::create(b, gpu::Dimension::x);
  queryLen = memref::DimOp::create(b, query, 2);
  // Query tiles run last to first (the grid has one per tile): under a
  // causal mask the last tiles see the most keys, and starting them first
  // keeps the end of the grid from waiting on a long block.
  Value lastTile = arith::SubIOp::create(
      b, arith::CeilDivUIOp::create(b, queryLen, idx(config.queryTile())),
      idx(1));
  query0 = mul(arith::SubIOp::create(
                   b, lastTile, gpu::BlockIdOp::create(b, gpu::Dimension::x)),
               idx(config.queryTile()));
  keyLen = memref::DimOp::create(b, key, 2);
  Value group = arith::DivUIOp::create(b, memref::DimOp::create(b, query, 1),
                                       memref::DimOp::create(b, key, 1));
  kvHead = arith::DivUIOp::create(b, queryHead, group);
  keyEnd = config.causal ? causalKeyEnd() : keyLen;
}

Value FlashKernelBuilder::causalKeyEnd() {
  Value lastRow = arith::SubIOp::create(
      b,
      arith::MinUIOp::create(b, add(query0, idx(config.queryTile())), queryLen),
      idx(1));
  return AttentionIRBuilder::causalKeyEnd(queryPosition(lastRow), keyOffset,
                                          keyStride, keyLen);
}

Value FlashKernelBuilder::queryPosition(Value row) {
  return position(queryOffset, queryStride, row);
}

Value FlashKernelBuilder::visible(Value row, Value keyIndex) {
  Value inside = ult(keyIndex, keyLen);
  if (!config.causal)
    return inside;
  Value keyPosition = position(keyOffset, keyStride, keyIndex);
  return arith::AndIOp::create(b, inside,
                               notInFuture(queryPosition(row), keyPosition));
}

Value FlashKernelBuilder::rowNormalizer(Value sum) {
  return normalizer(sawKeys(sum), sum);
}

Value FlashKernelBuilder::asOutput(Value x) {
  if (!config.finalOutput)
    return x;
  Type type = config.elementType;
  if (auto vector = dyn_cast<VectorType>(x.getType()))
    type = vector.clone(type);
  return arith::TruncFOp::create(b, type, x);
}

void FlashKernelBuilder::storeLse(Value row, Value max, Value sum) {
  memref::StoreOp::create(b, logSumExp(sawKeys(sum), max, sum), lse,
                          ValueRange{batch, queryHead, row});
}
