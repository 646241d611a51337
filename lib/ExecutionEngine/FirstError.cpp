//===- FirstError.cpp - A compile's first error, on one line --------------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception

#include "RingAttn/ExecutionEngine/FirstError.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Location.h"
#include "mlir/IR/MLIRContext.h"

#include "llvm/ADT/StringExtras.h"

using namespace mlir;

namespace ringattn {

/// `FILE:LINE:COL: ` of `loc`. Passes wrap positions in fused, call-site or
/// named locations; the first file position inside is the one to show.
static std::string filePosition(Location loc) {
  auto file = loc->findInstanceOf<FileLineColRange>();
  if (!file)
    return "";
  return (file.getFilename().getValue() + ":" +
          llvm::Twine(file.getStartLine()) + ":" +
          llvm::Twine(file.getStartColumn()) + ": ")
      .str();
}

FirstErrorHandler::FirstErrorHandler(MLIRContext *context)
    : ScopedDiagnosticHandler(context) {
  setHandler([this](Diagnostic &diagnostic) -> LogicalResult {
    if (diagnostic.getSeverity() != DiagnosticSeverity::Error)
      return failure();
    if (!hasError()) {
      where_ = filePosition(diagnostic.getLocation());
      message_ = oneLine(diagnostic.str());
      if (message_.empty())
        message_ = "error";
    }
    return success();
  });
}

std::string FirstErrorHandler::explain(const std::string &what) const {
  return hasError() ? what + ": " + where_ + message_ : what;
}

std::string oneLine(llvm::StringRef text) {
  std::string line;
  for (llvm::StringRef part : llvm::split(text, '\n')) {
    part = part.trim();
    if (part.empty())
      continue;
    if (!line.empty())
      line += ' ';
    line += part;
  }
  return line;
}

} // namespace ringattn
