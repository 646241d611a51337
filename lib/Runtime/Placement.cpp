//===- Placement.cpp - Block placements for a host ------------------------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception

#include "RingAttn/Runtime/Placement.h"

#include "RingAttn/Support/BlockPlacement.h"

#include <algorithm>
#include <cstdio>
#include <string>

using namespace ringattn;

/// Writes `message` (truncated) to the caller's buffer.
static ringattn_status invalid(const std::string &message, char *error,
                               size_t errorSize) {
  if (error && errorSize)
    std::snprintf(error, errorSize, "%s", message.c_str());
  return RINGATTN_INVALID_ARGUMENT;
}

extern "C" ringattn_status
ringattn_check_placement(const int32_t *blocks, int64_t count, int64_t ranks,
                         int64_t localLength, char *error, size_t errorSize) {
  if (ranks < 1 || localLength < 1 || count < 0 || (count && !blocks))
    return invalid("a placement needs at least one rank of at least one "
                   "token, and its blocks",
                   error, errorSize);
  std::string wrong = placementError(
      std::vector<int32_t>(blocks, blocks + count), ranks, localLength);
  if (!wrong.empty())
    return invalid(wrong, error, errorSize);
  return RINGATTN_OK;
}

extern "C" ringattn_status
ringattn_balanced_placement(const ringattn_placement_mask *mask, int64_t ranks,
                            int64_t localLength, int64_t blocksPerRank,
                            int32_t *blocks, char *error, size_t errorSize) {
  if (!mask || !blocks || blocksPerRank < 1 ||
      (mask->num_starts && !mask->starts))
    return invalid("a balanced placement needs a mask, at least one block "
                   "a rank and room for the blocks",
                   error, errorSize);
  if (ranks < 1 || localLength < 1)
    return invalid("a placement needs at least one rank of at least one "
                   "token",
                   error, errorSize);
  std::string shape =
      placementShapeError(ranks * blocksPerRank, ranks, localLength);
  if (!shape.empty())
    return invalid(shape, error, errorSize);
  AttentionMask work = AttentionMask::of(mask->causal != 0);
  work.windowLeft = mask->window_left;
  work.windowRight = mask->window_right;
  work.length = mask->length;
  work.documentStarts.assign(mask->starts, mask->starts + mask->num_starts);
  std::sort(work.documentStarts.begin(), work.documentStarts.end());
  std::vector<int32_t> placed =
      balancedPlacement(work, ranks, localLength, blocksPerRank);
  std::copy(placed.begin(), placed.end(), blocks);
  return RINGATTN_OK;
}
