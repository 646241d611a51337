//===- InProcessLauncher.cpp - Every rank a thread of this process --------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// The threads and gpu backends: one process holds the global operands and
// runs every rank, so there is nothing to move between processes.
//
//===----------------------------------------------------------------------===//

#include "Launcher.h"

#include <chrono>

namespace ringattn {
namespace {

class InProcessLauncher final : public Launcher {
public:
  using RunFn = std::function<runtime::RunReport(
      bool trace, const std::function<void(int)> &body)>;

  InProcessLauncher(int ranks, bool onGpu, RunFn runRanks)
      : ranks_(ranks), onGpu_(onGpu), runRanks_(std::move(runRanks)) {}

  int ranks() const override { return ranks_; }
  bool isRoot() const override { return true; }
  bool runsRank(int) const override { return true; }
  int firstFailure(bool ok) override { return ok ? -1 : 0; }
  bool agree(uint64_t, std::string &) override { return true; }
  void scatter(std::vector<HostTensor> &) override {}
  void gather(std::vector<HostTensor> &) override {}
  bool onGpu() const override { return onGpu_; }

  runtime::RunReport run(const std::function<void(int)> &body, bool trace,
                         double &seconds) override {
    auto start = std::chrono::steady_clock::now();
    runtime::RunReport report = runRanks_(trace, body);
    seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
            .count();
    return report;
  }

private:
  int ranks_;
  bool onGpu_;
  RunFn runRanks_;
};

} // namespace

std::unique_ptr<Launcher>
makeThreadsLauncher(const runtime::ThreadsOptions &options) {
  return std::make_unique<InProcessLauncher>(
      options.ranks, /*onGpu=*/false,
      [options](bool trace, const std::function<void(int)> &body) {
        runtime::ThreadsOptions withTrace = options;
        withTrace.trace = trace;
        return runtime::runOnThreads(withTrace, body);
      });
}

std::unique_ptr<Launcher>
makeOneGpuLauncher(const runtime::GpuOptions &options) {
  return std::make_unique<InProcessLauncher>(
      options.ranks, /*onGpu=*/true,
      [options](bool trace, const std::function<void(int)> &body) {
        runtime::GpuOptions withTrace = options;
        withTrace.trace = trace;
        return runtime::runOnOneGpu(withTrace, body);
      });
}

} // namespace ringattn
