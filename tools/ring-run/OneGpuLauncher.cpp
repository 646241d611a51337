//===- OneGpuLauncher.cpp - Every rank a thread on this process's GPU -----===//

#include "Launcher.h"

#include "RingAttn/Runtime/GpuBackend.h"

#include <chrono>

namespace ringattn {
namespace {

class OneGpuLauncher final : public Launcher {
public:
  explicit OneGpuLauncher(const runtime::GpuOptions &options)
      : options_(options) {}

  int ranks() const override { return options_.ranks; }
  bool isRoot() const override { return true; }
  bool runsRank(int) const override { return true; }
  bool allOk(bool ok) override { return ok; }
  bool agree(uint64_t, std::string &) override { return true; }
  void scatter(std::vector<HostTensor> &) override {}
  void gather(std::vector<HostTensor> &) override {}
  bool onGpu() const override { return true; }

  runtime::RunReport run(const std::function<void(int)> &body, bool trace,
                         double &seconds) override {
    runtime::GpuOptions options = options_;
    options.trace = trace;
    auto start = std::chrono::steady_clock::now();
    runtime::RunReport report = runtime::runOnOneGpu(options, body);
    seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                            start)
                  .count();
    return report;
  }

private:
  runtime::GpuOptions options_;
};

} // namespace

std::unique_ptr<Launcher> makeOneGpuLauncher(const runtime::GpuOptions &options) {
  return std::make_unique<OneGpuLauncher>(options);
}

} // namespace ringattn
