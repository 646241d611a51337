//===- Diagnostics.h - ring-run's errors, one line each ---------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// Every ring-run error is one line, `ring-run: error: ...` (docs/Tools.md).
// MLIR reports a failed parse, verifier or pass as diagnostics with source
// excerpts, notes and attached IR, and the ring as one report per rank; these
// helpers reduce each to one line.
//
//===----------------------------------------------------------------------===//

#ifndef RINGATTN_TOOLS_RINGRUN_DIAGNOSTICS_H
#define RINGATTN_TOOLS_RINGRUN_DIAGNOSTICS_H

#include "RingAttn/Runtime/RunReport.h"

#include "mlir/IR/Diagnostics.h"

#include <string>

namespace ringattn {

/// Keeps the first error diagnostic reported in a context while it lives,
/// as its file position and its message; later errors and the notes of every
/// error (attached IR included) are dropped. Warnings and remarks go on to
/// the handlers registered before this one.
class FirstErrorHandler : public mlir::ScopedDiagnosticHandler {
public:
  explicit FirstErrorHandler(mlir::MLIRContext *context);

  bool hasError() const { return !message_.empty(); }
  /// `FILE:LINE:COL: ` of the first error, or "" when its location has no
  /// file position.
  const std::string &where() const { return where_; }
  /// Its message, on one line.
  const std::string &message() const { return message_; }

private:
  std::string where_, message_;
};

/// `text` on one line: every line break, with the blanks around it, becomes
/// one space.
std::string oneLine(llvm::StringRef text);

/// A failed ring run on one line: the first error, then the errors of other
/// ranks that failed on their own, then the ranks that stopped because of
/// the first (their messages only repeat it).
std::string describeRingFailure(const runtime::RunReport &report);

} // namespace ringattn

#endif // RINGATTN_TOOLS_RINGRUN_DIAGNOSTICS_H
