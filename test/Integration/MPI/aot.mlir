// Ahead of time, no JIT: ring-lower-cpu -> LLVM IR -> object file, linked
// with examples/aot/ring_attention_main.cpp and the runtime into a program
// that runs under mpirun and checks its result (docs/AOT.md).
// REQUIRES: mpi
// RUN: ring-opt %s -ring-lower-cpu | mlir-translate --mlir-to-llvmir -o %t.ll
// RUN: llc -O3 -filetype=obj -relocation-model=pic %t.ll -o %t.o
// RUN: mpicxx -std=c++17 -O2 -DOMPI_SKIP_MPICXX=1 -I%ringattn_src/include %ringattn_src/examples/aot/ring_attention_main.cpp %t.o -L%ringattn_obj/lib/Runtime -L%ringattn_obj/lib/Support -lRingAttnRuntimeMPI -lRingAttnRuntime -lRingAttnSupport -L%mlir_lib_dir -lmlir_c_runner_utils -Wl,-rpath,%ringattn_obj/lib/Runtime -Wl,-rpath,%mlir_lib_dir -o %t.exe
// RUN: timeout 120 %mpirun -np 4 %t.exe 1 4 2 32 32 zigzag causal | FileCheck %s
// CHECK: aot ring attention: 4 ranks, zigzag causal, slowest rank took {{.*}} ms, rel_err={{.*}} PASS

shard.grid @ring(shape = 4)

func.func @attention(%q: tensor<1x4x32x32xf32>, %k: tensor<1x2x32x32xf32>,
                     %v: tensor<1x2x32x32xf32>) -> tensor<1x4x32x32xf32> {
  %o = ring.attention %q, %k, %v causal ring @ring axis 0 layout zigzag
      : tensor<1x4x32x32xf32>, tensor<1x2x32x32xf32>, tensor<1x2x32x32xf32>
  return %o : tensor<1x4x32x32xf32>
}
