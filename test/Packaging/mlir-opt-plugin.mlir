// The ring dialect and passes loaded into upstream mlir-opt (not ring-opt)
// from libRingAttnPlugin.so (tools/ring-plugin): the dialect plugin
// round-trips a ring.attention and registers the passes and ring-lower-cpu;
// the pass plugin, loaded beside it, registers nothing twice.
// RUN: %mlir_lib_dir/../bin/mlir-opt %s \
// RUN:   --load-dialect-plugin=%ringattn_obj/lib/libRingAttnPlugin.so \
// RUN:   | FileCheck %s --check-prefix=ROUNDTRIP
// RUN: %mlir_lib_dir/../bin/mlir-opt %s \
// RUN:   --load-dialect-plugin=%ringattn_obj/lib/libRingAttnPlugin.so \
// RUN:   | %mlir_lib_dir/../bin/mlir-opt \
// RUN:   --load-dialect-plugin=%ringattn_obj/lib/libRingAttnPlugin.so \
// RUN:   | FileCheck %s --check-prefix=ROUNDTRIP
// RUN: %mlir_lib_dir/../bin/mlir-opt %s \
// RUN:   --load-dialect-plugin=%ringattn_obj/lib/libRingAttnPlugin.so \
// RUN:   --load-pass-plugin=%ringattn_obj/lib/libRingAttnPlugin.so \
// RUN:   --pass-pipeline='builtin.module(func.func(ring-lower-attention))' \
// RUN:   | FileCheck %s --check-prefix=PASS
// RUN: %mlir_lib_dir/../bin/mlir-opt %s \
// RUN:   --load-dialect-plugin=%ringattn_obj/lib/libRingAttnPlugin.so \
// RUN:   --pass-pipeline='builtin.module(ring-lower-cpu)' \
// RUN:   | FileCheck %s --check-prefix=CPU
// Without the plugin upstream mlir-opt knows no ring dialect.
// RUN: not %mlir_lib_dir/../bin/mlir-opt %s 2>&1 \
// RUN:   | FileCheck %s --check-prefix=NOPLUGIN

// ROUNDTRIP-LABEL: func.func @attention
// ROUNDTRIP: ring.attention %{{.*}}, %{{.*}}, %{{.*}} causal : tensor<1x2x32x16xf32>, tensor<1x2x32x16xf32>, tensor<1x2x32x16xf32>

// PASS-LABEL: func.func @attention
// PASS-NOT: ring.attention
// PASS: ring.block_attention %{{.*}} causal
// PASS-NOT: ring.attention

// No ring op is left (the ring.abi attribute, "ring.abi = ", stays).
// CPU-NOT: {{ring\.[a-z_]+( [^=]|$)}}
// CPU-NOT: func.func
// CPU: llvm.func @attention(
// CPU-NOT: {{ring\.[a-z_]+( [^=]|$)}}

// NOPLUGIN: Dialect `ring' not found

func.func @attention(%q: tensor<1x2x32x16xf32>, %k: tensor<1x2x32x16xf32>,
                     %v: tensor<1x2x32x16xf32>) -> tensor<1x2x32x16xf32> {
  %o = ring.attention %q, %k, %v causal
      : tensor<1x2x32x16xf32>, tensor<1x2x32x16xf32>, tensor<1x2x32x16xf32>
  return %o : tensor<1x2x32x16xf32>
}
