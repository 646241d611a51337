//===- SequenceLayout.cpp - Where a rank's tokens sit globally ------------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception

#include "RingAttn/Support/SequenceLayout.h"

#include <cassert>

namespace ringattn {

std::optional<Layout> parseLayout(std::string_view name) {
  if (name == "contiguous")
    return Layout::Contiguous;
  if (name == "zigzag")
    return Layout::Zigzag;
  if (name == "striped")
    return Layout::Striped;
  return std::nullopt;
}

const char *layoutName(Layout layout) {
  switch (layout) {
  case Layout::Contiguous:
    return "contiguous";
  case Layout::Zigzag:
    return "zigzag";
  case Layout::Striped:
    return "striped";
  }
  return "unknown";
}

std::vector<ChunkForm> layoutChunkForms(Layout layout, int64_t ranks,
                                        int64_t localLength) {
  assert(ranks > 0 && "a ring has ranks");
  switch (layout) {
  case Layout::Contiguous:
    return {{0, localLength, localLength, 0, 1}};
  case Layout::Zigzag: {
    // Rank r holds chunk r and chunk 2N - 1 - r of the 2N halves.
    assert(localLength % 2 == 0 && "zigzag needs an even local length");
    int64_t half = localLength / 2;
    return {{0, half, half, 0, 1},
            {half, half, -half, (2 * ranks - 1) * half, 1}};
  }
  case Layout::Striped:
    return {{0, localLength, 1, 0, ranks}};
  }
  return {};
}

std::vector<Chunk> layoutChunks(Layout layout, int64_t ranks, int64_t rank,
                                int64_t localLength) {
  assert(ranks > 0 && rank >= 0 && rank < ranks && "rank out of range");
  std::vector<Chunk> chunks;
  for (const ChunkForm &form : layoutChunkForms(layout, ranks, localLength))
    chunks.push_back({form.localBegin, form.length,
                      form.offsetPerRank * rank + form.offsetBase,
                      form.globalStride});
  return chunks;
}

int64_t globalPosition(Layout layout, int64_t ranks, int64_t rank,
                       int64_t localLength, int64_t t) {
  for (const Chunk &chunk : layoutChunks(layout, ranks, rank, localLength))
    if (t >= chunk.localBegin && t < chunk.localBegin + chunk.length)
      return chunk.globalOffset + chunk.globalStride * (t - chunk.localBegin);
  assert(false && "local token out of range");
  return -1;
}

int64_t globalPosition(const SequencePlacement &placement, int64_t ranks,
                       int64_t rank, int64_t localLength, int64_t t) {
  if (placement.blocks.empty())
    return globalPosition(placement.layout, ranks, rank, localLength, t);
  int64_t perRank = static_cast<int64_t>(placement.blocks.size()) / ranks;
  int64_t blockLength = localLength / perRank;
  int64_t block = placement.blocks[rank * perRank + t / blockLength];
  return block * blockLength + t % blockLength;
}

} // namespace ringattn
