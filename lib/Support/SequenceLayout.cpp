//===- SequenceLayout.cpp - Where a rank's tokens sit globally ------------===//

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

std::vector<Chunk> layoutChunks(Layout layout, int64_t ranks, int64_t rank,
                                int64_t localLength) {
  assert(ranks > 0 && rank >= 0 && rank < ranks && "rank out of range");
  switch (layout) {
  case Layout::Contiguous:
    return {{0, localLength, rank * localLength, 1}};
  case Layout::Zigzag: {
    assert(localLength % 2 == 0 && "zigzag needs an even local length");
    int64_t half = localLength / 2;
    return {{0, half, rank * half, 1},
            {half, half, (2 * ranks - 1 - rank) * half, 1}};
  }
  case Layout::Striped:
    return {{0, localLength, rank, ranks}};
  }
  return {};
}

int64_t globalPosition(Layout layout, int64_t ranks, int64_t rank,
                       int64_t localLength, int64_t t) {
  for (const Chunk &chunk : layoutChunks(layout, ranks, rank, localLength))
    if (t >= chunk.localBegin && t < chunk.localBegin + chunk.length)
      return chunk.globalOffset + chunk.globalStride * (t - chunk.localBegin);
  assert(false && "local token out of range");
  return -1;
}

} // namespace ringattn
