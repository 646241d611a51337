//===- FirstError.h - A compile's first error, on one line ------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// MLIR reports a failed parse, verifier or pass as diagnostics with source
// excerpts, notes and attached IR. The tools and the C API that compile
// ring modules (ring-run, ringattnCompileModule) report one line instead:
// the first error, with its file position.
//
//===----------------------------------------------------------------------===//

#ifndef RINGATTN_EXECUTIONENGINE_FIRSTERROR_H
#define RINGATTN_EXECUTIONENGINE_FIRSTERROR_H

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
  /// `what`, then `: FILE:LINE:COL: <message>` if there was an error.
  std::string explain(const std::string &what) const;

private:
  std::string where_, message_;
};

/// `text` on one line: every line break, with the blanks around it, becomes
/// one space.
std::string oneLine(llvm::StringRef text);

} // namespace ringattn

#endif // RINGATTN_EXECUTIONENGINE_FIRSTERROR_H
