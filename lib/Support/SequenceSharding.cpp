//===- SequenceSharding.cpp - Global tensors to rank shards and back -----===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception

#include "RingAttn/Support/SequenceSharding.h"

#include <cstring>

namespace ringattn {

namespace {
/// Copies token rows between a global tensor and one shard, in either
/// direction, for every (batch, head). A shard's tokens at positions past
/// the global tensor are padding: zero in the shard, dropped from it.
void copyTokens(const HostTensor &from, HostTensor &to,
                const SequencePlacement &placement, int ranks, int rank,
                bool toShard) {
  const HostTensor &global = toShard ? from : to;
  const HostTensor &shard = toShard ? to : from;
  const std::vector<int64_t> &g = global.shape(), &s = shard.shape();
  const int64_t rowBytes = g[3] * global.bytesPerElement();
  const int64_t planes = g[0] * g[1], globalLen = g[2], localLen = s[2];
  const auto *src = static_cast<const uint8_t *>(from.data());
  auto *dst = static_cast<uint8_t *>(to.data());
  for (int64_t t = 0; t < localLen; ++t) {
    int64_t pos = globalPosition(placement, ranks, rank, localLen, t);
    if (pos >= globalLen) {
      for (int64_t p = 0; p < planes && toShard; ++p)
        std::memset(dst + (p * localLen + t) * rowBytes, 0, rowBytes);
      continue;
    }
    for (int64_t p = 0; p < planes; ++p) {
      int64_t globalRow = p * globalLen + pos, localRow = p * localLen + t;
      int64_t fromRow = toShard ? globalRow : localRow;
      int64_t toRow = toShard ? localRow : globalRow;
      std::memcpy(dst + toRow * rowBytes, src + fromRow * rowBytes, rowBytes);
    }
  }
}
} // namespace

std::string shardName(int rank, const std::string &operand) {
  return "rank " + std::to_string(rank) + "'s shard of " + operand;
}

bool scatterSequence(const HostTensor &global,
                     const SequencePlacement &placement, int ranks,
                     int64_t localLength, const std::string &operand,
                     std::vector<HostTensor> &shards, std::string &error) {
  std::vector<int64_t> localShape = global.shape();
  localShape[2] = localLength;
  shards.clear();
  shards.resize(ranks);
  for (int r = 0; r < ranks; ++r) {
    if (!shards[r].allocate(shardName(r, operand), global.type(), localShape,
                            error))
      return false;
    copyTokens(global, shards[r], placement, ranks, r, /*toShard=*/true);
  }
  return true;
}

bool shardsForProcess(HostTensor *global, const SequencePlacement &placement,
                      int ranks, ElementType type,
                      const std::vector<int64_t> &shardShape,
                      const std::function<bool(int rank)> &runsRank,
                      const std::string &operand,
                      std::vector<HostTensor> &shards, std::string &error) {
  shards.clear();
  if (global && ranks == 1 && global->shape() == shardShape &&
      placement.blocks.empty()) {
    shards.push_back(std::move(*global));
    return true;
  }
  if (global)
    return scatterSequence(*global, placement, ranks, shardShape[2], operand,
                           shards, error);
  shards.resize(ranks);
  for (int r = 0; r < ranks; ++r)
    if (!shards[r].allocate(
            shardName(r, operand), type,
            runsRank(r) ? shardShape : std::vector<int64_t>{0, 0, 0, 0}, error))
      return false;
  return true;
}

void gatherSequence(const std::vector<HostTensor> &shards,
                    const SequencePlacement &placement, HostTensor &global) {
  for (size_t r = 0; r < shards.size(); ++r)
    copyTokens(shards[r], global, placement, static_cast<int>(shards.size()),
               static_cast<int>(r), /*toShard=*/false);
}

} // namespace ringattn
