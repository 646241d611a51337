//===- GpuKernelIRBuilder.cpp - What every GPU kernel body uses -----------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception

#include "GpuKernelIRBuilder.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

using namespace mlir;
using namespace mlir::ring;

GpuKernelIRBuilder::GpuKernelIRBuilder(ImplicitLocOpBuilder &b,
                                       gpu::GPUFuncOp func)
    : AttentionIRBuilder(b, ScoreBase::Two), func(func) {
  auto workgroup =
      gpu::AddressSpaceAttr::get(b.getContext(), gpu::AddressSpace::Workgroup);
  dynamicShared = gpu::DynamicSharedMemoryOp::create(
      b, MemRefType::get({ShapedType::kDynamic}, b.getI8Type(),
                         MemRefLayoutAttrInterface{}, workgroup));
}

Value GpuKernelIRBuilder::ult(Value x, Value y) {
  return arith::CmpIOp::create(b, arith::CmpIPredicate::ult, x, y);
}
Value GpuKernelIRBuilder::divui(Value x, int64_t y) {
  return arith::DivUIOp::create(b, x, idx(y));
}
Value GpuKernelIRBuilder::remui(Value x, int64_t y) {
  return arith::RemUIOp::create(b, x, idx(y));
}

void GpuKernelIRBuilder::ifThen(Value cond, function_ref<void()> body) {
  scf::IfOp::create(b, cond, [&](OpBuilder &, Location) {
    body();
    scf::YieldOp::create(b);
  });
}

void GpuKernelIRBuilder::ifThenElse(Value cond, function_ref<void()> thenBody,
                                    function_ref<void()> elseBody) {
  auto body = [&](function_ref<void()> fill) {
    return [&, fill](OpBuilder &, Location) {
      fill();
      scf::YieldOp::create(b);
    };
  };
  scf::IfOp::create(b, cond, body(thenBody), body(elseBody));
}

Value GpuKernelIRBuilder::clampRow(Value row, Value len) {
  return arith::MinUIOp::create(b, row, arith::SubIOp::create(b, len, idx(1)));
}

Value GpuKernelIRBuilder::sharedTile(int64_t byteOffset,
                                     ArrayRef<int64_t> shape, Type element) {
  return sharedTile(idx(byteOffset), shape, element);
}

Value GpuKernelIRBuilder::sharedTile(Value byteOffset, ArrayRef<int64_t> shape,
                                     Type element) {
  auto type = MemRefType::get(
      shape, element, MemRefLayoutAttrInterface{},
      cast<MemRefType>(dynamicShared.getType()).getMemorySpace());
  return memref::ViewOp::create(b, type, dynamicShared, byteOffset,
                                ValueRange{});
}

Value GpuKernelIRBuilder::sharedWindowAddress() {
  return memref::ExtractAlignedPointerAsIndexOp::create(b, dynamicShared);
}

MemRefType GpuKernelIRBuilder::privateType(ArrayRef<int64_t> shape,
                                           Type element) {
  return MemRefType::get(
      shape, element, MemRefLayoutAttrInterface{},
      gpu::AddressSpaceAttr::get(b.getContext(), gpu::AddressSpace::Private));
}

gpu::GPUFuncOp mlir::ring::createKernel(ImplicitLocOpBuilder &b,
                                        gpu::GPUModuleOp module, StringRef name,
                                        FunctionType type, int64_t threads) {
  b.setInsertionPointToEnd(module.getBody());
  auto func = gpu::GPUFuncOp::create(b, name, type);
  func->setAttr(gpu::GPUDialect::getKernelFuncAttrName(), b.getUnitAttr());
  func.setKnownBlockSize(
      ArrayRef<int32_t>{static_cast<int32_t>(threads), 1, 1});
  b.setInsertionPointToStart(&func.getBody().front());
  return func;
}

MemRefType mlir::ring::dynamicStridedMemRef(MLIRContext *ctx, int64_t rank,
                                            Type element) {
  SmallVector<int64_t> strides(rank, ShapedType::kDynamic);
  strides.back() = 1;
  return MemRefType::get(
      SmallVector<int64_t>(rank, ShapedType::kDynamic), element,
      StridedLayoutAttr::get(ctx, ShapedType::kDynamic, strides));
}
