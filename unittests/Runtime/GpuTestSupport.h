//===- GpuTestSupport.h - Helpers of the GPU runtime tests ------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception

#ifndef RINGATTN_UNITTESTS_RUNTIME_GPUTESTSUPPORT_H
#define RINGATTN_UNITTESTS_RUNTIME_GPUTESTSUPPORT_H

#include "GpuRuntimeWrappers.h"

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

/// Device allocations the fake driver holds now, and has made in all.
inline int liveDeviceAllocations() {
  return fakeControl<int (*)()>(RINGATTN_FAKE_CUDA_PATH,
                                "fakeCudaLiveAllocations")();
}
inline int deviceAllocationsMade() {
  return fakeControl<int (*)()>(RINGATTN_FAKE_CUDA_PATH,
                                "fakeCudaAllocationsMade")();
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

/// The fake driver's kernel `fill(float *dst, int64_t count, float value)`,
/// loaded through the mgpu wrappers (where a JIT loads it) for the life of
/// the object.
class FakeFillKernel {
public:
  FakeFillKernel() {
    char image[] = "FAKE cubin";
    module_ = mgpuModuleLoad(image, sizeof(image));
    function_ = module_ ? mgpuModuleGetFunction(module_, "fill") : nullptr;
    EXPECT_NE(function_, nullptr) << "the fake driver's fill kernel";
  }
  ~FakeFillKernel() {
    if (module_)
      mgpuModuleUnload(module_);
  }
  FakeFillKernel(const FakeFillKernel &) = delete;
  FakeFillKernel &operator=(const FakeFillKernel &) = delete;

  /// Sets `count` floats at `dst` to `value`, one thread each, on the
  /// calling rank's compute stream (the one mgpuStreamCreate returns). A
  /// launch that fails the rank leaves by longjmp: nothing here needs
  /// destroying.
  void launch(void *dst, int64_t count, float value) const {
    float *floats = static_cast<float *>(dst);
    void *params[] = {&floats, &count, &value};
    mgpuLaunchKernel(function_, 1, 1, 1, count, 1, 1, 0, mgpuStreamCreate(),
                     params, nullptr, 3);
  }

private:
  CUmod_st *module_ = nullptr;
  CUfunc_st *function_ = nullptr;
};

/// While it lives, kernels on the fake driver never finish: the stream a
/// kernel is launched on stalls, as behind a hung kernel.
class FakeHungKernels {
public:
  FakeHungKernels() { set(true); }
  ~FakeHungKernels() { set(false); }
  FakeHungKernels(const FakeHungKernels &) = delete;
  FakeHungKernels &operator=(const FakeHungKernels &) = delete;

private:
  static void set(bool hang) {
    if (auto control = fakeControl<void (*)(bool)>(RINGATTN_FAKE_CUDA_PATH,
                                                   "fakeCudaHangKernels"))
      control(hang);
  }
};

} // namespace testing
} // namespace ringattn

#endif // RINGATTN_UNITTESTS_RUNTIME_GPUTESTSUPPORT_H
