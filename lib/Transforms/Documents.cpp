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

DocumentRows mlir::ring::documentRows(ImplicitLocOpBuilder &b, Value starts,
                                      ArrayRef<Chunk> chunks, int64_t localLen,
                                      int64_t positions) {
  auto startsType = cast<RankedTensorType>(starts.getType());
  Value startsBuffer = bufferization::ToBufferOp::create(
      b, MemRefType::get(startsType.getShape(), startsType.getElementType()),
      starts, /*read_only=*/true);
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
          auto [begin, end] = documentOf(ib, startsBuffer, position, positions);
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
