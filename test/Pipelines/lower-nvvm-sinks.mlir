// Attention sinks through the whole GPU pipeline, untested on a GPU so far
// (docs/GPU.md): the flash kernels are the sink-less ones (the sinks enter
// the backward through the lse), the forward's merge of the sinks is
// element-wise kernels like any ring.combine, and the sinks' gradient is
// one kernel of a thread per head summing its rows. It compiles to PTX
// with nothing left for libdevice.
// RUN: ring-opt %s -ring-add-training-steps -ring-lower-nvvm="format=isa" | FileCheck %s
// RUN: ring-opt %s -ring-add-training-steps -ring-lower-nvvm="format=isa" -mlir-print-ir-after=ring-offload-to-gpu -o /dev/null 2>&1 | FileCheck %s --check-prefix=KERNEL

// KERNEL: gpu.func @{{[a-z_0-9]*}}(%{{.*}}: index, %[[SINKS:.*]]: memref<?xf32>, %[[LSE:.*]]: memref<1x4x32xf32>, %[[DELTA:.*]]: memref<1x4x32xf32>, %[[DSINKS:.*]]: memref<?xf32>) kernel
// KERNEL: scf.for
// KERNEL: scf.for
// KERNEL: memref.load %[[SINKS]]
// KERNEL: memref.load %[[LSE]]
// KERNEL: memref.load %[[DELTA]]
// KERNEL: math.exp
// KERNEL: memref.store {{.*}}, %[[DSINKS]]

// CHECK-LABEL: llvm.func @_mlir_ciface_attention_grad
// CHECK: gpu.binary @ring_kernels
// CHECK-NOT: __nv_
shard.grid @ring(shape = 2)

func.func @attention(%q: tensor<1x4x32x32xbf16>, %k: tensor<1x2x32x32xbf16>,
                     %v: tensor<1x2x32x32xbf16>, %sinks: tensor<4xf32>)
    -> tensor<1x4x32x32xbf16> {
  %o = ring.attention %q, %k, %v sinks(%sinks : tensor<4xf32>) causal
      ring @ring axis 0
      : tensor<1x4x32x32xbf16>, tensor<1x2x32x32xbf16>, tensor<1x2x32x32xbf16>
  return %o : tensor<1x4x32x32xbf16>
}
