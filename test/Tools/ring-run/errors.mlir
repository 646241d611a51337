// Every ring-run error path says what is wrong and where.
// RUN: rm -rf %t && mkdir -p %t
// RUN: ring-run %s --entry small --output %t/small.npy
// RUN: ring-run %s --entry half4 --output %t/half4.npy

// RUN: not ring-run %t/missing.mlir 2>&1 | FileCheck %s --check-prefix=NOFILE
// NOFILE: ring-run: error: cannot open input file '{{.*}}missing.mlir'

// RUN: echo "func.func @f(" > %t/bad.mlir
// RUN: not ring-run %t/bad.mlir > %t/bad.txt 2>&1
// RUN: FileCheck %s --check-prefix=PARSE < %t/bad.txt
// RUN: count 1 < %t/bad.txt
// PARSE: {{^}}ring-run: error: {{.*}}bad.mlir:1:14: expected non-function type{{$}}

// RUN: not ring-run %s 2>&1 | FileCheck %s --check-prefix=SEVERAL
// SEVERAL: ring-run: error: {{.*}}errors.mlir: the module has 3 attention entry points; choose one with --entry

// RUN: not ring-run %s --entry nope 2>&1 | FileCheck %s --check-prefix=NOENTRY
// NOENTRY: ring-run: error: {{.*}}: no attention entry point named @nope

// RUN: echo "func.func @f() { return }" > %t/empty.mlir
// RUN: not ring-run %t/empty.mlir 2>&1 | FileCheck %s --check-prefix=NONE
// NONE: ring-run: error: {{.*}}empty.mlir: the module has no attention entry point

// RUN: not ring-run %s --entry small --inputs %t/small.npy,%t/small.npy 2>&1 | FileCheck %s --check-prefix=COUNT
// COUNT: ring-run: error: --inputs takes three comma-separated files (q,k,v), or four with sinks (q,k,v,sinks), got 2

// RUN: not ring-run %s --entry small --inputs %t/small.npy,%t/nothere.npy,%t/small.npy 2>&1 | FileCheck %s --check-prefix=NONPY
// NONPY: ring-run: error: {{.*}}nothere.npy: cannot open file

// RUN: not ring-run %s --entry small --inputs %s,%s,%s 2>&1 | FileCheck %s --check-prefix=MAGIC
// MAGIC: ring-run: error: {{.*}}errors.mlir: not a .npy file (bad magic)

// RUN: not ring-run %s --entry half --inputs %t/small.npy,%t/small.npy,%t/small.npy 2>&1 | FileCheck %s --check-prefix=DTYPE
// DTYPE: ring-run: error: {{.*}}small.npy: dtype is float32 but the kernel's f16 operand needs float16

// RUN: not ring-run %s --entry half --inputs %t/half4.npy,%t/half4.npy,%t/half4.npy 2>&1 | FileCheck %s --check-prefix=SHAPE
// SHAPE: ring-run: error: {{.*}}half4.npy: shape is [1, 1, 4, 16] but the kernel expects [1, 1, 8, 16]

// RUN: head -c 100 %t/small.npy > %t/cut-header.npy
// RUN: not ring-run %s --entry small --inputs %t/cut-header.npy,%t/small.npy,%t/small.npy 2>&1 | FileCheck %s --check-prefix=HEADER
// HEADER: ring-run: error: {{.*}}cut-header.npy: truncated .npy header

// RUN: head -c 200 %t/small.npy > %t/short.npy
// RUN: not ring-run %s --entry small --inputs %t/short.npy,%t/small.npy,%t/small.npy 2>&1 | FileCheck %s --check-prefix=SHORT
// SHORT: ring-run: error: {{.*}}short.npy: file holds fewer elements than its shape says

// RUN: not ring-run %s --entry small --target-cpu x86-64-v3 --key-tile 12 2>&1 | FileCheck %s --check-prefix=TILE
// TILE: {{^}}ring-run: error: {{.*}}errors.mlir:{{[0-9]+}}:{{[0-9]+}}: ring-lower-cpu failed: ring-lower-block-attention: key-tile must be a positive multiple of 8, the f32 lanes of a vector on this target (got 12){{$}}
// RUN: not ring-run %s --entry small --target-cpu pentium9 2>&1 | FileCheck %s --check-prefix=BADCPU
// BADCPU: {{^}}ring-run: error: {{.*}}ring-lower-cpu failed: ring-set-cpu-target: unknown x86-64 CPU 'pentium9' (for example x86-64, x86-64-v3, x86-64-v4, znver3, skylake-avx512){{$}}
// RUN: not ring-run %s --entry small --target-features=avx2 2>&1 | FileCheck %s --check-prefix=BADFEATURE
// BADFEATURE: {{^}}ring-run: error: {{.*}}ring-set-cpu-target: target feature 'avx2' must start with + or - (for example +avx2,-avx512f){{$}}
// RUN: not ring-run %s --entry small --target-features=+avx9000 2>&1 | FileCheck %s --check-prefix=UNKNOWNFEATURE
// UNKNOWNFEATURE: {{^}}ring-run: error: {{.*}}ring-set-cpu-target: unknown x86 target feature 'avx9000'{{$}}

// RUN: not ring-run %s --entry small --output %t/no/such/dir/out.npy 2>&1 | FileCheck %s --check-prefix=OUT
// OUT: ring-run: error: cannot write --output {{.*}}/no/such/dir/out.npy: its directory does not exist or is not writable

// RUN: not ring-run %S/Inputs/bad-abi.mlir 2>&1 | FileCheck %s --check-prefix=ABI
// ABI: ring-run: error: {{.*}}bad-abi.mlir:2:1: malformed 'ring.abi': 'query' must be a 4-D ranked tensor type

// RUN: not ring-run %S/Inputs/no-ciface.mlir 2>&1 | FileCheck %s --check-prefix=CIFACE
// CIFACE: ring-run: error: the compiled module has no _mlir_ciface_attention

// RUN: not ring-run %S/Inputs/ring-entry.mlir --ranks 2 2>&1 | FileCheck %s --check-prefix=RANKS
// RANKS: ring-run: error: @attention was compiled for a ring of 4 ranks but --ranks is 2

// RUN: not ring-run %s --entry small --ranks 3 2>&1 | FileCheck %s --check-prefix=SINGLE
// SINGLE: ring-run: error: @small was compiled for one device but --ranks is 3

// RUN: not ring-run %S/Inputs/ring-entry.mlir --backend carrier-pigeon 2>&1 | FileCheck %s --check-prefix=BACKEND
// BACKEND: ring-run: error: --backend 'carrier-pigeon' is not available in this build (available: threads{{.*}})

// A peer that never delivers (a link slower than the timeout) stops every
// rank with a message naming the rank and the shift, in bounded time, on one
// line that also says which ranks stopped because of it.
// RUN: not ring-run %S/Inputs/ring-entry.mlir --link-latency-us 3000000 --timeout-s 0.2 > %t/timeout.txt 2>&1
// RUN: FileCheck %s --check-prefix=TIMEOUT < %t/timeout.txt
// RUN: count 1 < %t/timeout.txt
// TIMEOUT: {{^}}ring-run: error: the ring failed: rank {{[0-3]}}: timed out after 0.2 s waiting for shift 0 (receive from rank {{[0-3]}}, send to rank {{[0-3]}}){{.*}}; {{ranks? [0-3]([-,] ?[0-3])*}} stopped because of it{{$}}

// RUN: not ring-run %S/Inputs/ring-entry.mlir --no-communication --check 2>&1 | FileCheck %s --check-prefix=NOCOMM
// NOCOMM: ring-run: error: --no-communication gives wrong results by design; it cannot be combined with --check or --output

// RUN: not ring-run %S/Inputs/ring-entry.mlir --trace %t/no/such/dir/trace.json 2>&1 | FileCheck %s --check-prefix=TRACE
// TRACE: ring-run: error: {{.*}}trace.json{{.*}}

func.func @small(%q: tensor<1x1x4x16xf32>, %k: tensor<1x1x4x16xf32>, %v: tensor<1x1x4x16xf32>) -> tensor<1x1x4x16xf32> {
  %o = ring.attention %q, %k, %v : tensor<1x1x4x16xf32>, tensor<1x1x4x16xf32>, tensor<1x1x4x16xf32>
  return %o : tensor<1x1x4x16xf32>
}
func.func @half(%q: tensor<1x1x8x16xf16>, %k: tensor<1x1x8x16xf16>, %v: tensor<1x1x8x16xf16>) -> tensor<1x1x8x16xf16> {
  %o = ring.attention %q, %k, %v : tensor<1x1x8x16xf16>, tensor<1x1x8x16xf16>, tensor<1x1x8x16xf16>
  return %o : tensor<1x1x8x16xf16>
}
func.func @half4(%q: tensor<1x1x4x16xf16>, %k: tensor<1x1x4x16xf16>, %v: tensor<1x1x4x16xf16>) -> tensor<1x1x4x16xf16> {
  %o = ring.attention %q, %k, %v : tensor<1x1x4x16xf16>, tensor<1x1x4x16xf16>, tensor<1x1x4x16xf16>
  return %o : tensor<1x1x4x16xf16>
}
