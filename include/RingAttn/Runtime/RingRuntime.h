/*===- RingRuntime.h - The C ABI compiled ring code calls ---------*- C -*-===*\
 * SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
 *
 * Lowered RingAttn modules call these functions (see docs/Runtime.md). The
 * communicator is implicit: the runtime binds one to each rank before it
 * calls the compiled entry point on that rank, and the functions below act on
 * the calling rank's communicator.
 *
 * Errors never return to compiled code: a failed or timed-out call records a
 * message naming the rank and the step, stops every rank of the ring, and
 * unwinds the calling rank back to the runtime (see docs/Runtime.md).
\*===----------------------------------------------------------------------===*/

#ifndef RINGATTN_RUNTIME_RINGRUNTIME_H
#define RINGATTN_RUNTIME_RINGRUNTIME_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** An asynchronous shift in flight; completed by ringattn_shift_wait. */
typedef struct RingShift RingShift;

/** The calling rank's index on the ring axis, in [0, ringattn_size()). */
int64_t ringattn_rank(void);

/** The number of ranks on the ring axis. */
int64_t ringattn_size(void);

/**
 * Starts sending `bytes` bytes at `src` to rank (rank + offset) mod size and
 * receiving as many bytes from rank (rank - offset) mod size into `dst`. Both
 * halves are issued together, so a ring of any size cannot deadlock. `src`
 * must stay unmodified and `dst` unread until the shift is waited.
 */
RingShift *ringattn_shift_start(void *src, void *dst, int64_t bytes,
                                int64_t offset);

/**
 * Blocks until this rank's send has been consumed and its receive has
 * arrived, then releases `shift`.
 */
void ringattn_shift_wait(RingShift *shift);

/**
 * Called by a compiled entry point (ring-check-entry-operands) when its
 * operand `operand` has `size` elements with stride `stride` in dimension
 * `dim` where the code was compiled for `expectedSize` and `expectedStride`.
 * Stops the calling rank with a message saying so; never returns.
 */
void ringattn_bad_operand(int64_t operand, int64_t dim, int64_t expectedSize,
                          int64_t size, int64_t expectedStride, int64_t stride);

/**
 * Called by a compiled entry point (ring-check-entry-operands) when entry
 * `index` of its block placement, operand `operand`, is `block`: outside
 * 0 .. `blocks` - 1, or a block an earlier entry placed. Stops the calling
 * rank with a message saying so; never returns.
 */
void ringattn_bad_placement(int64_t operand, int64_t index, int64_t block,
                            int64_t blocks);

/**
 * The heap of compiled code: ring-lower-cpu lowers memref.alloc and
 * memref.dealloc to these (finalize-memref-to-llvm's generic functions). An
 * allocation that fails stops the calling rank with a message; what a rank
 * that failed mid-run did not free is freed by the runtime.
 */
void *_mlir_memref_to_llvm_alloc(uint64_t bytes);
void *_mlir_memref_to_llvm_aligned_alloc(uint64_t alignment, uint64_t bytes);
void _mlir_memref_to_llvm_free(void *pointer);

#ifdef __cplusplus
}
#endif

#endif /* RINGATTN_RUNTIME_RINGRUNTIME_H */
