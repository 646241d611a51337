// With the CUDA toolkit's ptxas, the GPU pipeline embeds machine code for
// the chip: an sm_90 (H100/H200) cubin, an ELF image, in the module.
// REQUIRES: cuda-toolkit
// RUN: ring-opt %s -ring-lower-nvvm="chip=sm_90 format=bin" | FileCheck %s
// The default format keeps the PTX next to the machine code: a fatbin, which
// starts with the magic 0xBA55ED50.
// RUN: ring-opt %s -ring-lower-nvvm="chip=sm_90" | FileCheck %s --check-prefix=FATBIN

// CHECK: gpu.binary @ring_kernels [#gpu.object<#nvvm.target<chip = "sm_90", features = "+ptx80">, {{.*}}bin = "\7FELF
// FATBIN: gpu.binary @ring_kernels [#gpu.object<#nvvm.target<chip = "sm_90", features = "+ptx80">, properties = {{{.*}}}, "P\EDU\BA
func.func @attention(%q: tensor<2x4x256x64xf16>, %k: tensor<2x4x256x64xf16>,
                     %v: tensor<2x4x256x64xf16>) -> tensor<2x4x256x64xf16> {
  %o = ring.attention %q, %k, %v
      : tensor<2x4x256x64xf16>, tensor<2x4x256x64xf16>, tensor<2x4x256x64xf16>
  return %o : tensor<2x4x256x64xf16>
}
