//===- Diagnostics.cpp - ring-run's errors, one line each -----------------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception

#include "Diagnostics.h"

#include "llvm/ADT/STLExtras.h"

using namespace mlir;

namespace ringattn {

/// "1, 3-6, 9": ascending rank indices with runs of three or more joined,
/// so a ring of thousands of ranks still reports on one readable line.
static std::string joinRanks(llvm::ArrayRef<size_t> ranks) {
  std::string text;
  for (size_t i = 0; i < ranks.size();) {
    size_t j = i;
    while (j + 1 < ranks.size() && ranks[j + 1] == ranks[j] + 1)
      ++j;
    text += (text.empty() ? "" : ", ") + std::to_string(ranks[i]);
    if (j >= i + 2)
      text += "-" + std::to_string(ranks[j]);
    else if (j == i + 1)
      text += ", " + std::to_string(ranks[j]);
    i = j + 1;
  }
  return text;
}

/// `error` without its "rank k: " prefix.
static llvm::StringRef withoutRank(llvm::StringRef error) {
  if (error.consume_front("rank ")) {
    size_t colon = error.find(": ");
    if (colon != llvm::StringRef::npos)
      return error.drop_front(colon + 2);
  }
  return error;
}

/// "; rank 3 <what>" or "; ranks 1-3 <what>", or "" for no ranks.
static std::string ranksThat(llvm::ArrayRef<size_t> ranks,
                             llvm::StringRef what) {
  if (ranks.empty())
    return "";
  return std::string("; ") + (ranks.size() == 1 ? "rank " : "ranks ") +
         joinRanks(ranks) + " " + what.str();
}

std::string describeRingFailure(const runtime::RunReport &report) {
  std::string stoppedBecause = ": stopped because " + report.error;
  llvm::StringRef firstWhy = withoutRank(report.error);
  // Ranks that fail the same way race to be first; the line names the lowest
  // of them so that it does not depend on the threads' timing.
  llvm::SmallVector<size_t> stopped, sameWay;
  std::string others;
  for (auto [index, rank] : llvm::enumerate(report.ranks)) {
    if (rank.ok)
      continue;
    if (!report.error.empty() &&
        llvm::StringRef(rank.error).ends_with(stoppedBecause))
      stopped.push_back(index);
    else if (!firstWhy.empty() && withoutRank(rank.error) == firstWhy)
      sameWay.push_back(index);
    else
      others += "; " + rank.error;
  }
  std::string line = report.error;
  if (!sameWay.empty()) {
    line = report.ranks[sameWay.front()].error;
    sameWay.erase(sameWay.begin());
  }
  line += others;
  line += ranksThat(sameWay, "failed the same way");
  line += ranksThat(stopped, "stopped because of it");
  if (llvm::StringRef(line).starts_with("; "))
    line.erase(0, 2);
  return oneLine(line);
}

} // namespace ringattn
