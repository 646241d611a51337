//===- CudaDriver.cpp - Loading the CUDA driver, devices, contexts --------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// The driver is loaded and initialized once per process (a function-local
// static, so concurrent first calls are safe) and never unloaded: modules,
// streams and contexts created through it live until the process exits.
//
//===----------------------------------------------------------------------===//

#include "CudaDriver.h"
#include "DynamicLibrary.h"
#include "Format.h"
#include "RingAttn/Runtime/GpuBackend.h"

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <dlfcn.h>
#include <mutex>
#include <vector>

namespace ringattn {
namespace runtime {
namespace cuda {

//===----------------------------------------------------------------------===//
// Loading
//===----------------------------------------------------------------------===//

template <typename Function>
static bool resolve(void *library, const char *symbol, Function &function,
                    const std::string &path, std::string &why) {
  std::string error;
  if (findFunction(library, symbol, function, error))
    return true;
  why = formatString("the CUDA driver %s has no %s (%s); it is older than "
                     "the RingAttn GPU runtime needs",
                     path.c_str(), symbol, error.c_str());
  return false;
}

std::unique_ptr<Driver> loadDriver(const std::string &path, std::string &why) {
  std::string error;
  void *library = openLibrary(path, error);
  if (!library) {
    why = formatString("cannot load the CUDA driver %s: %s; a GPU backend "
                       "needs an NVIDIA driver",
                       path.c_str(), error.c_str());
    return nullptr;
  }
  auto driver = std::make_unique<Driver>();
  driver->path = path;
#define CUDA_FUNCTION(Symbol, Parameters)                                      \
  if (!resolve(library, #Symbol, driver->Symbol, path, why)) {                 \
    dlclose(library);                                                          \
    return nullptr;                                                            \
  }
#include "CudaDriverFunctions.def"
  return driver;
}

namespace {
/// The process's driver, once loaded and initialized.
struct ProcessDriver {
  std::unique_ptr<Driver> driver; ///< null if unusable
  std::string why;                ///< why it is unusable
  int deviceCount = 0;
};
} // namespace

static ProcessDriver initializeDriver() {
  ProcessDriver process;
  const char *override = std::getenv("RINGATTN_CUDA_DRIVER");
  std::string path = override && *override ? override : "libcuda.so.1";
  std::unique_ptr<Driver> driver = loadDriver(path, process.why);
  if (!driver)
    return process;
  if (CUresult result = driver->cuInit(0)) {
    process.why =
        formatString("cuInit failed: %s (driver %s)",
                     describe(driver.get(), result).c_str(), path.c_str());
    return process;
  }
  if (CUresult result = driver->cuDeviceGetCount(&process.deviceCount)) {
    process.why = formatString("cuDeviceGetCount failed: %s",
                               describe(driver.get(), result).c_str());
    return process;
  }
  if (process.deviceCount < 1) {
    process.why =
        formatString("the CUDA driver %s found no device", path.c_str());
    return process;
  }
  process.driver = std::move(driver);
  return process;
}

static const ProcessDriver &processDriver() {
  static const ProcessDriver process = initializeDriver();
  return process;
}

const Driver *driver(std::string &why) {
  const ProcessDriver &process = processDriver();
  if (!process.driver)
    why = process.why;
  return process.driver.get();
}

//===----------------------------------------------------------------------===//
// Devices and contexts
//===----------------------------------------------------------------------===//

/// The device selectDevice chose, or -1 to use the environment's.
static std::atomic<int> chosenDevice{-1};

namespace {
struct EnvironmentDevice {
  int ordinal = 0;
  std::string why; ///< set if the variable is not a device number
};
} // namespace

static EnvironmentDevice parseEnvironmentDevice() {
  EnvironmentDevice device;
  const char *text = std::getenv("RINGATTN_CUDA_DEVICE");
  if (!text || !*text)
    return device;
  char *end = nullptr;
  long value = std::strtol(text, &end, 10);
  if (*end != '\0' || value < 0 || value > 1 << 20)
    device.why =
        formatString("RINGATTN_CUDA_DEVICE=%s is not a device number", text);
  else
    device.ordinal = static_cast<int>(value);
  return device;
}

int selectedDevice(std::string &why) {
  int chosen = chosenDevice.load();
  if (chosen >= 0)
    return chosen;
  static const EnvironmentDevice environment = parseEnvironmentDevice();
  if (!environment.why.empty()) {
    why = environment.why;
    return -1;
  }
  return environment.ordinal;
}

void selectDevice(int ordinal) {
  chosenDevice.store(ordinal < 0 ? -1 : ordinal);
}

/// The device whose primary context is current on this thread, or -1.
static thread_local int threadDevice = -1;

/// Retains `ordinal`'s primary context once per process; contexts are never
/// released, like the driver.
static CUcontext primaryContext(const Driver &cu, int ordinal,
                                std::string &why) {
  static std::mutex mutex;
  static std::vector<CUcontext> contexts;
  std::lock_guard<std::mutex> lock(mutex);
  if (contexts.size() <= static_cast<size_t>(ordinal))
    contexts.resize(ordinal + 1, nullptr);
  if (contexts[ordinal])
    return contexts[ordinal];
  CUdevice device = 0;
  if (CUresult result = cu.cuDeviceGet(&device, ordinal)) {
    why = formatString("cuDeviceGet(%d) failed: %s", ordinal,
                       describe(&cu, result).c_str());
    return nullptr;
  }
  if (CUresult result =
          cu.cuDevicePrimaryCtxRetain(&contexts[ordinal], device)) {
    contexts[ordinal] = nullptr;
    why = formatString("cuDevicePrimaryCtxRetain on device %d failed: %s",
                       ordinal, describe(&cu, result).c_str());
    return nullptr;
  }
  return contexts[ordinal];
}

const Driver *makeContextCurrent(std::string &why) {
  const ProcessDriver &process = processDriver();
  if (!process.driver) {
    why = process.why;
    return nullptr;
  }
  int ordinal = selectedDevice(why);
  if (ordinal < 0)
    return nullptr;
  if (ordinal == threadDevice)
    return process.driver.get();
  if (ordinal >= process.deviceCount) {
    why = formatString("CUDA device %d is selected but the driver found %d "
                       "device(s)",
                       ordinal, process.deviceCount);
    return nullptr;
  }
  const Driver &cu = *process.driver;
  CUcontext context = primaryContext(cu, ordinal, why);
  if (!context)
    return nullptr;
  if (CUresult result = cu.cuCtxSetCurrent(context)) {
    why = formatString("cuCtxSetCurrent on device %d failed: %s", ordinal,
                       describe(&cu, result).c_str());
    return nullptr;
  }
  threadDevice = ordinal;
  return &cu;
}

//===----------------------------------------------------------------------===//
// Messages
//===----------------------------------------------------------------------===//

namespace {
/// Results a driver may be unable to name: a stub library answers every
/// call, cuGetErrorName included, with CUDA_ERROR_STUB_LIBRARY.
struct KnownResult {
  CUresult result;
  const char *name;
  const char *text;
};
constexpr KnownResult knownResults[] = {
    {CUDA_ERROR_STUB_LIBRARY, "CUDA_ERROR_STUB_LIBRARY",
     "CUDA driver is a stub library"},
    {CUDA_ERROR_NO_DEVICE, "CUDA_ERROR_NO_DEVICE",
     "no CUDA-capable device is detected"},
};
} // namespace

/// The name and text of `result`, or null where nobody can tell.
static void nameResult(const Driver *driver, CUresult result, const char *&name,
                       const char *&text) {
  name = text = nullptr;
  if (driver) {
    if (driver->cuGetErrorName(result, &name) != CUDA_SUCCESS)
      name = nullptr;
    if (driver->cuGetErrorString(result, &text) != CUDA_SUCCESS)
      text = nullptr;
  }
  for (const KnownResult &known : knownResults) {
    if (known.result != result)
      continue;
    if (!name)
      name = known.name;
    if (!text)
      text = known.text;
  }
}

std::string describe(const Driver *driver, CUresult result) {
  const char *name, *text;
  nameResult(driver, result, name, text);
  if (!name)
    return formatString("CUresult %d", result);
  return text ? formatString("%s: %s", name, text) : std::string(name);
}

void formatError(char *buffer, size_t size, const Driver *driver,
                 const char *call, CUresult result) {
  const char *name, *text;
  nameResult(driver, result, name, text);
  if (!name)
    std::snprintf(buffer, size, "CUDA error in %s: CUresult %d", call, result);
  else if (!text)
    std::snprintf(buffer, size, "CUDA error in %s: %s", call, name);
  else
    std::snprintf(buffer, size, "CUDA error in %s: %s: %s", call, name, text);
}

} // namespace cuda

//===----------------------------------------------------------------------===//
// Public queries (GpuBackend.h)
//===----------------------------------------------------------------------===//

bool gpuAvailable(std::string &why) {
  const cuda::ProcessDriver &process = cuda::processDriver();
  if (!process.driver) {
    why = process.why;
    return false;
  }
  int ordinal = cuda::selectedDevice(why);
  if (ordinal < 0)
    return false;
  if (ordinal >= process.deviceCount) {
    why = formatString("CUDA device %d is selected but the driver found %d "
                       "device(s)",
                       ordinal, process.deviceCount);
    return false;
  }
  return true;
}

void selectGpuDevice(int ordinal) { cuda::selectDevice(ordinal); }

std::string gpuDeviceName() {
  std::string why;
  const cuda::Driver *cu = cuda::driver(why);
  int ordinal = cuda::selectedDevice(why);
  if (!cu || ordinal < 0)
    return "";
  cuda::CUdevice device = 0;
  char name[256] = {0};
  if (cu->cuDeviceGet(&device, ordinal) != cuda::CUDA_SUCCESS ||
      cu->cuDeviceGetName(name, sizeof(name) - 1, device) != cuda::CUDA_SUCCESS)
    return "";
  return name;
}

} // namespace runtime
} // namespace ringattn
