/*===- Embedding.h - Compiled ring code called by its host --------*- C -*-===*\
 * SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
 *
 * The backends (Backend.h) own the ranks: they start the threads or
 * processes and run a body on each. A framework that embeds RingAttn owns
 * them already (torchrun started the processes, the caller's communicator
 * connects them), so it runs compiled entries through a context instead:
 *
 *  - the context is explicit: this process's rank, the ring size, and the
 *    transport that moves the ring's shifts through the caller's
 *    communication library (ringattn_transport);
 *  - errors come back as a status with a message (ringattn_context_error);
 *    nothing unwinds across the caller's frames;
 *  - the scratch compiled code allocates, host and device, is the context's
 *    workspace: what a call frees is kept for the next, so repeated calls of
 *    an entry allocate and fault in nothing after the first;
 *  - an entry compiled for the GPU (ring-lower-nvvm) queues its work on the
 *    caller's CUDA stream, and its shifts move device memory.
 *
 * A context is used by one thread at a time: a call made while another runs
 * returns RINGATTN_INVALID_ARGUMENT at once and leaves the running call's
 * message alone. See docs/Runtime.md.
\*===----------------------------------------------------------------------===*/

#ifndef RINGATTN_RUNTIME_EMBEDDING_H
#define RINGATTN_RUNTIME_EMBEDDING_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum ringattn_status {
  RINGATTN_OK = 0,
  /** The options or the call's arguments are wrong; nothing ran. */
  RINGATTN_INVALID_ARGUMENT = 1,
  /** The transport failed or timed out in a shift; the call stopped. */
  RINGATTN_TRANSPORT_FAILED = 2,
  /** The compiled code stopped: an operand it was not compiled for, or no
   *  memory for its scratch. */
  RINGATTN_CALL_FAILED = 3,
} ringattn_status;

/**
 * How a shift's bytes travel: the caller's communication library. Both
 * functions return 0, or nonzero with a one-line reason written to
 * `error[0 .. error_size)`.
 */
typedef struct ringattn_transport {
  /** Passed back to both functions. */
  void *user;
  /**
   * Starts sending `bytes` at `src` to rank `to` and receiving as many from
   * rank `from` into `dst`, and returns at once with `*request` set. `seq`
   * counts the context's shifts from 0 in each call: the k-th shifts of all
   * ranks match. `src` stays unmodified and `dst` unread until the wait.
   */
  int (*start)(void *user, const void *src, void *dst, int64_t bytes,
               int64_t to, int64_t from, int64_t seq, void **request,
               char *error, size_t error_size);
  /** Blocks until `request`'s send and receive completed, at most
   *  `timeout_seconds`, and releases it. */
  int (*wait)(void *user, void *request, double timeout_seconds, char *error,
              size_t error_size);
} ringattn_transport;

typedef struct ringattn_context_options {
  /** This process's rank on the ring, in [0, size). */
  int64_t rank;
  /** The number of ranks on the ring (the size the entry was compiled for). */
  int64_t size;
  /** Required when size > 1; copied into the context. */
  const ringattn_transport *transport;
  /** How long a shift may wait for its peers (> 0). */
  double timeout_seconds;
  /**
   * For entries compiled for the GPU: the CUDA stream (a CUstream, the
   * caller's) their kernels and copies are queued on, on the device the GPU
   * runtime has selected (mgpuSetDefaultDevice) when their module loaded.
   * A shift starts once the work before it on this stream is done, so the
   * transport may order its device-to-device transfers after it; null for
   * CPU entries.
   */
  void *stream;
} ringattn_context_options;

typedef struct ringattn_context ringattn_context;

/** The scratch a context holds between calls. */
typedef struct ringattn_workspace_stats {
  /** Host bytes allocated and kept for the next call. */
  uint64_t bytes_held;
  /** Host blocks taken from the system since the context was created. */
  uint64_t system_allocations;
  /** The same for device memory (entries compiled for the GPU). */
  uint64_t device_bytes_held;
  uint64_t device_allocations;
} ringattn_workspace_stats;

/**
 * Creates a context in `*context`. On RINGATTN_INVALID_ARGUMENT, `*context`
 * is null and `error` says which option is wrong.
 */
ringattn_status ringattn_context_create(const ringattn_context_options *options,
                                        ringattn_context **context, char *error,
                                        size_t error_size);

/** Frees the context and its workspace. */
void ringattn_context_destroy(ringattn_context *context);

/**
 * Calls `entry`, a compiled entry point in its C interface form
 * (`_mlir_ciface_<name>`, one memref descriptor pointer per operand), with
 * the `num_operands` (at most 16) pointers of `operands`, as this context's
 * rank. Returns RINGATTN_OK or why the call stopped; the message is
 * ringattn_context_error's. Every rank must make the same calls in the same
 * order, as with any collective.
 */
ringattn_status ringattn_context_invoke(ringattn_context *context, void *entry,
                                        int64_t num_operands,
                                        void *const *operands);

/** The message of the last call that failed ("" after a success). */
const char *ringattn_context_error(const ringattn_context *context);

/** What the context's workspace holds. */
ringattn_workspace_stats
ringattn_context_workspace(const ringattn_context *context);

#ifdef __cplusplus
}
#endif

#endif /* RINGATTN_RUNTIME_EMBEDDING_H */
