//===- ThreadsLauncher.cpp - Every rank a thread of this process ----------===//

#include "Launcher.h"

#include <chrono>

namespace ringattn {
namespace {

class ThreadsLauncher final : public Launcher {
public:
  explicit ThreadsLauncher(const runtime::ThreadsOptions &options)
      : options_(options) {}

  int ranks() const override { return options_.ranks; }
  bool isRoot() const override { return true; }
  bool runsRank(int) const override { return true; }
  bool allOk(bool ok) override { return ok; }
  bool agree(uint64_t, std::string &) override { return true; }
  void scatter(std::vector<HostTensor> &) override {}
  void gather(std::vector<HostTensor> &) override {}

  runtime::RunReport run(const std::function<void(int)> &body, bool trace,
                         double &seconds) override {
    runtime::ThreadsOptions options = options_;
    options.trace = trace;
    auto start = std::chrono::steady_clock::now();
    runtime::RunReport report = runtime::runOnThreads(options, body);
    seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                            start)
                  .count();
    return report;
  }

private:
  runtime::ThreadsOptions options_;
};

} // namespace

std::unique_ptr<Launcher>
makeThreadsLauncher(const runtime::ThreadsOptions &options) {
  return std::make_unique<ThreadsLauncher>(options);
}

} // namespace ringattn
