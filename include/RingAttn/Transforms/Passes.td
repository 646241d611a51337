//===- Passes.td - RingAttn passes -------------------------*- tablegen -*-===//

#ifndef RINGATTN_TRANSFORMS_PASSES_TD
#define RINGATTN_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def RingVerifyLowered : Pass<"ring-verify-lowered", "ModuleOp"> {
  let summary = "Check that lowering left no ring operation behind";
  let description = [{
    Fails with an error at the first `ring` operation or `!ring.future` value
    still present. Pipelines run it last, so that an unsupported construct is
    reported where it is rather than as an obscure conversion failure later.
  }];
}

#endif // RINGATTN_TRANSFORMS_PASSES_TD
