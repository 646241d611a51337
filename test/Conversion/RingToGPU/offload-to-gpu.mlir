// RUN: ring-opt %s -split-input-file -ring-offload-to-gpu -verify-diagnostics | FileCheck %s

// An element-wise loop nest becomes one thread per iteration: 4 x 6 = 24
// iterations, one block of 256 threads, the tail guarded, the linear index
// split back into (i, j) row-major. Static bounds fold, so the kernel
// divides by constants. The kernel joins @ring_kernels.

// CHECK-LABEL: func.func @elementwise
// CHECK: gpu.launch_func @ring_kernels::@elementwise blocks in (%c1, %c1, %c1) threads in (%c256, %c1, %c1) args(%arg0 : memref<4x6xf32>, %arg1 : memref<4x6xf32>)
// CHECK-NOT: scf.parallel
// CHECK: gpu.module @ring_kernels
// CHECK: gpu.func @elementwise([[A:%[a-z0-9]+]]: memref<4x6xf32>, [[B:%[a-z0-9]+]]: memref<4x6xf32>) kernel attributes {known_block_size = array<i32: 256, 1, 1>, known_grid_size = array<i32: 1, 1, 1>}
// CHECK-DAG: %[[C6:.*]] = arith.constant 6 : index
// CHECK-DAG: %[[C24:.*]] = arith.constant 24 : index
// CHECK: %[[BX:.*]] = gpu.block_id x
// CHECK: %[[TX:.*]] = gpu.thread_id x
// CHECK: %[[BASE:.*]] = arith.muli %[[BX]], %c256
// CHECK: %[[LINEAR:.*]] = arith.addi %[[BASE]], %[[TX]] : index
// CHECK: %[[IN:.*]] = arith.cmpi ult, %[[LINEAR]], %[[C24]] : index
// CHECK: scf.if %[[IN]] {
// CHECK: arith.remui %[[LINEAR]], %[[C6]] : index
// CHECK: arith.divui %[[LINEAR]], %[[C6]] : index
// CHECK: memref.load [[A]]
// CHECK: arith.addf
// CHECK: memref.store %{{.*}}, [[B]]
// CHECK: gpu.return
func.func @elementwise(%a: memref<4x6xf32>, %b: memref<4x6xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c6 = arith.constant 6 : index
  scf.parallel (%i, %j) = (%c0, %c0) to (%c4, %c6) step (%c1, %c1) {
    %x = memref.load %a[%i, %j] : memref<4x6xf32>
    %y = memref.load %b[%i, %j] : memref<4x6xf32>
    %s = arith.addf %x, %y : f32
    memref.store %s, %b[%i, %j] : memref<4x6xf32>
    scf.reduce
  }
  return
}

// -----

// Dynamic bounds: the iteration count is computed on the host and passed to
// the kernel, which divides by it.

// CHECK-LABEL: func.func @dynamic
// CHECK: %[[DIM:.*]] = memref.dim %arg0, %c0
// CHECK: %[[TOTAL:.*]] = arith.muli %[[DIM]], %c6
// CHECK: %[[BLOCKS:.*]] = arith.maxui
// CHECK: gpu.launch_func @ring_kernels::@elementwise blocks in (%[[BLOCKS]], %c1, %c1) threads in (%c256, %c1, %c1) args(%[[TOTAL]] : index, %[[DIM]] : index, %arg0 : memref<?x6xf32>, %arg1 : memref<?x6xf32>)
// CHECK: gpu.func @elementwise([[N:%[a-z0-9]+]]: index, [[ROWS:%[a-z0-9]+]]: index, {{.*}}) kernel
// CHECK: arith.cmpi ult, %{{.*}}, [[N]] : index
// CHECK: arith.remui %{{.*}}, [[ROWS]] : index
func.func @dynamic(%a: memref<?x6xf32>, %b: memref<?x6xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c6 = arith.constant 6 : index
  %n = memref.dim %a, %c0 : memref<?x6xf32>
  scf.parallel (%i, %j) = (%c0, %c0) to (%n, %c6) step (%c1, %c1) {
    %x = memref.load %a[%i, %j] : memref<?x6xf32>
    memref.store %x, %b[%i, %j] : memref<?x6xf32>
    scf.reduce
  }
  return
}

// -----

// Buffers live on the device; contiguous copies are memcpys, strided ones
// copy kernels.

// CHECK-LABEL: func.func @buffers
// CHECK: %[[A:.*]] = gpu.alloc () : memref<8x16xf32>
// CHECK: gpu.memcpy %[[A]], %arg0 : memref<8x16xf32>, memref<8x16xf32>
// CHECK: %[[VIEW:.*]] = memref.subview %[[A]][0, 0] [8, 8] [1, 1]
// CHECK: gpu.launch_func @ring_kernels::@elementwise {{.*}} args({{.*}}%[[VIEW]] : memref<8x8xf32, strided<[16, 1]>>, %arg1 : memref<8x8xf32>)
// CHECK: gpu.dealloc %[[A]] : memref<8x16xf32>
// CHECK-NOT: memref.alloc
// CHECK-NOT: memref.copy
func.func @buffers(%src: memref<8x16xf32>, %dst: memref<8x8xf32>) {
  %a = memref.alloc() : memref<8x16xf32>
  memref.copy %src, %a : memref<8x16xf32> to memref<8x16xf32>
  %view = memref.subview %a[0, 0] [8, 8] [1, 1]
      : memref<8x16xf32> to memref<8x8xf32, strided<[16, 1]>>
  memref.copy %view, %dst : memref<8x8xf32, strided<[16, 1]>> to memref<8x8xf32>
  memref.dealloc %a : memref<8x16xf32>
  return
}

// -----

func.func @host_load(%a: memref<4xf32>) -> f32 {
  %c0 = arith.constant 0 : index
  // expected-error @+1 {{host code of a GPU module would access device memory here; only element-wise loops are offloaded}}
  %x = memref.load %a[%c0] : memref<4xf32>
  return %x : f32
}

// -----

func.func @reduction(%a: memref<4xf32>) -> f32 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %zero = arith.constant 0.0 : f32
  // expected-error @+1 {{a parallel loop with reductions cannot be offloaded to the GPU}}
  %sum = scf.parallel (%i) = (%c0) to (%c4) step (%c1) init (%zero) -> f32 {
    %x = memref.load %a[%i] : memref<4xf32>
    scf.reduce(%x : f32) {
    ^bb0(%l: f32, %r: f32):
      %s = arith.addf %l, %r : f32
      scf.reduce.return %s : f32
    }
  }
  return %sum : f32
}

// -----

// The deallocation's bookkeeping (pointers as index, ownership flags as i1)
// stays in host memory and host code uses it; the f32 buffer goes to the
// device.
// CHECK-LABEL: func.func @bookkeeping
// CHECK: %[[PTRS:.*]] = memref.alloc() : memref<2xindex>
// CHECK: %[[FLAGS:.*]] = memref.alloc() : memref<2xi1>
// CHECK: gpu.alloc () : memref<4xf32>
// CHECK: memref.store %{{.*}}, %[[PTRS]]
// CHECK: memref.load %[[FLAGS]]
// CHECK: memref.dealloc %[[PTRS]] : memref<2xindex>
// CHECK: memref.dealloc %[[FLAGS]] : memref<2xi1>
// CHECK: gpu.dealloc %{{.*}} : memref<4xf32>
func.func @bookkeeping(%p: index) -> i1 {
  %c0 = arith.constant 0 : index
  %ptrs = memref.alloc() : memref<2xindex>
  %flags = memref.alloc() : memref<2xi1>
  %data = memref.alloc() : memref<4xf32>
  memref.store %p, %ptrs[%c0] : memref<2xindex>
  %owned = memref.load %flags[%c0] : memref<2xi1>
  memref.dealloc %ptrs : memref<2xindex>
  memref.dealloc %flags : memref<2xi1>
  memref.dealloc %data : memref<4xf32>
  return %owned : i1
}

// -----

// No kernel may touch it.
func.func @kernel_reads_flags(%flags: memref<4xi1>, %out: memref<4xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %one = arith.constant 1.0 : f32
  %zero = arith.constant 0.0 : f32
  scf.parallel (%i) = (%c0) to (%c4) step (%c1) {
    // expected-error @+1 {{a kernel would access a buffer of index or i1 elements, which stays in host memory (the deallocation's bookkeeping)}}
    %f = memref.load %flags[%i] : memref<4xi1>
    %v = arith.select %f, %one, %zero : f32
    memref.store %v, %out[%i] : memref<4xf32>
    scf.reduce
  }
  return
}
