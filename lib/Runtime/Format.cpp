//===- Format.cpp - printf into a std::string -----------------------------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception

#include "Format.h"

#include <cstdarg>
#include <cstdio>

namespace ringattn {
namespace runtime {

std::string formatString(const char *format, ...) {
  va_list args;
  va_start(args, format);
  va_list sizing;
  va_copy(sizing, args);
  int length = std::vsnprintf(nullptr, 0, format, sizing);
  va_end(sizing);
  std::string text(length > 0 ? length : 0, '\0');
  std::vsnprintf(&text[0], text.size() + 1, format, args);
  va_end(args);
  return text;
}

} // namespace runtime
} // namespace ringattn
