//===- ring_attention_main.cpp - An ahead-of-time ring attention program --===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// Links with an object file compiled from a ring attention module (see
// docs/AOT.md) and with the runtime, and runs under mpirun:
//
//   mpirun -np N ./ring-attention B HQ HKV L D LAYOUT [causal]
//
// It drives the runtime the way ring-run does, through the "mpi" backend of
// the registry: rank 0 builds seeded global f32 inputs and splits them by
// the layout, the backend scatters the shards, runs the compiled entry
// `_mlir_ciface_attention` on every rank and gathers the output shards, and
// rank 0 checks the whole result against the float64 reference.
//
//===----------------------------------------------------------------------===//

#include "RingAttn/Runtime/BackendRegistry.h"
#include "RingAttn/Runtime/MpiBackend.h"
#include "RingAttn/Support/HostTensor.h"
#include "RingAttn/Support/ReferenceAttention.h"
#include "RingAttn/Support/SequenceSharding.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <random>
#include <string>
#include <vector>

using namespace ringattn;

namespace {
/// MLIR's descriptor of a rank-4 f32 memref.
struct Memref4 {
  void *allocated, *aligned;
  int64_t offset, sizes[4], strides[4];
};

Memref4 describe(HostTensor &tensor) {
  const std::vector<int64_t> &s = tensor.shape();
  return {tensor.data(),
          tensor.data(),
          0,
          {s[0], s[1], s[2], s[3]},
          {s[1] * s[2] * s[3], s[2] * s[3], s[3], 1}};
}

std::vector<runtime::ShardBuffer> buffersOf(std::vector<HostTensor> &shards) {
  std::vector<runtime::ShardBuffer> buffers;
  for (HostTensor &shard : shards)
    buffers.push_back({shard.data(), shard.sizeInBytes()});
  return buffers;
}
} // namespace

extern "C" void _mlir_ciface_attention(Memref4 *q, Memref4 *k, Memref4 *v,
                                       Memref4 *out);

int main(int argc, char **argv) {
  runtime::BackendRegistry registry;
  runtime::registerMpiBackends(registry);
  runtime::BackendOptions options;
  options.timeoutSeconds = 30;
  options.argc = &argc;
  options.argv = &argv;
  std::string error;
  std::unique_ptr<runtime::Backend> job =
      registry.create("mpi", options, error);
  if (!job) {
    std::fprintf(stderr, "ring-attention: error: %s\n", error.c_str());
    return 1;
  }
  const int ranks = job->ranks(), rank = job->processRank();
  const bool root = job->isRoot();
  std::optional<Layout> layout =
      argc >= 7 ? parseLayout(argv[6]) : std::nullopt;
  if (argc < 7 || !layout) {
    if (root)
      std::fprintf(stderr,
                   "usage: %s B HQ HKV L D contiguous|zigzag|striped "
                   "[causal]\n",
                   argv[0]);
    job->finish();
    return 2;
  }
  const int64_t b = std::atoll(argv[1]), hq = std::atoll(argv[2]),
                hkv = std::atoll(argv[3]), local = std::atoll(argv[4]),
                d = std::atoll(argv[5]), global = local * ranks;
  const bool causal = argc > 7 && std::string(argv[7]) == "causal";

  // The root holds the global operands; every process its ranks' shards.
  auto shape = [&](int64_t heads, int64_t tokens) {
    return std::vector<int64_t>{b, heads, tokens, d};
  };
  const int64_t heads[] = {hq, hkv, hkv, hq};
  const char *names[] = {"q", "k", "v", "the output"};
  HostTensor operands[4];
  std::vector<HostTensor> shards[4];
  std::mt19937_64 rng(42);
  bool ok = true;
  for (int i = 0; ok && i < 4; ++i) {
    ok = !root || operands[i].allocate(names[i], ElementType::F32,
                                       shape(heads[i], global), error);
    if (ok && root && i < 3)
      operands[i].fillRandom(rng);
    ok = ok &&
         shardsForProcess(
             root ? &operands[i] : nullptr, *layout, ranks, ElementType::F32,
             shape(heads[i], local), [&](int r) { return job->runsRank(r); },
             names[i], shards[i], error);
  }
  if (job->firstFailure(ok) >= 0) {
    if (!ok)
      std::fprintf(stderr, "ring-attention: error: %s\n", error.c_str());
    job->finish();
    return 1;
  }
  for (int i = 0; i < 3; ++i)
    job->scatter(buffersOf(shards[i]));

  Memref4 q = describe(shards[0][rank]), k = describe(shards[1][rank]),
          v = describe(shards[2][rank]), out = describe(shards[3][rank]);
  double seconds = 0;
  job->run([&](int) { _mlir_ciface_attention(&q, &k, &v, &out); },
           /*trace=*/false, seconds);
  job->gather(buffersOf(shards[3]));
  job->finish();
  if (!root)
    return 0;

  // Back to natural order, and checked against the float64 reference.
  HostTensor result;
  if (!result.allocate("the output", ElementType::F32, shape(hq, global),
                       error)) {
    std::fprintf(stderr, "ring-attention: error: %s\n", error.c_str());
    return 1;
  }
  gatherSequence(shards[3], *layout, result);
  // A ring of one ran on the global operands themselves.
  auto input = [&](int i) -> const HostTensor & {
    return ranks == 1 ? shards[i][0] : operands[i];
  };
  AttentionShape s{b, hq, hkv, global, global, d};
  ErrorStats stats = compare(
      result.toDouble(),
      referenceAttention(s, input(0).toDouble(), input(1).toDouble(),
                         input(2).toDouble(),
                         1.0 / std::sqrt(static_cast<double>(d)), causal));
  bool pass = stats.finite && stats.relative <= 1e-5;
  std::printf("aot ring attention: %d ranks, %s%s, slowest rank took %.3f ms, "
              "rel_err=%.3e %s\n",
              ranks, layoutName(*layout), causal ? " causal" : "",
              seconds * 1e3, stats.relative, pass ? "PASS" : "FAIL");
  return pass ? 0 : 1;
}
