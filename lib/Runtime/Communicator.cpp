//===- Communicator.cpp - Matching shifts, waiting, failing a ring --------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// Every rank posts its k-th shift as one RingShift. Whichever of a sender and
// its receiver posts shift k second matches the pair and queues the copy on
// the sender's copy engine. A failure records the first error, marks the
// ring aborted and wakes everyone; each rank then stops at its next (or
// current) runtime call.
//
//===----------------------------------------------------------------------===//

#include "Communicator.h"
#include "Format.h"

#include <algorithm>
#include <ctime>

namespace ringattn {
namespace runtime {

Clock::duration secondsToDuration(double seconds) {
  // Clamp so that an effectively infinite timeout cannot overflow a deadline.
  double capped = std::min(seconds, 1e9);
  return std::chrono::duration_cast<Clock::duration>(
      std::chrono::duration<double>(capped));
}

//===----------------------------------------------------------------------===//
// Compute spans (rank thread only)
//===----------------------------------------------------------------------===//

void RankState::beginCompute(int64_t step) {
  if (computeOpen)
    return;
  computeOpen = true;
  computeStep = step;
  computeBeginUs = comm.nowUs();
  computeClock.begin();
}

void RankState::endCompute() {
  if (!computeOpen)
    return;
  computeOpen = false;
  double endUs = comm.nowUs();
  RankClock::Elapsed elapsed = computeClock.elapsed();
  busySeconds += elapsed.wallSeconds;
  busyCpuSeconds += elapsed.cpuSeconds;
  if (comm.tracing())
    spans.push_back(
        {Span::Kind::Compute, index, computeStep, 0, computeBeginUs, endUs});
}

void RankState::markTailStart() {
  computeStep = nextSeq;
  computeBeginUs = comm.nowUs();
  computeClock.begin();
}

void RankState::endBody() {
  // A span left open (shifts never waited) ends here, as does the tail.
  computeOpen = true;
  endCompute();
}

//===----------------------------------------------------------------------===//
// Communicator
//===----------------------------------------------------------------------===//

Communicator::Communicator(const ThreadsOptions &options,
                           std::function<void(int rank)> body,
                           std::shared_ptr<Transport> transport)
    : options_(options), body_(std::move(body)),
      transport_(std::move(transport)), runBegin_(Clock::now()) {
  for (int index = 0; index < options.ranks; ++index) {
    ranks_.push_back(std::make_unique<RankState>(*this, index));
    engines_.push_back(std::make_unique<CopyEngine>());
  }
}

double Communicator::nowUs() const { return usAt(Clock::now()); }

double Communicator::usAt(Clock::time_point time) const {
  return std::chrono::duration<double, std::micro>(time - runBegin_).count();
}

void Communicator::fail(int rankIndex, const std::string &message) {
  RankReport &report = ranks_[rankIndex]->report;
  if (report.error.empty())
    report.error = message;
  if (aborted_)
    return;
  aborted_ = true;
  firstError_ = message;
  abortTime_ = Clock::now();
  for (auto &rank : ranks_)
    rank->progress.notify_all();
  for (auto &engine : engines_)
    engine->work.notify_all();
  rankFinished_.notify_all();
}

void Communicator::stop(std::unique_lock<std::mutex> &lock, RankState &rank) {
  if (rank.report.error.empty())
    rank.report.error = formatString("rank %d: stopped because %s", rank.index,
                                     firstError_.c_str());
  // The rank's frames are about to go: no engine may still write into them.
  // Aborted engines start no new copies, so this wait is one memcpy at most.
  rank.progress.wait(lock, [&] { return rank.copiesInProgress == 0; });
}

bool Communicator::checkRunning(RankState &rank) {
  std::unique_lock<std::mutex> lock(mutex_);
  if (!aborted_)
    return true;
  stop(lock, rank);
  return false;
}

RingShift *Communicator::findShift(int rankIndex, int64_t seq) {
  for (auto &shift : ranks_[rankIndex]->shifts)
    if (shift->seq == seq)
      return shift.get();
  return nullptr;
}

void Communicator::match(RingShift *sender, RingShift *receiver) {
  if (sender->sendTo != receiver->rank ||
      receiver->receiveFrom != sender->rank) {
    fail(receiver->rank,
         formatString("rank %d: shift %lld receives from rank %d but rank %d "
                      "sends to rank %d (ranks disagree on the offset)",
                      receiver->rank, static_cast<long long>(receiver->seq),
                      receiver->receiveFrom, sender->rank, sender->sendTo));
    return;
  }
  if (sender->bytes != receiver->bytes) {
    fail(receiver->rank,
         formatString("rank %d: shift %lld expects %lld bytes but rank %d "
                      "sent %lld",
                      receiver->rank, static_cast<long long>(receiver->seq),
                      static_cast<long long>(receiver->bytes), sender->rank,
                      static_cast<long long>(sender->bytes)));
    return;
  }
  if (options_.dropTransfers) { // benchmark mode: complete at once
    sender->sent = receiver->received = true;
    ranks_[sender->rank]->progress.notify_all();
    ranks_[receiver->rank]->progress.notify_all();
    return;
  }
  if (transport_) {
    std::string error = transport_->issue(*sender, *receiver);
    if (!error.empty()) {
      fail(sender->rank,
           formatString("rank %d: shift %lld: %s", sender->rank,
                        static_cast<long long>(sender->seq), error.c_str()));
      return;
    }
    sender->sent = receiver->received = true;
    ranks_[sender->rank]->progress.notify_all();
    ranks_[receiver->rank]->progress.notify_all();
    return;
  }
  CopyEngine &engine = *engines_[sender->rank];
  engine.queue.push_back({sender, receiver});
  engine.work.notify_one();
}

RingShift *Communicator::startShift(RankState &rank, const void *src, void *dst,
                                    int64_t bytes, int64_t offset) {
  std::unique_lock<std::mutex> lock(mutex_);
  int64_t seq = rank.nextSeq++;
  if (!aborted_ && bytes < 0)
    fail(rank.index, formatString("rank %d: shift %lld has a negative size "
                                  "(%lld bytes)",
                                  rank.index, static_cast<long long>(seq),
                                  static_cast<long long>(bytes)));
  if (aborted_) {
    stop(lock, rank);
    return nullptr;
  }

  rank.report.shifts += 1;
  rank.report.bytesSent += bytes;
  int n = size();
  int step = static_cast<int>(((offset % n) + n) % n);
  auto owned = std::make_unique<RingShift>();
  RingShift *shift = owned.get();
  shift->rank = rank.index;
  shift->seq = seq;
  shift->src = src;
  shift->dst = dst;
  shift->bytes = bytes;
  shift->sendTo = (rank.index + step) % n;
  shift->receiveFrom = (rank.index - step + n) % n;

  // Match each half whose peer already posted shift `seq`; otherwise the
  // peer matches it when it posts. A shift by 0 is its own peer.
  if (step == 0) {
    rank.shifts.push_back(std::move(owned));
    match(shift, shift);
  } else {
    RingShift *receiver = findShift(shift->sendTo, seq);
    RingShift *sender = findShift(shift->receiveFrom, seq);
    rank.shifts.push_back(std::move(owned));
    if (receiver)
      match(shift, receiver);
    if (sender && !aborted_)
      match(sender, shift);
  }

  if (aborted_) {
    stop(lock, rank);
    return nullptr;
  }
  return shift;
}

bool Communicator::waitShift(RankState &rank, RingShift *shift) {
  std::unique_lock<std::mutex> lock(mutex_);
  auto owned = std::find_if(
      rank.shifts.begin(), rank.shifts.end(),
      [&](const std::unique_ptr<RingShift> &s) { return s.get() == shift; });
  if (!aborted_ && owned == rank.shifts.end())
    fail(rank.index, formatString("rank %d: ringattn_shift_wait got a shift "
                                  "this rank did not start or already waited",
                                  rank.index));
  if (aborted_) {
    stop(lock, rank);
    return false;
  }

  bool done = rank.progress.wait_until(
      lock, Clock::now() + secondsToDuration(options_.timeoutSeconds),
      [&] { return aborted_ || (shift->sent && shift->received); });
  if (!aborted_ && !done)
    fail(rank.index,
         formatString("rank %d: timed out after %g s waiting for shift %lld "
                      "(receive from rank %d, send to rank %d)",
                      rank.index, options_.timeoutSeconds,
                      static_cast<long long>(shift->seq), shift->receiveFrom,
                      shift->sendTo));
  if (aborted_) {
    stop(lock, rank);
    return false;
  }
  // Only this thread adds to or removes from its own list, so `owned` is
  // still valid after the wait released the lock.
  rank.shifts.erase(owned);
  return true;
}

void Communicator::failAndStop(RankState &rank, const std::string &message) {
  std::unique_lock<std::mutex> lock(mutex_);
  fail(rank.index, message);
  stop(lock, rank);
}

void Communicator::finishRank(RankState &rank, bool returned) {
  rank.endBody();
  double seconds =
      std::chrono::duration<double>(Clock::now() - rank.bodyBegin).count();
  std::unique_lock<std::mutex> lock(mutex_);
  if (returned && !rank.shifts.empty())
    fail(rank.index, formatString("rank %d: returned with %zu shift(s) not "
                                  "waited",
                                  rank.index, rank.shifts.size()));
  // A rank still running when the ring failed computed on a broken ring.
  if (returned && aborted_)
    stop(lock, rank);
  rank.finished = true;
  rankFinished_.notify_all();
  if (rank.abandoned)
    return; // runOnThreads already reported it and no longer reads it
  rank.report.ok = rank.report.error.empty();
  rank.report.seconds = seconds;
  rank.report.busySeconds = rank.busySeconds;
  rank.report.busyCpuSeconds = rank.busyCpuSeconds;
  rank.report.deviceSeconds = rank.deviceSeconds;
}

void Communicator::rankDidNotStart(int index, const std::string &message) {
  std::lock_guard<std::mutex> lock(mutex_);
  RankState &rank = *ranks_[index];
  if (aborted_)
    rank.report.error =
        formatString("rank %d: stopped because %s", index, firstError_.c_str());
  else
    fail(index, message);
  rank.report.ok = false;
  rank.finished = true;
  rankFinished_.notify_all();
}

std::vector<bool> Communicator::awaitRanks() {
  std::unique_lock<std::mutex> lock(mutex_);
  auto allFinished = [&] {
    return std::all_of(ranks_.begin(), ranks_.end(),
                       [](const auto &rank) { return rank->finished; });
  };
  rankFinished_.wait(lock, [&] { return aborted_ || allFinished(); });
  if (aborted_)
    rankFinished_.wait_until(
        lock, abortTime_ + secondsToDuration(options_.timeoutSeconds),
        allFinished);

  std::vector<bool> finished;
  double elapsed =
      std::chrono::duration<double>(Clock::now() - runBegin_).count();
  for (auto &rank : ranks_) {
    finished.push_back(rank->finished);
    if (rank->finished)
      continue;
    rank->abandoned = true;
    rank->report.ok = false;
    rank->report.error =
        formatString("rank %d: did not stop within %g s after the ring failed",
                     rank->index, options_.timeoutSeconds);
    rank->report.seconds = elapsed;
  }
  return finished;
}

RunReport Communicator::collectReport() {
  std::unique_lock<std::mutex> lock(mutex_);
  RunReport run;
  run.error = firstError_;
  run.ok = !aborted_;
  for (auto &rank : ranks_) {
    run.ranks.push_back(rank->report);
    run.ok = run.ok && rank->report.ok;
    if (options_.trace && !rank->abandoned)
      run.spans.insert(run.spans.end(), rank->spans.begin(), rank->spans.end());
  }
  for (auto &engine : engines_)
    run.spans.insert(run.spans.end(), engine->spans.begin(),
                     engine->spans.end());
  std::stable_sort(
      run.spans.begin(), run.spans.end(),
      [](const Span &a, const Span &b) { return a.beginUs < b.beginUs; });
  return run;
}

} // namespace runtime
} // namespace ringattn
