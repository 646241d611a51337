//===- BackendRegistry.cpp - Backends created by name ---------------------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception

#include "RingAttn/Runtime/BackendRegistry.h"

#include <algorithm>

namespace ringattn {
namespace runtime {

bool BackendRegistry::add(BackendInfo info, Factory factory) {
  if (find(info.name))
    return false;
  entries_.push_back({std::move(info), std::move(factory)});
  return true;
}

const BackendInfo *BackendRegistry::find(const std::string &name) const {
  auto it = std::find_if(entries_.begin(), entries_.end(),
                         [&](const Entry &e) { return e.info.name == name; });
  return it == entries_.end() ? nullptr : &it->info;
}

std::vector<BackendInfo> BackendRegistry::list() const {
  std::vector<BackendInfo> infos;
  for (const Entry &entry : entries_)
    infos.push_back(entry.info);
  return infos;
}

std::string BackendRegistry::names() const {
  std::string joined;
  for (const Entry &entry : entries_)
    joined += (joined.empty() ? "" : ", ") + entry.info.name;
  return joined;
}

std::unique_ptr<Backend> BackendRegistry::create(const std::string &name,
                                                 const BackendOptions &options,
                                                 std::string &error) const {
  for (const Entry &entry : entries_)
    if (entry.info.name == name)
      return entry.factory(options, error);
  error = "unknown backend '" + name + "' (registered: " + names() + ")";
  return nullptr;
}

} // namespace runtime
} // namespace ringattn
