//===- AttentionMask.cpp - Which keys a query sees ------------------------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception

#include "RingAttn/Support/AttentionMask.h"

#include <algorithm>
#include <iterator>

namespace ringattn {

bool AttentionMask::sees(int64_t i, int64_t j) const {
  if (length >= 0 && (i >= length || j >= length))
    return false;
  if (causal && j > i)
    return false;
  if (windowLeft >= 0 && j < i - windowLeft)
    return false;
  if (windowRight >= 0 && j > i + windowRight)
    return false;
  return documentStarts.empty() || documentOf(i) == documentOf(j);
}

int64_t AttentionMask::documentOf(int64_t position) const {
  // The number of document starts at or before `position`, less the first.
  auto after =
      std::upper_bound(documentStarts.begin(), documentStarts.end(), position);
  int64_t starts = after - documentStarts.begin();
  bool firstListed = !documentStarts.empty() && documentStarts.front() == 0;
  return firstListed ? starts - 1 : starts;
}

int64_t AttentionMask::visibleKeys(int64_t i, int64_t keys) const {
  if (length >= 0) {
    if (i >= length)
      return 0;
    keys = std::min(keys, length);
  }
  // The keys i sees form one run [first, last].
  int64_t first = 0, last = keys - 1;
  if (causal)
    last = std::min(last, i);
  if (windowLeft >= 0)
    first = std::max(first, i - windowLeft);
  if (windowRight >= 0)
    last = std::min(last, i + windowRight);
  if (!documentStarts.empty()) {
    // The document's run: from its start to before the next document's.
    auto next =
        std::upper_bound(documentStarts.begin(), documentStarts.end(), i);
    if (next != documentStarts.begin())
      first = std::max(first, *std::prev(next));
    if (next != documentStarts.end())
      last = std::min(last, *next - 1);
  }
  return std::max<int64_t>(0, last - first + 1);
}

double AttentionMask::visiblePairs(int64_t queries, int64_t keys) const {
  double pairs = 0;
  for (int64_t i = 0; i < queries; ++i)
    pairs += visibleKeys(i, keys);
  return pairs;
}

} // namespace ringattn
