// One rank's program (as ring-partition-model writes it) whose result #1 is
// declared whole on every rank but holds the rank's own index: ring-run must
// refuse it rather than report rank 0's copy.
shard.grid @ring(shape = 2)

func.func @disagree(%x: tensor<4x4xf32>) -> (tensor<4x4xf32>, tensor<4xf32>)
    attributes {llvm.emit_c_interface,
                ring.sharded_abi = {ranks = 2 : i64,
                                    arguments = [tensor<8x4xf32>],
                                    argument_splits = array<i64: 0>,
                                    results = [tensor<8x4xf32>, tensor<4xf32>],
                                    result_splits = array<i64: 0, -1>}} {
  %r = shard.process_multi_index on @ring axes = [0] : index
  %ri = arith.index_cast %r : index to i32
  %rf = arith.sitofp %ri : i32 to f32
  %e = tensor.empty() : tensor<4xf32>
  %f = linalg.fill ins(%rf : f32) outs(%e : tensor<4xf32>) -> tensor<4xf32>
  return %x, %f : tensor<4x4xf32>, tensor<4xf32>
}
