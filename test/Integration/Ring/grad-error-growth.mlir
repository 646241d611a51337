// dK/dV partial sums travel in f32 and dQ accumulates in f32, so splitting
// the same sequence over 8 ranks instead of 1 must not grow the gradients'
// error by more than 1.5x, in f32 and bf16 (same seed: same global inputs).
// RUN: rm -rf %t && mkdir -p %t
// RUN: sed -e 's/@N@/1/g' -e 's/@L@/256/g' -e 's/@T@/f32/g' %s > %t/f32-1.mlir
// RUN: sed -e 's/@N@/8/g' -e 's/@L@/32/g' -e 's/@T@/f32/g' %s > %t/f32-8.mlir
// RUN: sed -e 's/@N@/1/g' -e 's/@L@/256/g' -e 's/@T@/bf16/g' %s > %t/bf16-1.mlir
// RUN: sed -e 's/@N@/8/g' -e 's/@L@/32/g' -e 's/@T@/bf16/g' %s > %t/bf16-8.mlir
// RUN: ring-run %t/f32-1.mlir --grad --check --json > %t/f32-1.json
// RUN: ring-run %t/f32-8.mlir --grad --check --json > %t/f32-8.json
// RUN: ring-run %t/bf16-1.mlir --grad --check --json > %t/bf16-1.json
// RUN: ring-run %t/bf16-8.mlir --grad --check --json > %t/bf16-8.json
// RUN: %python %S/Inputs/compare_errors.py %t/f32-1.json %t/f32-8.json 1.5 dq dk dv
// RUN: %python %S/Inputs/compare_errors.py %t/bf16-1.json %t/bf16-8.json 1.5 dq dk dv
shard.grid @ring(shape = @N@)

func.func @attention(%q: tensor<1x4x@L@x64x@T@>, %k: tensor<1x2x@L@x64x@T@>,
                     %v: tensor<1x2x@L@x64x@T@>) -> tensor<1x4x@L@x64x@T@> {
  %o = ring.attention %q, %k, %v causal ring @ring axis 0 layout zigzag
      : tensor<1x4x@L@x64x@T@>, tensor<1x2x@L@x64x@T@>, tensor<1x2x@L@x64x@T@>
  return %o : tensor<1x4x@L@x64x@T@>
}
