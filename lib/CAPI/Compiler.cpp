//===- Compiler.cpp - Ring modules compiled into this process -------------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception

#include "RingAttn-c/Compiler.h"

#include "RingAttn/Conversion/Passes.h"
#include "RingAttn/ExecutionEngine/FirstError.h"
#include "RingAttn/ExecutionEngine/HostCompiler.h"
#include "RingAttn/Pipelines/Pipelines.h"
#include "RingAttn/Transforms/Passes.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/raw_ostream.h"

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

/// The module `source` after `pipeline` (textual, on the module), or null
/// with `error`.
static OwningOpRef<ModuleOp> parseAndLower(
    MLIRContext &context, const char *source, llvm::StringRef pipeline,
    const ringattn::FirstErrorHandler &diagnostics, std::string &error) {
  OwningOpRef<ModuleOp> module =
      parseSourceString<ModuleOp>(source, &context, "ringattn-module");
  if (!module) {
    error = diagnostics.explain("could not parse the module");
    return nullptr;
  }
  PassManager pm(&context);
  std::string parseError;
  llvm::raw_string_ostream parseErrors(parseError);
  if (failed(parsePassPipeline(pipeline, pm, parseErrors))) {
    // The parser's first line: "<source>:1:1: error: <reason>".
    llvm::StringRef reason = llvm::StringRef(parseError).split('\n').first;
    reason = reason.split("error: ").second.empty()
                 ? reason
                 : reason.split("error: ").second;
    error = "bad pass pipeline '" + pipeline.str() + "': " + reason.str();
    return nullptr;
  }
  if (failed(pm.run(*module))) {
    error = diagnostics.explain(pipeline.str() + " failed");
    return nullptr;
  }
  return module;
}

/// LLVM's native target and the ring passes and pipelines, once.
static void initializeOnce() {
  static std::once_flag once;
  std::call_once(once, [] {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
    ring::registerRingPasses();
    ring::registerRingConversionPasses();
    ring::registerRingPipelines();
  });
}

extern "C" RingAttnCompiledModule *ringattnCompileModule(const char *source,
                                                         const char *pipeline,
                                                         char *error,
                                                         size_t errorSize) {
  if (!source) {
    setError("no module source given", error, errorSize);
    return nullptr;
  }
  initializeOnce();
  DialectRegistry registry;
  ring::registerPipelineDialects(registry);
  MLIRContext context(registry);
  ringattn::FirstErrorHandler diagnostics(&context);
  std::string message;
  OwningOpRef<ModuleOp> module = parseAndLower(
      context, source, pipeline && *pipeline ? pipeline : "ring-lower-cpu",
      diagnostics, message);
  if (!module) {
    setError(message, error, errorSize);
    return nullptr;
  }
  auto object = ringattn::compileToObject(*module);
  if (!object) {
    // Translation to LLVM IR reports its reason as a diagnostic.
    setError(diagnostics.explain("compiling to object code failed: " +
                                 llvm::toString(object.takeError())),
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
                 ringattn::oneLine(llvm::toString(address.takeError())),
             error, errorSize);
    return nullptr;
  }
  setError("", error, errorSize);
  return *address;
}

extern "C" void ringattnCompiledModuleDestroy(RingAttnCompiledModule *module) {
  delete module;
}
