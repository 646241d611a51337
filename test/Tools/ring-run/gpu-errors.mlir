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
// The GPU backends compile with ring-lower-nvvm; the emulated link is the
// threads backend's.
// RUN: not ring-run %s --backend gpu --link-gbps 10 2>&1 | FileCheck %s --check-prefix=LINK
// LINK: ring-run: error: --link-* emulate an interconnect on the threads backend; the gpu backend moves blocks with device copies
// RUN: not ring-run %s --backend tpu 2>&1 | FileCheck %s --check-prefix=BACKEND
// BACKEND: ring-run: error: backend 'tpu' is not available in this build (available: threads{{.*}}gpu

func.func @attention(%q: tensor<1x1x16x16xf32>, %k: tensor<1x1x16x16xf32>, %v: tensor<1x1x16x16xf32>) -> tensor<1x1x16x16xf32> {
  %o = ring.attention %q, %k, %v : tensor<1x1x16x16xf32>, tensor<1x1x16x16xf32>, tensor<1x1x16x16xf32>
  return %o : tensor<1x1x16x16xf32>
}
