// The ring dialect's sharding model loaded into upstream mlir-opt by the
// dialect plugin: shard-partition partitions ring.attention exactly as
// ring-opt does, on the cases and checks of Dialect/Ring/partition.mlir.
// (Here, not there: the sanitized build's plugin cannot load into the
// uninstrumented mlir-opt, and scripts/fuzz.sh runs test/Dialect with it.)
// RUN: %mlir_lib_dir/../bin/mlir-opt %S/../Dialect/Ring/partition.mlir --load-dialect-plugin=%ringattn_obj/lib/libRingAttnPlugin.so -split-input-file -verify-diagnostics --pass-pipeline='builtin.module(func.func(shard-partition))' | FileCheck %S/../Dialect/Ring/partition.mlir
