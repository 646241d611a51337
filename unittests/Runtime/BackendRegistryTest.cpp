//===- BackendRegistryTest.cpp - Backends created by name -----------------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception

#include "RingAttn/Runtime/BackendRegistry.h"
#include "RingAttn/Runtime/RingRuntime.h"
#include "RingAttn/Runtime/ThreadsBackend.h"

#include <gtest/gtest.h>

#include <vector>

using namespace ringattn::runtime;

namespace {

BackendRegistry threadsOnly() {
  BackendRegistry registry;
  registerThreadsBackend(registry);
  return registry;
}

TEST(BackendRegistry, ListsWhatWasRegistered) {
  BackendRegistry registry = threadsOnly();
  ASSERT_NE(registry.find("threads"), nullptr);
  EXPECT_FALSE(registry.find("threads")->onGpu);
  EXPECT_FALSE(registry.find("threads")->processPerRank);
  EXPECT_EQ(registry.find("tpu"), nullptr);
  EXPECT_EQ(registry.names(), "threads");
  ASSERT_EQ(registry.list().size(), 1u);
}

TEST(BackendRegistry, RefusesASecondBackendOfTheSameName) {
  BackendRegistry registry = threadsOnly();
  EXPECT_FALSE(registry.add({"threads", "again"},
                            [](const BackendOptions &, std::string &) {
                              return std::unique_ptr<Backend>();
                            }));
  EXPECT_EQ(registry.find("threads")->description,
            "N ranks as threads of this process");
}

TEST(BackendRegistry, AnUnknownNameIsAnErrorListingTheRegisteredOnes) {
  BackendRegistry registry = threadsOnly();
  std::string error;
  EXPECT_EQ(registry.create("carrier-pigeon", BackendOptions(), error),
            nullptr);
  EXPECT_EQ(error, "unknown backend 'carrier-pigeon' (registered: threads)");
}

TEST(BackendRegistry, AFactoryErrorReachesTheCaller) {
  BackendRegistry registry;
  registry.add({"broken", "never starts"},
               [](const BackendOptions &, std::string &error) {
                 error = "broken: no such device";
                 return std::unique_ptr<Backend>();
               });
  std::string error;
  EXPECT_EQ(registry.create("broken", BackendOptions(), error), nullptr);
  EXPECT_EQ(error, "broken: no such device");
}

// The threads backend, created by name, runs a real ring: every rank sends
// its rank number around and receives its left neighbour's.
TEST(BackendRegistry, CreatesAThreadsBackendThatRunsARing) {
  BackendRegistry registry = threadsOnly();
  BackendOptions options;
  options.ranks = 3;
  options.timeoutSeconds = 10;
  std::string error;
  std::unique_ptr<Backend> backend = registry.create("threads", options, error);
  ASSERT_NE(backend, nullptr) << error;
  EXPECT_EQ(backend->ranks(), 3);
  EXPECT_TRUE(backend->isRoot());
  EXPECT_FALSE(backend->onGpu());
  for (int r = 0; r < 3; ++r)
    EXPECT_TRUE(backend->runsRank(r));
  EXPECT_EQ(backend->firstFailure(true), -1);
  EXPECT_EQ(backend->firstFailure(false), 0);

  std::vector<int32_t> sent(3), received(3, -1);
  double seconds = -1;
  RunReport report = backend->run(
      [&](int rank) {
        sent[rank] = rank;
        ringattn_shift_wait(ringattn_shift_start(
            &sent[rank], &received[rank], sizeof(int32_t), /*offset=*/1));
      },
      /*trace=*/false, seconds);
  ASSERT_TRUE(report.ok) << report.error;
  EXPECT_GE(seconds, 0);
  EXPECT_EQ(report.ranks.size(), 3u);
  EXPECT_EQ(received, (std::vector<int32_t>{2, 0, 1}));
}

TEST(BackendRegistry, ACreatedBackendReportsARingThatFails) {
  BackendRegistry registry = threadsOnly();
  BackendOptions options;
  options.ranks = 2;
  options.timeoutSeconds = 0.2;
  std::string error;
  std::unique_ptr<Backend> backend = registry.create("threads", options, error);
  ASSERT_NE(backend, nullptr) << error;
  double seconds = 0;
  RunReport report =
      backend->run([](int) { failRank("bad operand"); }, false, seconds);
  EXPECT_FALSE(report.ok);
  EXPECT_NE(report.error.find("bad operand"), std::string::npos)
      << report.error;
}

} // namespace
