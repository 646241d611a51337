//===- BlockPlacement.h - Which ranks hold which blocks ---------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// A block placement is a sequence layout chosen at run time
// (docs/Semantics.md, "Balanced placement"): the N*L positions are cut into
// P equal blocks, k = P/N per rank, and rank r holds global blocks
// blocks[r*k .. r*k + k). The static layouts balance one causal sequence;
// a placement can balance the work of a given mix of packed documents,
// which no static layout does. This checks placements and builds balanced
// ones; SequenceLayout.h's SequencePlacement carries one.
//
//===----------------------------------------------------------------------===//

#ifndef RINGATTN_SUPPORT_BLOCKPLACEMENT_H
#define RINGATTN_SUPPORT_BLOCKPLACEMENT_H

#include "RingAttn/Support/AttentionMask.h"

#include <cstdint>
#include <string>
#include <vector>

namespace ringattn {

/// What is wrong with placing `count` blocks on `ranks` ranks holding
/// `localLength` tokens each, whatever the blocks are, or "" when nothing
/// is: `count` a positive multiple of `ranks`, and the `count / ranks`
/// blocks of a rank dividing `localLength`. `ranks` must be positive.
std::string placementShapeError(int64_t count, int64_t ranks,
                                int64_t localLength);

/// What is wrong with `blocks` as a placement of `ranks` ranks holding
/// `localLength` tokens each, or "" when nothing is: it must list every
/// block 0..P-1 once, P a multiple of `ranks`, and its P/N blocks per rank
/// must divide `localLength`.
std::string placementError(const std::vector<int32_t> &blocks, int64_t ranks,
                           int64_t localLength);

/// The work `mask` leaves each global block's queries over a sequence of
/// `ranks * localLength` positions: the (query, key) pairs they see.
std::vector<double> blockWork(const AttentionMask &mask, int64_t ranks,
                              int64_t localLength, int64_t blocksPerRank);

/// A placement of `ranks * blocksPerRank` blocks that balances blockWork
/// over the ranks: the heaviest block first, each to the least loaded rank
/// with a free slot (longest processing time first, with k slots a rank).
/// Each rank lists its blocks in ascending order.
std::vector<int32_t> balancedPlacement(const AttentionMask &mask, int64_t ranks,
                                       int64_t localLength,
                                       int64_t blocksPerRank);

} // namespace ringattn

#endif // RINGATTN_SUPPORT_BLOCKPLACEMENT_H
