//===- BlockPlacement.cpp - Which ranks hold which blocks -----------------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception

#include "RingAttn/Support/BlockPlacement.h"

#include <algorithm>
#include <numeric>

namespace ringattn {

std::string placementShapeError(int64_t count, int64_t ranks,
                                int64_t localLength) {
  if (count <= 0 || count % ranks != 0)
    return "a placement of " + std::to_string(count) +
           " blocks does not give each of " + std::to_string(ranks) +
           " ranks the same number";
  if (localLength % (count / ranks) != 0)
    return std::to_string(count / ranks) + " blocks per rank do not divide " +
           std::to_string(localLength) + " local tokens";
  return "";
}

std::string placementError(const std::vector<int32_t> &blocks, int64_t ranks,
                           int64_t localLength) {
  int64_t count = static_cast<int64_t>(blocks.size());
  if (std::string shape = placementShapeError(count, ranks, localLength);
      !shape.empty())
    return shape;
  std::vector<bool> seen(count, false);
  for (int64_t i = 0; i < count; ++i) {
    int32_t block = blocks[i];
    if (block < 0 || block >= count)
      return "entry " + std::to_string(i) + " is block " +
             std::to_string(block) + ", not in [0, " + std::to_string(count) +
             ")";
    if (seen[block])
      return "block " + std::to_string(block) +
             " is placed twice (again at "
             "entry " +
             std::to_string(i) + ")";
    seen[block] = true;
  }
  return "";
}

std::vector<double> blockWork(const AttentionMask &mask, int64_t ranks,
                              int64_t localLength, int64_t blocksPerRank) {
  int64_t positions = ranks * localLength;
  int64_t blockLength = localLength / blocksPerRank;
  std::vector<double> work(ranks * blocksPerRank, 0);
  for (int64_t i = 0; i < positions; ++i)
    work[i / blockLength] += mask.visibleKeys(i, positions);
  return work;
}

std::vector<int32_t> balancedPlacement(const AttentionMask &mask, int64_t ranks,
                                       int64_t localLength,
                                       int64_t blocksPerRank) {
  std::vector<double> work = blockWork(mask, ranks, localLength, blocksPerRank);
  std::vector<int32_t> heaviestFirst(work.size());
  std::iota(heaviestFirst.begin(), heaviestFirst.end(), 0);
  std::stable_sort(heaviestFirst.begin(), heaviestFirst.end(),
                   [&](int32_t a, int32_t b) { return work[a] > work[b]; });
  std::vector<double> load(ranks, 0);
  std::vector<std::vector<int32_t>> held(ranks);
  for (int32_t block : heaviestFirst) {
    int64_t lightest = -1;
    for (int64_t r = 0; r < ranks; ++r)
      if (static_cast<int64_t>(held[r].size()) < blocksPerRank &&
          (lightest < 0 || load[r] < load[lightest]))
        lightest = r;
    held[lightest].push_back(block);
    load[lightest] += work[block];
  }
  std::vector<int32_t> blocks;
  for (std::vector<int32_t> &rank : held) {
    std::sort(rank.begin(), rank.end());
    blocks.insert(blocks.end(), rank.begin(), rank.end());
  }
  return blocks;
}

} // namespace ringattn
