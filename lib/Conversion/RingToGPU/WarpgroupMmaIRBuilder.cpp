//===- WarpgroupMmaIRBuilder.cpp - sm_90a wgmma IR ------------------------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception

#include "WarpgroupMmaIRBuilder.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"

using namespace mlir;
using namespace mlir::ring;

using Layout = SwizzledTileLayout;

namespace {
/// Fields of a wgmma matrix descriptor (PTX ISA, "Matrix Descriptor
/// Format"): addresses and offsets in 16-byte units.
constexpr int64_t kAddressMask = (1 << 14) - 1;
constexpr int kLeadingShift = 16, kStrideShift = 32, kSwizzleShift = 62;
constexpr int64_t kSwizzle128B = 1;
} // namespace

WarpgroupMmaIRBuilder::WarpgroupMmaIRBuilder(ImplicitLocOpBuilder &b,
                                             Type element, Value thread)
    : b(b), element(element) {
  warpgroup = arith::DivUIOp::create(b, thread, idx(128));
}

Value WarpgroupMmaIRBuilder::idx(int64_t v) {
  return arith::ConstantIndexOp::create(b, v);
}

std::pair<Value, Value> WarpgroupMmaIRBuilder::place(Value row, Value col,
                                                     int64_t rows) {
  constexpr int64_t perRow = Layout::kRowBytes / 2, perChunk = 8;
  Value panel = arith::DivUIOp::create(b, col, idx(perRow));
  Value viewRow =
      arith::AddIOp::create(b, arith::MulIOp::create(b, panel, idx(rows)), row);
  Value inRow = arith::RemUIOp::create(b, col, idx(perRow));
  Value chunk =
      arith::XOrIOp::create(b, arith::DivUIOp::create(b, inRow, idx(perChunk)),
                            arith::RemUIOp::create(b, row, idx(8)));
  Value viewCol =
      arith::AddIOp::create(b, arith::MulIOp::create(b, chunk, idx(perChunk)),
                            arith::RemUIOp::create(b, inRow, idx(perChunk)));
  return {viewRow, viewCol};
}

Value WarpgroupMmaIRBuilder::descriptor(Value address, int64_t leadingBytes,
                                        int64_t strideBytes) {
  Type i64 = b.getI64Type();
  auto constant = [&](int64_t v) {
    return arith::ConstantIntOp::create(b, i64, v);
  };
  Value start = arith::AndIOp::create(
      b,
      arith::ShRUIOp::create(b, arith::IndexCastUIOp::create(b, i64, address),
                             constant(4)),
      constant(kAddressMask));
  int64_t fields = (leadingBytes / 16) << kLeadingShift |
                   (strideBytes / 16) << kStrideShift |
                   kSwizzle128B << kSwizzleShift;
  return arith::OrIOp::create(b, start, constant(fields));
}

Value WarpgroupMmaIRBuilder::kMajorDescriptor(Value address) {
  // A swizzled K-major operand has no leading offset: "assumed 1".
  return descriptor(address, 16, Layout::kGroupBytes);
}

Value WarpgroupMmaIRBuilder::mnMajorDescriptor(Value address,
                                               int64_t panelBytes) {
  return descriptor(address, panelBytes, Layout::kGroupBytes);
}

Value WarpgroupMmaIRBuilder::advance(Value descriptor, int64_t bytes) {
  if (bytes == 0)
    return descriptor;
  // The start address fits its 14 bits with room to move inside the 228
  // KiB of shared memory, so the addition never carries into the offsets.
  return arith::AddIOp::create(
      b, descriptor,
      arith::ConstantIntOp::create(b, b.getI64Type(), bytes / 16));
}

void WarpgroupMmaIRBuilder::multiply(SmallVector<Value> &acc,
                                     ArrayRef<Value> descA,
                                     ArrayRef<Value> descB, bool transposeB) {
  MLIRContext *ctx = b.getContext();
  auto type = LLVM::LLVMStructType::getLiteral(
      ctx, SmallVector<Type>(acc.size(), b.getF32Type()));
  Value packed = LLVM::PoisonOp::create(b, type);
  for (auto [i, value] : llvm::enumerate(acc))
    packed = LLVM::InsertValueOp::create(b, packed, value, i);

  auto operandType =
      element.isBF16() ? NVVM::WGMMATypes::bf16 : NVVM::WGMMATypes::f16;
  auto shape = NVVM::MMAShapeAttr::get(ctx, 64, acc.size() * 2, 16);
  NVVM::WgmmaFenceAlignedOp::create(b);
  for (auto [a, bDesc] : llvm::zip_equal(descA, descB))
    packed = NVVM::WgmmaMmaAsyncOp::create(
        b, type, packed, a, bDesc, shape, operandType, operandType,
        NVVM::WGMMATypes::f32, NVVM::WGMMAScaleOut::one,
        NVVM::WGMMAScaleIn::one, NVVM::WGMMAScaleIn::one, NVVM::MMALayout::row,
        transposeB ? NVVM::MMALayout::row : NVVM::MMALayout::col,
        /*satfinite=*/nullptr);
  NVVM::WgmmaGroupSyncAlignedOp::create(b);
  NVVM::WgmmaWaitGroupSyncOp::create(b, 0);

  for (auto [i, value] : llvm::enumerate(acc))
    value = LLVM::ExtractValueOp::create(b, packed, i);
}

void WarpgroupMmaIRBuilder::fenceSharedForAsyncProxy() {
  NVVM::FenceProxyOp::create(
      b, NVVM::ProxyKind::async_shared,
      NVVM::SharedSpaceAttr::get(b.getContext(),
                                 NVVM::SharedSpace::shared_cta));
}
