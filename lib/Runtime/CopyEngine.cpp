//===- CopyEngine.cpp - Each rank's outgoing link as a thread -------------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// A copy engine takes the matched transfers of one sending rank in the order
// they were matched, copies each buffer, then holds the link until the
// modelled transfer time has passed, so that a CPU emulates an interconnect
// and compute placed between shift_start and shift_wait really overlaps it.
//
//===----------------------------------------------------------------------===//

#include "Communicator.h"
#include "Format.h"

#include <system_error>

#include <cstring>

namespace ringattn {
namespace runtime {

/// The least time a transfer of `bytes` takes on `link`.
static Clock::duration modelledDuration(const LinkModel &link, int64_t bytes) {
  double seconds = link.latencyUs * 1e-6;
  if (link.gbps > 0)
    seconds += static_cast<double>(bytes) / (link.gbps * 1e9 / 8);
  return secondsToDuration(seconds);
}

bool Communicator::startCopyEngines(std::string &error) {
  if (transport_)
    return true;
  for (int index = 0; index < size(); ++index) {
    try {
      engines_[index]->thread =
          std::thread([this, index] { runCopyEngine(index); });
    } catch (const std::system_error &e) {
      error = formatString("could not start the copy engine of rank %d of "
                           "%d (%s); the system allows fewer threads",
                           index, size(), e.what());
      stopCopyEngines();
      return false;
    }
  }
  return true;
}

void Communicator::stopCopyEngines() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
    for (auto &engine : engines_)
      engine->work.notify_all();
  }
  for (auto &engine : engines_)
    if (engine->thread.joinable())
      engine->thread.join();
}

void Communicator::runCopyEngine(int index) {
  CopyEngine &engine = *engines_[index];
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    // After an abort the queue is dropped: its buffers may be gone.
    engine.work.wait(lock, [&] {
      return stopping_ || (!aborted_ && !engine.queue.empty());
    });
    if (stopping_)
      return;
    Transfer transfer = engine.queue.front();
    engine.queue.pop_front();
    RankState &sender = *ranks_[transfer.sender->rank];
    RankState &receiver = *ranks_[transfer.receiver->rank];
    int64_t bytes = transfer.sender->bytes;

    // Copy without the lock; the counts keep a stopping rank from unwinding
    // the frames that own these buffers until the copy is done.
    ++sender.copiesInProgress;
    ++receiver.copiesInProgress;
    // One clock reading for the span and the modelled deadline, so that a
    // thread descheduled between two readings cannot shorten the span.
    Clock::time_point begin = Clock::now();
    lock.unlock();
    if (bytes > 0)
      std::memcpy(transfer.receiver->dst, transfer.sender->src,
                  static_cast<size_t>(bytes));
    lock.lock();
    --sender.copiesInProgress;
    --receiver.copiesInProgress;
    if (aborted_) { // only stopping ranks wait for the counts
      sender.progress.notify_all();
      receiver.progress.notify_all();
    }

    // Hold the link for the modelled time; a failing ring cuts it short.
    engine.work.wait_until(lock, begin + modelledDuration(options_.link, bytes),
                           [&] { return aborted_ || stopping_; });
    if (aborted_ || stopping_)
      continue;
    transfer.sender->sent = true;
    transfer.receiver->received = true;
    sender.progress.notify_all();
    receiver.progress.notify_all();
    if (options_.trace)
      engine.spans.push_back({Span::Kind::Transfer, sender.index,
                              transfer.sender->seq, bytes, usAt(begin),
                              nowUs()});
  }
}

} // namespace runtime
} // namespace ringattn
