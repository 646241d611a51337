//===- MpiLauncher.cpp - One rank per MPI process -------------------------===//

#include "Launcher.h"

#include "RingAttn/Runtime/MpiBackend.h"
#include "RingAttn/Runtime/NcclBackend.h"

#include <mpi.h>

#include <cstdio>

namespace ringattn {
namespace {

class MpiLauncher final : public Launcher {
public:
  MpiLauncher(double timeoutSeconds, bool nccl)
      : timeout_(timeoutSeconds), nccl_(nccl) {
    MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &size_);
    // One GPU per process: the process's rank among those on its node.
    MPI_Comm node;
    MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, rank_,
                        MPI_INFO_NULL, &node);
    MPI_Comm_rank(node, &localRank_);
    MPI_Comm_free(&node);
    if (nccl_)
      runtime::selectGpuDevice(localRank_);
  }

  int ranks() const override { return size_; }
  bool isRoot() const override { return rank_ == 0; }
  bool runsRank(int rank) const override { return rank == rank_; }
  bool onGpu() const override { return nccl_; }

  bool allOk(bool ok) override {
    int mine = ok ? 1 : 0, all = 0;
    MPI_Allreduce(&mine, &all, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
    return all == 1;
  }

  bool agree(uint64_t fingerprint, std::string &error) override {
    std::vector<uint64_t> all(size_);
    MPI_Allgather(&fingerprint, 1, MPI_UINT64_T, all.data(), 1, MPI_UINT64_T,
                  MPI_COMM_WORLD);
    for (int r = 1; r < size_; ++r)
      if (all[r] != all[0]) {
        error = "rank " + std::to_string(r) +
                " was given a different module, entry or options than rank 0 "
                "(every process must run the same command)";
        return false;
      }
    return true;
  }

  void scatter(std::vector<HostTensor> &shards) override {
    for (int r = 1; r < size_; ++r) {
      HostTensor &shard = shards[r];
      if (rank_ == 0)
        MPI_Send(shard.data(), bytes(shard), MPI_BYTE, r, 0, MPI_COMM_WORLD);
      else if (rank_ == r)
        MPI_Recv(shard.data(), bytes(shard), MPI_BYTE, 0, 0, MPI_COMM_WORLD,
                 MPI_STATUS_IGNORE);
    }
  }

  void gather(std::vector<HostTensor> &shards) override {
    for (int r = 1; r < size_; ++r) {
      HostTensor &shard = shards[r];
      if (rank_ == r)
        MPI_Send(shard.data(), bytes(shard), MPI_BYTE, 0, 1, MPI_COMM_WORLD);
      else if (rank_ == 0)
        MPI_Recv(shard.data(), bytes(shard), MPI_BYTE, r, 1, MPI_COMM_WORLD,
                 MPI_STATUS_IGNORE);
    }
  }

  runtime::RunReport run(const std::function<void(int)> &body, bool,
                         double &seconds) override {
    MPI_Barrier(MPI_COMM_WORLD);
    runtime::RankReport mine = nccl_ ? runNccl(body) : runMpi(body);
    // The root reports every rank: wall time and busy times.
    double times[3] = {mine.seconds, mine.busySeconds, mine.busyCpuSeconds};
    std::vector<double> all(3 * size_);
    MPI_Gather(times, 3, MPI_DOUBLE, all.data(), 3, MPI_DOUBLE, 0,
               MPI_COMM_WORLD);
    runtime::RunReport report;
    seconds = 0;
    for (int r = 0; r < size_; ++r) {
      runtime::RankReport rank;
      rank.seconds = all[3 * r];
      rank.busySeconds = all[3 * r + 1];
      rank.busyCpuSeconds = all[3 * r + 2];
      seconds = std::max(seconds, rank.seconds);
      report.ranks.push_back(rank);
    }
    return report;
  }

private:
  runtime::RankReport runMpi(const std::function<void(int)> &body) {
    runtime::MpiOptions options;
    options.timeoutSeconds = timeout_;
    return runtime::runOnMpi(options, body);
  }

  runtime::RankReport runNccl(const std::function<void(int)> &body) {
    runtime::NcclOptions options;
    options.rank = rank_;
    options.size = size_;
    options.device = localRank_;
    options.timeoutSeconds = timeout_;
    options.exchangeUniqueId = [](runtime::NcclUniqueId &id, std::string &) {
      MPI_Bcast(id.data(), static_cast<int>(id.size()), MPI_BYTE, 0,
                MPI_COMM_WORLD);
      return true;
    };
    runtime::RankReport report = runtime::runOnNccl(options, body);
    if (!report.ok) {
      // Like the MPI backend: one failing rank stops the whole job.
      std::fprintf(stderr, "ring-run: error: %s\n", report.error.c_str());
      MPI_Abort(MPI_COMM_WORLD, 1);
    }
    return report;
  }

  static int bytes(const HostTensor &tensor) {
    return static_cast<int>(tensor.numElements() * tensor.bytesPerElement());
  }

  double timeout_;
  bool nccl_;
  int rank_ = 0, size_ = 1, localRank_ = 0;
};

} // namespace

std::unique_ptr<Launcher> makeMpiLauncher(double timeoutSeconds, bool nccl) {
  return std::make_unique<MpiLauncher>(timeoutSeconds, nccl);
}

} // namespace ringattn
