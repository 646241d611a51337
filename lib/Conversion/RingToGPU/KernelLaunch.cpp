//===- KernelLaunch.cpp - Kernel launches that survive bufferization ------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception

#include "KernelLaunch.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/BuiltinOps.h"

using namespace mlir;
using namespace mlir::ring;

static constexpr StringLiteral kLaunchAttr = "ring.launch";
static constexpr StringLiteral kKernelModule = "ring_kernels";

gpu::GPUModuleOp mlir::ring::getOrCreateKernelModule(ModuleOp module) {
  if (auto existing = module.lookupSymbol<gpu::GPUModuleOp>(kKernelModule))
    return existing;
  module->setAttr(gpu::GPUDialect::getContainerModuleAttrName(),
                  UnitAttr::get(module.getContext()));
  OpBuilder b = OpBuilder::atBlockEnd(module.getBody());
  return gpu::GPUModuleOp::create(b, module.getLoc(), kKernelModule);
}

void mlir::ring::createKernelLaunchCall(ImplicitLocOpBuilder &b,
                                        gpu::GPUFuncOp kernel,
                                        gpu::KernelDim3 grid, ValueRange args) {
  auto kernelModule = kernel->getParentOfType<gpu::GPUModuleOp>();
  auto module = kernelModule->getParentOfType<ModuleOp>();
  std::string name =
      ("__ring_launch_" + kernelModule.getName() + "_" + kernel.getName())
          .str();
  SmallVector<Value> operands = {grid.x, grid.y, grid.z};
  operands.append(args.begin(), args.end());
  auto declaration = module.lookupSymbol<func::FuncOp>(name);
  if (!declaration) {
    OpBuilder top = OpBuilder::atBlockEnd(module.getBody());
    declaration = func::FuncOp::create(
        top, kernel.getLoc(), name,
        top.getFunctionType(ValueRange(operands).getTypes(), {}));
    declaration.setPrivate();
    declaration->setAttr(
        kLaunchAttr,
        SymbolRefAttr::get(kernelModule.getNameAttr(),
                           {FlatSymbolRefAttr::get(kernel.getNameAttr())}));
  }
  func::CallOp::create(b, declaration, operands);
}

LogicalResult mlir::ring::materializeKernelLaunches(ModuleOp module) {
  SmallVector<func::CallOp> calls;
  module.walk([&](func::CallOp call) { calls.push_back(call); });
  for (func::CallOp call : calls) {
    auto callee = module.lookupSymbol<func::FuncOp>(call.getCallee());
    if (!callee || !callee->hasAttr(kLaunchAttr))
      continue;
    auto kernelRef = callee->getAttrOfType<SymbolRefAttr>(kLaunchAttr);
    auto kernel =
        SymbolTable::lookupNearestSymbolFrom<gpu::GPUFuncOp>(module, kernelRef);
    if (!kernel || !kernel.getKnownBlockSize())
      return call.emitError("'") << kernelRef
                                 << "' does not name a kernel of known block "
                                    "size";
    ImplicitLocOpBuilder b(call.getLoc(), call);
    auto idx = [&](int32_t v) -> Value {
      return arith::ConstantIndexOp::create(b, v);
    };
    ArrayRef<int32_t> block = *kernel.getKnownBlockSize();
    OperandRange operands = call.getOperands();
    gpu::LaunchFuncOp::create(b, kernel,
                              {operands[0], operands[1], operands[2]},
                              {idx(block[0]), idx(block[1]), idx(block[2])},
                              Value(), operands.drop_front(3));
    call.erase();
  }
  for (auto func : llvm::make_early_inc_range(module.getOps<func::FuncOp>()))
    if (func->hasAttr(kLaunchAttr) && func.symbolKnownUseEmpty(module))
      func.erase();
  return success();
}
