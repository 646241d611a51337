// RUN: ring-opt %s -split-input-file -ring-set-cpu-target="cpu=x86-64-v3" | FileCheck %s --check-prefix=V3
// RUN: ring-opt %s -split-input-file -ring-set-cpu-target="cpu=x86-64-v4 features=-avx2" | FileCheck %s --check-prefix=NOAVX2
// RUN: ring-opt %s -split-input-file -ring-set-cpu-target | FileCheck %s --check-prefix=HOST
// RUN: not ring-opt %s -split-input-file -ring-set-cpu-target="cpu=pentium9" 2>&1 | FileCheck %s --check-prefix=BADCPU
// RUN: not ring-opt %s -split-input-file -ring-set-cpu-target="features=+avx9000" 2>&1 | FileCheck %s --check-prefix=BADFEATURE
// RUN: not ring-opt %s -split-input-file -ring-set-cpu-target="features=avx2" 2>&1 | FileCheck %s --check-prefix=NOSIGN

// A named CPU: the module gets its features (implied ones too), and every
// llvm.func definition the CPU and features; declarations are left alone.
// V3: module attributes {llvm.target = #llvm.target<triple = "x86_64{{.*}}", chip = "x86-64-v3", features = <[{{.*}}"+avx2"{{.*}}"+fma"{{.*}}]>>}
// V3-NOT: avx512f
// V3: llvm.func @kernel() attributes {target_cpu = "x86-64-v3", target_features = #llvm.target_features<[{{.*}}"+avx2"{{.*}}]>}
// V3: llvm.func @declared()
// V3-NOT: target_cpu
// Turning AVX2 off turns off what builds on it: no AVX-512 left.
// NOAVX2: chip = "x86-64-v4"
// NOAVX2-SAME: "-avx2"
// NOAVX2-SAME: "-avx512f"
// HOST: llvm.target = #llvm.target<triple = "x86_64{{.*}}", chip = "{{[a-z0-9-]+}}", features = <[{{.*}}"+sse2"
// BADCPU: error: ring-set-cpu-target: unknown x86-64 CPU 'pentium9' (for example x86-64, x86-64-v3, x86-64-v4, znver3, skylake-avx512)
// BADFEATURE: error: ring-set-cpu-target: unknown x86 target feature 'avx9000'
// NOSIGN: error: ring-set-cpu-target: target feature 'avx2' must start with + or - (for example +avx2,-avx512f)
llvm.func @kernel() {
  llvm.return
}
llvm.func @declared()

// -----

// A module that names its target keeps it when the pass has no options.
// HOST: chip = "znver4"
// V3: chip = "x86-64-v3"
module attributes {llvm.target = #llvm.target<triple = "x86_64-pc-linux-gnu", chip = "znver4", features = <["+avx512f"]>>} {
  llvm.func @kept() {
    llvm.return
  }
}
