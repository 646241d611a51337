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

} // namespace ringattn

#endif // RINGATTN_SUPPORT_SEQUENCELAYOUT_H
