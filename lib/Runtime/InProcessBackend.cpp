//===- InProcessBackend.cpp - Every rank a thread of this process ---------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception

#include "InProcessBackend.h"

#include <chrono>

namespace ringattn {
namespace runtime {
namespace {

class InProcessBackend final : public Backend {
public:
  InProcessBackend(BackendInfo info, int ranks, RunRanksFn runRanks)
      : info_(std::move(info)), ranks_(ranks), runRanks_(std::move(runRanks)) {}

  const BackendInfo &info() const override { return info_; }
  int ranks() const override { return ranks_; }
  bool isRoot() const override { return true; }
  bool runsRank(int) const override { return true; }
  int firstFailure(bool ok) override { return ok ? -1 : 0; }
  bool agree(uint64_t, std::string &) override { return true; }
  void scatter(const std::vector<ShardBuffer> &) override {}
  void gather(const std::vector<ShardBuffer> &) override {}

  RunReport run(const std::function<void(int)> &body, bool trace,
                double &seconds) override {
    auto start = std::chrono::steady_clock::now();
    RunReport report = runRanks_(trace, body);
    seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
            .count();
    return report;
  }

private:
  BackendInfo info_;
  int ranks_;
  RunRanksFn runRanks_;
};

} // namespace

std::unique_ptr<Backend> makeInProcessBackend(BackendInfo info, int ranks,
                                              RunRanksFn runRanks) {
  return std::make_unique<InProcessBackend>(std::move(info), ranks,
                                            std::move(runRanks));
}

} // namespace runtime
} // namespace ringattn
