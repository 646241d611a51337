//===- InProcessBackend.h - Every rank a thread of this process -*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// The threads and gpu backends: one process holds the global operands and
// runs every rank, so there is nothing to move between processes. They
// differ only in how they run the ranks.
//
//===----------------------------------------------------------------------===//

#ifndef RINGATTN_LIB_RUNTIME_INPROCESSBACKEND_H
#define RINGATTN_LIB_RUNTIME_INPROCESSBACKEND_H

#include "RingAttn/Runtime/Backend.h"

#include <functional>
#include <memory>

namespace ringattn {
namespace runtime {

/// Runs every rank once, with or without a trace.
using RunRanksFn =
    std::function<RunReport(bool trace, const std::function<void(int)> &body)>;

/// A backend of `ranks` ranks in this process, run by `runRanks`.
std::unique_ptr<Backend> makeInProcessBackend(BackendInfo info, int ranks,
                                              RunRanksFn runRanks);

} // namespace runtime
} // namespace ringattn

#endif // RINGATTN_LIB_RUNTIME_INPROCESSBACKEND_H
