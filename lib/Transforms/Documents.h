//===- Documents.h - Packed documents in the schedules ----------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// Internal to the schedules (forward and gradient, ring or one device).
// Packed documents are known at run time, as the ascending global positions
// at which they start (docs/Semantics.md, "Packed documents"). A schedule
// turns them, once per call, into the bounds of each of its query rows'
// document, [begin, end), which the blocks mask by and the kernels skip
// key tiles by; a (query chunk, key chunk) pair whose documents do not meet
// is skipped before it reaches a kernel, and the ring stops after the
// last step at which any rank's documents meet the block it holds.
//
//===----------------------------------------------------------------------===//

#ifndef RINGATTN_LIB_TRANSFORMS_DOCUMENTS_H
#define RINGATTN_LIB_TRANSFORMS_DOCUMENTS_H

#include "LayoutChunks.h"

namespace mlir {
namespace ring {

/// For each local query row, the global positions [begin, end) of its
/// document: buffers of one i32 per row.
struct DocumentRows {
  Value begin, end;
};

/// The document of each of a rank's `localLen` rows, which lie in `chunks`
/// at their global positions g, among the document starts `starts` (a
/// tensor<M x i32>): begin is the last start at or before g (0 if none),
/// end the first start after g (`positions`, the ring's, if none). Any set
/// of starts is meaningful: duplicates make empty documents, and starts
/// outside [0, positions) none.
DocumentRows documentRows(ImplicitLocOpBuilder &b, Value starts,
                          ArrayRef<Chunk> chunks, int64_t localLen,
                          int64_t positions);

/// The rows of `chunk` of a per-row buffer.
Value chunkRows(ImplicitLocOpBuilder &b, Value rows, const Chunk &chunk);

/// Where the documents of `chunk`'s queries lie: the first row's begin, the
/// last row's begin and end (positions grow with the row).
DocumentSpan documentSpan(ImplicitLocOpBuilder &b, const DocumentRows &rows,
                          const Chunk &chunk);

/// The last ring step at which, among the documents `starts`, some rank's
/// queries may see a key of the block it holds under `mask` (an index value
/// of at most `lastStep`, the static mask's plan): the blocks need travel
/// only that many hops. Every rank holds the same starts, so every rank
/// finds the same step and the ring, cut short at run time, stays one
/// collective.
Value lastStepWithDocuments(ImplicitLocOpBuilder &b, Value starts,
                            const PositionMask &mask, RingLayout layout,
                            int64_t ranks, int64_t localLen, int64_t lastStep);

} // namespace ring
} // namespace mlir

#endif // RINGATTN_LIB_TRANSFORMS_DOCUMENTS_H
