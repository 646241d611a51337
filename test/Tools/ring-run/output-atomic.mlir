// Outputs (--output, --trace) are written atomically (docs/Tools.md): a
// failed write is one error line naming the file and exit 1, and an existing
// output is only ever replaced by a complete one.
// RUN: rm -rf %t && mkdir -p %t
// A device that refuses the bytes (the small output used to fail only at an
// unchecked close, and ring-run exited 0).
// RUN: not ring-run %s --entry tiny --output /dev/full 2>&1 | FileCheck %s --check-prefix=FULL --implicit-check-not=error
// RUN: not ring-run %s --entry tiny --trace /dev/full 2>&1 | FileCheck %s --check-prefix=FULL --implicit-check-not=error
// FULL: {{^}}ring-run: error: cannot write /dev/full: No space left on device{{$}}
// A device that takes them is written directly.
// RUN: ring-run %s --entry tiny --output /dev/null
// A process killed partway through writing (here by SIGXFSZ from the file
// size limit, at 128 KiB of a 256 KiB output) leaves the old output as it
// was; it used to leave it truncated.
// RUN: ring-run %s --entry big --seed 1 --output %t/out.npy
// RUN: cp %t/out.npy %t/before.npy
// RUN: not --crash bash -c "ulimit -f 128; exec env JITDUMPDIR=%t/jit ring-run %s --entry big --seed 2 --output %t/out.npy"
// RUN: cmp %t/out.npy %t/before.npy
// A symbolic link at the path is replaced, not followed.
// RUN: ln -s before.npy %t/link.npy
// RUN: ring-run %s --entry big --seed 2 --output %t/link.npy
// RUN: not cmp %t/link.npy %t/before.npy
// RUN: cmp %t/out.npy %t/before.npy
// What is neither a regular file nor a device is refused.
// RUN: not ring-run %s --entry tiny --output %t 2>&1 | FileCheck %s --check-prefix=DIR
// DIR: {{^}}ring-run: error: cannot write {{.*}}: it is not a regular file or a device{{$}}

func.func @tiny(%q: tensor<1x1x2x4xf32>, %k: tensor<1x1x2x4xf32>, %v: tensor<1x1x2x4xf32>) -> tensor<1x1x2x4xf32> {
  %o = ring.attention %q, %k, %v : tensor<1x1x2x4xf32>, tensor<1x1x2x4xf32>, tensor<1x1x2x4xf32>
  return %o : tensor<1x1x2x4xf32>
}
func.func @big(%q: tensor<1x2x512x64xf32>, %k: tensor<1x2x512x64xf32>, %v: tensor<1x2x512x64xf32>) -> tensor<1x2x512x64xf32> {
  %o = ring.attention %q, %k, %v : tensor<1x2x512x64xf32>, tensor<1x2x512x64xf32>, tensor<1x2x512x64xf32>
  return %o : tensor<1x2x512x64xf32>
}
