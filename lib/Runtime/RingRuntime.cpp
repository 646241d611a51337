//===- RingRuntime.cpp - The C ABI, dispatched to the calling rank --------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception

#include "RankBinding.h"

#include "RingAttn/Runtime/RingRuntime.h"
#include "RingAttn/Runtime/RuntimeABI.h"

#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <type_traits>

using namespace ringattn::runtime;

// The C declarations are what RuntimeABI.def says compiled code calls.
namespace ringattn::abi {
#define RINGATTN_RUNTIME_FUNCTION(name, result, parameters)                    \
  static_assert(                                                               \
      std::is_same_v<KindsOf<decltype(::name)>::type, result parameters>,      \
      #name " in RingRuntime.h does not match RuntimeABI.def");
#include "RingAttn/Runtime/RuntimeABI.def"
} // namespace ringattn::abi

/// The backend rank the calling thread runs, or null outside a rank.
static thread_local RankBinding *threadRank = nullptr;

void ringattn::runtime::bindRank(RankBinding *binding) { threadRank = binding; }

RankBinding *ringattn::runtime::boundRank() { return threadRank; }

void RankBinding::failf(const char *format, ...) {
  char message[1024];
  va_list args;
  va_start(args, format);
  std::vsnprintf(message, sizeof(message), format, args);
  va_end(args);
  fail(message);
  std::abort(); // fail() never returns; GCC does not trust that of a virtual
}

static RankBinding &currentRank(const char *function) {
  if (!threadRank) {
    std::fprintf(stderr,
                 "ringattn: %s called on a thread with no rank bound; the "
                 "ring runtime only works inside a rank run by a backend "
                 "(runOnThreads, runOnMpi, runOnOneGpu, runOnNccl)\n",
                 function);
    std::abort();
  }
  return *threadRank;
}

extern "C" int64_t ringattn_rank(void) {
  return currentRank("ringattn_rank").rank();
}

extern "C" int64_t ringattn_size(void) {
  return currentRank("ringattn_size").size();
}

extern "C" RingShift *ringattn_shift_start(void *src, void *dst, int64_t bytes,
                                           int64_t offset) {
  return currentRank("ringattn_shift_start")
      .shiftStart(src, dst, bytes, offset);
}

extern "C" void ringattn_shift_wait(RingShift *shift) {
  currentRank("ringattn_shift_wait").shiftWait(shift);
}

extern "C" void ringattn_bad_operand(int64_t operand, int64_t dim,
                                     int64_t expectedSize, int64_t size,
                                     int64_t expectedStride, int64_t stride) {
  // Also called outside a rank (an AOT caller): say it before aborting.
  const char *format =
      "entry operand %lld has size %lld and stride %lld in dimension %lld, "
      "but the entry was compiled for size %lld and stride %lld (the "
      "caller's buffers do not match the module's types or its ring.abi)";
  if (!threadRank) {
    std::fprintf(stderr, "ringattn: ");
    std::fprintf(stderr, format, (long long)operand, (long long)size,
                 (long long)stride, (long long)dim, (long long)expectedSize,
                 (long long)expectedStride);
    std::fprintf(stderr, "\n");
    std::abort();
  }
  threadRank->failf(format, (long long)operand, (long long)size,
                    (long long)stride, (long long)dim, (long long)expectedSize,
                    (long long)expectedStride);
}

extern "C" void ringattn_bad_placement(int64_t operand, int64_t index,
                                       int64_t block, int64_t blocks) {
  const char *format =
      "entry operand %lld, the block placement, lists block %lld at entry "
      "%lld: a placement lists each of its %lld blocks, 0 to %lld, once";
  if (!threadRank) {
    std::fprintf(stderr, "ringattn: ");
    std::fprintf(stderr, format, (long long)operand, (long long)block,
                 (long long)index, (long long)blocks, (long long)blocks - 1);
    std::fprintf(stderr, "\n");
    std::abort();
  }
  threadRank->failf(format, (long long)operand, (long long)block,
                    (long long)index, (long long)blocks, (long long)blocks - 1);
}
