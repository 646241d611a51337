//===- Documents.cpp - Packed documents in the schedules ------------------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception

#include "Documents.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

using namespace mlir;
using namespace mlir::ring;

/// The document of global position `position` (index): the starts
/// bracketing it, as index values.
static std::pair<Value, Value> documentOf(ImplicitLocOpBuilder &b, Value starts,
                                          Value position, int64_t positions) {
  auto startsType = cast<MemRefType>(starts.getType());
  Value zero = arith::ConstantIndexOp::create(b, 0);
  Value one = arith::ConstantIndexOp::create(b, 1);
  Value count = arith::ConstantIndexOp::create(b, startsType.getDimSize(0));
  Value last = arith::ConstantIndexOp::create(b, positions);
  auto loop = scf::ForOp::create(
      b, zero, count, one, ValueRange{zero, last},
      [&](OpBuilder &nested, Location loc, Value m, ValueRange bounds) {
        ImplicitLocOpBuilder ib(loc, nested);
        Value start = memref::LoadOp::create(ib, starts, ValueRange{m});
        Value at = arith::IndexCastOp::create(ib, ib.getIndexType(), start);
        // One statement per op: the IR's order is then the same whatever
        // order a compiler evaluates arguments in.
        Value before =
            arith::CmpIOp::create(ib, arith::CmpIPredicate::sle, at, position);
        Value later = arith::MaxSIOp::create(ib, bounds[0], at);
        Value sooner = arith::MinSIOp::create(ib, bounds[1], at);
        Value begin = arith::SelectOp::create(ib, before, later, bounds[0]);
        Value end = arith::SelectOp::create(ib, before, bounds[1], sooner);
        scf::YieldOp::create(ib, ValueRange{begin, end});
      });
  return {loop.getResult(0), loop.getResult(1)};
}

/// The starts (a tensor) as a read-only buffer, for loads.
static Value startsBuffer(ImplicitLocOpBuilder &b, Value starts) {
  auto type = cast<RankedTensorType>(starts.getType());
  return bufferization::ToBufferOp::create(
      b, MemRefType::get(type.getShape(), type.getElementType()), starts,
      /*read_only=*/true);
}

DocumentRows mlir::ring::documentRows(ImplicitLocOpBuilder &b,
                                      Value startsTensor,
                                      ArrayRef<Chunk> chunks, int64_t localLen,
                                      int64_t positions) {
  Value starts = startsBuffer(b, startsTensor);
  auto rowsType = MemRefType::get({localLen}, b.getI32Type());
  DocumentRows rows = {memref::AllocOp::create(b, rowsType),
                       memref::AllocOp::create(b, rowsType)};
  Value zero = arith::ConstantIndexOp::create(b, 0);
  Value one = arith::ConstantIndexOp::create(b, 1);
  for (const Chunk &chunk : chunks) {
    Value length = arith::ConstantIndexOp::create(b, chunk.length);
    scf::ForOp::create(
        b, zero, length, one, ValueRange{},
        [&](OpBuilder &nested, Location loc, Value i, ValueRange) {
          ImplicitLocOpBuilder ib(loc, nested);
          Value stride = arith::ConstantIndexOp::create(ib, chunk.stride);
          Value step = arith::MulIOp::create(ib, i, stride);
          Value position = arith::AddIOp::create(ib, chunk.offset, step);
          auto [begin, end] = documentOf(ib, starts, position, positions);
          Value first = arith::ConstantIndexOp::create(ib, chunk.begin);
          Value row = arith::AddIOp::create(ib, first, i);
          for (auto [bound, buffer] :
               {std::pair{begin, rows.begin}, std::pair{end, rows.end}}) {
            Value narrow =
                arith::IndexCastOp::create(ib, ib.getI32Type(), bound);
            memref::StoreOp::create(ib, narrow, buffer, ValueRange{row});
          }
          scf::YieldOp::create(ib);
        });
  }
  return rows;
}

Value mlir::ring::chunkRows(ImplicitLocOpBuilder &b, Value rows,
                            const Chunk &chunk) {
  if (chunk.length == cast<MemRefType>(rows.getType()).getDimSize(0))
    return rows;
  return memref::SubViewOp::create(b, rows, ArrayRef<int64_t>{chunk.begin},
                                   ArrayRef<int64_t>{chunk.length},
                                   ArrayRef<int64_t>{1});
}

DocumentSpan mlir::ring::documentSpan(ImplicitLocOpBuilder &b,
                                      const DocumentRows &rows,
                                      const Chunk &chunk) {
  Value first = arith::ConstantIndexOp::create(b, chunk.begin);
  Value last =
      arith::ConstantIndexOp::create(b, chunk.begin + chunk.length - 1);
  auto bound = [&](Value buffer, Value row) -> Value {
    Value narrow = memref::LoadOp::create(b, buffer, ValueRange{row});
    return arith::IndexCastOp::create(b, b.getIndexType(), narrow);
  };
  DocumentSpan span;
  span.begin = bound(rows.begin, first);
  span.lastBegin = bound(rows.begin, last);
  span.end = bound(rows.end, last);
  return span;
}

/// Where the documents of `chunk`, a chunk of any rank, lie: those of its
/// first and last positions, found from the starts (a buffer).
static DocumentSpan spanFromStarts(ImplicitLocOpBuilder &b, Value starts,
                                   const Chunk &chunk, int64_t positions) {
  Value reach =
      arith::ConstantIndexOp::create(b, chunk.stride * (chunk.length - 1));
  Value lastPosition = arith::AddIOp::create(b, chunk.offset, reach);
  DocumentSpan span;
  span.begin = documentOf(b, starts, chunk.offset, positions).first;
  std::tie(span.lastBegin, span.end) =
      documentOf(b, starts, lastPosition, positions);
  return span;
}

Value mlir::ring::lastStepWithDocuments(ImplicitLocOpBuilder &b, Value starts,
                                        const PositionMask &mask,
                                        RingLayout layout, int64_t ranks,
                                        int64_t localLen, int64_t lastStep) {
  Value buffer = startsBuffer(b, starts);
  const int64_t positions = ranks * localLen;
  Value zero = arith::ConstantIndexOp::create(b, 0);
  Value one = arith::ConstantIndexOp::create(b, 1);
  Value ringSize = arith::ConstantIndexOp::create(b, ranks);
  Value steps = arith::ConstantIndexOp::create(b, lastStep + 1);
  // Over every query rank r and ring step d: the farthest d at which some
  // chunk of r meets a chunk of rank r - d.
  auto overRanks = scf::ForOp::create(
      b, zero, ringSize, one, ValueRange{zero},
      [&](OpBuilder &nested, Location loc, Value r, ValueRange farthest) {
        ImplicitLocOpBuilder rb(loc, nested);
        SmallVector<Chunk> queries =
            layoutChunks(rb, layout, ranks, localLen, r);
        SmallVector<DocumentSpan> spans;
        for (const Chunk &query : queries)
          spans.push_back(spanFromStarts(rb, buffer, query, positions));
        Value behind = arith::AddIOp::create(rb, r, ringSize);
        auto overSteps = scf::ForOp::create(
            rb, one, steps, one, farthest,
            [&](OpBuilder &inner, Location stepLoc, Value d, ValueRange sofar) {
              ImplicitLocOpBuilder sb(stepLoc, inner);
              Value back = arith::SubIOp::create(sb, behind, d);
              Value source = arith::RemUIOp::create(sb, back, ringSize);
              SmallVector<Chunk> keys =
                  layoutChunks(sb, layout, ranks, localLen, source);
              Value meet = arith::ConstantIntOp::create(sb, 0, 1);
              for (auto [query, span] : llvm::zip_equal(queries, spans))
                for (const Chunk &key : keys) {
                  Value pair = chunksMayInteract(sb, mask, query, key, &span);
                  meet = arith::OrIOp::create(sb, meet, pair);
                }
              Value reach = arith::SelectOp::create(sb, meet, d, zero);
              Value next = arith::MaxUIOp::create(sb, sofar[0], reach);
              scf::YieldOp::create(sb, next);
            });
        scf::YieldOp::create(rb, overSteps.getResults());
      });
  return overRanks.getResult(0);
}
