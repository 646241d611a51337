//===- FlashGradKernelBuilder.cpp - What the gradient bodies share --------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception

#include "FlashGradKernelBuilder.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"

#include <limits>

using namespace mlir;
using namespace mlir::ring;

constexpr float kLog2e = 1.4426950408889634f;

FlashGradKernelBuilder::FlashGradKernelBuilder(
    ImplicitLocOpBuilder &b, gpu::GPUFuncOp func,
    const FlashGradKernelConfig &config)
    : GpuKernelIRBuilder(b, func), config(config), headDim(config.headDim),
      tileRows(config.tileRows()) {
  Block &entry = func.getBody().front();
  auto arg = [&](unsigned i) -> Value { return entry.getArgument(i); };
  std::tie(query, key, value, dout, lse, delta) =
      std::make_tuple(arg(0), arg(1), arg(2), arg(3), arg(4), arg(5));
  std::tie(dq, dk, dv, scaleLog2, scale) =
      std::make_tuple(arg(6), arg(7), arg(8), arg(9), arg(10));
  std::tie(queryOffset, queryStride, keyOffset, keyStride) =
      std::make_tuple(arg(11), arg(12), arg(13), arg(14));

  batch = gpu::BlockIdOp::create(b, gpu::Dimension::z);
  head = gpu::BlockIdOp::create(b, gpu::Dimension::y);
  row0 = mul(gpu::BlockIdOp::create(b, gpu::Dimension::x),
             idx(FlashGradKernelConfig::kRowsPerBlock));
  thread = gpu::ThreadIdOp::create(b, gpu::Dimension::x);
  queryLen = memref::DimOp::create(b, query, 2);
  keyLen = memref::DimOp::create(b, key, 2);
  group = arith::DivUIOp::create(b, memref::DimOp::create(b, query, 1),
                                 memref::DimOp::create(b, key, 1));
}

Value FlashGradKernelBuilder::probabilityReference(Value rowLse) {
  Value unseen =
      arith::CmpFOp::create(b, arith::CmpFPredicate::OEQ, rowLse, minusInf());
  return arith::SelectOp::create(
      b, unseen, f32Const(std::numeric_limits<float>::infinity()),
      mulf(rowLse, f32Const(kLog2e)));
}

Value FlashGradKernelBuilder::probability(Value visible, Value score,
                                          Value reference) {
  Value p = expShifted(mulf(score, scaleLog2), reference);
  return visible ? arith::SelectOp::create(b, visible, p, f32Const(0.0f)) : p;
}

Value FlashGradKernelBuilder::causallyVisible(Value queryIndex,
                                              Value keyIndex) {
  if (!config.causal)
    return nullptr;
  return notInFuture(position(queryOffset, queryStride, queryIndex),
                     position(keyOffset, keyStride, keyIndex));
}

Value FlashGradKernelBuilder::keyEnd() {
  if (!config.causal)
    return keyLen;
  Value lastRow = arith::SubIOp::create(
      b,
      arith::MinUIOp::create(
          b, add(row0, idx(FlashGradKernelConfig::kRowsPerBlock)), queryLen),
      idx(1));
  return causalKeyEnd(position(queryOffset, queryStride, lastRow), keyOffset,
                      keyStride, keyLen);
}

Value FlashGradKernelBuilder::queryBegin() {
  if (!config.causal)
    return idx(0);
  return causalQueryBegin(position(keyOffset, keyStride, row0), queryOffset,
                          queryStride, queryLen);
}

std::pair<Value, Value> FlashGradKernelBuilder::rowScalarTiles(Value stage) {
  Value offset = idx(config.rowScalarsOffset());
  if (stage)
    offset = add(offset, mul(stage, idx(config.rowScalarsOffset(1) -
                                        config.rowScalarsOffset(0))));
  Value references = sharedTile(offset, {tileRows}, b.getF32Type());
  Value deltas =
      sharedTile(add(offset, idx(tileRows * 4)), {tileRows}, b.getF32Type());
  return {references, deltas};
}

void FlashGradKernelBuilder::stageRowScalars(Value queryHead, Value query0,
                                             Value references, Value deltas) {
  forLoop(thread, idx(tileRows), idx(config.threads()), [&](Value i) {
    SmallVector<Value> at = {batch, queryHead,
                             clampRow(add(query0, i), queryLen)};
    memref::StoreOp::create(
        b, probabilityReference(memref::LoadOp::create(b, lse, at)), references,
        i);
    memref::StoreOp::create(b, memref::LoadOp::create(b, delta, at), deltas, i);
  });
}
