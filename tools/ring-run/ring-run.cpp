//===- ring-run.cpp - Compile and run ring attention modules --------------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// ring-run FILE.mlir [--entry NAME] [--inputs q.npy,k.npy,v.npy]
//                    [--output out.npy] [--seed S] [--check] [--repeat R]
//                    [--json] [--ranks N] [--backend threads|mpi|gpu|nccl]
//                    [--link-gbps G] [--link-latency-us U] [--trace FILE]
//                    [--chip sm_XX]
//
// Lowers a ring-level module with ring-lower-cpu, or ring-lower-nvvm for the
// GPU backends (or takes one already lowered), JIT-compiles the host code
// (GPU kernels travel embedded in it), scatters global random or
// .npy inputs over the ranks by the sequence layout, runs the entry point on
// every rank, gathers the output back into natural order, and with --check
// compares it with a float64 reference written independently of the
// compiler.
//
//===----------------------------------------------------------------------===//

#include "DeviceOperands.h"
#include "Diagnostics.h"
#include "EntryPoint.h"
#include "HostCompiler.h"
#include "HostTensor.h"
#include "Launcher.h"
#include "Options.h"
#include "Sharding.h"
#include "Summary.h"

#include "RingAttn/Conversion/RingToLLVM.h"
#include "RingAttn/Dialect/Ring/IR/BufferizableOpInterfaceImpl.h"
#include "RingAttn/Dialect/Ring/IR/RingDialect.h"
#include "RingAttn/Pipelines/Pipelines.h"
#include "RingAttn/Runtime/RingRuntime.h"
#include "RingAttn/Runtime/ThreadsBackend.h"
#include "RingAttn/Support/ReferenceAttention.h"
#include "RingAttn/Transforms/CpuTarget.h"
#include "RingAttn/Transforms/Passes.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/ExecutionEngine/CRunnerUtils.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Support/xxhash.h"

#if RINGATTN_HAVE_MPI
#include <mpi.h>
#endif

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <sys/resource.h>
#include <thread>
#include <unistd.h>

using namespace mlir;
using namespace ringattn;

/// The command line, parsed and checked by main before anything runs.
static RunOptions cli;

/// Relative error (||out - ref|| / ||ref||) --check accepts per element type;
/// see docs/Tools.md for how they were chosen.
static double defaultTolerance(ElementType type) {
  switch (type) {
  case ElementType::F32:
    return 1e-5;
  case ElementType::F16:
    return 2e-3;
  case ElementType::BF16:
    return 1e-2;
  }
  return 0;
}

/// Prints `message` as the one line docs/Tools.md promises for every error,
/// whatever line breaks a library put in it.
static int fail(const llvm::Twine &message) {
  llvm::errs() << "ring-run: error: " << oneLine(message.str()) << "\n";
  return 1;
}

static bool gpuBackend() { return cli.onGpu(); }

/// True when the module still has ops above the LLVM dialect (GPU kernel
/// binaries and their launches are as low as a host module goes).
static bool needsLowering(ModuleOp module) {
  bool highLevel = false;
  module.walk([&](Operation *op) {
    if (op != module.getOperation() &&
        !isa<LLVM::LLVMDialect>(op->getDialect()) &&
        !isa<gpu::BinaryOp, gpu::LaunchFuncOp>(op))
      highLevel = true;
  });
  return highLevel;
}

static double peakMemoryMiB() {
  struct rusage usage;
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss / 1024.0; // Linux reports KiB
}

static double currentMemoryMiB() {
  long pages = 0, resident = 0;
  if (FILE *statm = std::fopen("/proc/self/statm", "r")) {
    if (std::fscanf(statm, "%ld %ld", &pages, &resident) != 2)
      resident = 0;
    std::fclose(statm);
  }
  return resident * (sysconf(_SC_PAGESIZE) / 1024.0) / 1024.0;
}

/// Whether the float64 reference of --check (q, k, v, the output and the
/// expected output as doubles) fits in memory; checked before the runs, so
/// that a check that cannot be made fails at once, with a message.
static bool referenceMemoryAvailable(const EntryPoint &entry,
                                     std::string &error) {
  auto elements = [](const std::vector<int64_t> &shape) {
    double n = 1;
    for (int64_t d : shape)
      n *= static_cast<double>(d);
    return n;
  };
  double bytes = 8 * (2 * elements(entry.globalKVShape()) +
                      3 * elements(entry.globalQueryShape()));
  void *trial =
      bytes < 9e18 ? std::malloc(static_cast<size_t>(bytes)) : nullptr;
  std::free(trial);
  if (trial)
    return true;
  error = llvm::formatv("--check needs {0:f1} GiB for its float64 reference, "
                        "more memory than is available",
                        bytes / (1ull << 30))
              .str();
  return false;
}

/// --fault-rank's misbehaviour: a process that dies, or a rank that stalls
/// far past the timeout (its peers must give up on it).
static void injectFault() {
  if (cli.fault == "exit") {
    std::fprintf(stderr, "ring-run: fault injection: rank %d exits\n",
                 cli.faultRank);
    std::_Exit(3);
  }
  std::this_thread::sleep_for(
      std::chrono::duration<double>(4 * cli.timeoutSeconds + 1));
}

/// What every MPI process must agree on: the module text, the entry and the
/// options that change what runs.
static uint64_t fingerprint(llvm::StringRef moduleText,
                            const EntryPoint &entry) {
  std::string key = entry.name + "|" + cli.chip + "|" +
                    std::to_string(cli.queryTile) + "|" +
                    std::to_string(cli.keyTile) + "|" + cli.targetCpu + "|" +
                    cli.targetFeatures + "|" + std::to_string(cli.seed) + "|" +
                    cli.inputs + "|" + moduleText.str();
  return llvm::xxh3_64bits(key);
}

/// A descriptor of `tensor`'s shape over `data` (its host storage, or a
/// device copy of it).
template <typename T>
static StridedMemRefType<T, 4> describe(HostTensor &tensor, void *data) {
  StridedMemRefType<T, 4> desc;
  desc.basePtr = desc.data = static_cast<T *>(data);
  desc.offset = 0;
  const std::vector<int64_t> &shape = tensor.shape();
  int64_t stride = 1;
  for (int i = 3; i >= 0; --i) {
    desc.sizes[i] = shape[i];
    desc.strides[i] = stride;
    stride *= shape[i];
  }
  return desc;
}

/// Parses and verifies the input, and lowers it with ring-lower-cpu
/// (ring-lower-nvvm for the GPU backends) unless it is already lowered. On
/// failure `error` is the first error `diagnostics` caught, at its position.
static OwningOpRef<ModuleOp> loadModule(MLIRContext &context,
                                        llvm::SourceMgr &sourceMgr,
                                        const FirstErrorHandler &diagnostics,
                                        std::string &error) {
  auto file = openInputFile(cli.inputFile, &error);
  if (!file)
    return nullptr;
  sourceMgr.AddNewSourceBuffer(std::move(file), llvm::SMLoc());
  OwningOpRef<ModuleOp> module = parseSourceFile<ModuleOp>(sourceMgr, &context);
  if (!module) {
    // A syntax error, or an op the verifier rejects (the parser verifies).
    error = diagnostics.hasError() ? diagnostics.where() + diagnostics.message()
                                   : "could not parse " + cli.inputFile;
    return nullptr;
  }
  if (!needsLowering(*module)) {
    // Host code lowered for one kind of backend dereferences the operands
    // (CPU) or hands them to kernels (GPU): the other kind would crash.
    bool forGpu = !module->getOps<gpu::BinaryOp>().empty();
    if (forGpu != gpuBackend()) {
      error = cli.inputFile + " was lowered for " +
              (forGpu ? "GPUs (ring-lower-nvvm); run it with --backend gpu "
                        "or nccl"
                      : "the CPU (ring-lower-cpu); run it with --backend "
                        "threads or mpi");
      return nullptr;
    }
  } else {
    PassManager pm(&context);
    if (gpuBackend()) {
      ring::LowerNVVMPipelineOptions options;
      options.chip = cli.chip;
      ring::buildLowerNVVMPipeline(pm, options);
    } else {
      ring::LowerCPUPipelineOptions options;
      options.queryTile = cli.queryTile;
      options.keyTile = cli.keyTile;
      options.targetCpu = cli.targetCpu;
      options.targetFeatures = cli.targetFeatures;
      ring::buildLowerCPUPipeline(pm, options);
    }
    if (failed(pm.run(*module))) {
      std::string pipeline =
          gpuBackend() ? "ring-lower-nvvm" : "ring-lower-cpu";
      error = diagnostics.hasError() ? diagnostics.where() + pipeline +
                                           " failed: " + diagnostics.message()
                                     : "lowering " + cli.inputFile + " with " +
                                           pipeline + " failed";
      return nullptr;
    }
  }
  return module;
}

/// The in-process launcher --backend asks for (threads or gpu), with the
/// ring size `entry` was compiled for unless --ranks says otherwise.
static std::unique_ptr<Launcher>
makeInProcessLauncher(const EntryPoint &entry) {
  int ranks = cli.ranks ? cli.ranks : entry.ranks;
  if (cli.backend == "gpu") {
    runtime::GpuOptions gpu;
    gpu.ranks = ranks;
    gpu.timeoutSeconds = cli.timeoutSeconds;
    gpu.dropTransfers = cli.noCommunication;
    return makeOneGpuLauncher(gpu);
  }
  runtime::ThreadsOptions threads;
  threads.ranks = ranks;
  threads.link = {cli.linkGbps, cli.linkLatencyUs};
  threads.timeoutSeconds = cli.timeoutSeconds;
  threads.dropTransfers = cli.noCommunication;
  return makeThreadsLauncher(threads);
}

/// Whether `launcher` runs as many ranks as `entry` was compiled for.
static bool ranksMatch(const Launcher &launcher, const EntryPoint &entry,
                       std::string &error) {
  int ranks = launcher.ranks();
  if (cli.underMpi() && cli.ranks && cli.ranks != ranks) {
    error = "--ranks is " + std::to_string(cli.ranks) + " but mpirun " +
            "started " + std::to_string(ranks) + " processes";
    return false;
  }
  if (ranks == entry.ranks)
    return true;
  error =
      "@" + entry.name + " was compiled for " +
      (entry.ranks == 1
           ? std::string("one device")
           : "a ring of " + std::to_string(entry.ranks) + " ranks") +
      " but " +
      (cli.underMpi() ? "mpirun started " + std::to_string(ranks) + " processes"
                      : "--ranks is " + std::to_string(ranks));
  return false;
}

/// Fails if `module` was compiled for a CPU with features this one lacks:
/// its code would stop on an illegal instruction.
static bool hostCanRun(ModuleOp module, std::string &error) {
  LLVM::TargetAttr target = ring::getCpuTarget(module);
  std::string missing = target ? ring::featuresMissingOnHost(target) : "";
  if (missing.empty())
    return true;
  error = "the module is compiled for " + target.getChip().str() +
          " with features this CPU lacks (" + missing +
          "); pass --target-cpu naming a CPU this machine runs";
  return false;
}

/// The object code of `module` under `key`: from the cache when it holds
/// one and `readCache` (`source` "cache"), else compiled and then kept there
/// ("compiled").
/// Empty, with `error`, on failure.
static std::string objectFor(ModuleOp module, const std::string &key,
                             const FirstErrorHandler &diagnostics,
                             bool readCache, const char *&source,
                             std::string &error) {
  source = "cache";
  if (readCache && !cli.cacheDir.empty())
    if (auto cached = readCachedObject(cli.cacheDir, key))
      return cached->getBuffer().str();
  source = "compiled";
  auto object = compileToObject(module);
  if (!object) {
    // Translation to LLVM IR reports its reason as a diagnostic.
    error = "JIT compilation failed: " + toString(object.takeError());
    if (diagnostics.hasError())
      error += ": " + diagnostics.where() + diagnostics.message();
    return "";
  }
  std::string cacheError;
  if (!cli.cacheDir.empty() &&
      !writeCachedObject(cli.cacheDir, key, **object, cacheError))
    llvm::errs() << "ring-run: warning: not cached: " << cacheError << "\n";
  return (*object)->getBuffer().str();
}

/// Links `object` into this process and finds the entry `symbol` in it.
static std::unique_ptr<LoadedObject> loadEntry(const std::string &object,
                                               const std::string &symbol,
                                               void *&function,
                                               std::string &error) {
  auto loaded = LoadedObject::load(
      llvm::MemoryBuffer::getMemBuffer(object, "ring-run", false));
  if (!loaded) {
    error =
        "loading the compiled module failed: " + toString(loaded.takeError());
    return nullptr;
  }
  auto address = (*loaded)->lookup(symbol);
  if (!address) {
    error = "the compiled module has no " + symbol + ": " +
            toString(address.takeError());
    return nullptr;
  }
  function = *address;
  return std::move(*loaded);
}

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  std::string error;
  if (!parseRunOptions(argc, argv, cli, error))
    return fail(error);
  // Under MPI every process runs all of main, and the launcher (which owns
  // MPI) comes first: steps that fail on some processes only must end the
  // job on all of them.
  std::unique_ptr<Launcher> launcher;
#if RINGATTN_HAVE_MPI
  if (cli.underMpi())
    launcher =
        makeMpiLauncher(argc, argv, cli.timeoutSeconds, cli.backend == "nccl");
#endif
  // True when every process succeeded; else the lowest failing process
  // prints its `error` (once, not once per process) and all exit 1.
  auto everyProcessOk = [&](bool ok) {
    int first = launcher ? launcher->firstFailure(ok) : (ok ? -1 : 0);
    if (first >= 0 && first == (launcher ? launcher->processRank() : 0))
      fail(error);
    return first < 0;
  };
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();

  DialectRegistry registry;
  registerAllDialects(registry);
  registerAllExtensions(registry);
  registry.insert<ring::RingDialect>();
  ring::registerBufferizableOpInterfaceExternalModels(registry);
  ring::registerConvertRingToLLVMInterface(registry);
  // The GPU dialect's translation embeds kernel binaries and their launches.
  registerAllToLLVMIRTranslations(registry);
  MLIRContext context(registry);

  llvm::SourceMgr sourceMgr;
  // Warnings and remarks print with their source line; errors are caught
  // by `diagnostics` (registered last, so asked first) and end in fail().
  SourceMgrDiagnosticHandler diagHandler(sourceMgr, &context);
  FirstErrorHandler diagnostics(&context);
  OwningOpRef<ModuleOp> module =
      loadModule(context, sourceMgr, diagnostics, error);
  EntryPoint entry;
  bool ok = module && findEntryPoint(*module, cli.entryName, entry, error);
  if (module && !ok)
    error = cli.inputFile + ": " + error;
  if (!everyProcessOk(ok))
    return 1;

  if (!launcher)
    launcher = makeInProcessLauncher(entry);
  ok = ranksMatch(*launcher, entry, error);
  if (ok && gpuBackend()) {
    // Before the JIT: loading the compiled module loads its kernels.
    std::string why;
    ok = runtime::gpuAvailable(why);
    if (!ok)
      error = "--backend " + cli.backend + " needs a GPU: " + why;
  }
  if (!everyProcessOk(ok))
    return 1;
  int ranks = launcher->ranks();
  if (!everyProcessOk(launcher->agree(
          fingerprint(sourceMgr.getMemoryBuffer(1)->getBuffer(), entry),
          error)))
    return 1;

  // The root holds the global operands and splits them into each rank's
  // shard of the sequence; the launcher moves the shards where they run.
  bool root = launcher->isRoot();
  auto operandShape = [&](bool global, bool kv) {
    std::vector<int64_t> s =
        kv ? entry.globalKVShape() : entry.globalQueryShape();
    if (!global)
      s[2] /= ranks;
    return s;
  };
  // Sizes come from the user's module: memory that is not there is an
  // error naming the operand, like any other.
  HostTensor q, k, v, out;
  bool inputsOk =
      q.allocate("q", entry.elementType, operandShape(root, false), error) &&
      k.allocate("k", entry.elementType, operandShape(root, true), error) &&
      v.allocate("v", entry.elementType, operandShape(root, true), error) &&
      out.allocate("the output", entry.elementType, operandShape(root, false),
                   error) &&
      (!root || !cli.check || referenceMemoryAvailable(entry, error));
  if (inputsOk && root && !cli.inputs.empty()) {
    SmallVector<StringRef> paths; // three, as parseRunOptions checked
    StringRef(cli.inputs).split(paths, ',');
    HostTensor *operands[] = {&q, &k, &v};
    for (int i = 0; inputsOk && i < 3; ++i)
      inputsOk = operands[i]->load(paths[i].str(), error);
    if (inputsOk && entry.elementType == ElementType::BF16)
      llvm::errs() << "ring-run: note: the bf16 kernel reads float32 .npy "
                      "files, rounded to bf16\n";
  } else if (inputsOk && root) {
    std::mt19937_64 rng(cli.seed);
    q.fillRandom(rng);
    k.fillRandom(rng);
    v.fillRandom(rng);
  }
  if (!everyProcessOk(inputsOk))
    return 1;
  // Shards of the ranks this process runs, or (root) of every rank. Their
  // memory, like the global operands', is an error naming the operand.
  auto shardsOf = [&](HostTensor &global, const std::string &operand, bool kv,
                      std::vector<HostTensor> &shards) {
    if (root && ranks == 1) { // one device: the whole tensor is the shard
      shards.clear();
      shards.push_back(std::move(global));
      return true;
    }
    if (root)
      return scatterSequence(global, entry.layout, ranks, operand, shards,
                             error);
    shards.clear();
    shards.resize(ranks);
    for (int r = 0; r < ranks; ++r)
      if (!shards[r].allocate(shardName(r, operand), entry.elementType,
                              launcher->runsRank(r)
                                  ? operandShape(false, kv)
                                  : std::vector<int64_t>{0, 0, 0, 0},
                              error))
        return false;
    return true;
  };
  std::vector<HostTensor> qShards, kShards, vShards, outShards;
  bool shardsOk = shardsOf(q, "q", false, qShards) &&
                  shardsOf(k, "k", true, kShards) &&
                  shardsOf(v, "v", true, vShards) &&
                  shardsOf(out, "the output", false, outShards);
  if (!everyProcessOk(shardsOk))
    return 1;
  launcher->scatter(qShards);
  launcher->scatter(kShards);
  launcher->scatter(vShards);

  // One process compiles (or finds the object in --cache-dir) and the
  // others load what it sends, unless their own lowering came out different
  // (another CPU): they compile their own.
  auto compileStart = std::chrono::steady_clock::now();
  ok = hostCanRun(*module, error);
  std::string key = objectCacheKey(*module), object;
  std::string symbol = "_mlir_ciface_" + entry.name;
  const char *objectSource = "compiled";
  void *function = nullptr;
  std::unique_ptr<LoadedObject> loaded;
  if (ok && root) {
    object = objectFor(*module, key, diagnostics, /*readCache=*/true,
                       objectSource, error);
    if (!object.empty())
      loaded = loadEntry(object, symbol, function, error);
    if (!loaded && llvm::StringRef(objectSource) == "cache") {
      // A damaged or stale cache entry is compiled over, not fatal.
      llvm::errs() << "ring-run: warning: ignoring the cached object: " << error
                   << "\n";
      object = objectFor(*module, key, diagnostics, /*readCache=*/false,
                         objectSource, error);
      if (!object.empty())
        loaded = loadEntry(object, symbol, function, error);
    }
    ok = loaded != nullptr;
  }
  if (!everyProcessOk(ok))
    return 1;
  std::string rootKey = key;
  launcher->shareObject(rootKey, object);
  if (!root) {
    if (rootKey != key)
      object = objectFor(*module, key, diagnostics, /*readCache=*/true,
                         objectSource, error);
    if (!object.empty())
      loaded = loadEntry(object, symbol, function, error);
  }
  if (!everyProcessOk(loaded != nullptr))
    return 1;
  auto entryFunction =
      reinterpret_cast<void (*)(void *, void *, void *, void *)>(function);
  double compileSeconds = std::chrono::duration<double>(
                              std::chrono::steady_clock::now() - compileStart)
                              .count();

  // The C interface takes every operand as a pointer to its descriptor.
  struct RankArgs {
    StridedMemRefType<char, 4> descriptors[4];
  };
  std::vector<RankArgs> rankArgs(ranks);
  std::vector<DeviceOperands> deviceOperands(launcher->onGpu() ? ranks : 0);
  for (int r = 0; r < ranks; ++r) {
    if (!launcher->runsRank(r))
      continue;
    RankArgs &a = rankArgs[r];
    HostTensor *operands[] = {&qShards[r], &kShards[r], &vShards[r],
                              &outShards[r]};
    if (launcher->onGpu() &&
        !deviceOperands[r].stage(qShards[r], kShards[r], vShards[r],
                                 outShards[r], error))
      return fail("staging rank " + std::to_string(r) +
                  "'s operands on the GPU: " + error);
    for (int i = 0; i < 4; ++i) {
      a.descriptors[i] = describe<char>(
          *operands[i],
          launcher->onGpu() ? deviceOperands[r].data(i) : operands[i]->data());
    }
  }
  std::vector<double> times;
  runtime::RunReport report;
  // What the ranks allocate while they run: peak RSS after the runs minus
  // the resident memory before them (operands and JIT already counted).
  double memoryBeforeMiB = currentMemoryMiB();
  unsigned runs = std::max(1u, cli.repeat);
  for (unsigned r = 0; r < runs; ++r) {
    double seconds = 0;
    report = launcher->run(
        [&](int rank) {
          if (rank == cli.faultRank)
            injectFault();
          StridedMemRefType<char, 4> *d = rankArgs[rank].descriptors;
          entryFunction(&d[0], &d[1], &d[2], &d[3]);
        },
        !cli.traceFile.empty() && r + 1 == runs, seconds);
    times.push_back(seconds);
    if (!report.ok)
      return fail("the ring failed: " + describeRingFailure(report));
  }
  std::sort(times.begin(), times.end());
  for (int r = 0; r < ranks && launcher->onGpu(); ++r)
    if (launcher->runsRank(r) &&
        !deviceOperands[r].fetchOutput(outShards[r], error))
      return fail("fetching rank " + std::to_string(r) +
                  "'s output from the GPU: " + error);
  double runMemoryMiB = std::max(0.0, peakMemoryMiB() - memoryBeforeMiB);
  launcher->gather(outShards);
  launcher->finish();
  if (!root)
    return 0; // the root checks and reports
  // Back to whole tensors in natural order.
  if (ranks == 1) {
    q = std::move(qShards[0]);
    k = std::move(kShards[0]);
    v = std::move(vShards[0]);
    out = std::move(outShards[0]);
  } else {
    gatherSequence(outShards, entry.layout, out);
  }
  if (!cli.traceFile.empty() &&
      !runtime::writeChromeTrace(cli.traceFile, report.spans, error))
    return fail(error);

  if (!cli.outputFile.empty() && !out.save(cli.outputFile, error))
    return fail(error);

  ErrorStats stats;
  double tolerance =
      cli.tolerance >= 0 ? cli.tolerance : defaultTolerance(entry.elementType);
  bool passed = true;
  if (cli.check) {
    std::vector<double> expected =
        referenceAttention(entry.shape, q.toDouble(), k.toDouble(),
                           v.toDouble(), entry.scale, entry.causal);
    stats = compare(out.toDouble(), expected);
    passed = stats.finite && stats.relative <= tolerance;
  }

  Summary summary{entry,        report,       times,           compileSeconds,
                  objectSource, runMemoryMiB, peakMemoryMiB(), cli.check,
                  stats,        tolerance,    passed};
  printSummary(llvm::outs(), summary, ranks, cli);
  return passed ? 0 : 1;
}
