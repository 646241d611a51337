//===- Embedding.cpp - Compiled entries called through a context ----------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// A context is a RankBinding that lives across calls. ringattn_context_invoke
// binds it to the calling thread, sets the unwind target and calls the entry;
// a failure in the entry's runtime calls records the status and message and
// unwinds by longjmp to that target, inside this file, across compiled code
// (which has no destructors) and never across the caller's frames. Functions
// a longjmp may leave hold no objects with destructors: what must outlive
// the unwind lives in the binding.
//
//===----------------------------------------------------------------------===//

#include "RingAttn/Runtime/Embedding.h"
#include "RingAttn/Runtime/EntryCall.h"

#include "Format.h"
#include "RankBinding.h"

#include <array>
#include <atomic>
#include <csetjmp>
#include <cstdio>
#include <cstring>
#include <list>
#include <string>
#include <utility>

using namespace ringattn::runtime;

namespace {

/// The embedding API's limit (Embedding.h), within what callEntry takes.
constexpr int64_t kMaxOperands = 16;
static_assert(kMaxOperands <= kMaxEntryOperands);

/// A shift in flight: where it goes, and the transport's request for it
/// (null for a shift to the rank itself, done by a copy).
struct EmbeddedShift {
  int64_t seq, to, from;
  void *request = nullptr;
};

class ContextBinding final : public RankBinding {
public:
  explicit ContextBinding(const ringattn_context_options &options)
      : RankBinding(/*recycleScratch=*/true), options_(options),
        transport_(options.transport ? *options.transport
                                     : ringattn_transport{}) {}

  int64_t rank() override { return options_.rank; }
  int64_t size() override { return options_.size; }
  void *computeStream() override { return options_.stream; }

  RingShift *shiftStart(void *src, void *dst, int64_t bytes,
                        int64_t offset) override {
    int64_t size = options_.size;
    int64_t step = ((offset % size) + size) % size;
    EmbeddedShift &shift = inFlight_.emplace_back();
    shift.seq = nextSeq_++;
    shift.to = (options_.rank + step) % size;
    shift.from = (options_.rank - step + size) % size;
    transportError_[0] = '\0';
    if (step == 0)
      std::memmove(dst, src, static_cast<size_t>(bytes));
    else if (transport_.start(transport_.user, src, dst, bytes, shift.to,
                              shift.from, shift.seq, &shift.request,
                              transportError_, sizeof(transportError_)) != 0)
      failShift(shift, "could not start");
    return reinterpret_cast<RingShift *>(&shift);
  }

  void shiftWait(RingShift *handle) override {
    auto &shift = *reinterpret_cast<EmbeddedShift *>(handle);
    transportError_[0] = '\0';
    if (shift.request &&
        transport_.wait(transport_.user, shift.request,
                        options_.timeout_seconds, transportError_,
                        sizeof(transportError_)) != 0)
      failShift(shift, "failed waiting for");
    inFlight_.remove_if([&](const EmbeddedShift &s) { return &s == &shift; });
  }

  [[noreturn]] void fail(const char *message) override {
    error_ = formatString("rank %lld: %s",
                          static_cast<long long>(options_.rank), message);
    status_ = RINGATTN_CALL_FAILED;
    std::longjmp(unwindTarget_, 1);
  }

  /// Runs one call of `entry` as this rank.
  ringattn_status invoke(void *entry, int64_t numOperands,
                         void *const *operands) {
    status_ = RINGATTN_OK;
    error_.clear();
    nextSeq_ = 0;
    bindRank(this);
    if (setjmp(unwindTarget_) == 0)
      callEntry(entry, numOperands, operands);
    bindRank(nullptr);
    // Requests a stopped call did not wait for are the transport's to drop.
    inFlight_.clear();
    endCall();
    return status_;
  }

  const std::string &error() const { return error_; }
  std::atomic<bool> busy{false};

private:
  [[noreturn]] void failShift(const EmbeddedShift &shift, const char *what) {
    if (!transportError_[0])
      std::snprintf(transportError_, sizeof(transportError_),
                    "the transport gave no reason");
    error_ = formatString("rank %lld: %s shift %lld (send to rank %lld, "
                          "receive from rank %lld): %s",
                          static_cast<long long>(options_.rank), what,
                          static_cast<long long>(shift.seq),
                          static_cast<long long>(shift.to),
                          static_cast<long long>(shift.from), transportError_);
    status_ = RINGATTN_TRANSPORT_FAILED;
    std::longjmp(unwindTarget_, 1);
  }

  const ringattn_context_options options_;
  const ringattn_transport transport_;
  std::jmp_buf unwindTarget_;
  ringattn_status status_ = RINGATTN_OK;
  std::string error_;
  char transportError_[512] = "";
  int64_t nextSeq_ = 0;
  std::list<EmbeddedShift> inFlight_;
};

/// Why `options` cannot make a context, or "".
std::string checkOptions(const ringattn_context_options *options) {
  if (!options)
    return "no options given";
  if (options->size < 1)
    return formatString("the ring size must be at least 1 (got %lld)",
                        static_cast<long long>(options->size));
  if (options->rank < 0 || options->rank >= options->size)
    return formatString("rank %lld is not in [0, %lld), the ring's ranks",
                        static_cast<long long>(options->rank),
                        static_cast<long long>(options->size));
  if (!(options->timeout_seconds > 0))
    return formatString("the timeout must be positive (got %g s)",
                        options->timeout_seconds);
  if (options->size > 1 && (!options->transport || !options->transport->start ||
                            !options->transport->wait))
    return formatString("a ring of %lld ranks needs a transport with start "
                        "and wait functions",
                        static_cast<long long>(options->size));
  return "";
}

void copyError(const std::string &message, char *error, size_t errorSize) {
  if (error && errorSize > 0)
    std::snprintf(error, errorSize, "%s", message.c_str());
}

} // namespace

struct ringattn_context {
  explicit ringattn_context(const ringattn_context_options &options)
      : binding(options) {}
  ContextBinding binding;
  std::string error; ///< of the last call, the binding's or the argument's
};

extern "C" ringattn_status
ringattn_context_create(const ringattn_context_options *options,
                        ringattn_context **context, char *error,
                        size_t errorSize) {
  if (!context) {
    copyError("no place for the context given", error, errorSize);
    return RINGATTN_INVALID_ARGUMENT;
  }
  *context = nullptr;
  std::string why = checkOptions(options);
  if (!why.empty()) {
    copyError(why, error, errorSize);
    return RINGATTN_INVALID_ARGUMENT;
  }
  *context = new ringattn_context(*options);
  copyError("", error, errorSize);
  return RINGATTN_OK;
}

extern "C" void ringattn_context_destroy(ringattn_context *context) {
  delete context;
}

/// Why a call of `entry` with these operands cannot start, or "".
static std::string checkCall(void *entry, int64_t numOperands,
                             void *const *operands) {
  if (!entry)
    return "the entry is null";
  if (numOperands < 0 || numOperands > kMaxOperands)
    return formatString("an entry takes 0 to %lld operands (got %lld)",
                        static_cast<long long>(kMaxOperands),
                        static_cast<long long>(numOperands));
  if (numOperands > 0 && !operands)
    return "the operands are null";
  for (int64_t i = 0; i < numOperands; ++i)
    if (!operands[i])
      return formatString("operand %lld is null", static_cast<long long>(i));
  if (boundRank())
    return "this thread is already running a rank (a call from inside a "
           "compiled entry or a backend's rank)";
  return "";
}

extern "C" ringattn_status ringattn_context_invoke(ringattn_context *context,
                                                   void *entry,
                                                   int64_t numOperands,
                                                   void *const *operands) {
  // A call while another runs leaves that call's message alone.
  if (!context || context->binding.busy.exchange(true))
    return RINGATTN_INVALID_ARGUMENT;
  context->error = checkCall(entry, numOperands, operands);
  if (!context->error.empty()) {
    context->binding.busy = false;
    return RINGATTN_INVALID_ARGUMENT;
  }
  ringattn_status status =
      context->binding.invoke(entry, numOperands, operands);
  context->error = context->binding.error();
  context->binding.busy = false;
  return status;
}

extern "C" const char *ringattn_context_error(const ringattn_context *context) {
  return context ? context->error.c_str() : "no context given";
}

extern "C" ringattn_workspace_stats
ringattn_context_workspace(const ringattn_context *context) {
  ringattn_workspace_stats stats{};
  if (context) {
    const RankBinding &binding = context->binding;
    stats.bytes_held = binding.scratch.bytesHeld();
    stats.system_allocations = binding.scratch.systemAllocations();
    if (const ScratchMemory *device = binding.deviceScratchIfAny()) {
      stats.device_bytes_held = device->bytesHeld();
      stats.device_allocations = device->systemAllocations();
    }
  }
  return stats;
}
