//===- GpuLoadingTest.cpp - Loading the driver and NCCL; bootstrap --------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// Runs in the machine's own environment: whatever libcuda and libnccl it has
// (none, a stub, or real ones). Loads libraries by explicit path, which does
// not touch the process-wide driver, and checks the unique id exchange.
//
//===----------------------------------------------------------------------===//

#include "CudaDriver.h"
#include "GpuTestSupport.h"
#include "NcclLibrary.h"
#include "RingAttn/Runtime/GpuBackend.h"
#include "RingAttn/Runtime/NcclBackend.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <thread>
#include <unistd.h>

using namespace ringattn::runtime;
using ringattn::testing::secondsSince;
using ringattn::testing::temporaryDirectory;
using ::testing::HasSubstr;

namespace {

bool fileExists(const char *path) { return access(path, F_OK) == 0; }

//===----------------------------------------------------------------------===//
// The CUDA driver
//===----------------------------------------------------------------------===//

TEST(CudaDriverLoading, MissingLibraryIsNamed) {
  std::string why;
  EXPECT_EQ(cuda::loadDriver("/nonexistent/libcuda.so.1", why), nullptr);
  EXPECT_THAT(why, HasSubstr("cannot load the CUDA driver "
                             "/nonexistent/libcuda.so.1: "));
  EXPECT_THAT(why, HasSubstr("a GPU backend needs an NVIDIA driver"));
}

TEST(CudaDriverLoading, LibraryWithoutTheApiIsNamed) {
  std::string why;
  EXPECT_EQ(cuda::loadDriver("libm.so.6", why), nullptr);
  EXPECT_THAT(why,
              HasSubstr("the CUDA driver libm.so.6 has no cuGetErrorName"));
}

TEST(CudaDriverLoading, TestDoubleResolvesEveryEntryPoint) {
  std::string why;
  std::unique_ptr<cuda::Driver> driver =
      cuda::loadDriver(RINGATTN_FAKE_CUDA_PATH, why);
  ASSERT_NE(driver, nullptr) << why;
#define CUDA_FUNCTION(Symbol, Parameters) EXPECT_NE(driver->Symbol, nullptr);
#include "CudaDriverFunctions.def"
}

// The toolkit's link stub exports every entry point and answers each with
// CUDA_ERROR_STUB_LIBRARY, cuGetErrorName included.
TEST(CudaDriverLoading, ToolkitStubLoadsButDoesNotInitialize) {
  const char *stub = "/usr/local/cuda/lib64/stubs/libcuda.so";
  if (!fileExists(stub))
    GTEST_SKIP() << stub << " is absent";
  std::string why;
  std::unique_ptr<cuda::Driver> driver = cuda::loadDriver(stub, why);
  ASSERT_NE(driver, nullptr) << why;
  cuda::CUresult result = driver->cuInit(0);
  EXPECT_EQ(result, cuda::CUDA_ERROR_STUB_LIBRARY);
  EXPECT_EQ(cuda::describe(driver.get(), result),
            "CUDA_ERROR_STUB_LIBRARY: CUDA driver is a stub library");
  char message[256];
  cuda::formatError(message, sizeof(message), driver.get(), "cuInit", result);
  EXPECT_STREQ(message, "CUDA error in cuInit: CUDA_ERROR_STUB_LIBRARY: CUDA "
                        "driver is a stub library");
}

TEST(CudaDriverLoading, UnknownResultsAreNumbered) {
  EXPECT_EQ(cuda::describe(nullptr, 12345), "CUresult 12345");
  char message[128];
  cuda::formatError(message, sizeof(message), nullptr, "cuFoo", 7);
  EXPECT_STREQ(message, "CUDA error in cuFoo: CUresult 7");
}

// Whatever the machine has, asking must not crash, and a "no" says why.
TEST(CudaDriverLoading, MachineDriverAnswersWithoutCrashing) {
  std::string why;
  bool available = gpuAvailable(why);
  if (fileExists("/dev/nvidiactl") && fileExists("/dev/nvidia0")) {
    EXPECT_TRUE(available) << why;
  }
  if (!available) {
    EXPECT_FALSE(why.empty());
    EXPECT_EQ(gpuDeviceName(), "");
  } else {
    EXPECT_NE(gpuDeviceName(), "");
  }
}

//===----------------------------------------------------------------------===//
// NCCL
//===----------------------------------------------------------------------===//

TEST(NcclLoading, MissingLibraryIsNamed) {
  std::string why;
  EXPECT_EQ(nccl::loadNccl("/nonexistent/libnccl.so.2", why), nullptr);
  EXPECT_THAT(why, HasSubstr("cannot load NCCL /nonexistent/libnccl.so.2: "));
}

TEST(NcclLoading, LibraryWithoutTheApiIsNamed) {
  std::string why;
  EXPECT_EQ(nccl::loadNccl("libm.so.6", why), nullptr);
  EXPECT_THAT(why, HasSubstr("NCCL at libm.so.6 has no ncclGetVersion"));
}

TEST(NcclLoading, ToolkitNcclResolvesEveryEntryPoint) {
  const char *path = "/usr/local/cuda/lib64/libnccl.so.2";
  if (!fileExists(path))
    GTEST_SKIP() << path << " is absent";
  std::string why;
  std::unique_ptr<nccl::NcclLibrary> library = nccl::loadNccl(path, why);
  ASSERT_NE(library, nullptr) << why;
#define NCCL_FUNCTION(Return, Symbol, Parameters)                              \
  EXPECT_NE(library->Symbol, nullptr);
#include "NcclFunctions.def"
  EXPECT_GE(library->version, nccl::minimumVersion);
  EXPECT_STREQ(library->ncclGetErrorString(nccl::ncclInProgress),
               "NCCL operation in progress");
}

TEST(NcclLoading, TooOldIsRefused) {
  std::string why;
  std::unique_ptr<nccl::NcclLibrary> library =
      nccl::loadNccl(RINGATTN_FAKE_NCCL_PATH, why);
  ASSERT_NE(library, nullptr) << why;
  auto setVersion = ringattn::testing::fakeControl<void (*)(int)>(
      RINGATTN_FAKE_NCCL_PATH, "fakeNcclSetVersion");
  setVersion(21602);
  EXPECT_EQ(nccl::loadNccl(RINGATTN_FAKE_NCCL_PATH, why), nullptr);
  setVersion(22809);
  EXPECT_THAT(why, HasSubstr("NCCL 2.16.2 at " RINGATTN_FAKE_NCCL_PATH
                             " is too old; the NCCL backend needs 2.17.0 or "
                             "newer"));
}

TEST(NcclLoading, VersionStrings) {
  EXPECT_EQ(nccl::versionString(22809), "2.28.9");
  EXPECT_EQ(nccl::versionString(2804), "2.8.4");
}

//===----------------------------------------------------------------------===//
// Sharing the unique id through a file
//===----------------------------------------------------------------------===//

NcclUniqueId patternedId(char seed) {
  NcclUniqueId id;
  for (size_t i = 0; i < id.size(); ++i)
    id[i] = static_cast<char>(seed + i * 7);
  return id;
}

TEST(UniqueIdFile, ReadersGetRankZerosBytes) {
  std::string path = temporaryDirectory() + "/nccl-id";
  constexpr int ranks = 4;
  NcclUniqueId ids[ranks] = {};
  ids[0] = patternedId(3);
  std::string errors[ranks];
  bool ok[ranks] = {};
  std::vector<std::thread> threads;
  // Readers first, so they really wait for the file.
  for (int rank = ranks - 1; rank >= 0; --rank)
    threads.emplace_back([&, rank] {
      if (rank == 0)
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      ok[rank] =
          exchangeUniqueIdThroughFile(path, rank, 10, ids[rank], errors[rank]);
    });
  for (std::thread &thread : threads)
    thread.join();
  for (int rank = 0; rank < ranks; ++rank) {
    EXPECT_TRUE(ok[rank]) << errors[rank];
    EXPECT_EQ(ids[rank], ids[0]) << "rank " << rank;
  }
  // No temporary file is left behind.
  std::string directory = path.substr(0, path.rfind('/'));
  EXPECT_EQ(std::system(("test $(ls " + directory + " | wc -l) -eq 1").c_str()),
            0);
}

TEST(UniqueIdFile, ReaderTimesOutWhenNobodyWrites) {
  std::string path = temporaryDirectory() + "/never-written";
  NcclUniqueId id{};
  std::string error;
  auto begin = std::chrono::steady_clock::now();
  EXPECT_FALSE(exchangeUniqueIdThroughFile(path, 2, 0.2, id, error));
  double seconds = secondsSince(begin);
  EXPECT_GE(seconds, 0.2);
  EXPECT_LT(seconds, 5);
  EXPECT_EQ(error, "timed out after 0.2 s waiting for rank 0 to write the NCCL "
                   "unique id to " +
                       path);
}

TEST(UniqueIdFile, MalformedFileIsRefused) {
  std::string path = temporaryDirectory() + "/short";
  std::ofstream(path) << "not an id";
  NcclUniqueId id{};
  std::string error;
  EXPECT_FALSE(exchangeUniqueIdThroughFile(path, 1, 1, id, error));
  EXPECT_THAT(error, HasSubstr("the NCCL unique-id file " + path +
                               " is not a RingAttn NCCL unique-id file"));
}

TEST(UniqueIdFile, UnwritablePathIsReported) {
  NcclUniqueId id = patternedId(1);
  std::string error;
  EXPECT_FALSE(
      exchangeUniqueIdThroughFile("/nonexistent/dir/id", 0, 1, id, error));
  EXPECT_THAT(error, HasSubstr("cannot share the NCCL unique id: cannot "
                               "write /nonexistent/dir/id: "));
}

} // namespace
