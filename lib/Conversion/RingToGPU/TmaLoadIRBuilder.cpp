//===- TmaLoadIRBuilder.cpp - sm_90 TMA tile loads IR ---------------------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception

#include "TmaLoadIRBuilder.h"

#include "WarpgroupMmaIRBuilder.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"

using namespace mlir;
using namespace mlir::ring;

int64_t TmaLoadIRBuilder::tileBytes(int64_t rows) const {
  return rows * headDim * element.getIntOrFloatBitWidth() / 8;
}

void TmaLoadIRBuilder::loadTile(Value map, Value tile, Value batch, Value head,
                                Value row0, int64_t rows, Value barrier) {
  auto i32 = [&](Value index) -> Value {
    return arith::IndexCastUIOp::create(b, b.getI32Type(), index);
  };
  auto pointer = [&](NVVM::NVVMMemorySpace space) {
    return LLVM::LLVMPointerType::get(b.getContext(),
                                      static_cast<unsigned>(space));
  };
  const int64_t panelBytes = rows * SwizzledTileLayout::kRowBytes;
  for (int64_t panel = 0; panel < headDim / kPanelColumns; ++panel) {
    Value address = arith::AddIOp::create(
        b, tile, arith::ConstantIndexOp::create(b, panel * panelBytes));
    // The op writes shared::cluster addresses, of which this block's
    // shared window is a part.
    Value destination = LLVM::AddrSpaceCastOp::create(
        b, pointer(NVVM::NVVMMemorySpace::SharedCluster),
        LLVM::IntToPtrOp::create(
            b, pointer(NVVM::NVVMMemorySpace::Shared),
            arith::IndexCastUIOp::create(b, b.getI64Type(), address)
                .getResult()));
    // Coordinates run innermost first: column, row, head, batch.
    SmallVector<Value> coordinates = {
        arith::ConstantIntOp::create(b, b.getI32Type(), panel * kPanelColumns),
        i32(row0), i32(head), i32(batch)};
    NVVM::CpAsyncBulkTensorGlobalToSharedClusterOp::create(
        b, destination, map, coordinates, barrier, /*im2colOffsets=*/{},
        /*multicastMask=*/Value(), /*l2CacheHint=*/Value(),
        NVVM::TMALoadMode::TILE, /*isCTAOnly=*/false, /*group=*/{},
        /*predicate=*/Value());
  }
}
