//===- SequenceLayout.h - Where a rank's tokens sit globally ----*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// The position arithmetic of the sequence layouts (docs/Semantics.md), in
// plain C++ so that the compiler, the runtime and the tools share one copy.
//
//===----------------------------------------------------------------------===//

#ifndef RINGATTN_SUPPORT_SEQUENCELAYOUT_H
#define RINGATTN_SUPPORT_SEQUENCELAYOUT_H

#include <cstdint>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

namespace ringattn {

enum class Layout { Contiguous, Zigzag, Striped };

std::optional<Layout> parseLayout(std::string_view name);
const char *layoutName(Layout layout);

/// A run of local tokens whose global positions are affine:
/// local token `localBegin + i` (0 <= i < length) is global token
/// `globalOffset + globalStride * i`.
struct Chunk {
  int64_t localBegin;
  int64_t length;
  int64_t globalOffset;
  int64_t globalStride;
};

/// A chunk of every rank's local tokens whose global offset is affine in the
/// rank: rank r's local token `localBegin + i` (0 <= i < length) is global
/// token `offsetPerRank * r + offsetBase + globalStride * i`. The compiler
/// builds that expression in IR for a rank known only at run time.
struct ChunkForm {
  int64_t localBegin;
  int64_t length;
  int64_t offsetPerRank;
  int64_t offsetBase;
  int64_t globalStride;
};

/// The chunks of `layout` over `ranks` ranks of `localLength` tokens each.
/// Zigzag needs an even `localLength`. Every other function here is
/// computed from these.
std::vector<ChunkForm> layoutChunkForms(Layout layout, int64_t ranks,
                                        int64_t localLength);

/// The affine chunks of rank `rank` of `ranks`, each holding `localLength`
/// tokens. Zigzag needs an even `localLength`.
std::vector<Chunk> layoutChunks(Layout layout, int64_t ranks, int64_t rank,
                                int64_t localLength);

/// The global position of local token `t` of rank `rank`.
int64_t globalPosition(Layout layout, int64_t ranks, int64_t rank,
                       int64_t localLength, int64_t t);

/// Where every rank's local tokens sit: a static `layout`, or, when `blocks`
/// is not empty, a block placement chosen at run time (BlockPlacement.h):
/// the positions are cut into `blocks.size()` equal blocks, k per rank, and
/// rank r's local tokens [j*L/k, (j+1)*L/k) are global block
/// `blocks[r*k + j]`.
struct SequencePlacement {
  /// A static layout is a placement (implicitly: every layout is one).
  SequencePlacement(Layout layout = Layout::Contiguous,
                    std::vector<int32_t> blocks = {})
      : layout(layout), blocks(std::move(blocks)) {}

  Layout layout;
  std::vector<int32_t> blocks;
};

/// The global position of local token `t` of rank `rank` under `placement`.
int64_t globalPosition(const SequencePlacement &placement, int64_t ranks,
                       int64_t rank, int64_t localLength, int64_t t);

} // namespace ringattn

#endif // RINGATTN_SUPPORT_SEQUENCELAYOUT_H
