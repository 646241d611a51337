//===- Passes.h - RingAttn passes and pipelines -----------------*- C++ -*-===//

#ifndef RINGATTN_TRANSFORMS_PASSES_H
#define RINGATTN_TRANSFORMS_PASSES_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassOptions.h"

namespace mlir {
namespace ring {

#define GEN_PASS_DECL
#include "RingAttn/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "RingAttn/Transforms/Passes.h.inc"

/// Registers the named pipelines (ring-lower-cpu, ...) with the pass registry.
void registerRingPipelines();

} // namespace ring
} // namespace mlir

#endif // RINGATTN_TRANSFORMS_PASSES_H
