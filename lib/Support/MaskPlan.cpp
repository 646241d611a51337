//===- MaskPlan.cpp - The work and traffic a mask leaves ------------------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// For each query position the keys it may see form one interval: the
// window's bounds, `j <= i` under causal, its document's extent, and the
// positions before the padding. On a
// key run (an arithmetic progression) the keys inside an interval are
// counted in O(1), so a pair of runs is classified exactly in one pass over
// the queries.
//
//===----------------------------------------------------------------------===//

#include "RingAttn/Support/MaskPlan.h"

#include <algorithm>
#include <limits>

namespace ringattn {

const char *visibilityName(BlockVisibility visibility) {
  switch (visibility) {
  case BlockVisibility::Empty:
    return "empty";
  case BlockVisibility::Partial:
    return "partial";
  case BlockVisibility::Full:
    return "full";
  }
  return "?";
}

namespace {

constexpr int64_t kNoBound = std::numeric_limits<int64_t>::max() / 4;

int64_t floorDiv(int64_t a, int64_t b) {
  return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}

/// How many positions of `run` lie in [low, high].
int64_t countIn(PositionRun run, int64_t low, int64_t high) {
  if (low > high || run.length == 0)
    return 0;
  int64_t first = std::max<int64_t>(0, -floorDiv(run.offset - low, run.stride));
  int64_t last =
      std::min(run.length - 1, floorDiv(high - run.offset, run.stride));
  return std::max<int64_t>(0, last - first + 1);
}

/// The first and last position of the document holding `position`.
std::pair<int64_t, int64_t> documentExtent(const AttentionMask &mask,
                                           int64_t position) {
  const std::vector<int64_t> &starts = mask.documentStarts;
  auto next = std::upper_bound(starts.begin(), starts.end(), position);
  int64_t begin = next == starts.begin() ? 0 : *(next - 1);
  int64_t end = next == starts.end() ? kNoBound : *next - 1;
  return {begin, end};
}

/// Combines the visibilities of the pairs making up one block.
BlockVisibility merge(BlockVisibility a, BlockVisibility b) {
  return a == b ? a : BlockVisibility::Partial;
}

} // namespace

BlockVisibility classifyBlock(const AttentionMask &mask, PositionRun queries,
                              PositionRun keys) {
  if (queries.length == 0 || keys.length == 0)
    return BlockVisibility::Empty;
  bool anySeen = false, allSeen = true;
  for (int64_t n = 0; n < queries.length; ++n) {
    int64_t i = queries.offset + queries.stride * n;
    int64_t low = mask.windowLeft >= 0 ? i - mask.windowLeft : -kNoBound;
    int64_t high = mask.windowRight >= 0 ? i + mask.windowRight : kNoBound;
    if (mask.causal)
      high = std::min(high, i);
    // Padding sees nothing and is seen by nothing.
    if (mask.length >= 0)
      high = i < mask.length ? std::min(high, mask.length - 1) : -kNoBound;
    if (!mask.documentStarts.empty()) {
      auto [begin, end] = documentExtent(mask, i);
      low = std::max(low, begin);
      high = std::min(high, end);
    }
    int64_t seen = countIn(keys, low, high);
    anySeen |= seen > 0;
    allSeen &= seen == keys.length;
  }
  if (!anySeen)
    return BlockVisibility::Empty;
  return allSeen ? BlockVisibility::Full : BlockVisibility::Partial;
}

RingPlan planRing(const AttentionMask &mask, Layout layout, int64_t ranks,
                  int64_t localLength) {
  RingPlan plan;
  plan.visibility.assign(ranks, std::vector<BlockVisibility>(ranks));
  for (int64_t r = 0; r < ranks; ++r) {
    std::vector<Chunk> queries = layoutChunks(layout, ranks, r, localLength);
    for (int64_t s = 0; s < ranks; ++s) {
      std::vector<Chunk> keys =
          layoutChunks(layout, ranks, (r - s + ranks) % ranks, localLength);
      bool first = true;
      BlockVisibility block = BlockVisibility::Empty;
      for (const Chunk &q : queries)
        for (const Chunk &k : keys) {
          BlockVisibility pair =
              classifyBlock(mask, {q.globalOffset, q.globalStride, q.length},
                            {k.globalOffset, k.globalStride, k.length});
          block = first ? pair : merge(block, pair);
          first = false;
        }
      plan.visibility[r][s] = block;
      if (block != BlockVisibility::Empty)
        plan.lastNeededStep = std::max(plan.lastNeededStep, s);
    }
  }
  return plan;
}

} // namespace ringattn
