//===- Format.h - printf into a std::string ---------------------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// Internal to the runtime: its messages are printf-shaped ("rank %d: ...").
//
//===----------------------------------------------------------------------===//

#ifndef RINGATTN_LIB_RUNTIME_FORMAT_H
#define RINGATTN_LIB_RUNTIME_FORMAT_H

#include <string>

namespace ringattn {
namespace runtime {

std::string formatString(const char *format, ...)
    __attribute__((format(printf, 1, 2)));

} // namespace runtime
} // namespace ringattn

#endif // RINGATTN_LIB_RUNTIME_FORMAT_H
