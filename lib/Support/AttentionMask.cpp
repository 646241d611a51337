//===- AttentionMask.cpp - Which keys a query sees ------------------------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception

#include "RingAttn/Support/AttentionMask.h"

#include <algorithm>

namespace ringattn {

bool AttentionMask::sees(int64_t i, int64_t j) const {
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

} // namespace ringattn
