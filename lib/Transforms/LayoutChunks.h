//===- LayoutChunks.h - A rank's chunks of a sequence layout as IR -*- C++
//-*-===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// Internal to the ring schedules (forward and gradient). A rank's local
// tokens fall into chunks, each at affine global positions
// (docs/Semantics.md, "Sequence layouts"); lib/Support owns that arithmetic,
// this header turns it into IR in the rank, for the masked positions of
// blocks, reads the ring's size off its grid, and plans how far a window
// lets blocks travel.
//
//===----------------------------------------------------------------------===//

#ifndef RINGATTN_LIB_TRANSFORMS_LAYOUTCHUNKS_H
#define RINGATTN_LIB_TRANSFORMS_LAYOUTCHUNKS_H

#include "RingAttn/Dialect/Ring/IR/PositionMask.h"
#include "RingAttn/Dialect/Ring/IR/RingAttributes.h"

#include "mlir/IR/ImplicitLocOpBuilder.h"

namespace mlir {
namespace ring {

/// Local tokens [begin, begin + length) of a rank, at global positions
/// offset + stride * i.
struct Chunk {
  int64_t begin;
  int64_t length;
  Value offset;
  int64_t stride;
};

/// Where a ring's tokens lie: its static `layout` or, when `placement` is
/// set, the run-time block placement (ring.attention's tensor<P x i32>)
/// that takes its place.
struct RingLayout {
  SequenceLayout layout;
  Value placement;
};

/// The number of ranks on axis `axis` of the shard.grid `grid` that `op`
/// names, or std::nullopt when that size is dynamic.
std::optional<int64_t> staticRingSize(Operation *op, FlatSymbolRefAttr grid,
                                      int64_t axis);

/// The chunks of rank `rank` (an index value) of `ranks` ranks holding
/// `localLen` tokens each in `layout`: a placement's P/N blocks each make a
/// chunk whose offset is read from the placement at run time.
SmallVector<Chunk> layoutChunks(ImplicitLocOpBuilder &b, RingLayout layout,
                                int64_t ranks, int64_t localLen, Value rank);

/// Where the documents of a query chunk lie (index values; Documents.h's
/// documentSpan finds them): the first row's document begins at `begin`,
/// the last row's at `lastBegin` and ends at `end`.
struct DocumentSpan {
  Value begin, lastBegin, end;
};

/// Whether any query of `query` may see a key of `key` under `mask` (an i1
/// value): the first key is not beyond the reach ahead of the last query,
/// nor the last key beyond the reach behind of the first. With documents,
/// the keys must also meet the queries' `documents`.
Value chunksMayInteract(ImplicitLocOpBuilder &b, const PositionMask &mask,
                        const Chunk &query, const Chunk &key,
                        const DocumentSpan *documents = nullptr);

/// Whether every query of `query` sees every key of `key` under `mask` (an
/// i1 value), so their block needs no mask: the last key is within the
/// reach ahead of the first query and the first within the reach behind
/// of the last, all before the padding, and with documents, the queries
/// share one document that holds every key.
Value chunksFullyVisible(ImplicitLocOpBuilder &b, const PositionMask &mask,
                         const Chunk &query, const Chunk &key,
                         const DocumentSpan *documents = nullptr);

/// The last ring step at which some rank's queries see a key of the block
/// it holds (MaskPlan.h's planRing), for `ranks` ranks of `localLen` tokens
/// in `layout`: key/value blocks need travel only that many hops. N - 1
/// unless a window (or ranks of padding alone) cuts the ring short; always
/// N - 1 under a placement, whose positions are known only at run time.
int64_t lastNeededStep(const PositionMask &mask, RingLayout layout,
                       int64_t ranks, int64_t localLen);

} // namespace ring
} // namespace mlir

#endif // RINGATTN_LIB_TRANSFORMS_LAYOUTCHUNKS_H
