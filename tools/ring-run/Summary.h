//===- Summary.h - What ring-run prints after the runs ----------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// The summary of one ring-run invocation: timing, memory, per-rank balance
// and the check, as text or as one JSON line (docs/Tools.md lists the keys).
//
//===----------------------------------------------------------------------===//

#ifndef RINGATTN_TOOLS_RINGRUN_SUMMARY_H
#define RINGATTN_TOOLS_RINGRUN_SUMMARY_H

#include "EntryPoint.h"
#include "Options.h"

#include "RingAttn/Runtime/RingRuntime.h"
#include "RingAttn/Runtime/RunReport.h"
#include "RingAttn/Support/ReferenceAttention.h"

#include "llvm/Support/raw_ostream.h"

#include <vector>

namespace ringattn {

/// One gradient of a training step against its float64 reference.
struct GradientCheck {
  const char *name;
  ErrorStats stats;
  bool passed = false;
};

/// What one ring-run invocation measured and checked.
struct Summary {
  const EntryPoint &entry;
  const runtime::RunReport &report; ///< of the last run
  const std::vector<double> &times; ///< sorted wall times of every run
  double compileSeconds;
  /// Where the root's compiled code came from: "compiled" or "cache".
  const char *objectSource;
  double runMemoryMiB;
  double peakMemoryMiB;
  bool checked;
  ErrorStats stats;
  double tolerance;
  bool passed;
  /// A training step's gradients (empty for the forward).
  std::vector<GradientCheck> gradChecks;
  double gradTolerance = 0;
};

/// Prints `summary` of a run on `ranks` ranks to `os`: text or, with
/// --json, one JSON line.
void printSummary(llvm::raw_ostream &os, const Summary &summary, int ranks,
                  const RunOptions &options);

/// A sharded model entry's run: its times, its ranks, and each result's
/// check against --expected.
struct ModelSummary {
  const std::string &entryName;
  const runtime::RunReport &report; ///< of the last run
  const std::vector<double> &times; ///< sorted wall times of every run
  double compileSeconds;
  double peakMemoryMiB;
  std::vector<GradientCheck> resultChecks; ///< empty without --check
  double tolerance;
};

void printModelSummary(llvm::raw_ostream &os, const ModelSummary &summary,
                       int ranks, const RunOptions &options);

} // namespace ringattn

#endif // RINGATTN_TOOLS_RINGRUN_SUMMARY_H
