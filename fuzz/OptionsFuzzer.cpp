//===- OptionsFuzzer.cpp - Fuzzing ring-run's command line ----------------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// The input is an argument list, NUL-separated, after argv[0] = "ring-run".
// parseRunOptions (tools/ring-run/Options.cpp) must accept it or explain it
// in one line; an accepted set of options must hold the values ring-run
// relies on (Options.cpp's checks). A broken contract traps.
//
// LLVM's command-line library ends the process on -h, --help*, --version and
// --print-* by design (it prints and exits): those options are unregistered
// here. Left out: @file response files (reading one is a file read the
// fuzzer cannot bound: `ring-run @/dev/zero` exhausts memory, reported).
//
//===----------------------------------------------------------------------===//

#include "Options.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/CommandLine.h"

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

using namespace ringattn;

namespace {

/// What a full build registers; the parser only reads the names and kinds.
const std::vector<runtime::BackendInfo> kBackends = {
    {"threads", "", /*onGpu=*/false, /*processPerRank=*/false},
    {"mpi", "", /*onGpu=*/false, /*processPerRank=*/true},
    {"gpu", "", /*onGpu=*/true, /*processPerRank=*/false},
    {"nccl", "", /*onGpu=*/true, /*processPerRank=*/true}};

void check(bool invariant) {
  if (!invariant)
    __builtin_trap();
}

/// Whether LLVM's parser would read a file on `arg` (a response file), or
/// exit on it: -h is an alias of --help that removeExitingOptions cannot
/// reach (it is not in the registered-options map), and LLVM matches it as
/// a prefix too (`-hxyz` prints the help), so every option beginning with h
/// is left out (ring-run has none). -h also groups after the one-letter
/// grouping option that LLVM's libraries register, -W: `--Wh`, `--WWh`
/// print the help as well (found by this fuzzer).
bool leftOut(const std::string &arg) {
  if (!arg.empty() && arg[0] == '@')
    return true;
  llvm::StringRef name = llvm::StringRef(arg).ltrim('-');
  return name.size() < arg.size() && name.ltrim('W').starts_with("h");
}

/// Unregisters the options on which LLVM's parser prints and exits
/// (--help and its variants, --version, --print-options...): they become
/// unknown options, which must be one-line errors like any other.
void removeExitingOptions() {
  std::vector<llvm::cl::Option *> exiting;
  for (auto &entry : llvm::cl::getRegisteredOptions()) {
    llvm::StringRef name = entry.first;
    if (name == "h" || name.starts_with("help") || name == "version" ||
        name.starts_with("print-"))
      exiting.push_back(entry.second);
  }
  for (llvm::cl::Option *option : exiting)
    option->removeArgument();
}

/// The input split at NULs into at most 64 arguments.
std::vector<std::string> arguments(const uint8_t *data, size_t size) {
  std::vector<std::string> args;
  std::string current;
  for (size_t i = 0; i < size && args.size() < 64; ++i) {
    if (data[i] != '\0') {
      current += static_cast<char>(data[i]);
      continue;
    }
    args.push_back(current);
    current.clear();
  }
  if (!current.empty() && args.size() < 64)
    args.push_back(current);
  return args;
}

void checkAccepted(const RunOptions &o) {
  check(o.repeat >= 1);
  check(o.tolerance == -1 || (std::isfinite(o.tolerance) && o.tolerance >= 0));
  check(std::isfinite(o.timeoutSeconds) && o.timeoutSeconds > 0);
  check(std::isfinite(o.linkGbps) && o.linkGbps >= 0);
  check(std::isfinite(o.linkLatencyUs) && o.linkLatencyUs >= 0);
  check(o.ranks >= 0 && o.queryTile >= 0 && o.keyTile >= 0);
  check(o.fault == "stall" || o.fault == "exit" || o.fault == "slow-start");
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int *, char ***) {
  removeExitingOptions();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::vector<std::string> args = arguments(data, size);
  std::vector<const char *> argv = {"ring-run"};
  for (const std::string &arg : args) {
    if (leftOut(arg))
      return -1; // not added to the corpus
    argv.push_back(arg.c_str());
  }
  RunOptions options;
  llvm::Error parsed = parseRunOptions(static_cast<int>(argv.size()),
                                       argv.data(), kBackends, options);
  if (!parsed) {
    checkAccepted(options);
    return 0;
  }
  std::string error = llvm::toString(std::move(parsed));
  // ring-run prints it after "ring-run: error: ": one line, not empty (an
  // argument that holds a newline may be quoted back with it).
  check(!error.empty());
  bool newlineGiven = false;
  for (const std::string &arg : args)
    newlineGiven |= arg.find('\n') != std::string::npos;
  check(newlineGiven || error.find('\n') == std::string::npos);
  return 0;
}
