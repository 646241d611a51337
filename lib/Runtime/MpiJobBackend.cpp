//===- MpiJobBackend.cpp - One rank per MPI process -----------------------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// The mpi and nccl backends: every process of MPI_COMM_WORLD runs one rank
// (runOnMpi, or runOnNccl bootstrapped over MPI on the process's node-local
// GPU), and the job moves shards and compiled objects between processes.
//
// Every collective of the job is nonblocking and waited against the
// timeout: a process that stopped (SIGSTOP, a hung node) or
// failed where its peers cannot see it must not hold the others forever. Past
// the deadline the job is aborted with a message naming the rank and the
// phase. The deadline bounds silence, not work: a process busy with a step
// of its own (compiling) sends heartbeats, and each one a waiting process
// hears moves its deadline on. MPI_Init and MPI_Finalize have no nonblocking
// form; a watchdog bounds them instead, and ends the process (the MPI launcher
// then ends the job) if they do not return in time. docs/MPI.md states this
// fault model.
//
//===----------------------------------------------------------------------===//

#include "RingAttn/Runtime/BackendRegistry.h"
#include "RingAttn/Runtime/GpuBackend.h"
#include "RingAttn/Runtime/MpiBackend.h"
#include "RingAttn/Runtime/NcclBackend.h"

#include <mpi.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <thread>
#include <unistd.h>

namespace ringattn {
namespace runtime {
namespace {

using Clock = std::chrono::steady_clock;

/// Runs `step` (MPI_Init or MPI_Finalize) under a deadline; if it does not
/// return within `seconds`, a watchdog prints why and ends the process.
void withWatchdog(const char *phase, double seconds,
                  const std::function<void()> &step) {
  std::mutex mutex;
  std::condition_variable finished;
  bool done = false;
  std::thread watchdog([&] {
    std::unique_lock<std::mutex> lock(mutex);
    if (finished.wait_for(lock, std::chrono::duration<double>(seconds),
                          [&] { return done; }))
      return;
    std::fprintf(stderr,
                 "ringattn: %s did not complete within %g s: another "
                 "process of the job has stopped or failed\n",
                 phase, seconds);
    std::fflush(stderr);
    ::_exit(1);
  });
  step();
  {
    std::lock_guard<std::mutex> lock(mutex);
    done = true;
  }
  finished.notify_one();
  watchdog.join();
}

/// The bytes of a message larger than MPI's int count go in pieces.
constexpr int64_t kMaxMessageBytes = int64_t(1) << 30;

class MpiJobBackend final : public Backend {
public:
  MpiJobBackend(BackendInfo info, const BackendOptions &options)
      : info_(std::move(info)), timeout_(options.timeoutSeconds),
        nccl_(info_.onGpu) {
    // The runtime's progress thread calls MPI while the rank computes.
    withWatchdog("MPI_Init", timeout_, [&] {
      int provided = 0;
      MPI_Init_thread(options.argc, options.argv, MPI_THREAD_SERIALIZED,
                      &provided);
    });
    MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &size_);
    // Heartbeats travel on a communicator of their own, apart from the
    // job's and the ring's messages.
    MPI_Comm heartbeats;
    MPI_Request request;
    MPI_Comm_idup(MPI_COMM_WORLD, &heartbeats, &request);
    await(request, "setting up the job's heartbeats");
    heartbeats_ = heartbeats;
    localRank_ = nodeLocalRank();
    if (nccl_)
      selectGpuDevice(localRank_);
  }

  ~MpiJobBackend() override { finish(); }

  const BackendInfo &info() const override { return info_; }
  int ranks() const override { return size_; }
  int processRank() const override { return rank_; }
  bool isRoot() const override { return rank_ == 0; }
  bool runsRank(int rank) const override { return rank == rank_; }

  int firstFailure(bool ok) override {
    int mine = ok ? size_ : rank_, first = size_;
    MPI_Request request;
    MPI_Iallreduce(&mine, &first, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD,
                   &request);
    await(request, "agreeing that every process is ready");
    return first == size_ ? -1 : first;
  }

  bool agree(uint64_t fingerprint, std::string &error) override {
    std::vector<uint64_t> all(size_);
    MPI_Request request;
    MPI_Iallgather(&fingerprint, 1, MPI_UINT64_T, all.data(), 1, MPI_UINT64_T,
                   MPI_COMM_WORLD, &request);
    await(request, "comparing the module and options of every process");
    for (int r = 1; r < size_; ++r)
      if (all[r] != all[0]) {
        error = "rank " + std::to_string(r) +
                " was given a different module, entry or options than rank 0 "
                "(every process must run the same command)";
        return false;
      }
    return true;
  }

  void shareObject(std::string &key, std::string &object) override {
    int64_t sizes[2] = {static_cast<int64_t>(key.size()),
                        static_cast<int64_t>(object.size())};
    MPI_Request request;
    MPI_Ibcast(sizes, 2, MPI_INT64_T, 0, MPI_COMM_WORLD, &request);
    // Rank 0 is compiling meanwhile: the deadline covers that too.
    await(request, "waiting for rank 0's compiled module");
    key.resize(sizes[0]);
    object.resize(sizes[1]);
    broadcast(key.data(), sizes[0], "receiving rank 0's compiled module");
    broadcast(object.data(), sizes[1], "receiving rank 0's compiled module");
  }

  void scatter(const std::vector<ShardBuffer> &shards) override {
    for (int r = 1; r < size_; ++r) {
      if (rank_ == 0)
        transfer(shards[r], r, /*send=*/true, "sending the operands");
      else if (rank_ == r)
        transfer(shards[r], 0, /*send=*/false, "receiving the operands");
    }
  }

  void gather(const std::vector<ShardBuffer> &shards) override {
    for (int r = 1; r < size_; ++r) {
      if (rank_ == r)
        transfer(shards[r], 0, /*send=*/true, "sending the output");
      else if (rank_ == 0)
        transfer(shards[r], r, /*send=*/false, "receiving the output");
    }
  }

  RunReport run(const std::function<void(int)> &body, bool,
                double &seconds) override {
    MPI_Request request;
    MPI_Ibarrier(MPI_COMM_WORLD, &request);
    await(request, "waiting for every rank to start the run");
    RankReport mine = nccl_ ? runNccl(body) : runMpi(body);
    // The root reports every rank: wall time, busy times and traffic (as
    // doubles, exact below 2^53).
    constexpr int kFields = 5;
    double fields[kFields] = {mine.seconds, mine.busySeconds,
                              mine.busyCpuSeconds, double(mine.shifts),
                              double(mine.bytesSent)};
    std::vector<double> all(kFields * size_);
    MPI_Igather(fields, kFields, MPI_DOUBLE, all.data(), kFields, MPI_DOUBLE, 0,
                MPI_COMM_WORLD, &request);
    await(request, "collecting the timings of the run");
    RunReport report;
    seconds = 0;
    for (int r = 0; r < size_; ++r) {
      RankReport rank;
      const double *of = &all[kFields * r];
      rank.seconds = of[0];
      rank.busySeconds = of[1];
      rank.busyCpuSeconds = of[2];
      rank.shifts = static_cast<int64_t>(of[3]);
      rank.bytesSent = static_cast<int64_t>(of[4]);
      seconds = std::max(seconds, rank.seconds);
      report.ranks.push_back(rank);
    }
    return report;
  }

  void finish() override {
    if (finished_)
      return;
    finished_ = true;
    // Every process reaches the end before any finalizes, so MPI_Finalize
    // waits on nobody that stopped.
    MPI_Request request;
    MPI_Ibarrier(MPI_COMM_WORLD, &request);
    await(request, "waiting for every process to finish");
    withWatchdog("MPI_Finalize", timeout_, [&] {
      MPI_Comm_free(&heartbeats_);
      MPI_Finalize();
    });
  }

  std::unique_ptr<Heartbeat> beatWhileWorking() override;

private:
  class MpiHeartbeat;

  Clock::duration timeout() const {
    return std::chrono::duration_cast<Clock::duration>(
        std::chrono::duration<double>(timeout_));
  }

  /// Waits for `request` until the timeout passes without a sign of life
  /// from the other processes (its completion or a heartbeat); then aborts
  /// the job with a message naming this rank and `phase`.
  void await(MPI_Request &request, const char *phase) {
    Clock::time_point deadline = Clock::now() + timeout();
    auto pause = std::chrono::microseconds(20);
    for (;;) {
      int done = 0;
      MPI_Test(&request, &done, MPI_STATUS_IGNORE);
      if (done)
        return;
      if (receiveHeartbeats())
        deadline = Clock::now() + timeout();
      if (Clock::now() > deadline) {
        std::fprintf(stderr,
                     "ringattn: rank %d: timed out after %g s %s: "
                     "another process has stopped or failed\n",
                     rank_, timeout_, phase);
        std::fflush(stderr);
        MPI_Abort(MPI_COMM_WORLD, 1);
      }
      std::this_thread::sleep_for(pause);
      pause = std::min(pause * 2, std::chrono::microseconds(1000));
    }
  }

  /// Receives every heartbeat that has arrived; whether there was one.
  bool receiveHeartbeats() {
    if (heartbeats_ == MPI_COMM_NULL)
      return false;
    bool heard = false;
    for (;;) {
      int arrived = 0;
      MPI_Status status;
      MPI_Iprobe(MPI_ANY_SOURCE, 0, heartbeats_, &arrived, &status);
      if (!arrived)
        return heard;
      char beat;
      MPI_Recv(&beat, 1, MPI_BYTE, status.MPI_SOURCE, 0, heartbeats_,
               MPI_STATUS_IGNORE);
      heard = true;
    }
  }

  /// Sends `shard` to, or receives it from, process `peer`, in pieces of
  /// at most kMaxMessageBytes.
  void transfer(const ShardBuffer &shard, int peer, bool send,
                const char *phase) {
    auto *data = static_cast<char *>(shard.data);
    int64_t total = static_cast<int64_t>(shard.bytes);
    std::vector<MPI_Request> requests;
    for (int64_t offset = 0; offset < total; offset += kMaxMessageBytes) {
      int count = static_cast<int>(std::min(kMaxMessageBytes, total - offset));
      requests.emplace_back();
      if (send)
        MPI_Isend(data + offset, count, MPI_BYTE, peer, 0, MPI_COMM_WORLD,
                  &requests.back());
      else
        MPI_Irecv(data + offset, count, MPI_BYTE, peer, 0, MPI_COMM_WORLD,
                  &requests.back());
    }
    for (MPI_Request &request : requests)
      await(request, phase);
  }

  /// Broadcasts `bytes` bytes at `data` from rank 0, in pieces of at most
  /// kMaxMessageBytes.
  void broadcast(char *data, int64_t bytes, const char *phase) {
    for (int64_t offset = 0; offset < bytes; offset += kMaxMessageBytes) {
      int count = static_cast<int>(std::min(kMaxMessageBytes, bytes - offset));
      MPI_Request request;
      MPI_Ibcast(data + offset, count, MPI_BYTE, 0, MPI_COMM_WORLD, &request);
      await(request, phase);
    }
  }

  /// The process's rank among those on its node (one GPU each), from the
  /// node names: MPI_Comm_split_type would block without a deadline.
  int nodeLocalRank() {
    char name[MPI_MAX_PROCESSOR_NAME] = {};
    int length = 0;
    MPI_Get_processor_name(name, &length);
    std::vector<char> all(size_t(size_) * MPI_MAX_PROCESSOR_NAME);
    MPI_Request request;
    MPI_Iallgather(name, MPI_MAX_PROCESSOR_NAME, MPI_CHAR, all.data(),
                   MPI_MAX_PROCESSOR_NAME, MPI_CHAR, MPI_COMM_WORLD, &request);
    await(request, "learning which processes share a node");
    int local = 0;
    for (int r = 0; r < rank_; ++r)
      local += std::strncmp(&all[size_t(r) * MPI_MAX_PROCESSOR_NAME], name,
                            MPI_MAX_PROCESSOR_NAME) == 0;
    return local;
  }

  RankReport runMpi(const std::function<void(int)> &body) {
    MpiOptions options;
    options.timeoutSeconds = timeout_;
    return runOnMpi(options, body);
  }

  RankReport runNccl(const std::function<void(int)> &body) {
    NcclOptions options;
    options.rank = rank_;
    options.size = size_;
    options.device = localRank_;
    options.timeoutSeconds = timeout_;
    options.exchangeUniqueId = [this](NcclUniqueId &id, std::string &) {
      MPI_Request request;
      MPI_Ibcast(id.data(), static_cast<int>(id.size()), MPI_BYTE, 0,
                 MPI_COMM_WORLD, &request);
      await(request, "sharing the NCCL unique id");
      return true;
    };
    RankReport report = runOnNccl(options, body);
    if (!report.ok) {
      // Like the MPI backend: one failing rank stops the whole job.
      std::fprintf(stderr, "ringattn: %s\n", report.error.c_str());
      MPI_Abort(MPI_COMM_WORLD, 1);
    }
    return report;
  }

  BackendInfo info_;
  double timeout_;
  MPI_Comm heartbeats_ = MPI_COMM_NULL;
  bool nccl_;
  bool finished_ = false;
  int rank_ = 0, size_ = 1, localRank_ = 0;
};

/// A thread that sends every other process a one-byte heartbeat four times
/// per timeout while this process works alone. The process makes no MPI
/// call of its own meanwhile (MPI_THREAD_SERIALIZED), and completes the
/// sends once the thread has stopped.
class MpiJobBackend::MpiHeartbeat final : public Heartbeat {
public:
  explicit MpiHeartbeat(MpiJobBackend &job)
      : job_(job), sender_([this] { beatUntilStopped(); }) {}

  ~MpiHeartbeat() override {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopped_ = true;
    }
    stop_.notify_one();
    sender_.join();
    for (MPI_Request &request : sent_)
      job_.await(request, "sending a heartbeat");
  }

private:
  void beatUntilStopped() {
    static const char beat = 1;
    std::unique_lock<std::mutex> lock(mutex_);
    do {
      // Completed sends are dropped, so a long step keeps few requests.
      dropCompletedSends();
      for (int peer = 0; peer < job_.size_; ++peer)
        if (peer != job_.rank_) {
          sent_.emplace_back();
          MPI_Isend(&beat, 1, MPI_BYTE, peer, 0, job_.heartbeats_,
                    &sent_.back());
        }
    } while (
        !stop_.wait_for(lock, job_.timeout() / 4, [&] { return stopped_; }));
  }

  void dropCompletedSends() {
    sent_.erase(std::remove_if(sent_.begin(), sent_.end(),
                               [](MPI_Request &request) {
                                 int done = 0;
                                 MPI_Test(&request, &done, MPI_STATUS_IGNORE);
                                 return done != 0;
                               }),
                sent_.end());
  }

  MpiJobBackend &job_;
  std::mutex mutex_;
  std::condition_variable stop_;
  bool stopped_ = false;
  std::vector<MPI_Request> sent_;
  std::thread sender_;
};

std::unique_ptr<Heartbeat> MpiJobBackend::beatWhileWorking() {
  return std::make_unique<MpiHeartbeat>(*this);
}

} // namespace

void registerMpiBackends(BackendRegistry &registry) {
  auto add = [&](BackendInfo info) {
    registry.add(info, [info](const BackendOptions &options, std::string &) {
      return std::make_unique<MpiJobBackend>(info, options);
    });
  };
  add({"mpi", "one rank per process, under mpirun", /*onGpu=*/false,
       /*processPerRank=*/true});
  add({"nccl", "one rank and GPU per process, under mpirun", /*onGpu=*/true,
       /*processPerRank=*/true});
}

} // namespace runtime
} // namespace ringattn
