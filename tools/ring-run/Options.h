//===- Options.h - ring-run's command line ----------------------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// ring-run's options, parsed and checked in one place before anything else
// runs: a bad option is an error before the module is read, compiled or run,
// on every process of an MPI job alike.
//
//===----------------------------------------------------------------------===//

#ifndef RINGATTN_TOOLS_RINGRUN_OPTIONS_H
#define RINGATTN_TOOLS_RINGRUN_OPTIONS_H

#include "RingAttn/Runtime/Backend.h"

#include "llvm/Support/Error.h"

#include <cstdint>
#include <string>
#include <vector>

namespace ringattn {

/// What ring-run was asked to do; docs/Tools.md describes each option.
struct RunOptions {
  std::string inputFile;
  std::string entryName;
  std::string inputs; ///< "q.npy,k.npy,v.npy", or empty for random operands
  std::string outputFile;
  /// A sharded model entry's arguments and expected results, one .npy each.
  std::string arguments, expected;
  /// Run the training step: the forward and its gradients.
  bool grad = false;
  std::string dout; ///< dO as .npy, or empty for seeded random values
  /// Document starts: a comma-separated list, an int32 .npy, or empty for
  /// seeded random starts (entries with documents).
  std::string documents;
  /// A block placement: "balanced" (the default), a comma-separated list
  /// of blocks, or an int32 .npy (entries with a placement).
  std::string placement;
  std::string gradOutputs; ///< "dq.npy,dk.npy,dv.npy", or empty
  uint64_t seed = 0;
  bool check = false;
  double tolerance = -1; ///< negative: the element type's default
  unsigned repeat = 1;
  bool json = false;
  int ranks = 0; ///< 0: the ring size the module was compiled for
  std::string backend = "threads";
  double linkGbps = 0, linkLatencyUs = 0;
  double timeoutSeconds = 60;
  bool noCommunication = false;
  int faultRank = -1;          ///< testing: the rank that misbehaves
  std::string fault = "stall"; ///< testing: stall, exit or slow-start
  std::string traceFile;
  std::string chip = "sm_80";
  int64_t queryTile = 0, keyTile = 0;
  std::string targetCpu, targetFeatures;
  std::string cacheDir; ///< keeps compiled objects; empty: no cache

  /// What the registry says of `backend`.
  runtime::BackendInfo backendInfo;

  /// Whether the ranks run on GPUs (the gpu and nccl backends).
  bool onGpu() const { return backendInfo.onGpu; }
  /// Whether each rank is a process of the job (the mpi and nccl backends).
  bool underMpi() const { return backendInfo.processPerRank; }
};

/// Parses argv into `options` and checks the values; --backend must name
/// one of `backends`. On failure the error is one line naming the option.
/// Parsing again resets every option first, so it may be called more than
/// once (the fuzzer does).
llvm::Error parseRunOptions(int argc, const char *const *argv,
                            const std::vector<runtime::BackendInfo> &backends,
                            RunOptions &options);

} // namespace ringattn

#endif // RINGATTN_TOOLS_RINGRUN_OPTIONS_H
