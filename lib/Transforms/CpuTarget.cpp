//===- CpuTarget.cpp - The CPU a module is compiled for -------------------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception

#include "RingAttn/Transforms/CpuTarget.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/Triple.h"
#include "llvm/TargetParser/X86TargetParser.h"

using namespace mlir;
using namespace mlir::ring;

CpuKernelShape CpuKernelShape::forFeatures(StringRef features) {
  SmallVector<StringRef> list;
  features.split(list, ',', -1, /*KeepEmpty=*/false);
  auto has = [&](StringRef name) {
    return llvm::is_contained(list, ("+" + name).str());
  };
  CpuKernelShape shape;
  if (has("avx512f")) {
    shape.lanes = 16;
    shape.vectorRegs = 32;
  } else if (has("avx2") || has("avx") || has("fma")) {
    shape.lanes = 8;
    shape.vectorRegs = 16;
  } else {
    // SSE2 (every x86-64) and NEON: 128-bit vectors.
    shape.lanes = 4;
    shape.vectorRegs = has("neon") ? 32 : 16;
  }
  // Six query rows share each key (or value) vector load: rows x vectors
  // accumulators, the vectors just loaded and one broadcast fit the
  // register file (6 x 2 + 2 + 1 = 15 of 16, 6 x 4 + 4 + 1 = 29 of 32).
  shape.rows = 6;
  shape.scoreVectors = shape.vectorRegs >= 32 ? 4 : 2;
  shape.outVectors = shape.scoreVectors;
  return shape;
}

LLVM::TargetAttr ring::getCpuTarget(ModuleOp module) {
  return dyn_cast_or_null<LLVM::TargetAttr>(
      module->getAttr(LLVM::LLVMDialect::getTargetAttrName()));
}

/// `set` as a sorted LLVM feature list: "+name" or "-name" each.
static SmallVector<std::string> featureList(const llvm::StringMap<bool> &set) {
  SmallVector<std::string> list;
  for (const auto &[name, enabled] : set)
    list.push_back((enabled ? "+" : "-") + name.str());
  llvm::sort(list);
  return list;
}

CpuKernelShape ring::getCpuKernelShape(Operation *op) {
  auto module =
      isa<ModuleOp>(op) ? cast<ModuleOp>(op) : op->getParentOfType<ModuleOp>();
  if (LLVM::TargetAttr target = module ? getCpuTarget(module) : nullptr)
    if (target.getFeatures())
      return CpuKernelShape::forFeatures(
          target.getFeatures().getFeaturesString());
  return CpuKernelShape::forFeatures(
      llvm::join(featureList(llvm::sys::getHostCPUFeatures()), ","));
}

FailureOr<LLVM::TargetAttr> ring::resolveCpuTarget(MLIRContext *context,
                                                   StringRef cpu,
                                                   StringRef features,
                                                   std::string &error) {
  llvm::Triple triple(llvm::sys::getProcessTriple());
  bool x86 = triple.isX86();
  // Feature name -> enabled, implied features included, so that "-avx2"
  // also turns AVX-512 off.
  llvm::StringMap<bool> set;
  std::string chip = cpu.str();
  if (cpu.empty()) {
    chip = llvm::sys::getHostCPUName().str();
    set = llvm::sys::getHostCPUFeatures();
  } else if (x86) {
    if (llvm::X86::parseArchX86(cpu, /*Only64Bit=*/true) ==
        llvm::X86::CK_None) {
      error = "unknown x86-64 CPU '" + cpu.str() +
              "' (for example x86-64, x86-64-v3, x86-64-v4, znver3, "
              "skylake-avx512)";
      return failure();
    }
    SmallVector<StringRef> implied;
    llvm::X86::getFeaturesForCPU(cpu, implied, /*NeedPlus=*/false);
    // The CPU's table lists avx512bw, not the avx512f it builds on.
    for (StringRef name : implied) {
      set[name] = true;
      llvm::X86::updateImpliedFeatures(name, /*Enabled=*/true, set);
    }
  }
  // Host detection knows every x86 feature name, set or not.
  llvm::StringMap<bool> known = llvm::sys::getHostCPUFeatures();
  SmallVector<StringRef> overrides;
  features.split(overrides, ',', -1, /*KeepEmpty=*/false);
  for (StringRef feature : overrides) {
    feature = feature.trim();
    bool enable = feature.consume_front("+");
    if (!enable && !feature.consume_front("-")) {
      error = "target feature '" + feature.str() +
              "' must start with + or - (for example +avx2,-avx512f)";
      return failure();
    }
    if (!x86) {
      set[feature] = enable;
      continue;
    }
    if (!known.count(feature)) {
      error = "unknown x86 target feature '" + feature.str() + "'";
      return failure();
    }
    set[feature] = enable;
    llvm::X86::updateImpliedFeatures(feature, enable, set);
  }
  SmallVector<std::string> list = featureList(set);
  SmallVector<StringRef> refs(list.begin(), list.end());
  return LLVM::TargetAttr::get(
      context, StringAttr::get(context, triple.str()),
      StringAttr::get(context, chip),
      LLVM::TargetFeaturesAttr::get(context, ArrayRef<StringRef>(refs)));
}

std::string ring::featuresMissingOnHost(LLVM::TargetAttr target) {
  if (!target.getFeatures())
    return "";
  llvm::StringMap<bool> host = llvm::sys::getHostCPUFeatures();
  SmallVector<std::string> missing;
  for (StringAttr feature : target.getFeatures().getFeatures()) {
    StringRef name = feature.getValue();
    if (!name.consume_front("+"))
      continue;
    auto it = host.find(name);
    if (it != host.end() && !it->second)
      missing.push_back(name.str());
  }
  return llvm::join(missing, ",");
}
