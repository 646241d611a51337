//===- EmbeddingTestSupport.h - Contexts and a transport --------*- C++ -*-===//
//-*-===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// For the tests of embedding contexts (Embedding.h): a context that lives as
// long as the test, and a test double of the caller's transport that moves
// the bytes of a shift between the threads of this process, as a
// framework's communicator would between processes. On the fake CUDA driver
// device memory is host memory, so it serves GPU entries too.
//
//===----------------------------------------------------------------------===//

#ifndef RINGATTN_UNITTESTS_RUNTIME_EMBEDDINGTESTSUPPORT_H
#define RINGATTN_UNITTESTS_RUNTIME_EMBEDDINGTESTSUPPORT_H

#include "RingAttn/Runtime/Embedding.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

namespace ringattn {
namespace testing {

/// A context, destroyed with the test; `status` and `message` are its
/// creation's.
struct ScopedContext {
  explicit ScopedContext(const ringattn_context_options &options) {
    char error[256];
    status = ringattn_context_create(&options, &context, error, sizeof(error));
    message = error;
  }
  ~ScopedContext() { ringattn_context_destroy(context); }
  ringattn_context *context = nullptr;
  ringattn_status status;
  std::string message;
};

/// Moves shifts between the threads of a ring: a receive is copied by the
/// receiver's wait once the matching send was started.
class ThreadHub {
public:
  /// What a rank's context is given: start and wait as `rank`.
  struct Endpoint {
    ThreadHub *hub;
    int64_t rank;
  };

  explicit ThreadHub(int64_t ranks) {
    for (int64_t r = 0; r < ranks; ++r)
      endpoints_.push_back(std::make_unique<Endpoint>(Endpoint{this, r}));
  }

  ringattn_transport transportOf(int64_t rank) {
    return ringattn_transport{endpoints_[rank].get(), &ThreadHub::start,
                              &ThreadHub::wait};
  }

  /// Starts fail with this message when it is not empty.
  std::string failStart;

private:
  /// A message: (sender, receiver, how many the sender sent it before). The
  /// runtime's `seq` restarts with each call; this count does not.
  using Key = std::tuple<int64_t, int64_t, int64_t>;
  struct Request {
    Key send, receive;
    void *dst;
    int64_t bytes;
  };

  static int start(void *user, const void *src, void *dst, int64_t bytes,
                   int64_t to, int64_t from, int64_t /*seq*/, void **request,
                   char *error, size_t errorSize) {
    auto *endpoint = static_cast<Endpoint *>(user);
    ThreadHub &hub = *endpoint->hub;
    std::lock_guard<std::mutex> lock(hub.mutex_);
    if (!hub.failStart.empty()) {
      std::snprintf(error, errorSize, "%s", hub.failStart.c_str());
      return 1;
    }
    int64_t rank = endpoint->rank;
    Key send{rank, to, hub.messages_[{rank, to}]++};
    Key receive{from, rank, hub.receives_[{from, rank}]++};
    hub.sends_[send] = {src, bytes};
    *request = new Request{send, receive, dst, bytes};
    hub.changed_.notify_all();
    return 0;
  }

  static int wait(void *user, void *handle, double timeoutSeconds, char *error,
                  size_t errorSize) {
    ThreadHub &hub = *static_cast<Endpoint *>(user)->hub;
    std::unique_ptr<Request> request(static_cast<Request *>(handle));
    std::unique_lock<std::mutex> lock(hub.mutex_);
    auto deadline = std::chrono::steady_clock::now() +
                    std::chrono::duration_cast<std::chrono::nanoseconds>(
                        std::chrono::duration<double>(timeoutSeconds));
    Key mine = request->receive;
    bool done = hub.changed_.wait_until(
        lock, deadline, [&] { return hub.sends_.count(mine) != 0; });
    if (done) {
      auto [src, bytes] = hub.sends_[mine];
      std::memcpy(request->dst, src,
                  static_cast<size_t>(std::min(bytes, request->bytes)));
      hub.sends_.erase(mine);
      hub.copied_.insert(mine);
      hub.changed_.notify_all();
      // The peer must have copied our send out before `src` may change.
      Key theirs = request->send;
      done = hub.changed_.wait_until(
          lock, deadline, [&] { return hub.copied_.count(theirs) != 0; });
    }
    if (done)
      return 0;
    std::snprintf(error, errorSize, "timed out after %g s", timeoutSeconds);
    return 1;
  }

  std::vector<std::unique_ptr<Endpoint>> endpoints_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::map<std::pair<int64_t, int64_t>, int64_t> messages_, receives_;
  std::map<Key, std::pair<const void *, int64_t>> sends_;
  std::set<Key> copied_;
};

} // namespace testing
} // namespace ringattn

#endif // RINGATTN_UNITTESTS_RUNTIME_EMBEDDINGTESTSUPPORT_H
