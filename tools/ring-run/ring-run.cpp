//===- ring-run.cpp - Compile and run ring attention modules --------------===//
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

#include "EntryPoint.h"
#include "HostTensor.h"
#include "DeviceOperands.h"
#include "Diagnostics.h"
#include "Launcher.h"
#include "Sharding.h"

#include "RingAttn/Dialect/Ring/IR/BufferizableOpInterfaceImpl.h"
#include "RingAttn/Dialect/Ring/IR/RingDialect.h"
#include "RingAttn/Runtime/RingRuntime.h"
#include "RingAttn/Runtime/ThreadsBackend.h"
#include "RingAttn/Support/ReferenceAttention.h"
#include "RingAttn/Transforms/CpuTarget.h"
#include "RingAttn/Transforms/Passes.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/ExecutionEngine/CRunnerUtils.h"
#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/xxhash.h"
#include "llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/raw_ostream.h"

#if RINGATTN_HAVE_MPI
#include <mpi.h>
#endif

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <thread>
#include <sys/resource.h>
#include <unistd.h>

using namespace mlir;
using namespace ringattn;
namespace cl = llvm::cl;

#if RINGATTN_HAVE_MPI
static constexpr bool kHaveMpi = true;
static constexpr const char *kBackends = "threads, mpi, gpu, nccl";
#else
static constexpr bool kHaveMpi = false;
static constexpr const char *kBackends = "threads, gpu";
#endif

static cl::OptionCategory category("ring-run options");
static cl::opt<std::string> inputFile(cl::Positional, cl::desc("<module.mlir>"),
                                      cl::Required, cl::cat(category));
static cl::opt<std::string> entryName("entry",
                                      cl::desc("Attention entry point to run "
                                               "(default: the only one)"),
                                      cl::cat(category));
static cl::opt<std::string>
    inputsOpt("inputs", cl::desc("q.npy,k.npy,v.npy holding the operands "
                                 "(default: seeded random values)"),
              cl::cat(category));
static cl::opt<std::string> outputFile("output",
                                       cl::desc("Write the result as .npy"),
                                       cl::cat(category));
static cl::opt<uint64_t> seed("seed", cl::desc("Seed of the random inputs"),
                              cl::init(0), cl::cat(category));
static cl::opt<bool> check("check",
                           cl::desc("Compare with the float64 reference; exit "
                                    "1 above the element type's tolerance"),
                           cl::cat(category));
static cl::opt<double> toleranceOpt(
    "tolerance",
    cl::desc("Relative-error tolerance for --check (default: per dtype)"),
    cl::init(-1.0), cl::cat(category));
static cl::opt<unsigned> repeat("repeat", cl::desc("Timed runs"), cl::init(1),
                                cl::cat(category));
static cl::opt<bool> json("json", cl::desc("Print one JSON summary line"),
                          cl::cat(category));
static cl::opt<int> ranksOpt(
    "ranks",
    cl::desc("Ranks to run on (default: the ring size the module was "
             "compiled for; 1 for single-device attention)"),
    cl::init(0), cl::cat(category));
static cl::opt<std::string> backend(
    "backend", cl::desc("Where the ranks run: threads (N ranks in this "
                        "process), mpi (one rank per process, under "
                        "mpirun), gpu (N ranks sharing this process's GPU) "
                        "or nccl (one rank and GPU per process, under "
                        "mpirun)"),
    cl::init("threads"), cl::cat(category));
static cl::opt<double> linkGbps(
    "link-gbps",
    cl::desc("Emulated link bandwidth in Gbit/s (threads; 0: memcpy speed)"),
    cl::init(0), cl::cat(category));
static cl::opt<double> linkLatencyUs("link-latency-us",
                                     cl::desc("Emulated link latency in us"),
                                     cl::init(0), cl::cat(category));
static cl::opt<double> timeoutSeconds(
    "timeout-s",
    cl::desc("Seconds a rank waits for a peer before the run fails"),
    cl::init(60), cl::cat(category));
static cl::opt<bool> noCommunication(
    "no-communication",
    cl::desc("Benchmarks only: shifts synchronize but move nothing, timing "
             "the schedule without communication (wrong results; no --check)"),
    cl::cat(category));
// Fault injection, for the tests of the fault paths.
static cl::opt<int> faultRank("fault-rank",
                              cl::desc("Rank that misbehaves (testing)"),
                              cl::init(-1), cl::Hidden, cl::cat(category));
static cl::opt<std::string>
    faultKind("fault", cl::desc("stall (never starts computing) or exit "
                                "(dies before computing)"),
              cl::init("stall"), cl::Hidden, cl::cat(category));
static cl::opt<std::string> traceFile(
    "trace", cl::desc("Write a Chrome trace (Perfetto) of the last run"),
    cl::cat(category));
static cl::opt<std::string> chip(
    "chip",
    cl::desc("GPU the gpu and nccl backends compile for (ring-lower-nvvm's "
             "chip: sm_90 for H100/H200; the default sm_80 also runs on "
             "newer GPUs through its embedded PTX)"),
    cl::init("sm_80"), cl::cat(category));
static cl::opt<int64_t> queryTile(
    "query-tile", cl::desc("ring-lower-cpu query tile (0: chosen for the CPU)"),
    cl::init(0), cl::cat(category));
static cl::opt<int64_t> keyTile(
    "key-tile", cl::desc("ring-lower-cpu key tile (0: chosen for the CPU)"),
    cl::init(0), cl::cat(category));
static cl::opt<std::string> targetCpu(
    "target-cpu",
    cl::desc("CPU to compile for, as LLVM names it (x86-64-v3 for AVX2, "
             "x86-64-v4 for AVX-512); default: this machine's"),
    cl::init(""), cl::cat(category));
static cl::opt<std::string> targetFeatures(
    "target-features",
    cl::desc("+feature/-feature changes to the CPU's features "
             "(+avx2,-avx512f)"),
    cl::init(""), cl::cat(category));

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

static bool gpuBackend() { return backend == "gpu" || backend == "nccl"; }

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

/// FLOPs of the attention: 2 for each multiply-add of QK^T and of PV, over
/// the (query, key) pairs the mask leaves visible.
static double attentionFlops(const EntryPoint &entry) {
  const AttentionShape &s = entry.shape;
  double pairs = entry.causal ? 0.5 * s.queryLen * (s.queryLen + 1)
                              : static_cast<double>(s.queryLen) * s.keyLen;
  return 4.0 * s.batch * s.queryHeads * pairs * s.headDim;
}

/// --fault-rank's misbehaviour: a process that dies, or a rank that stalls
/// far past the timeout (its peers must give up on it).
static void injectFault() {
  if (faultKind == "exit") {
    std::fprintf(stderr, "ring-run: fault injection: rank %d exits\n",
                 faultRank.getValue());
    std::_Exit(3);
  }
  std::this_thread::sleep_for(
      std::chrono::duration<double>(4 * timeoutSeconds + 1));
}

/// What every MPI process must agree on: the module text, the entry and the
/// options that change what runs.
static uint64_t fingerprint(const std::string &path, const EntryPoint &entry) {
  std::string key = entry.name + "|" + chip + "|" +
                    std::to_string(queryTile) + "|" + std::to_string(keyTile) +
                    "|" + targetCpu + "|" + targetFeatures + "|" +
                    std::to_string(seed) + "|" + inputsOpt;
  if (auto buffer = llvm::MemoryBuffer::getFile(path))
    key += (*buffer)->getBuffer().str();
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
  auto file = openInputFile(inputFile, &error);
  if (!file)
    return nullptr;
  sourceMgr.AddNewSourceBuffer(std::move(file), llvm::SMLoc());
  OwningOpRef<ModuleOp> module = parseSourceFile<ModuleOp>(sourceMgr, &context);
  if (!module) {
    // A syntax error, or an op the verifier rejects (the parser verifies).
    error = diagnostics.hasError() ? diagnostics.where() + diagnostics.message()
                                   : "could not parse " + inputFile;
    return nullptr;
  }
  if (!needsLowering(*module)) {
    // Host code lowered for one kind of backend dereferences the operands
    // (CPU) or hands them to kernels (GPU): the other kind would crash.
    bool forGpu = !module->getOps<gpu::BinaryOp>().empty();
    if (forGpu != gpuBackend()) {
      error = inputFile + " was lowered for " +
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
      options.chip = chip;
      ring::buildLowerNVVMPipeline(pm, options);
    } else {
      ring::LowerCPUPipelineOptions options;
      options.queryTile = queryTile;
      options.keyTile = keyTile;
      options.targetCpu = targetCpu;
      options.targetFeatures = targetFeatures;
      ring::buildLowerCPUPipeline(pm, options);
    }
    if (failed(pm.run(*module))) {
      std::string pipeline =
          gpuBackend() ? "ring-lower-nvvm" : "ring-lower-cpu";
      error = diagnostics.hasError()
                  ? diagnostics.where() + pipeline +
                        " failed: " + diagnostics.message()
                  : "lowering " + inputFile + " with " + pipeline + " failed";
      return nullptr;
    }
  }
  return module;
}

/// The launcher --backend asks for, checked against what `entry` was
/// compiled for.
static std::unique_ptr<Launcher> makeLauncher(const EntryPoint &entry,
                                              std::string &error) {
  std::unique_ptr<Launcher> launcher;
  if (backend == "threads") {
    runtime::ThreadsOptions threads;
    threads.ranks = ranksOpt ? ranksOpt.getValue() : entry.ranks;
    threads.link = {linkGbps, linkLatencyUs};
    threads.timeoutSeconds = timeoutSeconds;
    threads.dropTransfers = noCommunication;
    launcher = makeThreadsLauncher(threads);
  } else if (backend == "gpu") {
    if (linkGbps > 0 || linkLatencyUs > 0) {
      error = "--link-* emulate an interconnect on the threads backend; the "
              "gpu backend moves blocks with device copies";
      return nullptr;
    }
    runtime::GpuOptions gpu;
    gpu.ranks = ranksOpt ? ranksOpt.getValue() : entry.ranks;
    gpu.timeoutSeconds = timeoutSeconds;
    gpu.dropTransfers = noCommunication;
    launcher = makeOneGpuLauncher(gpu);
  } else if ((backend == "mpi" || backend == "nccl") && kHaveMpi) {
    if (noCommunication || linkGbps > 0 || linkLatencyUs > 0 ||
        !traceFile.empty()) {
      error = "--no-communication and --trace are options of the threads "
              "and gpu backends, --link-* of the threads backend";
      return nullptr;
    }
    launcher = makeMpiLauncher(timeoutSeconds, backend == "nccl");
    if (ranksOpt && ranksOpt != launcher->ranks()) {
      error = "--ranks is " + std::to_string(ranksOpt) + " but mpirun " +
              "started " + std::to_string(launcher->ranks()) + " processes";
      return nullptr;
    }
  } else {
    error = "backend '" + backend + "' is not available in this build " +
            "(available: " + std::string(kBackends) + ")";
    return nullptr;
  }
  int ranks = launcher->ranks();
  if (ranks != entry.ranks) {
    error = "@" + entry.name + " was compiled for " +
            (entry.ranks == 1 ? std::string("one device")
                              : "a ring of " + std::to_string(entry.ranks) +
                                    " ranks") +
            " but " +
            (backend == "mpi" || backend == "nccl"
                 ? "mpirun started " + std::to_string(ranks) + " processes"
                 : "--ranks is " + std::to_string(ranks));
    return nullptr;
  }
  return launcher;
}

/// JIT-compiles `module` for this CPU, with the runtime's C ABI (and MLIR's
/// strided copy, used to assemble zigzag chunks) resolvable.
static llvm::Expected<std::unique_ptr<ExecutionEngine>>
compileForHost(ModuleOp module) {
  // Code for a CPU this one is not would stop on an illegal instruction.
  if (LLVM::TargetAttr target = ring::getCpuTarget(module)) {
    std::string missing = ring::featuresMissingOnHost(target);
    if (!missing.empty())
      return llvm::createStringError(
          "the module is compiled for " + target.getChip().str() +
          " with features this CPU lacks (" + missing +
          "); pass --target-cpu naming a CPU this machine runs");
  }
  auto tmBuilder = llvm::orc::JITTargetMachineBuilder::detectHost();
  if (!tmBuilder)
    return tmBuilder.takeError();
  tmBuilder->setCodeGenOptLevel(llvm::CodeGenOptLevel::Aggressive);
  auto targetMachine = tmBuilder->createTargetMachine();
  if (!targetMachine)
    return targetMachine.takeError();
  ExecutionEngineOptions options;
  options.transformer = makeOptimizingTransformer(3, 0, targetMachine->get());
  options.jitCodeGenOptLevel = llvm::CodeGenOptLevel::Aggressive;
  auto engine = ExecutionEngine::create(module, options);
  if (!engine)
    return engine.takeError();
  (*engine)->registerSymbols([](llvm::orc::MangleAndInterner interner) {
    llvm::orc::SymbolMap symbols;
    auto add = [&](const char *name, void *address) {
      symbols[interner(name)] = {llvm::orc::ExecutorAddr::fromPtr(address),
                                 llvm::JITSymbolFlags::Exported};
    };
    add("ringattn_rank", reinterpret_cast<void *>(&ringattn_rank));
    add("ringattn_size", reinterpret_cast<void *>(&ringattn_size));
    add("ringattn_shift_start", reinterpret_cast<void *>(&ringattn_shift_start));
    add("ringattn_shift_wait", reinterpret_cast<void *>(&ringattn_shift_wait));
    add("memrefCopy", reinterpret_cast<void *>(&memrefCopy));
    return symbols;
  });
  // Global constructors: a GPU module loads its kernel binaries here.
  (*engine)->initialize();
  return std::move(*engine);
}

/// What one ring-run invocation measured and checked.
struct Summary {
  const EntryPoint &entry;
  const runtime::RunReport &report; ///< of the last run
  const std::vector<double> &times; ///< sorted wall times of every run
  double compileSeconds;
  double runMemoryMiB;
  bool checked;
  ErrorStats stats;
  double tolerance;
  bool passed;
};

/// Prints the summary as text or, with --json, as one JSON line.
static void printSummary(const Summary &summary, int ranks) {
  const EntryPoint &entry = summary.entry;
  const runtime::RunReport &report = summary.report;
  const ErrorStats &stats = summary.stats;
  double median = summary.times[summary.times.size() / 2];
  double gflops = attentionFlops(entry) / median * 1e-9;
  double compileSeconds = summary.compileSeconds,
         runMemoryMiB = summary.runMemoryMiB, tolerance = summary.tolerance;
  bool passed = summary.passed;
  const std::vector<double> &times = summary.times;
  // Per-rank wall and busy (compute) time of the last run. The imbalance is
  // max/mean of the ranks' busy CPU time: their work, even when ranks share
  // cores.
  std::string rankMs, busyMs, busyCpuMs;
  double maxBusy = 0, sumBusy = 0;
  auto appendMs = [](std::string &list, double seconds) {
    list += (list.empty() ? "" : ", ") +
            llvm::formatv("{0:f3}", seconds * 1e3).str();
  };
  for (const runtime::RankReport &rank : report.ranks) {
    appendMs(rankMs, rank.seconds);
    appendMs(busyMs, rank.busySeconds);
    appendMs(busyCpuMs, rank.busyCpuSeconds);
    maxBusy = std::max(maxBusy, rank.busyCpuSeconds);
    sumBusy += rank.busyCpuSeconds;
  }
  double imbalance = sumBusy > 0 ? maxBusy / (sumBusy / ranks) : 1.0;

  const AttentionShape &s = entry.shape;
  std::string shape = llvm::formatv("b={0} hq={1} hkv={2} sq={3} skv={4} d={5}",
                                    s.batch, s.queryHeads, s.kvHeads,
                                    s.queryLen, s.keyLen, s.headDim)
                          .str();
  if (json) {
    llvm::outs() << llvm::formatv(
        "{{\"entry\": \"{0}\", \"dtype\": \"{1}\", \"batch\": {2}, "
        "\"query_heads\": {3}, \"kv_heads\": {4}, \"query_len\": {5}, "
        "\"key_len\": {6}, \"head_dim\": {7}, \"causal\": {8}, "
        "\"compile_s\": {9:f3}, \"time_ms\": {10:f4}, \"gflops\": {11:f2}, "
        "\"peak_rss_mib\": {12:f1}, \"ranks\": {13}, \"layout\": \"{14}\", "
        "\"backend\": \"{15}\", \"rank_ms\": [{16}], \"busy_ms\": [{17}], "
        "\"busy_cpu_ms\": [{18}], \"imbalance\": {19:f3}, "
        "\"communication\": {20}, \"run_rss_mib\": {21:f1}, "
        "\"best_ms\": {22:f4}",
        entry.name, elementTypeName(entry.elementType), s.batch, s.queryHeads,
        s.kvHeads, s.queryLen, s.keyLen, s.headDim,
        entry.causal ? "true" : "false", compileSeconds, median * 1e3, gflops,
        peakMemoryMiB(), ranks, layoutName(entry.layout), backend.getValue(),
        rankMs, busyMs, busyCpuMs, imbalance,
        noCommunication ? "false" : "true", runMemoryMiB, times.front() * 1e3);
    if (summary.checked)
      llvm::outs() << llvm::formatv(
          ", \"max_abs_err\": {0:e3}, \"rel_err\": {1:e3}, \"tolerance\": "
          "{2:e1}, \"passed\": {3}",
          stats.maxAbs, stats.relative, tolerance, passed ? "true" : "false");
    llvm::outs() << "}\n";
  } else {
    llvm::outs() << llvm::formatv(
        "@{0} {1} {2}{3}: {4:f3} ms (median of {5}), {6:f2} GFLOP/s, peak "
        "RSS {7:f1} MiB\n",
        entry.name, elementTypeName(entry.elementType), shape,
        entry.causal ? " causal" : "", median * 1e3, times.size(), gflops,
        peakMemoryMiB());
    if (ranks > 1) {
      llvm::outs() << llvm::formatv("ring: {0} ranks ({1}), {2} layout\n",
                                    ranks, backend.getValue(),
                                    layoutName(entry.layout));
      for (int r = 0; r < ranks; ++r)
        llvm::outs() << llvm::formatv(
            "  rank {0}: {1:f3} ms, busy {2:f3} ms ({3:f3} ms CPU)\n", r,
            report.ranks[r].seconds * 1e3, report.ranks[r].busySeconds * 1e3,
            report.ranks[r].busyCpuSeconds * 1e3);
      llvm::outs() << llvm::formatv("  busy CPU max/mean: {0:f3}\n",
                                    imbalance);
    }
    if (summary.checked)
      llvm::outs() << llvm::formatv(
          "check: max_abs_err={0:e3} rel_err={1:e3} tolerance={2:e1} {3}\n",
          stats.maxAbs, stats.relative, tolerance, passed ? "PASS" : "FAIL");
  }
}

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  cl::HideUnrelatedOptions(category);
  cl::ParseCommandLineOptions(argc, argv, "RingAttn module runner\n");
#if RINGATTN_HAVE_MPI
  // Every process of an MPI run executes all of main; MPI lives as long.
  struct MpiSession {
    bool active = false;
    ~MpiSession() {
      if (active)
        MPI_Finalize();
    }
  } mpiSession;
  if (backend == "mpi" || backend == "nccl") {
    // The runtime's progress thread calls MPI while the rank computes.
    int provided = 0;
    MPI_Init_thread(&argc, &argv, MPI_THREAD_SERIALIZED, &provided);
    mpiSession.active = true;
  }
#endif
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();

  DialectRegistry registry;
  registerAllDialects(registry);
  registerAllExtensions(registry);
  registry.insert<ring::RingDialect>();
  ring::registerBufferizableOpInterfaceExternalModels(registry);
  // The GPU dialect's translation embeds kernel binaries and their launches.
  registerAllToLLVMIRTranslations(registry);
  MLIRContext context(registry);

  llvm::SourceMgr sourceMgr;
  // Warnings and remarks print with their source line; errors are caught
  // by `diagnostics` (registered last, so asked first) and end in fail().
  SourceMgrDiagnosticHandler diagHandler(sourceMgr, &context);
  FirstErrorHandler diagnostics(&context);
  std::string error;
  OwningOpRef<ModuleOp> module =
      loadModule(context, sourceMgr, diagnostics, error);
  if (!module)
    return fail(error);

  EntryPoint entry;
  if (!findEntryPoint(*module, entryName, entry, error))
    return fail(inputFile + ": " + error);

  if (noCommunication && (check || !outputFile.empty()))
    return fail("--no-communication gives wrong results by design; it "
                "cannot be combined with --check or --output");
  std::unique_ptr<Launcher> launcher = makeLauncher(entry, error);
  if (!launcher)
    return fail(error);
  if (gpuBackend()) {
    // Before the JIT: loading the compiled module loads its kernels.
    std::string why;
    if (!runtime::gpuAvailable(why))
      return fail("--backend " + backend + " needs a GPU: " + why);
  }
  int ranks = launcher->ranks();
  if (!launcher->agree(fingerprint(inputFile, entry), error))
    return fail(error);

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
  HostTensor q(entry.elementType, operandShape(root, false));
  HostTensor k(entry.elementType, operandShape(root, true));
  HostTensor v(entry.elementType, operandShape(root, true));
  HostTensor out(entry.elementType, operandShape(root, false));
  bool inputsOk = true;
  if (root && !inputsOpt.empty()) {
    SmallVector<StringRef> paths;
    StringRef(inputsOpt).split(paths, ',');
    if (paths.size() != 3) {
      error = "--inputs takes three comma-separated files (q,k,v), got " +
              std::to_string(paths.size());
      inputsOk = false;
    }
    HostTensor *operands[] = {&q, &k, &v};
    for (int i = 0; inputsOk && i < 3; ++i)
      inputsOk = operands[i]->load(paths[i].str(), error);
    if (inputsOk && entry.elementType == ElementType::BF16)
      llvm::errs() << "ring-run: note: the bf16 kernel reads float32 .npy "
                      "files, rounded to bf16\n";
  } else if (root) {
    std::mt19937_64 rng(seed);
    q.fillRandom(rng);
    k.fillRandom(rng);
    v.fillRandom(rng);
  }
  if (!inputsOk)
    fail(error);
  if (!launcher->allOk(inputsOk))
    return 1;
  // Shards of the ranks this process runs, or (root) of every rank.
  auto shardsOf = [&](HostTensor &global, bool kv) {
    if (root && ranks == 1) { // one device: the whole tensor is the shard
      std::vector<HostTensor> whole;
      whole.push_back(std::move(global));
      return whole;
    }
    if (root)
      return scatterSequence(global, entry.layout, ranks);
    std::vector<HostTensor> shards;
    for (int r = 0; r < ranks; ++r)
      shards.emplace_back(entry.elementType,
                          launcher->runsRank(r) ? operandShape(false, kv)
                                                : std::vector<int64_t>{0, 0, 0, 0});
    return shards;
  };
  std::vector<HostTensor> qShards = shardsOf(q, false);
  std::vector<HostTensor> kShards = shardsOf(k, true);
  std::vector<HostTensor> vShards = shardsOf(v, true);
  std::vector<HostTensor> outShards = shardsOf(out, false);
  launcher->scatter(qShards);
  launcher->scatter(kShards);
  launcher->scatter(vShards);

  auto compileStart = std::chrono::steady_clock::now();
  auto engine = compileForHost(*module);
  if (!engine) {
    // Translation to LLVM IR reports its reason as a diagnostic.
    std::string why = toString(engine.takeError());
    if (diagnostics.hasError())
      why += ": " + diagnostics.where() + diagnostics.message();
    return fail("JIT compilation failed: " + why);
  }
  // Looking the function up materializes it, so timings exclude compilation.
  std::string symbol = "_mlir_ciface_" + entry.name;
  auto function = (*engine)->lookupPacked(symbol);
  if (!function)
    return fail("the compiled module has no " + symbol + ": " +
                toString(function.takeError()));
  double compileSeconds = std::chrono::duration<double>(
                              std::chrono::steady_clock::now() - compileStart)
                              .count();

  // Every operand is passed as a pointer to its memref descriptor.
  struct RankArgs {
    StridedMemRefType<char, 4> descriptors[4];
    void *pointers[4];
    void *args[4];
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
          *operands[i], launcher->onGpu() ? deviceOperands[r].data(i)
                                          : operands[i]->data());
      a.pointers[i] = &a.descriptors[i];
      a.args[i] = &a.pointers[i];
    }
  }
  std::vector<double> times;
  runtime::RunReport report;
  // What the ranks allocate while they run: peak RSS after the runs minus
  // the resident memory before them (operands and JIT already counted).
  double memoryBeforeMiB = currentMemoryMiB();
  unsigned runs = std::max(1u, repeat.getValue());
  for (unsigned r = 0; r < runs; ++r) {
    double seconds = 0;
    report = launcher->run(
        [&](int rank) {
          if (rank == faultRank)
            injectFault();
          (*function)(rankArgs[rank].args);
        },
        !traceFile.empty() && r + 1 == runs, seconds);
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
  if (!traceFile.empty() &&
      !runtime::writeChromeTrace(traceFile, report.spans, error))
    return fail(error);

  if (!outputFile.empty() && !out.save(outputFile, error))
    return fail(error);

  ErrorStats stats;
  double tolerance = toleranceOpt >= 0 ? toleranceOpt.getValue()
                                       : defaultTolerance(entry.elementType);
  bool passed = true;
  if (check) {
    std::vector<double> expected =
        referenceAttention(entry.shape, q.toDouble(), k.toDouble(),
                           v.toDouble(), entry.scale, entry.causal);
    stats = compare(out.toDouble(), expected);
    passed = stats.finite && stats.relative <= tolerance;
  }

  Summary summary{entry,  report, times,     compileSeconds, runMemoryMiB,
                  check,  stats,  tolerance, passed};
  printSummary(summary, ranks);
  return passed ? 0 : 1;
}
