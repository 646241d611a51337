// Asking for a GPU backend where the CUDA driver cannot be loaded is a clear
// error, before anything is compiled or run (RINGATTN_CUDA_DRIVER points the
// runtime at a driver that does not exist, so this holds on GPU machines too).
// RUN: env RINGATTN_CUDA_DRIVER=/nonexistent/libcuda.so.1 not ring-run %s --backend gpu 2>&1 | FileCheck %s
// CHECK: ring-run: error: --backend gpu needs a GPU: {{.*}}/nonexistent/libcuda.so.1
// A driver that rejects the embedded kernels: the load error is printed when
// the module loads, and every rank stops at its first launch, naming it.
// RUN: env RINGATTN_CUDA_DRIVER=%fake_cuda not ring-run %s --backend gpu 2>&1 | FileCheck %s --check-prefix=IMAGE
// IMAGE: ringattn: CUDA error in cuModuleLoadData: CUDA_ERROR_INVALID_IMAGE
// IMAGE: ring-run: error: the ring failed: rank 0: mgpuModuleGetFunction("{{.*}}"): no GPU module: loading it failed earlier
// The training step takes the same paths: compiled for the GPU, its eight
// operands staged, and stopped at the first launch (the step's forward).
// RUN: env RINGATTN_CUDA_DRIVER=/nonexistent/libcuda.so.1 not ring-run %s --backend gpu --grad 2>&1 | FileCheck %s
// RUN: env RINGATTN_CUDA_DRIVER=%fake_cuda not ring-run %s --backend gpu --grad 2>&1 | FileCheck %s --check-prefix=IMAGE
// Device memory for the operands that cannot be had is an error naming the
// rank and the driver call, forward or training step.
// RUN: env RINGATTN_CUDA_DRIVER=%fake_cuda RINGATTN_FAKE_CUDA_FAIL=cuMemAlloc not ring-run %s --backend gpu 2>&1 | FileCheck %s --check-prefix=STAGE
// RUN: env RINGATTN_CUDA_DRIVER=%fake_cuda RINGATTN_FAKE_CUDA_FAIL=cuMemAlloc not ring-run %s --backend gpu --grad 2>&1 | FileCheck %s --check-prefix=STAGE
// STAGE: ring-run: error: staging rank 0's operands on the GPU: {{.*}}cuMemAlloc{{.*}}CUDA_ERROR_INVALID_VALUE
// The GPU backends compile with ring-lower-nvvm; the emulated link is the
// threads backend's.
// RUN: not ring-run %s --backend gpu --link-gbps 10 2>&1 | FileCheck %s --check-prefix=LINK
// LINK: ring-run: error: --link-gbps and --link-latency-us emulate an interconnect on the threads backend only
// A module lowered for one kind of backend is refused by the other.
// RUN: ring-opt %s -ring-lower-nvvm=format=isa -o %t.gpu.mlir
// RUN: not ring-run %t.gpu.mlir 2>&1 | FileCheck %s --check-prefix=LOWERED-GPU
// LOWERED-GPU: ring-run: error: {{.*}}.gpu.mlir was lowered for GPUs (ring-lower-nvvm); run it with --backend gpu or nccl
// RUN: ring-opt %s -ring-lower-cpu -o %t.cpu.mlir
// RUN: not ring-run %t.cpu.mlir --backend gpu 2>&1 | FileCheck %s --check-prefix=LOWERED-CPU
// LOWERED-CPU: ring-run: error: {{.*}}.cpu.mlir was lowered for the CPU (ring-lower-cpu); run it with --backend threads or mpi
// RUN: not ring-run %s --backend tpu 2>&1 | FileCheck %s --check-prefix=BACKEND
// BACKEND: ring-run: error: --backend 'tpu' is not available in this build (available: threads{{.*}}gpu

func.func @attention(%q: tensor<1x1x16x16xf32>, %k: tensor<1x1x16x16xf32>, %v: tensor<1x1x16x16xf32>) -> tensor<1x1x16x16xf32> {
  %o = ring.attention %q, %k, %v : tensor<1x1x16x16xf32>, tensor<1x1x16x16xf32>, tensor<1x1x16x16xf32>
  return %o : tensor<1x1x16x16xf32>
}
