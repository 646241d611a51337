//===- EntryPoint.h - What ring-run calls and how ---------------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception

#ifndef RINGATTN_TOOLS_RINGRUN_ENTRYPOINT_H
#define RINGATTN_TOOLS_RINGRUN_ENTRYPOINT_H

#include "RingAttn/Support/AttentionMask.h"
#include "RingAttn/Support/HostTensor.h"

#include "RingAttn/Support/ReferenceAttention.h"
#include "RingAttn/Support/SequenceLayout.h"

#include "mlir/IR/BuiltinOps.h"

#include <string>

namespace ringattn {

/// An attention entry point, read from the `ring.abi` attribute that
/// ring-export-abi attaches (it survives lowering to the LLVM dialect).
struct EntryPoint {
  std::string name;
  ElementType elementType = ElementType::F32;
  /// The shape of the whole attention (the global sequence, of its true
  /// length when the shards end in padding).
  AttentionShape shape{};
  /// One rank's operands: the global ones with the sequence split N ways
  /// (after padding it to the N shards' positions).
  std::vector<int64_t> queryShape, kvShape;
  /// Which keys each query sees: causal, the sliding window, the soft-cap
  /// (the reference runs on the true length: no padding to mask).
  AttentionMask mask;
  double scale = 1.0;
  /// 1 for single-device attention.
  int ranks = 1;
  Layout layout = Layout::Contiguous;
  /// A training step: (q, k, v, dout) -> (out, dq, dk, dv).
  bool training = false;
  /// Attention sinks, one f32 per query head: an input after v and, in a
  /// training step, a gradient after dv. ring-run draws their values into
  /// `mask.sinks`.
  bool hasSinks = false;
  /// Packed documents: how many starts the entry takes (an i32 input after
  /// any sinks), 0 without documents. ring-run puts them, sorted, in
  /// `mask.documentStarts`.
  int64_t documentSlots = 0;
  /// A block placement: how many blocks the entry's placement lists (an i32
  /// input after any documents), 0 when its layout places the tokens.
  /// ring-run puts the blocks it passes in `placement`.
  int64_t placementSlots = 0;
  std::vector<int32_t> placement;

  /// The entry's inputs: q, k, v, then sinks, documents, placement and dout
  /// when it has them; its results follow them in the C interface.
  size_t inputCount() const {
    return 3 + hasSinks + (documentSlots > 0) + (placementSlots > 0) + training;
  }

  /// Where each rank's tokens sit: the placement, or else the layout.
  SequencePlacement tokenPlacement() const { return {layout, placement}; }

  /// The operands of the whole sequence, as ring-run reads and checks them.
  std::vector<int64_t> globalQueryShape() const;
  std::vector<int64_t> globalKVShape() const;
};

/// How ring-run holds values of `type` on the host, if it can.
std::optional<ElementType> hostElementType(mlir::Type type);

/// Finds the entry named `name`, or the only one when `name` is empty,
/// among the forward entries or, with `training`, the training steps.
/// Returns false with `error` set when there is none, several, or the ABI
/// attribute is malformed.
bool findEntryPoint(mlir::ModuleOp module, const std::string &name,
                    bool training, EntryPoint &entry, std::string &error);

} // namespace ringattn

#endif // RINGATTN_TOOLS_RINGRUN_ENTRYPOINT_H
