//===- Options.cpp - ring-run's command line ------------------------------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception

#include "Options.h"

#include "Diagnostics.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <unistd.h>
#include <vector>

namespace ringattn {
namespace {

namespace cl = llvm::cl;

cl::OptionCategory category("ring-run options");
cl::opt<std::string> inputFile(cl::Positional, cl::desc("<module.mlir>"),
                               cl::Required, cl::cat(category));
cl::opt<std::string> entryName("entry",
                               cl::desc("Attention entry point to run "
                                        "(default: the only one)"),
                               cl::cat(category));
cl::opt<std::string>
    inputsOpt("inputs",
              cl::desc("q.npy,k.npy,v.npy holding the operands, and "
                       "sinks.npy for an entry with sinks (default: seeded "
                       "random values)"),
              cl::cat(category));
cl::opt<std::string> argumentsOpt(
    "arguments",
    cl::desc("For a sharded model entry (ring.sharded_abi): one .npy per "
             "argument, whole (default: seeded random values)"),
    cl::cat(category));
cl::opt<std::string> expectedOpt(
    "expected",
    cl::desc("For a sharded model entry: one .npy per result, whole, that "
             "--check compares with (ring-run has no reference of its own "
             "for a model)"),
    cl::cat(category));
cl::opt<std::string> outputFile("output",
                                cl::desc("Write the result as .npy (a "
                                         "model entry: one file per result)"),
                                cl::cat(category));
cl::opt<bool> grad("grad",
                   cl::desc("Run the training step: the forward, then the "
                            "gradients dq, dk, dv of sum(dout * out) (the "
                            "entry's training step, added for a forward "
                            "entry)"),
                   cl::cat(category));
cl::opt<std::string> documentsOpt(
    "documents",
    cl::desc("For an entry with packed documents: their start positions, as "
             "a comma-separated list (0,17,40) or an int32 .npy (default: "
             "seeded random starts)"),
    cl::cat(category));
cl::opt<std::string> placementOpt(
    "placement",
    cl::desc("For an entry with a block placement: the global blocks each "
             "rank holds, rank 0's first, as a comma-separated list "
             "(3,0,1,2) or an int32 .npy, or 'balanced' (the default: "
             "balanced for the run's mask and documents)"),
    cl::cat(category));
cl::opt<std::string> doutOpt("dout",
                             cl::desc("With --grad: dout.npy, the gradient "
                                      "of the output (default: seeded random "
                                      "values)"),
                             cl::cat(category));
cl::opt<std::string>
    gradOutputs("grad-outputs",
                cl::desc("With --grad: dq.npy,dk.npy,dv.npy to write the "
                         "gradients to, in natural order, and dsinks.npy for "
                         "an entry with sinks (summed over the ranks)"),
                cl::cat(category));
cl::opt<uint64_t> seed("seed", cl::desc("Seed of the random inputs"),
                       cl::init(0), cl::cat(category));
cl::opt<bool> check("check",
                    cl::desc("Compare with the float64 reference; exit "
                             "1 above the element type's tolerance"),
                    cl::cat(category));
cl::opt<double> toleranceOpt(
    "tolerance",
    cl::desc("Relative-error tolerance for --check (default: per dtype)"),
    cl::init(-1.0), cl::cat(category));
cl::opt<unsigned> repeat("repeat", cl::desc("Timed runs"), cl::init(1),
                         cl::cat(category));
cl::opt<bool> json("json", cl::desc("Print one JSON summary line"),
                   cl::cat(category));
cl::opt<int>
    ranksOpt("ranks",
             cl::desc("Ranks to run on (default: the ring size the module was "
                      "compiled for; 1 for single-device attention)"),
             cl::init(0), cl::cat(category));
cl::opt<std::string>
    backend("backend",
            cl::desc("Where the ranks run: threads (N ranks in this "
                     "process), mpi (one rank per process, under "
                     "mpirun), gpu (N ranks sharing this process's GPU) "
                     "or nccl (one rank and GPU per process, under "
                     "mpirun)"),
            cl::init("threads"), cl::cat(category));
cl::opt<double> linkGbps(
    "link-gbps",
    cl::desc("Emulated link bandwidth in Gbit/s (threads; 0: memcpy speed)"),
    cl::init(0), cl::cat(category));
cl::opt<double> linkLatencyUs("link-latency-us",
                              cl::desc("Emulated link latency in us"),
                              cl::init(0), cl::cat(category));
cl::opt<double> timeoutSeconds(
    "timeout-s",
    cl::desc("Seconds a rank waits for a peer before the run fails"),
    cl::init(60), cl::cat(category));
cl::opt<bool> noCommunication(
    "no-communication",
    cl::desc("Benchmarks only: shifts synchronize but move nothing, timing "
             "the schedule without communication (wrong results; no --check)"),
    cl::cat(category));
// Fault injection, for the tests of the fault paths.
cl::opt<int> faultRank("fault-rank", cl::desc("Rank that misbehaves (testing)"),
                       cl::init(-1), cl::Hidden, cl::cat(category));
cl::opt<std::string>
    faultKind("fault",
              cl::desc("stall (never starts computing), exit "
                       "(dies before computing) or slow-start (its process "
                       "compiles for 4 timeouts, alive)"),
              cl::init("stall"), cl::Hidden, cl::cat(category));
cl::opt<std::string>
    traceFile("trace",
              cl::desc("Write a Chrome trace (Perfetto) of the last run"),
              cl::cat(category));
cl::opt<std::string> chip(
    "chip",
    cl::desc("GPU the gpu and nccl backends compile for (ring-lower-nvvm's "
             "chip: sm_90 for H100/H200; the default sm_80 also runs on "
             "newer GPUs through its embedded PTX)"),
    cl::init("sm_80"), cl::cat(category));
cl::opt<int64_t>
    queryTile("query-tile",
              cl::desc("ring-lower-cpu query tile (0: chosen for the CPU)"),
              cl::init(0), cl::cat(category));
cl::opt<int64_t>
    keyTile("key-tile",
            cl::desc("ring-lower-cpu key tile (0: chosen for the CPU)"),
            cl::init(0), cl::cat(category));
cl::opt<std::string> targetCpu(
    "target-cpu",
    cl::desc("CPU to compile for, as LLVM names it (x86-64-v3 for AVX2, "
             "x86-64-v4 for AVX-512); default: this machine's"),
    cl::init(""), cl::cat(category));
cl::opt<std::string>
    targetFeatures("target-features",
                   cl::desc("+feature/-feature changes to the CPU's features "
                            "(+avx2,-avx512f)"),
                   cl::init(""), cl::cat(category));

cl::opt<std::string> cacheDir(
    "cache-dir",
    cl::desc("Keep compiled objects in this directory, keyed by the lowered "
             "module, the CPU and LLVM: a later run of the same module loads "
             "the object instead of compiling (default: $RINGATTN_CACHE_DIR; "
             "unset: no cache)"),
    cl::init(""), cl::cat(category));

/// Whether a file can be created at `path`: its directory exists and is
/// writable. Checked before the run, so a bad path costs no compile or run.
bool canCreate(const std::string &path) {
  llvm::StringRef dir = llvm::sys::path::parent_path(path);
  return ::access(dir.empty() ? "." : dir.str().c_str(), W_OK) == 0;
}

/// The checks no single option can make: values in range, and options that
/// only some backends take.
std::string checkValues(const RunOptions &o, bool toleranceGiven) {
  if (toleranceGiven && !(std::isfinite(o.tolerance) && o.tolerance >= 0))
    return "--tolerance must be a finite number >= 0 (got " +
           std::to_string(o.tolerance) + ")";
  if (o.repeat < 1)
    return "--repeat must be at least 1";
  if (o.ranks < 0)
    return "--ranks must be positive (got " + std::to_string(o.ranks) + ")";
  if (!(std::isfinite(o.timeoutSeconds) && o.timeoutSeconds > 0))
    return "--timeout-s must be a positive number of seconds";
  if (!(std::isfinite(o.linkGbps) && o.linkGbps >= 0) ||
      !(std::isfinite(o.linkLatencyUs) && o.linkLatencyUs >= 0))
    return "--link-gbps and --link-latency-us must be finite and >= 0";
  if (o.queryTile < 0 || o.keyTile < 0)
    return "--query-tile and --key-tile must be >= 0 (0: chosen for the CPU)";
  // A fourth file holds the sinks (or receives their gradient) of an entry
  // that has them, which ring-run checks once it has read the entry.
  size_t inputFiles = llvm::StringRef(o.inputs).count(',') + 1;
  if (!o.inputs.empty() && inputFiles != 3 && inputFiles != 4)
    return "--inputs takes three comma-separated files (q,k,v), or four "
           "with sinks (q,k,v,sinks), got " +
           std::to_string(inputFiles);
  if (!o.grad && (!o.dout.empty() || !o.gradOutputs.empty()))
    return "--dout and --grad-outputs need --grad";
  size_t gradFiles = llvm::StringRef(o.gradOutputs).count(',') + 1;
  if (!o.gradOutputs.empty() && gradFiles != 3 && gradFiles != 4)
    return "--grad-outputs takes three comma-separated files (dq,dk,dv), or "
           "four with sinks (dq,dk,dv,dsinks), got " +
           std::to_string(gradFiles);
  if (o.noCommunication && o.grad && !o.gradOutputs.empty())
    return "--no-communication gives wrong results by design; it cannot be "
           "combined with --grad-outputs";
  if (o.fault != "stall" && o.fault != "exit" && o.fault != "slow-start")
    return "--fault must be stall, exit or slow-start (got '" + o.fault + "')";
  if (o.noCommunication && (o.check || !o.outputFile.empty()))
    return "--no-communication gives wrong results by design; it cannot be "
           "combined with --check or --output";
  if (o.backend != "threads" && (o.linkGbps > 0 || o.linkLatencyUs > 0))
    return "--link-gbps and --link-latency-us emulate an interconnect on the "
           "threads backend only";
  if (o.underMpi() && (o.noCommunication || !o.traceFile.empty()))
    return "--no-communication and --trace are options of the threads and "
           "gpu backends";
  if (!o.cacheDir.empty() && ::access(o.cacheDir.c_str(), W_OK) != 0)
    return "--cache-dir " + o.cacheDir + " does not exist or is not writable";
  for (auto [option, list] : {std::pair{"--output", &o.outputFile},
                              std::pair{"--grad-outputs", &o.gradOutputs}}) {
    if (list->empty())
      continue;
    llvm::SmallVector<llvm::StringRef> paths;
    llvm::StringRef(*list).split(paths, ',');
    for (llvm::StringRef path : paths)
      if (!canCreate(path.str()))
        return std::string("cannot write ") + option + " " + path.str() +
               ": its directory does not exist or is not writable";
  }
  if (!o.traceFile.empty() && !canCreate(o.traceFile))
    return "cannot write --trace " + o.traceFile +
           ": its directory does not exist or is not writable";
  return "";
}

/// Runs `parse` with an error stream and captures what it writes there and
/// to stderr in `text`: LLVM reports a bad option value (`--repeat abc`) on
/// llvm::errs() even when given a stream, and ring-run owes one line.
bool withStderrCaptured(std::string &text,
                        llvm::function_ref<bool(llvm::raw_ostream &)> parse) {
  llvm::raw_string_ostream errs(text);
  std::FILE *capture = std::tmpfile();
  int saved = capture ? ::dup(STDERR_FILENO) : -1;
  if (saved < 0)
    return parse(errs); // cannot capture: LLVM's own lines reach stderr
  llvm::errs().flush();
  ::dup2(::fileno(capture), STDERR_FILENO);
  bool ok = parse(errs);
  llvm::errs().flush();
  ::dup2(saved, STDERR_FILENO);
  ::close(saved);
  std::rewind(capture);
  char buffer[1024];
  for (size_t n; (n = std::fread(buffer, 1, sizeof buffer, capture)) > 0;)
    errs << llvm::StringRef(buffer, n);
  std::fclose(capture);
  return ok;
}

/// The first of LLVM's parse errors (and its "Did you mean" hint), without
/// the `argv0: ` LLVM puts before each line: ring-run's fail() adds its own.
std::string firstParseError(llvm::StringRef errors, llvm::StringRef argv0) {
  llvm::SmallVector<llvm::StringRef> lines;
  errors.trim().split(lines, '\n', -1, /*KeepEmpty=*/false);
  std::string first;
  for (llvm::StringRef line : lines) {
    line.consume_front(argv0);
    line.consume_front(": ");
    line = line.trim();
    if (first.empty())
      first = line.str();
    else if (line.starts_with("Did you mean"))
      first += " " + line.str();
  }
  return first.empty() ? "invalid command line" : first;
}

/// Unregisters every option that is not ring-run's own, except LLVM's
/// --help and --version. libLLVM registers options for its backends and
/// passes in the same registry; they are not ring-run's to take, and some
/// end the process on a bad value (`-sve-tail-folding=x` aborts in
/// report_fatal_error, with stderr captured: found by the options fuzzer).
void keepOnlyRingRunOptions() {
  static bool done = false;
  if (done)
    return;
  done = true;
  std::vector<cl::Option *> foreign;
  for (auto &entry : cl::getRegisteredOptions()) {
    llvm::StringRef name = entry.first;
    cl::Option *option = entry.second;
    if (llvm::is_contained(option->Categories, &category) || name == "h" ||
        name.starts_with("help") || name == "version")
      continue;
    foreign.push_back(option);
  }
  for (cl::Option *option : foreign)
    option->removeArgument();
}

/// The registry's entry for `name`, or an error listing what there is.
llvm::Expected<runtime::BackendInfo>
findBackend(const std::vector<runtime::BackendInfo> &backends,
            const std::string &name) {
  std::string names;
  for (const runtime::BackendInfo &info : backends) {
    if (info.name == name)
      return info;
    names += (names.empty() ? "" : ", ") + info.name;
  }
  return llvm::createStringError("--backend '" + name +
                                 "' is not available in this build "
                                 "(available: " +
                                 names + ")");
}

} // namespace

llvm::Error parseRunOptions(int argc, const char *const *argv,
                            const std::vector<runtime::BackendInfo> &backends,
                            RunOptions &options) {
  // LLVM would read `@FILE` arguments as response files, whatever FILE is
  // (`@/dev/zero` never ends); ring-run takes its options on the line.
  for (int i = 1; i < argc; ++i)
    if (argv[i][0] == '@')
      return llvm::createStringError(
          std::string("response files are not supported (argument '") +
          argv[i] + "')");
  keepOnlyRingRunOptions();
  cl::ResetAllOptionOccurrences();
  cl::HideUnrelatedOptions(category);
  std::string parseErrors;
  bool parsed = withStderrCaptured(parseErrors, [&](llvm::raw_ostream &errs) {
    return cl::ParseCommandLineOptions(argc, argv, "RingAttn module runner\n",
                                       &errs);
  });
  if (!parsed)
    return llvm::createStringError(
        firstParseError(parseErrors, llvm::sys::path::filename(argv[0])));
  options = RunOptions();
  options.inputFile = inputFile;
  options.entryName = entryName;
  options.inputs = inputsOpt;
  options.arguments = argumentsOpt;
  options.expected = expectedOpt;
  options.outputFile = outputFile;
  options.grad = grad;
  options.dout = doutOpt;
  options.documents = documentsOpt;
  options.placement = placementOpt;
  options.gradOutputs = gradOutputs;
  options.seed = seed;
  options.check = check;
  options.tolerance = toleranceOpt;
  options.repeat = repeat;
  options.json = json;
  options.ranks = ranksOpt;
  options.backend = backend;
  llvm::Expected<runtime::BackendInfo> info = findBackend(backends, backend);
  if (!info)
    return info.takeError();
  options.backendInfo = *info;
  options.linkGbps = linkGbps;
  options.linkLatencyUs = linkLatencyUs;
  options.timeoutSeconds = timeoutSeconds;
  options.noCommunication = noCommunication;
  options.faultRank = faultRank;
  options.fault = faultKind;
  options.traceFile = traceFile;
  options.chip = chip;
  options.queryTile = queryTile;
  options.keyTile = keyTile;
  options.targetCpu = targetCpu;
  options.targetFeatures = targetFeatures;
  options.cacheDir = cacheDir;
  if (const char *fromEnvironment = std::getenv("RINGATTN_CACHE_DIR");
      options.cacheDir.empty() && fromEnvironment)
    options.cacheDir = fromEnvironment;
  std::string error =
      checkValues(options, toleranceOpt.getNumOccurrences() > 0);
  return error.empty() ? llvm::Error::success()
                       : llvm::createStringError(error);
}

} // namespace ringattn
