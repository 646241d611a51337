//===- Compiler.cpp - Ring modules compiled into this process -------------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception

#include "RingAttn-c/Compiler.h"

#include "RingAttn/ExecutionEngine/HostCompiler.h"
#include "RingAttn/Pipelines/Pipelines.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/TargetSelect.h"

#include <cstdio>
#include <mutex>

using namespace mlir;

struct RingAttnCompiledModule {
  std::unique_ptr<ringattn::LoadedObject> object;
};

static void setError(const std::string &message, char *error,
                     size_t errorSize) {
  if (error && errorSize > 0)
    std::snprintf(error, errorSize, "%s", message.c_str());
}

/// `text` on one line, for an error message.
static std::string oneLine(std::string text) {
  for (char &c : text)
    if (c == '\n')
      c = ' ';
  return text;
}

/// The module `source` lowered by ring-lower-cpu, or null with `error`.
static OwningOpRef<ModuleOp> parseAndLower(MLIRContext &context,
                                           const char *source,
                                           const char *targetCpu,
                                           std::string &error) {
  ScopedDiagnosticHandler handler(&context, [&](Diagnostic &diagnostic) {
    if (diagnostic.getSeverity() == DiagnosticSeverity::Error &&
        error.empty()) {
      std::string where;
      if (auto file = dyn_cast<FileLineColLoc>(diagnostic.getLocation()))
        where =
            (file.getFilename().str() + ":" + std::to_string(file.getLine()) +
             ":" + std::to_string(file.getColumn()) + ": ");
      error = where + oneLine(diagnostic.str());
    }
    return success();
  });
  OwningOpRef<ModuleOp> module =
      parseSourceString<ModuleOp>(source, &context, "ringattn-module");
  if (!module) {
    if (error.empty())
      error = "could not parse the module";
    return nullptr;
  }
  PassManager pm(&context);
  ring::LowerCPUPipelineOptions options;
  options.targetCpu = targetCpu ? targetCpu : "";
  ring::buildLowerCPUPipeline(pm, options);
  if (failed(pm.run(*module))) {
    error = "ring-lower-cpu failed: " +
            (error.empty() ? std::string("no diagnostic") : error);
    return nullptr;
  }
  return module;
}

extern "C" RingAttnCompiledModule *ringattnCompileModule(const char *source,
                                                         const char *targetCpu,
                                                         char *error,
                                                         size_t errorSize) {
  if (!source) {
    setError("no module source given", error, errorSize);
    return nullptr;
  }
  static std::once_flag nativeTarget;
  std::call_once(nativeTarget, [] {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
  });
  DialectRegistry registry;
  ring::registerPipelineDialects(registry);
  MLIRContext context(registry);
  std::string message;
  OwningOpRef<ModuleOp> module =
      parseAndLower(context, source, targetCpu, message);
  if (!module) {
    setError(message, error, errorSize);
    return nullptr;
  }
  auto object = ringattn::compileToObject(*module);
  if (!object) {
    setError("compiling to object code failed: " +
                 llvm::toString(object.takeError()),
             error, errorSize);
    return nullptr;
  }
  auto loaded = ringattn::LoadedObject::load(std::move(*object));
  if (!loaded) {
    setError("loading the compiled module failed: " +
                 llvm::toString(loaded.takeError()),
             error, errorSize);
    return nullptr;
  }
  setError("", error, errorSize);
  return new RingAttnCompiledModule{std::move(*loaded)};
}

extern "C" void *ringattnCompiledModuleLookup(RingAttnCompiledModule *module,
                                              const char *symbol, char *error,
                                              size_t errorSize) {
  if (!module || !symbol) {
    setError("no module or symbol given", error, errorSize);
    return nullptr;
  }
  auto address = module->object->lookup(symbol);
  if (!address) {
    setError(std::string("the compiled module has no ") + symbol + ": " +
                 oneLine(llvm::toString(address.takeError())),
             error, errorSize);
    return nullptr;
  }
  setError("", error, errorSize);
  return *address;
}

extern "C" void ringattnCompiledModuleDestroy(RingAttnCompiledModule *module) {
  delete module;
}
