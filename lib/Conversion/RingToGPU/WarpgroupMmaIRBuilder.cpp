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

// The start address fits its 14 bits with room to move inside the 228 KiB
// of shared memory, so an advance never carries into the offsets.
Value WarpgroupMmaIRBuilder::advance(Value descriptor, int64_t bytes) {
  if (bytes == 0)
    return descriptor;
  return arith::AddIOp::create(
      b, descriptor,
      arith::ConstantIntOp::create(b, b.getI64Type(), bytes / 16));
}

Value WarpgroupMmaIRBuilder::advance(Value descriptor, Value bytes) {
  Type i64 = b.getI64Type();
  return arith::AddIOp::create(
      b, descriptor,
      arith::ShRUIOp::create(b, arith::IndexCastUIOp::create(b, i64, bytes),
                             arith::ConstantIntOp::create(b, i64, 4)));
}

void WarpgroupMmaIRBuilder::group(
    SmallVector<Value> &acc, size_t slices,
    function_ref<Value(Value packed, size_t slice)> product) {
  auto type = LLVM::LLVMStructType::getLiteral(
      b.getContext(), SmallVector<Type>(acc.size(), b.getF32Type()));
  Value packed = LLVM::PoisonOp::create(b, type);
  for (auto [i, value] : llvm::enumerate(acc))
    packed = LLVM::InsertValueOp::create(b, packed, value, i);
  NVVM::WgmmaFenceAlignedOp::create(b);
  for (size_t s = 0; s < slices; ++s)
    packed = product(packed, s);
  NVVM::WgmmaGroupSyncAlignedOp::create(b);
  NVVM::WgmmaWaitGroupSyncOp::create(b, 0);
  for (auto [i, value] : llvm::enumerate(acc))
    value = LLVM::ExtractValueOp::create(b, packed, i);
}

void WarpgroupMmaIRBuilder::multiply(SmallVector<Value> &acc,
                                     ArrayRef<Value> descA,
                                     ArrayRef<Value> descB, bool transposeB) {
  auto operandType =
      element.isBF16() ? NVVM::WGMMATypes::bf16 : NVVM::WGMMATypes::f16;
  auto shape = NVVM::MMAShapeAttr::get(b.getContext(), 64, acc.size() * 2, 16);
  group(acc, descA.size(), [&](Value packed, size_t s) -> Value {
    return NVVM::WgmmaMmaAsyncOp::create(
        b, packed.getType(), packed, descA[s], descB[s], shape, operandType,
        operandType, NVVM::WGMMATypes::f32, NVVM::WGMMAScaleOut::one,
        NVVM::WGMMAScaleIn::one, NVVM::WGMMAScaleIn::one, NVVM::MMALayout::row,
        transposeB ? NVVM::MMALayout::row : NVVM::MMALayout::col,
        /*satfinite=*/nullptr);
  });
}

Value WarpgroupMmaIRBuilder::asI32(Value reg) {
  if (!isa<VectorType>(reg.getType()))
    return reg;
  return LLVM::BitcastOp::create(b, b.getI32Type(), reg);
}

void WarpgroupMmaIRBuilder::multiplyRegisterA(
    SmallVector<Value> &acc, ArrayRef<SmallVector<Value, 4>> aSlices,
    ArrayRef<Value> descB, bool transposeB) {
  const size_t n = acc.size();
  // wgmma.mma_async.sync.aligned.m64nNk16.f32.T.T d, {a0-a3}, b-desc,
  // scale-d, imm-scale-a, imm-scale-b, imm-trans-b; d in and out.
  std::string ptx;
  llvm::raw_string_ostream os(ptx);
  const char *type = element.isBF16() ? "bf16" : "f16";
  os << "{\n.reg .pred p;\nsetp.ne.b32 p, 1, 0;\n"
     << "wgmma.mma_async.sync.aligned.m64n" << 2 * n << "k16.f32." << type
     << "." << type << " {";
  for (size_t i = 0; i < n; ++i)
    os << (i ? ", $" : "$") << i;
  os << "}, {$" << 2 * n << ", $" << 2 * n + 1 << ", $" << 2 * n + 2 << ", $"
     << 2 * n + 3 << "}, $" << 2 * n + 4 << ", p, 1, 1, " << int(transposeB)
     << ";\n}\n";
  std::string constraints;
  llvm::raw_string_ostream cs(constraints);
  for (size_t i = 0; i < n; ++i)
    cs << "=f,";
  for (size_t i = 0; i < n; ++i)
    cs << i << ",";
  cs << "r,r,r,r,l";

  group(acc, aSlices.size(), [&](Value packed, size_t s) -> Value {
    SmallVector<Value> operands;
    for (size_t i = 0; i < n; ++i)
      operands.push_back(LLVM::ExtractValueOp::create(b, packed, i));
    for (Value reg : aSlices[s])
      operands.push_back(asI32(reg));
    operands.push_back(descB[s]);
    return LLVM::InlineAsmOp::create(
               b, packed.getType(), operands, b.getStringAttr(ptx),
               b.getStringAttr(constraints), b.getUnitAttr(),
               /*is_align_stack=*/nullptr, /*tail_call_kind=*/nullptr,
               LLVM::AsmDialectAttr::get(b.getContext(),
                                         LLVM::AsmDialect::AD_ATT),
               /*operand_attrs=*/nullptr)
        .getResult(0);
  });
}

void WarpgroupMmaIRBuilder::fenceSharedForAsyncProxy() {
  NVVM::FenceProxyOp::create(
      b, NVVM::ProxyKind::async_shared,
      NVVM::SharedSpaceAttr::get(b.getContext(),
                                 NVVM::SharedSpace::shared_cta));
}
