//===- BackendRegistry.h - Backends created by name -------------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// Each backend library registers its backends with a register*Backend
// function (ThreadsBackend.h, GpuBackend.h, MpiBackend.h), so a driver links
// the libraries it wants and lists, describes and creates backends by name
// without knowing their types, as IREE's HAL driver registry does.
//
//===----------------------------------------------------------------------===//

#ifndef RINGATTN_RUNTIME_BACKENDREGISTRY_H
#define RINGATTN_RUNTIME_BACKENDREGISTRY_H

#include "RingAttn/Runtime/Backend.h"

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace ringattn {
namespace runtime {

class BackendRegistry {
public:
  /// Makes a backend, or returns null with `error` saying why.
  using Factory = std::function<std::unique_ptr<Backend>(
      const BackendOptions &options, std::string &error)>;

  /// Adds `info.name`; false if a backend of that name is registered.
  bool add(BackendInfo info, Factory factory);
  /// The backend registered as `name`, or null.
  const BackendInfo *find(const std::string &name) const;
  /// Every registered backend, in registration order.
  std::vector<BackendInfo> list() const;
  /// The names, comma-separated in registration order, as errors list them.
  std::string names() const;
  /// Creates backend `name`. Null with `error` for a name not registered
  /// ("unknown backend 'x' (registered: ...)") or a backend that cannot
  /// start.
  std::unique_ptr<Backend> create(const std::string &name,
                                  const BackendOptions &options,
                                  std::string &error) const;

private:
  struct Entry {
    BackendInfo info;
    Factory factory;
  };
  std::vector<Entry> entries_;
};

} // namespace runtime
} // namespace ringattn

#endif // RINGATTN_RUNTIME_BACKENDREGISTRY_H
