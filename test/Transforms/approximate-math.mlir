// RUN: ring-opt %s -ring-approximate-math | FileCheck %s

// exp and log become polynomials: no libm call, still vectors.
// CHECK-LABEL: func.func @exp_log
// CHECK-NOT: math.exp
// CHECK-NOT: math.log
// CHECK: math.fma {{.*}} : vector<16xf32>
// CHECK: return
func.func @exp_log(%x: vector<16xf32>, %y: f32) -> (vector<16xf32>, f32) {
  %e = math.exp %x : vector<16xf32>
  %l = math.log %y : f32
  return %e, %l : vector<16xf32>, f32
}

// tanh (the logit cap) too.
// CHECK-LABEL: func.func @tanh
// CHECK-NOT: math.tanh
// CHECK: math.fma {{.*}} : vector<8xf32>
// CHECK: return
func.func @tanh(%x: vector<8xf32>) -> vector<8xf32> {
  %t = math.tanh %x : vector<8xf32>
  return %t : vector<8xf32>
}
