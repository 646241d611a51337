//===- FakeNccl.cpp - NCCL between threads of one process -----------------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// A test double for libnccl, loaded through RINGATTN_NCCL_LIBRARY, so that
// the NCCL backend runs on machines without GPUs: each thread that calls
// runOnNccl is one rank, and the "communicator" is a mailbox shared by the
// ranks that used the same unique id.
//
// It behaves like a non-blocking communicator: creating one is in progress
// until every rank joined; a group is in progress until every send and
// receive in it met its peer's, and the bytes move at that moment (so a
// stream never has NCCL work pending). Sends and receives between two ranks
// match in order, and a byte count that differs is an error, as is a peer
// that aborted (ncclRemoteError).
//
//===----------------------------------------------------------------------===//

#include "NcclLibrary.h"

#include <atomic>
#include <cstring>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unistd.h>
#include <vector>

using namespace ringattn::runtime::nccl;
using ringattn::runtime::cuda::CUstream;

namespace {
enum : ncclResult_t {
  ncclInvalidArgument = 4,
  ncclInvalidUsage = 5,
  ncclRemoteError = 6,
};

struct Clique;

/// A send or receive waiting for its peer.
struct Posted {
  ::ncclComm *comm;
  void *buffer;
  size_t count;
};

struct Clique {
  int size = 0;
  std::vector<::ncclComm *> members;
  int joined = 0;
  bool broken = false;
  std::string brokenBy;
  std::map<std::pair<int, int>, std::deque<Posted>> sends, receives;
};
} // namespace

struct ncclComm {
  std::shared_ptr<Clique> clique;
  int rank = 0;
  int pending = 0; ///< this rank's sends and receives not yet matched
  ncclResult_t error = ncclSuccess;
  std::string lastError;
};

namespace {
std::mutex mutex;
std::map<std::string, std::shared_ptr<Clique>> cliques;
std::atomic<int> version{22809};
std::atomic<int> lastBlocking{-1};
std::atomic<int> idCounter{0};

struct Op {
  bool send;
  void *buffer;
  size_t count;
  int peer;
  ::ncclComm *comm;
};
thread_local int groupDepth = 0;
thread_local std::vector<Op> group;

void failBoth(::ncclComm *a, ::ncclComm *b, const std::string &why) {
  for (::ncclComm *comm : {a, b}) {
    comm->error = ncclInvalidUsage;
    comm->lastError = why;
  }
}

/// Posts one operation and matches it with its peer's if that is waiting.
void post(const Op &op) {
  ::ncclComm *comm = op.comm;
  Clique &clique = *comm->clique;
  int from = op.send ? comm->rank : op.peer;
  int to = op.send ? op.peer : comm->rank;
  auto &mine = op.send ? clique.sends[{from, to}] : clique.receives[{from, to}];
  auto &theirs =
      op.send ? clique.receives[{from, to}] : clique.sends[{from, to}];
  if (theirs.empty()) {
    mine.push_back({comm, op.buffer, op.count});
    ++comm->pending;
    return;
  }
  Posted peer = theirs.front();
  theirs.pop_front();
  --peer.comm->pending;
  if (peer.count != op.count) {
    failBoth(comm, peer.comm,
             "fake NCCL: rank " + std::to_string(from) + " sends " +
                 std::to_string(op.send ? op.count : peer.count) +
                 " bytes but rank " + std::to_string(to) + " receives " +
                 std::to_string(op.send ? peer.count : op.count));
    return;
  }
  void *dst = op.send ? peer.buffer : op.buffer;
  const void *src = op.send ? op.buffer : peer.buffer;
  if (op.count)
    std::memcpy(dst, src, op.count);
}

/// Forgets `comm`'s unmatched operations.
void purge(::ncclComm *comm) {
  for (auto *queues : {&comm->clique->sends, &comm->clique->receives})
    for (auto &entry : *queues)
      for (auto it = entry.second.begin(); it != entry.second.end();)
        it = it->comm == comm ? entry.second.erase(it) : it + 1;
}

void leave(::ncclComm *comm) {
  purge(comm);
  Clique &clique = *comm->clique;
  clique.members[comm->rank] = nullptr;
  bool empty = true;
  for (::ncclComm *member : clique.members)
    empty = empty && !member;
  if (empty)
    for (auto it = cliques.begin(); it != cliques.end(); ++it)
      if (it->second == comm->clique) {
        cliques.erase(it);
        break;
      }
  delete comm;
}

ncclResult_t enqueue(const Op &op) {
  if (groupDepth > 0) {
    group.push_back(op);
    return ncclSuccess;
  }
  std::lock_guard<std::mutex> lock(mutex);
  post(op);
  return op.comm->pending ? ncclInProgress : ncclSuccess;
}
} // namespace

extern "C" {

//===----------------------------------------------------------------------===//
// Controls for tests
//===----------------------------------------------------------------------===//

void fakeNcclSetVersion(int code) { version = code; }
int fakeNcclLastBlocking() { return lastBlocking; }

//===----------------------------------------------------------------------===//
// NCCL
//===----------------------------------------------------------------------===//

ncclResult_t ncclGetVersion(int *code) {
  *code = version;
  return ncclSuccess;
}

const char *ncclGetErrorString(ncclResult_t result) {
  switch (result) {
  case ncclSuccess:
    return "no error";
  case ncclInvalidArgument:
    return "invalid argument";
  case ncclInvalidUsage:
    return "invalid usage";
  case ncclRemoteError:
    return "remote process exited or there was a network error";
  case ncclInProgress:
    return "NCCL operation in progress";
  default:
    return "unknown result code";
  }
}

const char *ncclGetLastError(ncclComm_t comm) {
  return comm ? comm->lastError.c_str() : "";
}

ncclResult_t ncclGetUniqueId(ncclUniqueId *id) {
  std::memset(id->internal, 0, sizeof(id->internal));
  std::snprintf(id->internal, sizeof(id->internal), "fake-nccl-%ld-%d",
                static_cast<long>(getpid()), idCounter++);
  return ncclSuccess;
}

ncclResult_t ncclCommInitRankConfig(ncclComm_t *result, int ranks,
                                    ncclUniqueId id, int rank,
                                    ncclConfig_t *config) {
  if (!config || config->magic != 0xcafebeef || config->size < 16 ||
      config->version < 21400)
    return ncclInvalidArgument;
  lastBlocking = config->blocking;
  if (ranks < 1 || rank < 0 || rank >= ranks)
    return ncclInvalidArgument;
  std::lock_guard<std::mutex> lock(mutex);
  std::shared_ptr<Clique> &clique =
      cliques[std::string(id.internal, sizeof(id.internal))];
  if (!clique) {
    clique = std::make_shared<Clique>();
    clique->size = ranks;
    clique->members.assign(ranks, nullptr);
  }
  if (clique->size != ranks || clique->members[rank])
    return ncclInvalidUsage;
  auto *comm = new ::ncclComm();
  comm->clique = clique;
  comm->rank = rank;
  clique->members[rank] = comm;
  ++clique->joined;
  *result = comm;
  return ncclInProgress;
}

ncclResult_t ncclCommGetAsyncError(ncclComm_t comm, ncclResult_t *state) {
  std::lock_guard<std::mutex> lock(mutex);
  if (comm->error != ncclSuccess)
    *state = comm->error;
  else if (comm->clique->broken) {
    comm->lastError = "fake NCCL: " + comm->clique->brokenBy;
    *state = ncclRemoteError;
  } else if (comm->clique->joined < comm->clique->size || comm->pending > 0)
    *state = ncclInProgress;
  else
    *state = ncclSuccess;
  return ncclSuccess;
}

ncclResult_t ncclCommFinalize(ncclComm_t) { return ncclInProgress; }

ncclResult_t ncclCommDestroy(ncclComm_t comm) {
  std::lock_guard<std::mutex> lock(mutex);
  leave(comm);
  return ncclSuccess;
}

ncclResult_t ncclCommAbort(ncclComm_t comm) {
  std::lock_guard<std::mutex> lock(mutex);
  comm->clique->broken = true;
  comm->clique->brokenBy = "rank " + std::to_string(comm->rank) + " aborted";
  leave(comm);
  return ncclSuccess;
}

ncclResult_t ncclGroupStart() {
  ++groupDepth;
  return ncclSuccess;
}

ncclResult_t ncclGroupEnd() {
  if (groupDepth == 0)
    return ncclInvalidUsage;
  if (--groupDepth > 0)
    return ncclSuccess;
  std::lock_guard<std::mutex> lock(mutex);
  bool pending = false;
  for (const Op &op : group) {
    post(op);
    pending = pending || op.comm->pending > 0;
  }
  group.clear();
  return pending ? ncclInProgress : ncclSuccess;
}

ncclResult_t ncclSend(const void *buffer, size_t count, ncclDataType_t type,
                      int peer, ncclComm_t comm, CUstream) {
  if (type != ncclUint8 || peer < 0 || peer >= comm->clique->size)
    return ncclInvalidArgument;
  return enqueue({true, const_cast<void *>(buffer), count, peer, comm});
}

ncclResult_t ncclRecv(void *buffer, size_t count, ncclDataType_t type, int peer,
                      ncclComm_t comm, CUstream) {
  if (type != ncclUint8 || peer < 0 || peer >= comm->clique->size)
    return ncclInvalidArgument;
  return enqueue({false, buffer, count, peer, comm});
}

} // extern "C"
