// Ahead of time for GPUs, the way scripts/gpu-check.sh prepares its programs:
// ring-lower-nvvm -> LLVM IR -> object file, linked with
// examples/aot/gpu_attention_main.cpp and the runtime, with no MLIR library.
// Every symbol resolves (mgpu*, ringattn_*); where no GPU can be used the
// program says why and stops, and a driver that rejects the embedded PTX
// stops the ring with the load error (both checked on every machine).
// RUN: ring-opt %s -ring-lower-nvvm="chip=sm_90 format=isa" | mlir-translate --mlir-to-llvmir -o %t.ll
// RUN: llc -O3 -filetype=obj -relocation-model=pic %t.ll -o %t.o
// RUN: c++ -std=c++17 -O1 -I%ringattn_src/include %ringattn_src/examples/aot/gpu_attention_main.cpp %t.o -L%ringattn_obj/lib/Runtime -L%ringattn_obj/lib/Runtime/GPU -L%ringattn_obj/lib/Support -lRingAttnRuntimeGPU -lRingAttnRuntime -lRingAttnSupport -Wl,-rpath,%ringattn_obj/lib/Runtime -Wl,-rpath,%ringattn_obj/lib/Runtime/GPU -o %t.exe
// RUN: env RINGATTN_CUDA_DRIVER=/nonexistent/libcuda.so.1 not %t.exe 1 4 2 64 64 zigzag 2 causal bf16 --check 2>&1 | FileCheck %s --check-prefix=NODRIVER
// NODRIVER: gpu-attention: error: no usable GPU: {{.*}}/nonexistent/libcuda.so.1
// RUN: env RINGATTN_CUDA_DRIVER=%fake_cuda not %t.exe 1 4 2 64 64 zigzag 2 causal bf16 2>&1 | FileCheck %s --check-prefix=FAKE
// FAKE: ringattn: CUDA error in cuModuleLoadDataEx: CUDA_ERROR_INVALID_IMAGE: {{.*}} (compiling PTX); the JIT said: fake ptxas: line 1: not PTX
// FAKE: gpu-attention: error: the ring failed: rank {{[01]}}: mgpuModuleGetFunction
// RUN: not %t.exe 1 4 2 64 64 zigzag 2 causal bf17 2>&1 | FileCheck %s --check-prefix=USAGE
// USAGE: usage: {{.*}} B HQ HKV L D contiguous|zigzag|striped RANKS causal|full f32|f16|bf16

shard.grid @ring(shape = 2)

func.func @attention(%q: tensor<1x4x64x64xbf16>, %k: tensor<1x2x64x64xbf16>,
                     %v: tensor<1x2x64x64xbf16>) -> tensor<1x4x64x64xbf16> {
  %o = ring.attention %q, %k, %v causal ring @ring axis 0 layout zigzag
      : tensor<1x4x64x64xbf16>, tensor<1x2x64x64xbf16>, tensor<1x2x64x64xbf16>
  return %o : tensor<1x4x64x64xbf16>
}
