//===- GpuTestMain.cpp - main() for the GPU runtime tests -----------------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// The GPU runtime loads the CUDA driver and NCCL once per process, from the
// environment. Each GPU test executable is built for one environment (the
// machine's own libraries, none, or the test doubles) and sets it here,
// before any test runs.
//
//===----------------------------------------------------------------------===//

#include <gtest/gtest.h>

#include <cstdlib>

int main(int argc, char **argv) {
#ifdef RINGATTN_TEST_CUDA_DRIVER
  setenv("RINGATTN_CUDA_DRIVER", RINGATTN_TEST_CUDA_DRIVER, 1);
#endif
#ifdef RINGATTN_TEST_NCCL_LIBRARY
  setenv("RINGATTN_NCCL_LIBRARY", RINGATTN_TEST_NCCL_LIBRARY, 1);
#endif
  testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
