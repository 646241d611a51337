/*===- Placement.h - Block placements for a host ------------------*- C -*-===*\
 * SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
 *
 * A host that lays a ring out by a block placement (ring.attention's
 * `placement(%blocks)`, docs/Semantics.md "Balanced placement") chooses it
 * where the batch is packed: these wrap lib/Support's BlockPlacement.h for
 * callers without C++ (the PyTorch package, through ctypes), so that one
 * implementation checks and balances placements everywhere.
\*===----------------------------------------------------------------------===*/

#ifndef RINGATTN_RUNTIME_PLACEMENT_H
#define RINGATTN_RUNTIME_PLACEMENT_H

#include "RingAttn/Runtime/Embedding.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * The mask a placement balances: `causal`, a sliding window (a negative
 * bound is none), the true length (negative: every position is real) and
 * the `num_starts` document starts at `starts` (none when 0).
 */
typedef struct ringattn_placement_mask {
  int causal;
  int64_t window_left, window_right;
  int64_t length;
  const int32_t *starts;
  int64_t num_starts;
} ringattn_placement_mask;

/**
 * Checks the `count` blocks at `blocks` as a placement of `ranks` ranks of
 * `local_length` tokens each: RINGATTN_OK, or RINGATTN_INVALID_ARGUMENT
 * with what is wrong written to `error[0 .. error_size)`.
 */
ringattn_status ringattn_check_placement(const int32_t *blocks, int64_t count,
                                         int64_t ranks, int64_t local_length,
                                         char *error, size_t error_size);

/**
 * Writes to `blocks[0 .. ranks * blocks_per_rank)` the placement that
 * balances the work `mask` leaves over `ranks` ranks of `local_length`
 * tokens (balancedPlacement). RINGATTN_INVALID_ARGUMENT, with a message,
 * when the ranks, the blocks or the mask do not make one.
 */
ringattn_status ringattn_balanced_placement(const ringattn_placement_mask *mask,
                                            int64_t ranks, int64_t local_length,
                                            int64_t blocks_per_rank,
                                            int32_t *blocks, char *error,
                                            size_t error_size);

#ifdef __cplusplus
}
#endif

#endif /* RINGATTN_RUNTIME_PLACEMENT_H */
