//===- ring-run.cpp - Compile and run ring attention modules --------------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// ring-run FILE.mlir [--entry NAME] [--inputs q.npy,k.npy,v.npy]
//                    [--output out.npy] [--seed S] [--check] [--repeat R]
//                    [--grad [--dout do.npy] [--grad-outputs dq,dk,dv.npy]]
//                    [--json] [--ranks N] [--backend threads|mpi|gpu|nccl]
//                    [--link-gbps G] [--link-latency-us U] [--trace FILE]
//                    [--chip sm_XX]
//
// Lowers a ring-level module with ring-lower-cpu, or ring-lower-nvvm for the
// GPU backends (or takes one already lowered), JIT-compiles the host code
// (GPU kernels travel embedded in it), scatters global random or
// .npy inputs over the ranks by the sequence layout, runs the entry point on
// every rank of a backend from the runtime's registry, gathers the output
// back into natural order, and with --check compares it with a float64
// reference written independently of the compiler. With --grad it runs the
// training step instead (the forward and the gradients of sum(dout * out)),
// and checks the gradients too.
//
//===----------------------------------------------------------------------===//

#include "CompiledObject.h"
#include "Diagnostics.h"
#include "EntryPoint.h"
#include "ModuleLoader.h"
#include "Options.h"
#include "ShardedOperands.h"
#include "Summary.h"

#include "RingAttn/ExecutionEngine/HostCompiler.h"
#include "RingAttn/Pipelines/Pipelines.h"
#include "RingAttn/Runtime/BackendRegistry.h"
#include "RingAttn/Runtime/DeviceOperands.h"
#include "RingAttn/Runtime/EntryCall.h"
#include "RingAttn/Runtime/GpuBackend.h"
#include "RingAttn/Runtime/ThreadsBackend.h"
#include "RingAttn/Support/BlockPlacement.h"
#include "RingAttn/Support/HostTensor.h"
#include "RingAttn/Support/ReferenceAttention.h"
#include "RingAttn/Support/SequenceSharding.h"

#include "mlir/ExecutionEngine/CRunnerUtils.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"

#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Support/xxhash.h"

#if RINGATTN_HAVE_MPI
#include "RingAttn/Runtime/MpiBackend.h"
#endif

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <sys/resource.h>
#include <thread>
#include <unistd.h>

using namespace mlir;
using namespace ringattn;
using llvm::createStringError;
using llvm::Error;
using llvm::Expected;

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
  case ElementType::I32: // never an entry's activations
    break;
  }
  return 0;
}

/// Prints `message` as the one line docs/Tools.md promises for every error,
/// whatever line breaks a library put in it.
/// The relative error --check accepts for the gradients: f32 as the
/// forward; inputs of 16 bits are read by f32 kernels but the gradients are
/// rounded to 16 bits once, and sums of many such products lose more than
/// the output (docs/Tools.md).
static double defaultGradientTolerance(ElementType type) {
  return type == ElementType::F32 ? defaultTolerance(type) : 2e-2;
}

static int fail(const llvm::Twine &message) {
  llvm::errs() << "ring-run: error: " << oneLine(message.str()) << "\n";
  return 1;
}

static int fail(Error error) { return fail(toString(std::move(error))); }

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

/// Fails unless the float64 reference of --check (q, k, v, the output and
/// the expected output as doubles) fits in memory; checked before the runs,
/// so that a check that cannot be made fails at once, with a message.
static Error checkReferenceFits(const EntryPoint &entry) {
  auto elements = [](const std::vector<int64_t> &shape) {
    double n = 1;
    for (int64_t d : shape)
      n *= static_cast<double>(d);
    return n;
  };
  // q, out and the expected out; with --grad also dout and the expected
  // and actual dq, dk, dv.
  double queries = entry.training ? 7 : 3, kvs = entry.training ? 6 : 2;
  double bytes = 8 * (kvs * elements(entry.globalKVShape()) +
                      queries * elements(entry.globalQueryShape()));
  void *trial =
      bytes < 9e18 ? std::malloc(static_cast<size_t>(bytes)) : nullptr;
  std::free(trial);
  if (trial)
    return Error::success();
  return createStringError(
      llvm::formatv("--check needs {0:f1} GiB for its float64 reference, "
                    "more memory than is available",
                    bytes / (1ull << 30))
          .str());
}

/// Random sinks, uniform in [-1, 3): against scores of about +-1, a sink
/// then takes from a row anywhere between little and most of its weight.
/// `values` receives them for the reference.
static void drawSinks(HostTensor &sinks, std::mt19937_64 &rng,
                      std::vector<double> &values) {
  std::uniform_real_distribution<float> uniform(-1.0f, 3.0f);
  auto *data = static_cast<float *>(sinks.data());
  for (int64_t h = 0, e = sinks.numElements(); h < e; ++h)
    data[h] = uniform(rng);
  values = sinks.toDouble();
}

/// The element-wise sum, in f32 in rank order, of the ranks' f32 parts
/// (their sinks' gradients).
static HostTensor sumOfParts(const std::vector<HostTensor> &parts) {
  HostTensor sum;
  std::string error;
  // A few floats per head: an allocation that cannot fail in practice.
  (void)sum.allocate("dsinks", ElementType::F32, parts.front().shape(), error);
  auto *total = static_cast<float *>(sum.data());
  for (const HostTensor &part : parts) {
    const auto *values = static_cast<const float *>(part.data());
    for (int64_t i = 0, e = sum.numElements(); i < e; ++i)
      total[i] += values[i];
  }
  return sum;
}

static Error toError(bool ok, const std::string &error) {
  return ok ? Error::success() : createStringError(error);
}

/// A memref descriptor as the C interface lays it out for any rank up to 4:
/// the pointers and offset, then the rank's sizes, then its strides.
struct MemRefDescriptor {
  void *allocated, *aligned;
  int64_t offset;
  int64_t sizesThenStrides[8];
};

/// A descriptor of `tensor`'s shape over `data` (its host storage, or a
/// device copy of it).
static MemRefDescriptor describe(HostTensor &tensor, void *data) {
  MemRefDescriptor desc;
  desc.allocated = desc.aligned = data;
  desc.offset = 0;
  const std::vector<int64_t> &shape = tensor.shape();
  const int rank = static_cast<int>(shape.size());
  int64_t stride = 1;
  for (int i = rank - 1; i >= 0; --i) {
    desc.sizesThenStrides[i] = shape[i];
    desc.sizesThenStrides[rank + i] = stride;
    stride *= shape[i];
  }
  return desc;
}

/// The shards' host memory, as a backend moves it.
static std::vector<runtime::ShardBuffer>
shardBuffers(std::vector<HostTensor> &shards) {
  std::vector<runtime::ShardBuffer> buffers;
  for (HostTensor &shard : shards)
    buffers.push_back({shard.data(), shard.sizeInBytes()});
  return buffers;
}

/// Every backend this build has, in the order errors list them.
static runtime::BackendRegistry registerBackends() {
  runtime::BackendRegistry registry;
  runtime::registerThreadsBackend(registry);
#if RINGATTN_HAVE_MPI
  runtime::registerMpiBackends(registry);
#endif
  runtime::registerOneGpuBackend(registry);
  return registry;
}

namespace {

/// One ring-run job: the steps of main, and what they hand each other.
/// Under MPI every process runs every step, and a step that fails on some
/// processes only must end the job on all of them (everyProcessOk).
class RingRun {
public:
  RingRun(const RunOptions &cli, const runtime::BackendRegistry &backends);

  /// Runs the steps in order; the process's exit status.
  int run(int &argc, char **&argv);

private:
  // The steps, in the order run() takes them.
  Error startProcessBackend(int &argc, char **&argv);
  Error loadEntryPoint();
  Error startBackend();
  Error agreeOnModule();
  Error prepareOperands();
  Error shardOperands();
  Error compileOnRoot();
  Error loadOnEveryProcess();
  Error bindOperands();
  Error runRepeatedly();
  Error collectOutput();
  int checkAndReport();
  /// checkAndReport for a sharded model entry: its results against
  /// --expected.
  int checkAndReportModel();
  /// The options a sharded model entry takes, or an error naming the one
  /// it does not (and the attention entries' refusal of its options).
  Error checkEntryOptions() const;

  /// True when every process's step succeeded; otherwise the lowest failing
  /// process prints its error (once per job, not once per process) and
  /// every process returns false.
  bool everyProcessOk(Error error);
  /// Runs `step`, work of this process alone, while the other processes
  /// hear that it is alive: their deadlines bound silence, not a slow
  /// compile.
  Error workAlone(Error (RingRun::*step)());
  /// The shards of `global` this process holds: every rank's on the root,
  /// the ranks' it runs elsewhere.
  Error shardsOf(HostTensor &global, const std::string &operand, bool kv,
                 std::vector<HostTensor> &shards);
  /// A copy of `value` (the root's; null elsewhere, or for a result) for
  /// every rank this process holds: the root all of them, the others the
  /// ranks they run.
  Error copiesOf(const HostTensor *value, ElementType type, int64_t size,
                 const std::string &operand, std::vector<HostTensor> &copies);
  /// The documents' starts, on the root: --documents, or seeded random.
  Error prepareDocuments(std::mt19937_64 &rng);
  /// The block placement, on the root: --placement, or balanced for the
  /// run's mask and documents.
  Error preparePlacement();
  /// Whether `files` files fit the entry for `option`: a fourth (`what`)
  /// exactly when the entry has sinks (for --grad-outputs, optional).
  Error sinksFileMatches(StringRef option, StringRef what, size_t files) const;
  std::vector<int64_t> operandShape(bool global, bool kv) const;
  /// An input every rank gets a copy of (the root's value): sinks,
  /// document starts, a placement.
  struct ReplicatedInput {
    const char *name;
    HostTensor &value;
    std::vector<HostTensor> &copies;
  };
  /// The replicated inputs the entry takes, in the order of its C
  /// interface. Each is copied, scattered and passed from this one list.
  std::vector<ReplicatedInput> replicatedInputs();
  std::vector<HostTensor *> entryOperands(int r);
  /// How many of entryOperands are inputs (the rest are results).
  size_t inputCount() const;
  /// What every MPI process must agree on: the module text, the entry and
  /// the options that change what runs.
  uint64_t fingerprint() const;
  enum class FaultMoment { Compile, Run };
  /// --fault-rank's misbehaviour at `moment`: when the ring runs, a process
  /// that dies or a rank that stalls far past the timeout (its peers must
  /// give up on it); while it compiles, a process that works that long
  /// (slow-start: alive, its peers must wait).
  void injectFault(FaultMoment moment) const;

  const RunOptions &cli;
  const runtime::BackendRegistry &backends;
  std::unique_ptr<runtime::Backend> backend;

  MLIRContext context;
  llvm::SourceMgr sourceMgr;
  SourceMgrDiagnosticHandler diagHandler;
  FirstErrorHandler diagnostics;
  OwningOpRef<ModuleOp> module;
  EntryPoint entry;
  /// A sharded model entry's operands; null for an attention entry.
  std::unique_ptr<ShardedOperands> model;
  int ranks = 1;

  HostTensor q, k, v, out;
  std::vector<HostTensor> qShards, kShards, vShards, outShards;
  // The training step's: dout in, the gradients out.
  HostTensor dout, dq, dk, dv;
  std::vector<HostTensor> doutShards, dqShards, dkShards, dvShards;
  // With sinks: the same sinks on every rank, and each rank's gradient of
  // them over its rows (their sum is the gradient).
  HostTensor sinks, dsinks;
  std::vector<HostTensor> sinksCopies, dsinksParts;
  // With documents: their starts, the same on every rank.
  HostTensor documents;
  std::vector<HostTensor> documentCopies;
  // With a block placement: the blocks, the same on every rank.
  HostTensor placement;
  std::vector<HostTensor> placementCopies;

  std::string cacheKey, object;
  const char *objectSource = "compiled";
  std::unique_ptr<LoadedObject> loaded;
  /// The C interface: a pointer to each operand's descriptor, 4 of them
  /// for the forward, 8 for a training step, up to 12 with sinks,
  /// documents and a placement, and a model's arguments and results.
  static constexpr size_t kMaxOperands = runtime::kMaxEntryOperands;
  void *entryFunction = nullptr;
  size_t operandCount = 0; // the C interface's, one per descriptor
  std::chrono::steady_clock::time_point compileStart;
  double compileSeconds = 0;

  /// The C interface takes every operand as a pointer to its descriptor.
  struct RankArgs {
    MemRefDescriptor descriptors[kMaxOperands];
    void *pointers[kMaxOperands];
  };
  std::vector<RankArgs> rankArgs;
  std::vector<runtime::DeviceOperands> deviceOperands;

  runtime::RunReport report;
  std::vector<double> times;
  double runMemoryMiB = 0;
};

} // namespace

static DialectRegistry dialects() {
  DialectRegistry registry;
  ring::registerPipelineDialects(registry);
  return registry;
}

// Warnings and remarks print with their source line; errors are caught by
// `diagnostics` (registered last, so asked first) and end in fail().
RingRun::RingRun(const RunOptions &cli,
                 const runtime::BackendRegistry &backends)
    : cli(cli), backends(backends), context(dialects()),
      diagHandler(sourceMgr, &context), diagnostics(&context) {}

int RingRun::run(int &argc, char **&argv) {
  // The process backend (which owns MPI) comes first, so that every later
  // step can end the job on every process.
  if (!everyProcessOk(startProcessBackend(argc, argv)) ||
      !everyProcessOk(workAlone(&RingRun::loadEntryPoint)) ||
      !everyProcessOk(startBackend()) || !everyProcessOk(agreeOnModule()) ||
      !everyProcessOk(workAlone(&RingRun::prepareOperands)) ||
      !everyProcessOk(workAlone(&RingRun::shardOperands)))
    return 1;
  if (model) {
    for (std::vector<HostTensor> *parts : model->argumentParts())
      backend->scatter(shardBuffers(*parts));
  } else {
    backend->scatter(shardBuffers(qShards));
    backend->scatter(shardBuffers(kShards));
    backend->scatter(shardBuffers(vShards));
    if (entry.training)
      backend->scatter(shardBuffers(doutShards));
    for (const ReplicatedInput &input : replicatedInputs())
      backend->scatter(shardBuffers(input.copies));
  }
  if (!everyProcessOk(workAlone(&RingRun::compileOnRoot)) ||
      !everyProcessOk(loadOnEveryProcess()))
    return 1;
  // From here on a failure is this process's alone: the backends end the
  // job on a failed ring themselves.
  if (Error error = bindOperands())
    return fail(std::move(error));
  if (Error error = runRepeatedly())
    return fail(std::move(error));
  if (Error error = collectOutput())
    return fail(std::move(error));
  if (!backend->isRoot())
    return 0; // the root checks and reports
  return model ? checkAndReportModel() : checkAndReport();
}

bool RingRun::everyProcessOk(Error error) {
  std::string message;
  bool ok = true;
  llvm::handleAllErrors(std::move(error), [&](const llvm::ErrorInfoBase &e) {
    ok = false;
    message = e.message();
  });
  int first = backend ? backend->firstFailure(ok) : (ok ? -1 : 0);
  if (first >= 0 && first == (backend ? backend->processRank() : 0))
    fail(message);
  return first < 0;
}

Error RingRun::workAlone(Error (RingRun::*step)()) {
  std::unique_ptr<runtime::Heartbeat> beating =
      backend ? backend->beatWhileWorking() : nullptr;
  return (this->*step)();
}

Error RingRun::startProcessBackend(int &argc, char **&argv) {
  if (!cli.underMpi())
    return Error::success();
  runtime::BackendOptions options;
  options.timeoutSeconds = cli.timeoutSeconds;
  options.argc = &argc;
  options.argv = &argv;
  std::string error;
  backend = backends.create(cli.backend, options, error);
  return toError(backend != nullptr, error);
}

Error RingRun::loadEntryPoint() {
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  Expected<OwningOpRef<ModuleOp>> loadedModule =
      loadModule(context, sourceMgr, diagnostics, cli);
  if (!loadedModule)
    return loadedModule.takeError();
  module = std::move(*loadedModule);
  std::string error;
  if (findEntryPoint(*module, cli.entryName, cli.grad, entry, error))
    return checkEntryOptions();
  // Not an attention entry: a sharded model entry, if there is one.
  ShardedEntry sharded;
  bool found = false;
  std::string shardedError;
  if (!findShardedEntry(*module, cli.entryName, sharded, found, shardedError))
    return createStringError(cli.inputFile + ": " +
                             (found ? shardedError : error));
  entry.name = sharded.name;
  entry.ranks = static_cast<int>(sharded.abi.ranks);
  model = std::make_unique<ShardedOperands>(std::move(sharded));
  return checkEntryOptions();
}

static std::string typeString(mlir::Type type) {
  std::string text;
  llvm::raw_string_ostream os(text);
  type.print(os);
  return text;
}

Error RingRun::checkEntryOptions() const {
  std::string at = "@" + entry.name;
  if (!model) {
    if (!cli.arguments.empty() || !cli.expected.empty())
      return createStringError("--arguments and --expected are options of "
                               "sharded model entries; " +
                               at + " is an attention entry (--inputs)");
    if (size_t outputs = splitFileList(cli.outputFile).size(); outputs > 1)
      return createStringError("--output names " + std::to_string(outputs) +
                               " files but " + at +
                               " has one output (--grad-outputs writes the "
                               "gradients)");
    return Error::success();
  }
  if (cli.grad || !cli.inputs.empty() || !cli.documents.empty() ||
      (!cli.placement.empty() && cli.placement != "balanced"))
    return createStringError(
        "--grad, --inputs, --documents and --placement are options of "
        "attention entries; " +
        at + " is a sharded model entry (--arguments)");
  const mlir::ring::ShardedEntryABI &abi = model->entry().abi;
  if (model->operandCount() > kMaxOperands)
    return createStringError(at + " takes " +
                             std::to_string(model->operandCount()) +
                             " arguments and results; ring-run calls "
                             "entries of at most " +
                             std::to_string(kMaxOperands));
  for (const auto &operand :
       llvm::concat<const mlir::ring::ShardedEntryABI::Operand>(abi.arguments,
                                                                abi.results))
    if (operand.global.getRank() > 4)
      return createStringError(at + " has an operand of type " +
                               typeString(operand.global) +
                               "; ring-run passes tensors of rank 0 to 4");
  size_t expected = splitFileList(cli.expected).size();
  if (cli.check && expected == 0)
    return createStringError("--check on a sharded model entry compares "
                             "with --expected (ring-run has no reference "
                             "of its own for " +
                             at + ")");
  if (expected && expected != abi.results.size())
    return createStringError("--expected names " + std::to_string(expected) +
                             " files but " + at + " has " +
                             std::to_string(abi.results.size()) + " results");
  size_t outputs = splitFileList(cli.outputFile).size();
  if (outputs && outputs != abi.results.size())
    return createStringError("--output names " + std::to_string(outputs) +
                             " files but " + at + " has " +
                             std::to_string(abi.results.size()) + " results");
  return Error::success();
}

/// The in-process backend comes once the entry says how many ranks it was
/// compiled for (--ranks may say otherwise, and is then refused).
Error RingRun::startBackend() {
  if (!backend) {
    runtime::BackendOptions options;
    options.ranks = cli.ranks ? cli.ranks : entry.ranks;
    options.link = {cli.linkGbps, cli.linkLatencyUs};
    options.timeoutSeconds = cli.timeoutSeconds;
    options.dropTransfers = cli.noCommunication;
    std::string error;
    backend = backends.create(cli.backend, options, error);
    if (!backend)
      return createStringError(error);
  }
  ranks = backend->ranks();
  if (cli.underMpi() && cli.ranks && cli.ranks != ranks)
    return createStringError("--ranks is " + std::to_string(cli.ranks) +
                             " but mpirun started " + std::to_string(ranks) +
                             " processes");
  if (ranks != entry.ranks)
    return createStringError(
        "@" + entry.name + " was compiled for " +
        (entry.ranks == 1
             ? std::string("one device")
             : "a ring of " + std::to_string(entry.ranks) + " ranks") +
        " but " +
        (cli.underMpi()
             ? "mpirun started " + std::to_string(ranks) + " processes"
             : "--ranks is " + std::to_string(ranks)));
  // Before the JIT: loading the compiled module loads its kernels.
  std::string why;
  if (backend->onGpu() && !runtime::gpuAvailable(why))
    return createStringError("--backend " + cli.backend +
                             " needs a GPU: " + why);
  return Error::success();
}

uint64_t RingRun::fingerprint() const {
  std::string key =
      entry.name + "|" + cli.chip + "|" + std::to_string(cli.queryTile) + "|" +
      std::to_string(cli.keyTile) + "|" + cli.targetCpu + "|" +
      cli.targetFeatures + "|" + std::to_string(cli.seed) + "|" + cli.inputs +
      "|" + cli.arguments + "|" + cli.dout + "|" + std::to_string(cli.grad) +
      "|" + sourceMgr.getMemoryBuffer(1)->getBuffer().str();
  return llvm::xxh3_64bits(key);
}

Error RingRun::agreeOnModule() {
  std::string error;
  return toError(backend->agree(fingerprint(), error), error);
}

std::vector<int64_t> RingRun::operandShape(bool global, bool kv) const {
  if (!global)
    return kv ? entry.kvShape : entry.queryShape;
  return kv ? entry.globalKVShape() : entry.globalQueryShape();
}

/// The root holds the global operands: read from --inputs, or random. Their
/// sizes come from the user's module, so memory that is not there is an
/// error naming the operand, like any other.
Error RingRun::prepareOperands() {
  bool root = backend->isRoot();
  if (model) {
    std::mt19937_64 rng(cli.seed);
    return root ? model->prepare(splitFileList(cli.arguments), rng)
                : Error::success();
  }
  std::string error;
  if (!q.allocate("q", entry.elementType, operandShape(root, false), error) ||
      !k.allocate("k", entry.elementType, operandShape(root, true), error) ||
      !v.allocate("v", entry.elementType, operandShape(root, true), error) ||
      !out.allocate("the output", entry.elementType, operandShape(root, false),
                    error))
    return createStringError(error);
  if (entry.training &&
      (!dout.allocate("dout", entry.elementType, operandShape(root, false),
                      error) ||
       !dq.allocate("dq", entry.elementType, operandShape(root, false),
                    error) ||
       !dk.allocate("dk", entry.elementType, operandShape(root, true), error) ||
       !dv.allocate("dv", entry.elementType, operandShape(root, true), error)))
    return createStringError(error);
  if (entry.hasSinks && !sinks.allocate("sinks", ElementType::F32,
                                        {entry.shape.queryHeads}, error))
    return createStringError(error);
  if (entry.documentSlots && !documents.allocate("documents", ElementType::I32,
                                                 {entry.documentSlots}, error))
    return createStringError(error);
  if (entry.placementSlots &&
      !placement.allocate("placement", ElementType::I32, {entry.placementSlots},
                          error))
    return createStringError(error);
  if (!root)
    return Error::success();
  if (cli.check)
    if (Error tooBig = checkReferenceFits(entry))
      return tooBig;
  // The same seed gives the same q, k, v with or without --grad; dout
  // comes after them.
  std::mt19937_64 rng(cli.seed);
  if (cli.inputs.empty()) {
    q.fillRandom(rng);
    k.fillRandom(rng);
    v.fillRandom(rng);
  }
  if (entry.training) {
    if (cli.dout.empty())
      dout.fillRandom(rng);
    else if (!dout.load(cli.dout, error))
      return createStringError(error);
  }
  if (!cli.gradOutputs.empty())
    if (Error error =
            sinksFileMatches("--grad-outputs", "dsinks",
                             StringRef(cli.gradOutputs).count(',') + 1))
      return error;
  if (Error error = prepareDocuments(rng))
    return error;
  if (Error error = preparePlacement())
    return error;
  if (cli.inputs.empty()) {
    if (entry.hasSinks)
      drawSinks(sinks, rng, entry.mask.sinks);
    return Error::success();
  }
  SmallVector<StringRef> paths; // three or four, as parseRunOptions checked
  StringRef(cli.inputs).split(paths, ',');
  if (Error error = sinksFileMatches("--inputs", "sinks", paths.size()))
    return error;
  HostTensor *operands[] = {&q, &k, &v, &sinks};
  for (size_t i = 0; i < paths.size(); ++i)
    if (!operands[i]->load(paths[i].str(), error))
      return createStringError(error);
  if (entry.hasSinks)
    entry.mask.sinks = sinks.toDouble();
  if (entry.elementType == ElementType::BF16)
    llvm::errs() << "ring-run: note: the bf16 kernel reads float32 .npy "
                    "files, rounded to bf16\n";
  return Error::success();
}

Error RingRun::shardsOf(HostTensor &global, const std::string &operand, bool kv,
                        std::vector<HostTensor> &shards) {
  std::string error;
  return toError(
      shardsForProcess(
          backend->isRoot() ? &global : nullptr, entry.tokenPlacement(), ranks,
          entry.elementType, operandShape(false, kv),
          [&](int r) { return backend->runsRank(r); }, operand, shards, error),
      error);
}

/// Each rank's shard of the sequence: the root splits the global operands,
/// the other processes make room for the ranks they run.
Error RingRun::shardOperands() {
  if (model)
    return model->partition(backend->isRoot(),
                            [&](int r) { return backend->runsRank(r); });
  if (Error error = shardsOf(q, "q", false, qShards))
    return error;
  if (Error error = shardsOf(k, "k", true, kShards))
    return error;
  if (Error error = shardsOf(v, "v", true, vShards))
    return error;
  if (entry.training) {
    struct {
      HostTensor &global;
      const char *name;
      bool kv;
      std::vector<HostTensor> &shards;
    } trainingOperands[] = {{dout, "dout", false, doutShards},
                            {dq, "dq", false, dqShards},
                            {dk, "dk", true, dkShards},
                            {dv, "dv", true, dvShards}};
    for (auto &operand : trainingOperands)
      if (Error error = shardsOf(operand.global, operand.name, operand.kv,
                                 operand.shards))
        return error;
  }
  for (const ReplicatedInput &input : replicatedInputs())
    if (Error error = copiesOf(backend->isRoot() ? &input.value : nullptr,
                               input.value.type(), input.value.numElements(),
                               input.name, input.copies))
      return error;
  if (entry.training && entry.hasSinks)
    if (Error error = copiesOf(nullptr, ElementType::F32,
                               entry.shape.queryHeads, "dsinks", dsinksParts))
      return error;
  return shardsOf(out, "the output", false, outShards);
}

/// Parses "0,17,40" into `values`; false with `error` naming `option` and
/// the item that is not a `what` (an integer from 0 to 2^31 - 1).
static bool parseIntegers(StringRef option, StringRef what, StringRef list,
                          std::vector<int64_t> &values, std::string &error) {
  SmallVector<StringRef> items;
  list.split(items, ',');
  for (StringRef item : items) {
    int64_t value;
    if (item.trim().getAsInteger(10, value) || value < 0 ||
        value > std::numeric_limits<int32_t>::max()) {
      error = (option + ": '" + item + "' is not a " + what +
               " (an integer from 0 to 2^31 - 1)")
                  .str();
      return false;
    }
    values.push_back(value);
  }
  return true;
}

/// The integers `option` gives: an int32 .npy, read into `tensor` (whose
/// shape the entry fixed), or a comma-separated list of `what`s.
static Error readIntegers(StringRef option, StringRef what, StringRef value,
                          HostTensor &tensor, std::vector<int64_t> &values) {
  std::string error;
  if (value.ends_with(".npy")) {
    if (!tensor.load(value.str(), error))
      return createStringError(error);
    for (double integer : tensor.toDouble())
      values.push_back(static_cast<int64_t>(integer));
    return Error::success();
  }
  if (!parseIntegers(option, what, value, values, error))
    return createStringError(error);
  return Error::success();
}

Error RingRun::prepareDocuments(std::mt19937_64 &rng) {
  if (!entry.documentSlots) {
    if (cli.documents.empty())
      return Error::success();
    return createStringError("@" + entry.name +
                             " packs no documents; --documents applies to "
                             "entries with documents(...)");
  }
  const int64_t slots = entry.documentSlots, tokens = entry.shape.queryLen;
  std::vector<int64_t> starts;
  if (cli.documents.empty()) {
    // Uniform starts: documents of every length, one token included.
    std::uniform_int_distribution<int64_t> position(0, tokens - 1);
    for (int64_t i = 0; i < slots; ++i)
      starts.push_back(position(rng));
  } else {
    if (Error error = readIntegers("--documents", "position", cli.documents,
                                   documents, starts))
      return error;
    if (static_cast<int64_t>(starts.size()) > slots)
      return createStringError(
          "--documents lists " + std::to_string(starts.size()) +
          " starts but @" + entry.name + " takes at most " +
          std::to_string(slots) + " (documents(... : tensor<" +
          std::to_string(slots) + "xi32>))");
    // Unused slots start documents past the end, which hold no token.
    starts.resize(slots, tokens);
  }
  std::sort(starts.begin(), starts.end());
  auto *data = static_cast<int32_t *>(documents.data());
  for (int64_t i = 0; i < slots; ++i)
    data[i] = static_cast<int32_t>(starts[i]);
  entry.mask.documentStarts = starts;
  return Error::success();
}

Error RingRun::preparePlacement() {
  if (!entry.placementSlots) {
    if (cli.placement.empty())
      return Error::success();
    return createStringError("@" + entry.name +
                             " has no block placement; --placement applies "
                             "to entries with placement(...)");
  }
  const int64_t slots = entry.placementSlots;
  const int64_t localLength = entry.queryShape[2];
  std::vector<int32_t> &blocks = entry.placement;
  if (cli.placement.empty() || cli.placement == "balanced") {
    std::string shape = placementShapeError(slots, ranks, localLength);
    if (!shape.empty()) // a hand-edited ring.abi
      return createStringError("@" + entry.name + "'s placement: " + shape);
    // Balanced for what the kernels will see: the padding past the true
    // length does no work.
    AttentionMask work = entry.mask;
    work.length = entry.shape.queryLen;
    blocks = balancedPlacement(work, ranks, localLength, slots / ranks);
  } else {
    std::vector<int64_t> listed;
    if (Error error = readIntegers("--placement", "block", cli.placement,
                                   placement, listed))
      return error;
    blocks.assign(listed.begin(), listed.end());
  }
  if (static_cast<int64_t>(blocks.size()) != slots)
    return createStringError(
        "--placement lists " + std::to_string(blocks.size()) + " blocks but @" +
        entry.name + " takes " + std::to_string(slots) +
        " (placement(... : tensor<" + std::to_string(slots) + "xi32>))");
  std::string wrong = placementError(blocks, ranks, localLength);
  if (!wrong.empty())
    return createStringError("--placement: " + wrong);
  std::copy(blocks.begin(), blocks.end(),
            static_cast<int32_t *>(placement.data()));
  return Error::success();
}

Error RingRun::sinksFileMatches(StringRef option, StringRef what,
                                size_t files) const {
  bool optional = option == "--grad-outputs";
  if (files == 4 && !entry.hasSinks)
    return createStringError("@" + entry.name + " has no sinks; " + option +
                             " takes three files");
  if (files == 3 && entry.hasSinks && !optional)
    return createStringError("@" + entry.name + " takes sinks; " + option +
                             " needs a fourth file, " + what + ".npy");
  return Error::success();
}

Error RingRun::copiesOf(const HostTensor *value, ElementType type, int64_t size,
                        const std::string &operand,
                        std::vector<HostTensor> &copies) {
  copies.clear();
  copies.resize(ranks);
  std::string error;
  for (int r = 0; r < ranks; ++r) {
    bool held = backend->isRoot() || backend->runsRank(r);
    std::vector<int64_t> shape = {held ? size : 0};
    if (!copies[r].allocate(operand + " of rank " + std::to_string(r), type,
                            shape, error))
      return createStringError(error);
    if (value && held)
      std::memcpy(copies[r].data(), value->data(), value->sizeInBytes());
  }
  return Error::success();
}

/// The root compiles, or finds the object in --cache-dir; a damaged or
/// stale cache entry is compiled over, not fatal.
Error RingRun::compileOnRoot() {
  compileStart = std::chrono::steady_clock::now();
  if (backend->processRank() == cli.faultRank)
    injectFault(FaultMoment::Compile);
  if (Error error = checkHostCanRun(*module))
    return error;
  cacheKey = objectCacheKey(*module);
  if (!backend->isRoot())
    return Error::success();
  std::string symbol = "_mlir_ciface_" + entry.name;
  void *function = nullptr;
  auto compileAndLoad = [&](bool readCache) -> Error {
    Expected<std::string> compiled = objectFor(
        *module, cacheKey, cli.cacheDir, readCache, diagnostics, objectSource);
    if (!compiled)
      return compiled.takeError();
    object = std::move(*compiled);
    auto entryObject = LoadedObject::loadEntry(object, symbol, function);
    if (!entryObject)
      return entryObject.takeError();
    loaded = std::move(*entryObject);
    return Error::success();
  };
  Error error = compileAndLoad(/*readCache=*/true);
  if (error && StringRef(objectSource) == "cache") {
    llvm::errs() << "ring-run: warning: ignoring the cached object: "
                 << toString(std::move(error)) << "\n";
    error = compileAndLoad(/*readCache=*/false);
  }
  entryFunction = function;
  return error;
}

/// The other processes load what the root compiled, unless their own
/// lowering came out different (another CPU): they compile their own.
Error RingRun::loadOnEveryProcess() {
  std::string rootKey = cacheKey;
  backend->shareObject(rootKey, object);
  if (!backend->isRoot()) {
    if (rootKey != cacheKey) {
      std::unique_ptr<runtime::Heartbeat> beating = backend->beatWhileWorking();
      Expected<std::string> own =
          objectFor(*module, cacheKey, cli.cacheDir, /*readCache=*/true,
                    diagnostics, objectSource);
      if (!own)
        return own.takeError();
      object = std::move(*own);
    }
    void *function = nullptr;
    auto entryObject =
        LoadedObject::loadEntry(object, "_mlir_ciface_" + entry.name, function);
    if (!entryObject)
      return entryObject.takeError();
    loaded = std::move(*entryObject);
    entryFunction = function;
  }
  compileSeconds = std::chrono::duration<double>(
                       std::chrono::steady_clock::now() - compileStart)
                       .count();
  return Error::success();
}

/// The operands of rank `r`'s entry in the order of its C interface:
/// (q, k, v) -> out, or (q, k, v, dout) -> (out, dq, dk, dv) for a training
/// step, with sinks, documents and a placement after v and the sinks'
/// gradient after dv. The results follow
/// the inputs.
std::vector<RingRun::ReplicatedInput> RingRun::replicatedInputs() {
  std::vector<ReplicatedInput> inputs;
  if (entry.hasSinks)
    inputs.push_back({"sinks", sinks, sinksCopies});
  if (entry.documentSlots)
    inputs.push_back({"documents", documents, documentCopies});
  if (entry.placementSlots)
    inputs.push_back({"placement", placement, placementCopies});
  return inputs;
}

size_t RingRun::inputCount() const {
  return model ? model->entry().abi.arguments.size() : entry.inputCount();
}

std::vector<HostTensor *> RingRun::entryOperands(int r) {
  if (model)
    return model->rankOperands(r);
  std::vector<HostTensor *> operands = {&qShards[r], &kShards[r], &vShards[r]};
  for (const ReplicatedInput &input : replicatedInputs())
    operands.push_back(&input.copies[r]);
  if (entry.training)
    operands.push_back(&doutShards[r]);
  operands.push_back(&outShards[r]);
  if (entry.training)
    operands.insert(operands.end(), {&dqShards[r], &dkShards[r], &dvShards[r]});
  if (entry.training && entry.hasSinks)
    operands.push_back(&dsinksParts[r]);
  return operands;
}

/// Points each rank's descriptors at its shards, staged in device memory
/// first on the GPU backends.
Error RingRun::bindOperands() {
  rankArgs.resize(ranks);
  deviceOperands =
      std::vector<runtime::DeviceOperands>(backend->onGpu() ? ranks : 0);
  std::string error;
  for (int r = 0; r < ranks; ++r) {
    if (!backend->runsRank(r))
      continue;
    std::vector<HostTensor *> operands = entryOperands(r);
    assert(operands.size() <= kMaxOperands && "the C interface's operands");
    if (backend->onGpu() &&
        !deviceOperands[r].stage(operands, inputCount(), error))
      return createStringError("staging rank " + std::to_string(r) +
                               "'s operands on the GPU: " + error);
    operandCount = operands.size();
    for (size_t i = 0; i < operands.size(); ++i) {
      rankArgs[r].descriptors[i] =
          describe(*operands[i], backend->onGpu() ? deviceOperands[r].data(i)
                                                  : operands[i]->data());
      rankArgs[r].pointers[i] = &rankArgs[r].descriptors[i];
    }
  }
  return Error::success();
}

void RingRun::injectFault(FaultMoment moment) const {
  if ((cli.fault == "slow-start") != (moment == FaultMoment::Compile))
    return;
  if (cli.fault == "exit") {
    std::fprintf(stderr, "ring-run: fault injection: rank %d exits\n",
                 cli.faultRank);
    std::_Exit(3);
  }
  std::this_thread::sleep_for(
      std::chrono::duration<double>(4 * cli.timeoutSeconds + 1));
}

/// --repeat timed runs; the last one traces with --trace. What the ranks
/// allocate while they run is the peak RSS after the runs minus the
/// resident memory before them (operands and JIT already counted).
Error RingRun::runRepeatedly() {
  double memoryBeforeMiB = currentMemoryMiB();
  unsigned runs = std::max(1u, cli.repeat);
  for (unsigned r = 0; r < runs; ++r) {
    double seconds = 0;
    report = backend->run(
        [&](int rank) {
          if (rank == cli.faultRank)
            injectFault(FaultMoment::Run);
          runtime::callEntry(entryFunction, operandCount,
                             rankArgs[rank].pointers);
        },
        !cli.traceFile.empty() && r + 1 == runs, seconds);
    times.push_back(seconds);
    if (!report.ok)
      return createStringError("the ring failed: " +
                               describeRingFailure(report));
  }
  std::sort(times.begin(), times.end());
  runMemoryMiB = std::max(0.0, peakMemoryMiB() - memoryBeforeMiB);
  return Error::success();
}

/// Brings every rank's results to the root (from the GPU first), then ends
/// the job's communication.
Error RingRun::collectOutput() {
  std::string error;
  for (int r = 0; r < ranks && backend->onGpu(); ++r) {
    if (!backend->runsRank(r))
      continue;
    std::vector<HostTensor *> operands = entryOperands(r);
    for (size_t i = inputCount(); i < operands.size(); ++i)
      if (!deviceOperands[r].fetch(i, *operands[i], error))
        return createStringError("fetching rank " + std::to_string(r) +
                                 "'s results from the GPU: " + error);
  }
  if (model) {
    for (std::vector<HostTensor> *parts : model->resultParts())
      backend->gather(shardBuffers(*parts));
    backend->finish();
    return Error::success();
  }
  backend->gather(shardBuffers(outShards));
  if (entry.training) {
    backend->gather(shardBuffers(dqShards));
    backend->gather(shardBuffers(dkShards));
    backend->gather(shardBuffers(dvShards));
    if (entry.hasSinks)
      backend->gather(shardBuffers(dsinksParts));
  }
  backend->finish();
  return Error::success();
}

/// On the root: the output back in natural order, written where asked,
/// checked against the float64 reference with --check, and summarized.
int RingRun::checkAndReport() {
  // A ring of one took the global tensors themselves, unless it pads them
  // or places their blocks.
  if (ranks == 1 && qShards[0].shape() == entry.globalQueryShape() &&
      entry.placement.empty()) {
    q = std::move(qShards[0]);
    k = std::move(kShards[0]);
    v = std::move(vShards[0]);
    out = std::move(outShards[0]);
    if (entry.training) {
      dout = std::move(doutShards[0]);
      dq = std::move(dqShards[0]);
      dk = std::move(dkShards[0]);
      dv = std::move(dvShards[0]);
    }
  } else {
    SequencePlacement tokens = entry.tokenPlacement();
    gatherSequence(outShards, tokens, out);
    if (entry.training) {
      gatherSequence(dqShards, tokens, dq);
      gatherSequence(dkShards, tokens, dk);
      gatherSequence(dvShards, tokens, dv);
    }
  }
  std::string error;
  if (!cli.traceFile.empty() &&
      !runtime::writeChromeTrace(cli.traceFile, report.spans, error))
    return fail(error);
  if (!cli.outputFile.empty() && !out.save(cli.outputFile, error))
    return fail(error);
  if (!cli.gradOutputs.empty()) {
    SmallVector<StringRef> paths; // three or four, as checked
    StringRef(cli.gradOutputs).split(paths, ',');
    if (paths.size() == 4)
      dsinks = sumOfParts(dsinksParts);
    HostTensor *grads[] = {&dq, &dk, &dv, &dsinks};
    for (size_t i = 0; i < paths.size(); ++i)
      if (!grads[i]->save(paths[i].str(), error))
        return fail(error);
  }

  ErrorStats stats;
  double tolerance =
      cli.tolerance >= 0 ? cli.tolerance : defaultTolerance(entry.elementType);
  bool passed = true;
  if (cli.check) {
    std::vector<double> expected =
        referenceAttention(entry.shape, q.toDouble(), k.toDouble(),
                           v.toDouble(), entry.scale, entry.mask);
    stats = compare(out.toDouble(), expected);
    passed = stats.finite && stats.relative <= tolerance;
  }
  std::vector<GradientCheck> gradChecks;
  double gradTolerance = cli.tolerance >= 0
                             ? cli.tolerance
                             : defaultGradientTolerance(entry.elementType);
  if (cli.check && entry.training) {
    AttentionGradients expected = referenceAttentionGradients(
        entry.shape, q.toDouble(), k.toDouble(), v.toDouble(), dout.toDouble(),
        entry.scale, entry.mask);
    gradChecks = {{"dq", compare(dq.toDouble(), expected.dq)},
                  {"dk", compare(dk.toDouble(), expected.dk)},
                  {"dv", compare(dv.toDouble(), expected.dv)}};
    if (entry.hasSinks)
      gradChecks.push_back(
          {"dsinks",
           compare(sumOfParts(dsinksParts).toDouble(), expected.dsinks)});
    for (GradientCheck &check : gradChecks) {
      check.passed =
          check.stats.finite && check.stats.relative <= gradTolerance;
      passed = passed && check.passed;
    }
  }
  Summary summary{entry,        report,       times,           compileSeconds,
                  objectSource, runMemoryMiB, peakMemoryMiB(), cli.check,
                  stats,        tolerance,    passed,          gradChecks,
                  gradTolerance};
  printSummary(llvm::outs(), summary, ranks, cli);
  return passed ? 0 : 1;
}

/// On the root: the results joined, written where asked, and compared with
/// --expected under --check.
int RingRun::checkAndReportModel() {
  if (Error error = model->joinResults())
    return fail(std::move(error));
  std::string error;
  if (!cli.traceFile.empty() &&
      !runtime::writeChromeTrace(cli.traceFile, report.spans, error))
    return fail(error);
  const std::vector<HostTensor> &results = model->results();
  std::vector<std::string> outputFiles = splitFileList(cli.outputFile);
  for (auto [result, path] : llvm::zip(results, outputFiles))
    if (!result.save(path, error))
      return fail(error);
  double tolerance =
      cli.tolerance >= 0 ? cli.tolerance : defaultTolerance(results[0].type());
  std::vector<std::string> names;
  std::vector<GradientCheck> checks;
  std::vector<std::string> expectedFiles = splitFileList(cli.expected);
  for (size_t i = 0; cli.check && i < results.size(); ++i) {
    HostTensor expected;
    std::string name = "result #" + std::to_string(i);
    if (!expected.allocate(name + " of --expected", ElementType::F32,
                           results[i].shape(), error) ||
        !expected.load(expectedFiles[i], error))
      return fail("--expected " + expectedFiles[i] + ": " + error);
    names.push_back(name);
    ErrorStats stats = compare(results[i].toDouble(), expected.toDouble());
    checks.push_back(
        {nullptr, stats, stats.finite && stats.relative <= tolerance});
  }
  bool passed = true;
  for (size_t i = 0; i < checks.size(); ++i) {
    checks[i].name = names[i].c_str();
    passed = passed && checks[i].passed;
  }
  ModelSummary summary{entry.name,      report, times,    compileSeconds,
                       peakMemoryMiB(), checks, tolerance};
  printModelSummary(llvm::outs(), summary, ranks, cli);
  return passed ? 0 : 1;
}

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  runtime::BackendRegistry backends = registerBackends();
  RunOptions cli;
  if (Error error = parseRunOptions(argc, argv, backends.list(), cli))
    return fail(std::move(error));
  RingRun job(cli, backends);
  return job.run(argc, argv);
}
