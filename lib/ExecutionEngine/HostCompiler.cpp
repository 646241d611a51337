//===- HostCompiler.cpp - Lowered modules to loaded host code -------------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception

#include "RingAttn/ExecutionEngine/HostCompiler.h"

#include "RingAttn/Runtime/RingRuntime.h"
#include "RingAttn/Support/AtomicFile.h"

#include "mlir/ExecutionEngine/CRunnerUtils.h"
#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/Target/LLVMIR/Export.h"

#include "llvm/Config/llvm-config.h"
#include "llvm/ExecutionEngine/JITEventListener.h"
#include "llvm/ExecutionEngine/Orc/CompileUtils.h"
#include "llvm/ExecutionEngine/Orc/ExecutionUtils.h"
#include "llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h"
#include "llvm/ExecutionEngine/Orc/RTDyldObjectLinkingLayer.h"
#include "llvm/ExecutionEngine/SectionMemoryManager.h"
#include "llvm/IR/Constants.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Support/xxhash.h"
#include "llvm/TargetParser/Host.h"

using namespace mlir;

namespace ringattn {

/// Bumped when what an object depends on changes outside the module text
/// (the runtime's C ABI, the optimization pipeline).
static constexpr const char *kCacheFormat = "ringattn-object-1";

/// A target machine for this CPU at -O3.
static llvm::Expected<std::unique_ptr<llvm::TargetMachine>> hostMachine() {
  auto builder = llvm::orc::JITTargetMachineBuilder::detectHost();
  if (!builder)
    return builder.takeError();
  builder->setCodeGenOptLevel(llvm::CodeGenOptLevel::Aggressive);
  return builder->createTargetMachine();
}

/// The functions an object runs when loaded and unloaded: a GPU module loads
/// and unloads its kernel binaries there. Loading an object runs no
/// llvm.global_ctors (only IR added to a JIT gets that), so compileToObject
/// turns each list into one exported function LoadedObject calls.
static constexpr const char *kInitFunction = "__ringattn_object_init";
static constexpr const char *kFiniFunction = "__ringattn_object_fini";

/// Replaces the global `list` (llvm.global_ctors or llvm.global_dtors) by a
/// function `name` that calls its entries by priority (`reverse`: highest
/// first, as destructors run); an empty one if there is no list.
static void lowerStructorList(llvm::Module &module, llvm::StringRef list,
                              llvm::StringRef name, bool reverse) {
  llvm::GlobalVariable *global = module.getGlobalVariable(list);
  std::vector<std::pair<uint64_t, llvm::Function *>> entries;
  if (auto *array = llvm::dyn_cast_or_null<llvm::ConstantArray>(
          global ? global->getInitializer() : nullptr))
    for (llvm::Value *operand : array->operands()) {
      auto *entry = llvm::cast<llvm::ConstantStruct>(operand);
      auto *priority = llvm::cast<llvm::ConstantInt>(entry->getOperand(0));
      if (auto *function = llvm::dyn_cast<llvm::Function>(entry->getOperand(1)))
        entries.emplace_back(priority->getZExtValue(), function);
    }
  std::stable_sort(entries.begin(), entries.end(),
                   [&](const auto &a, const auto &b) {
                     return reverse ? a.first > b.first : a.first < b.first;
                   });
  if (global)
    global->eraseFromParent();
  llvm::LLVMContext &context = module.getContext();
  auto *function = llvm::Function::Create(
      llvm::FunctionType::get(llvm::Type::getVoidTy(context), false),
      llvm::GlobalValue::ExternalLinkage, name, module);
  llvm::IRBuilder<> builder(llvm::BasicBlock::Create(context, "", function));
  for (auto &[priority, callee] : entries)
    builder.CreateCall(callee);
  builder.CreateRetVoid();
}

llvm::Expected<std::unique_ptr<llvm::MemoryBuffer>>
compileToObject(ModuleOp module) {
  auto machine = hostMachine();
  if (!machine)
    return machine.takeError();
  llvm::LLVMContext context;
  std::unique_ptr<llvm::Module> llvmModule =
      translateModuleToLLVMIR(module, context);
  if (!llvmModule)
    return llvm::createStringError("translation to LLVM IR failed");
  lowerStructorList(*llvmModule, "llvm.global_ctors", kInitFunction,
                    /*reverse=*/false);
  lowerStructorList(*llvmModule, "llvm.global_dtors", kFiniFunction,
                    /*reverse=*/true);
  llvmModule->setDataLayout((*machine)->createDataLayout());
  llvmModule->setTargetTriple((*machine)->getTargetTriple());
  if (llvm::Error error =
          makeOptimizingTransformer(3, 0, machine->get())(llvmModule.get()))
    return std::move(error);
  llvm::orc::SimpleCompiler compiler(**machine);
  return compiler(*llvmModule);
}

std::string objectCacheKey(ModuleOp module) {
  std::string text;
  llvm::raw_string_ostream os(text);
  os << kCacheFormat << '|' << LLVM_VERSION_STRING << '|'
     << llvm::sys::getProcessTriple() << '|' << llvm::sys::getHostCPUName()
     << '|';
  for (const auto &feature : llvm::sys::getHostCPUFeatures())
    os << (feature.second ? '+' : '-') << feature.first() << ',';
  module->print(os, OpPrintingFlags().enableDebugInfo(false));
  llvm::XXH128_hash_t hash =
      llvm::xxh3_128bits(llvm::arrayRefFromStringRef(text));
  return llvm::formatv("{0:x-16}{1:x-16}", hash.high64, hash.low64).str();
}

static std::string cachePath(const std::string &directory,
                             const std::string &key) {
  llvm::SmallString<256> path(directory);
  llvm::sys::path::append(path, key + ".o");
  return path.str().str();
}

std::unique_ptr<llvm::MemoryBuffer>
readCachedObject(const std::string &directory, const std::string &key) {
  auto buffer = llvm::MemoryBuffer::getFile(cachePath(directory, key));
  return buffer ? std::move(*buffer) : nullptr;
}

bool writeCachedObject(const std::string &directory, const std::string &key,
                       const llvm::MemoryBuffer &object, std::string &error) {
  AtomicFile file;
  return file.open(cachePath(directory, key), error) &&
         file.write(object.getBufferStart(), object.getBufferSize(), error) &&
         file.commit(error);
}

/// The runtime's C ABI (RuntimeABI.def) and MLIR's strided copy (zigzag
/// chunks), which the compiled code calls; everything else resolves in this
/// process.
static llvm::orc::SymbolMap
runtimeSymbols(llvm::orc::MangleAndInterner &mangle) {
  llvm::orc::SymbolMap symbols;
  auto add = [&](const char *name, void *address) {
    symbols[mangle(name)] = {llvm::orc::ExecutorAddr::fromPtr(address),
                             llvm::JITSymbolFlags::Exported};
  };
#define RINGATTN_RUNTIME_FUNCTION(name, result, parameters)                    \
  add(#name, reinterpret_cast<void *>(&name));
#include "RingAttn/Runtime/RuntimeABI.def"
  add("memrefCopy", reinterpret_cast<void *>(&memrefCopy));
  return symbols;
}

/// RuntimeDyld with perf's and gdb's JIT interfaces, as MLIR's
/// ExecutionEngine has it: `perf inject --jit` names the kernels.
static llvm::Expected<std::unique_ptr<llvm::orc::ObjectLayer>>
makeObjectLayer(llvm::orc::ExecutionSession &session) {
  auto layer = std::make_unique<llvm::orc::RTDyldObjectLinkingLayer>(
      session, [](const llvm::MemoryBuffer &) {
        return std::make_unique<llvm::SectionMemoryManager>();
      });
  if (llvm::JITEventListener *perf =
          llvm::JITEventListener::createPerfJITEventListener())
    layer->registerJITEventListener(*perf);
  layer->registerJITEventListener(
      *llvm::JITEventListener::createGDBRegistrationListener());
  return std::move(layer);
}

llvm::Expected<std::unique_ptr<LoadedObject>>
LoadedObject::load(std::unique_ptr<llvm::MemoryBuffer> object) {
  auto jit = llvm::orc::LLJITBuilder()
                 .setObjectLinkingLayerCreator(makeObjectLayer)
                 .create();
  if (!jit)
    return jit.takeError();
  llvm::orc::JITDylib &main = (*jit)->getMainJITDylib();
  llvm::orc::MangleAndInterner mangle((*jit)->getExecutionSession(),
                                      (*jit)->getDataLayout());
  if (llvm::Error error =
          main.define(llvm::orc::absoluteSymbols(runtimeSymbols(mangle))))
    return std::move(error);
  auto process = llvm::orc::DynamicLibrarySearchGenerator::GetForCurrentProcess(
      (*jit)->getDataLayout().getGlobalPrefix());
  if (!process)
    return process.takeError();
  main.addGenerator(std::move(*process));
  if (llvm::Error error = (*jit)->addObjectFile(std::move(object)))
    return std::move(error);
  std::unique_ptr<LoadedObject> loaded(new LoadedObject(std::move(*jit)));
  // Global constructors: a GPU module loads its kernel binaries here.
  auto init = loaded->lookup(kInitFunction);
  if (!init)
    return init.takeError();
  reinterpret_cast<void (*)()>(*init)();
  return std::move(loaded);
}

LoadedObject::~LoadedObject() {
  if (auto fini = lookup(kFiniFunction))
    reinterpret_cast<void (*)()>(*fini)();
  else
    llvm::consumeError(fini.takeError());
}

llvm::Expected<void *> LoadedObject::lookup(llvm::StringRef symbol) {
  auto address = jit_->lookup(symbol);
  if (!address)
    return address.takeError();
  return address->toPtr<void *>();
}

llvm::Expected<std::unique_ptr<LoadedObject>>
LoadedObject::loadEntry(llvm::StringRef object, llvm::StringRef symbol,
                        void *&function) {
  auto loaded =
      load(llvm::MemoryBuffer::getMemBuffer(object, "ringattn-object", false));
  if (!loaded)
    return llvm::createStringError("loading the compiled module failed: " +
                                   toString(loaded.takeError()));
  auto address = (*loaded)->lookup(symbol);
  if (!address)
    return llvm::createStringError("the compiled module has no " +
                                   symbol.str() + ": " +
                                   toString(address.takeError()));
  function = *address;
  return std::move(*loaded);
}

} // namespace ringattn
