//===- AttentionIRBuilder.h - IR of the attention kernels ------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// Internal to the block lowerings (RingToCPU, RingToGPU). Both kernels
// compute the same math (docs/Semantics.md) with their own loop structure:
// the CPU kernel in register-tiled vector loops, the GPU kernel in threads
// and mma.sync fragments. What they share is written here once: global
// positions and the causal predicate, the causal key frontier, the online
// softmax step and the epilogue that turns (m, l) into out and lse. The
// element-wise helpers take scalars or vectors alike.
//
//===----------------------------------------------------------------------===//

#ifndef RINGATTN_LIB_CONVERSION_ATTENTIONIR_ATTENTIONIRBUILDER_H
#define RINGATTN_LIB_CONVERSION_ATTENTIONIR_ATTENTIONIRBUILDER_H

#include "mlir/IR/ImplicitLocOpBuilder.h"

namespace mlir {
namespace ring {

/// The base a kernel keeps its scores in: the CPU kernel scales by `scale`
/// and exponentiates with exp; the GPU kernel folds log2(e) into the scale
/// and uses exp2, which the special function units compute directly.
enum class ScoreBase { Natural, Two };

/// Builds the IR both attention kernels write. A kernel builder derives
/// from it and adds its own loop structure.
class AttentionIRBuilder {
public:
  AttentionIRBuilder(ImplicitLocOpBuilder &b, ScoreBase base)
      : b(b), base(base) {}

  //===--- Constants, casts, arithmetic -----------------------------------===//

  Value idx(int64_t v);
  Value f32Const(float v);
  Value minusInf();
  /// `x` extended to f32 unless it already is.
  Value toF32(Value x);
  /// Integer (index or i32, scalar or vector) sum and product.
  Value add(Value x, Value y);
  Value mul(Value x, Value y);
  /// Float sum, product and maximum (NaN-propagating, as the max of a row).
  Value addf(Value x, Value y);
  Value mulf(Value x, Value y);
  Value maxf(Value x, Value y);

  //===--- Loops ---------------------------------------------------------===//

  /// An scf.for whose body `body` fills through the builder.
  void forLoop(Value lb, Value ub, Value step, function_ref<void(Value)> body);
  /// An scf.for carrying `init`; `body` returns the values to yield.
  SmallVector<Value>
  forLoop(Value lb, Value ub, Value step, ValueRange init,
          function_ref<SmallVector<Value>(Value, ValueRange)> body);

  //===--- Positions and the causal mask ----------------------------------===//

  /// The global position of row `index` of a block: offset + stride * index.
  Value position(Value offset, Value stride, Value index);
  /// Whether a key at `keyPosition` is not in the future of a query at
  /// `queryPosition` (causal: q_pos >= k_pos).
  Value notInFuture(Value queryPosition, Value keyPosition);
  /// One past the last of `keyLen` keys at key_offset + key_stride * j that
  /// a query at `lastQueryPosition` may see, in [0, keyLen]: the bound of a
  /// key loop that skips the keys in the future of all its queries.
  Value causalKeyEnd(Value lastQueryPosition, Value keyOffset, Value keyStride,
                     Value keyLen);
  /// The first of `queryLen` queries at query_offset + query_stride * i
  /// that sees a key at `firstKeyPosition`, in [0, queryLen]: the start of a
  /// query loop that skips the queries in the past of all its keys.
  Value causalQueryBegin(Value firstKeyPosition, Value queryOffset,
                         Value queryStride, Value queryLen);

  //===--- Online softmax -------------------------------------------------===//

  /// What one step of the online softmax derives from the running maximum
  /// going from `oldMax` to `newMax`: the reference the probabilities
  /// subtract, and the factor alpha = exp(oldMax - newMax) that rescales the
  /// running sum and output.
  struct Rescale {
    Value reference;
    Value alpha;
  };
  Rescale rescale(Value oldMax, Value newMax);
  /// exp(x - reference) in the kernel's base: a probability, or alpha.
  Value expShifted(Value x, Value reference);
  /// l' = alpha l + rowsum(P), with one rounding.
  Value updateSum(Value sum, Value alpha, Value blockSum);

  //===--- Epilogue -------------------------------------------------------===//

  /// Whether a row saw any key (l > 0).
  Value sawKeys(Value sum);
  /// 1 / l, the factor of the output; 0 for a row that saw no key, whose
  /// output is then 0 rather than NaN.
  Value normalizer(Value sawKeys, Value sum);
  /// The row's log-sum-exp in the natural base (m + log l, m converted from
  /// the kernel's base); -inf for a row that saw no key.
  Value logSumExp(Value sawKeys, Value max, Value sum);

protected:
  ImplicitLocOpBuilder &b;
  ScoreBase base;
};

} // namespace ring
} // namespace mlir

#endif // RINGATTN_LIB_CONVERSION_ATTENTIONIR_ATTENTIONIRBUILDER_H
