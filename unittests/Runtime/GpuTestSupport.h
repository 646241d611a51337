//===- GpuTestSupport.h - Helpers of the GPU runtime tests ------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception

#ifndef RINGATTN_UNITTESTS_RUNTIME_GPUTESTSUPPORT_H
#define RINGATTN_UNITTESTS_RUNTIME_GPUTESTSUPPORT_H

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <dlfcn.h>
#include <string>

namespace ringattn {
namespace testing {

/// A control function of a test double the runtime has already loaded.
template <typename Function>
Function fakeControl(const char *library, const char *name) {
  void *handle = dlopen(library, RTLD_NOW | RTLD_NOLOAD);
  EXPECT_NE(handle, nullptr) << library << " is not loaded";
  void *address = handle ? dlsym(handle, name) : nullptr;
  EXPECT_NE(address, nullptr) << name;
  return reinterpret_cast<Function>(address);
}

inline double secondsSince(std::chrono::steady_clock::time_point begin) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - begin)
      .count();
}

/// A fresh directory for files a test writes.
inline std::string temporaryDirectory() {
  char pattern[] = "/tmp/ringattn-gpu-test-XXXXXX";
  const char *made = mkdtemp(pattern);
  EXPECT_NE(made, nullptr);
  return made ? made : "/tmp";
}

} // namespace testing
} // namespace ringattn

#endif // RINGATTN_UNITTESTS_RUNTIME_GPUTESTSUPPORT_H
