//===- Diagnostics.h - ring-run's errors, one line each ---------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// Every ring-run error is one line, `ring-run: error: ...` (docs/Tools.md).
// A compile's diagnostics become one line with FirstErrorHandler
// (RingAttn/ExecutionEngine/FirstError.h); the ring's report, one per rank,
// with describeRingFailure.
//
//===----------------------------------------------------------------------===//

#ifndef RINGATTN_TOOLS_RINGRUN_DIAGNOSTICS_H
#define RINGATTN_TOOLS_RINGRUN_DIAGNOSTICS_H

#include "RingAttn/ExecutionEngine/FirstError.h"
#include "RingAttn/Runtime/RunReport.h"

#include <string>

namespace ringattn {

/// A failed ring run on one line: the first error, then the errors of other
/// ranks that failed on their own, then the ranks that stopped because of
/// the first (their messages only repeat it).
std::string describeRingFailure(const runtime::RunReport &report);

} // namespace ringattn

#endif // RINGATTN_TOOLS_RINGRUN_DIAGNOSTICS_H
