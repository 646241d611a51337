// ring-run --grad: the training step of a forward entry (added by
// ring-add-training-steps) or a hand-written one, its inputs and outputs,
// and every error of the training mode.
// RUN: rm -rf %t && mkdir -p %t
// RUN: ring-run %s --entry small --grad --check --seed 3 --output %t/o.npy --grad-outputs %t/dq.npy,%t/dk.npy,%t/dv.npy | FileCheck %s --check-prefix=ADDED
// ADDED: @small_grad f32 b=1 hq=2 hkv=1 sq=8 skv=8 d=16 causal training step:
// ADDED: check out: {{.*}} PASS
// ADDED: check dq: {{.*}} PASS
// ADDED: check dk: {{.*}} PASS
// ADDED: check dv: {{.*}} PASS

// The same inputs give the same gradients, bit for bit.
// RUN: ring-run %s --entry small_grad --grad --seed 3 --grad-outputs %t/dq2.npy,%t/dk2.npy,%t/dv2.npy
// RUN: cmp %t/dq.npy %t/dq2.npy
// RUN: cmp %t/dk.npy %t/dk2.npy
// RUN: cmp %t/dv.npy %t/dv2.npy

// dO from a file (here the output itself) is a different, checked problem.
// RUN: ring-run %s --entry small --grad --check --seed 3 --dout %t/o.npy | FileCheck %s --check-prefix=DOUT
// DOUT-COUNT-4: check {{.*}} PASS

// A hand-written training step runs as it is.
// RUN: ring-run %s --entry step --grad --check | FileCheck %s --check-prefix=STEP
// STEP: @step f32 b=1 hq=2 hkv=2 sq=8 skv=8 d=16 training step:
// STEP-COUNT-4: check {{.*}} PASS

// RUN: not ring-run %s --entry step 2>&1 | FileCheck %s --check-prefix=KIND
// KIND: {{^}}ring-run: error: {{.*}}grad.mlir: @step is a training step; run it with --grad{{$}}
// RUN: not ring-run %s --entry dout_shape --grad --dout %t/o.npy 2>&1 | FileCheck %s --check-prefix=DOSHAPE
// DOSHAPE: {{^}}ring-run: error: {{.*}}o.npy: shape is [1, 2, 8, 16] but the kernel expects [1, 2, 4, 16]{{$}}
// RUN: not ring-run %s --entry small --grad --dout %t/missing.npy 2>&1 | FileCheck %s --check-prefix=DOMISSING
// DOMISSING: {{^}}ring-run: error: {{.*}}missing.npy: cannot open file: No such file or directory{{$}}

// A module lowered without its training steps has none to run.
// RUN: ring-opt %s --ring-lower-cpu -o %t/lowered.mlir
// RUN: not ring-run %t/lowered.mlir --grad --entry small 2>&1 | FileCheck %s --check-prefix=NOSTEP
// NOSTEP: {{^}}ring-run: error: {{.*}}lowered.mlir: @small is not a training step (ring-add-training-steps adds one, @small_grad){{$}}
// RUN: ring-opt %S/Inputs/forward.mlir --ring-lower-cpu -o %t/forward-lowered.mlir
// RUN: not ring-run %t/forward-lowered.mlir --grad 2>&1 | FileCheck %s --check-prefix=NONE
// NONE: {{^}}ring-run: error: {{.*}}forward-lowered.mlir: the module has no training step (--grad adds one for each forward entry of a module not yet lowered){{$}}

func.func @small(%q: tensor<1x2x8x16xf32>, %k: tensor<1x1x8x16xf32>,
                 %v: tensor<1x1x8x16xf32>) -> tensor<1x2x8x16xf32> {
  %o = ring.attention %q, %k, %v causal
      : tensor<1x2x8x16xf32>, tensor<1x1x8x16xf32>, tensor<1x1x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

func.func @dout_shape(%q: tensor<1x2x4x16xf32>, %k: tensor<1x2x4x16xf32>,
                      %v: tensor<1x2x4x16xf32>) -> tensor<1x2x4x16xf32> {
  %o = ring.attention %q, %k, %v
      : tensor<1x2x4x16xf32>, tensor<1x2x4x16xf32>, tensor<1x2x4x16xf32>
  return %o : tensor<1x2x4x16xf32>
}

func.func @step(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf32>,
                %v: tensor<1x2x8x16xf32>, %do: tensor<1x2x8x16xf32>)
    -> (tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>,
        tensor<1x2x8x16xf32>) {
  %o, %lse = ring.attention %q, %k, %v scale 0.5
      : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8xf32>
  %dq, %dk, %dv = ring.attention_grad %q, %k, %v, %o, %lse, %do scale 0.5
      : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8xf32>
  return %o, %dq, %dk, %dv : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>,
      tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>
}
