//===- ring_attention_main.cpp - An ahead-of-time ring attention program --===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// Links with an object file compiled from a ring attention module (see
// docs/AOT.md) and with the runtime, and runs under mpirun:
//
//   mpirun -np N ./ring-attention B HQ HKV L D LAYOUT [causal]
//
// Every process builds the same seeded global f32 inputs, takes its rank's
// shard of the sequence by the layout, calls the compiled entry point
// `_mlir_ciface_attention` on the MPI backend, and sends its output shard to
// rank 0, which checks the whole result against the float64 reference.
//
//===----------------------------------------------------------------------===//

#include "RingAttn/Runtime/MpiBackend.h"
#include "RingAttn/Support/ReferenceAttention.h"
#include "RingAttn/Support/SequenceLayout.h"

#include <mpi.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <random>
#include <string>
#include <vector>

using namespace ringattn;

namespace {
/// MLIR's descriptor of a rank-4 f32 memref.
struct Memref4 {
  float *allocated, *aligned;
  int64_t offset, sizes[4], strides[4];
};

Memref4 describe(std::vector<float> &data, int64_t b, int64_t h, int64_t s,
                 int64_t d) {
  return {data.data(), data.data(), 0, {b, h, s, d}, {h * s * d, s * d, d, 1}};
}
} // namespace

extern "C" void _mlir_ciface_attention(Memref4 *q, Memref4 *k, Memref4 *v,
                                       Memref4 *out);

int main(int argc, char **argv) {
  // The runtime's progress thread calls MPI while the rank computes.
  int provided = 0;
  MPI_Init_thread(&argc, &argv, MPI_THREAD_SERIALIZED, &provided);
  int rank = 0, ranks = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &ranks);
  std::optional<Layout> layout =
      argc >= 7 ? parseLayout(argv[6]) : std::nullopt;
  if (argc < 7 || !layout) {
    if (rank == 0)
      std::fprintf(stderr,
                   "usage: %s B HQ HKV L D contiguous|zigzag|striped "
                   "[causal]\n",
                   argv[0]);
    MPI_Finalize();
    return 2;
  }
  const int64_t b = std::atoll(argv[1]), hq = std::atoll(argv[2]),
                hkv = std::atoll(argv[3]), local = std::atoll(argv[4]),
                d = std::atoll(argv[5]), global = local * ranks;
  const bool causal = argc > 7 && std::string(argv[7]) == "causal";

  // The same global inputs on every process; each takes its shard.
  std::mt19937_64 rng(42);
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  auto random = [&](int64_t n) {
    std::vector<float> x(n);
    for (float &e : x)
      e = uniform(rng);
    return x;
  };
  std::vector<float> q = random(b * hq * global * d),
                     k = random(b * hkv * global * d),
                     v = random(b * hkv * global * d);
  auto shard = [&](const std::vector<float> &x, int64_t heads) {
    std::vector<float> part(b * heads * local * d);
    for (int64_t p = 0; p < b * heads; ++p)
      for (int64_t t = 0; t < local; ++t)
        std::memcpy(
            &part[(p * local + t) * d],
            &x[(p * global + globalPosition(*layout, ranks, rank, local, t)) *
               d],
            d * sizeof(float));
    return part;
  };
  std::vector<float> qs = shard(q, hq), ks = shard(k, hkv), vs = shard(v, hkv);
  std::vector<float> out(qs.size());
  Memref4 qd = describe(qs, b, hq, local, d),
          kd = describe(ks, b, hkv, local, d),
          vd = describe(vs, b, hkv, local, d),
          od = describe(out, b, hq, local, d);

  runtime::MpiOptions options;
  options.timeoutSeconds = 30;
  runtime::RankReport report = runtime::runOnMpi(
      options, [&](int) { _mlir_ciface_attention(&qd, &kd, &vd, &od); });

  // Rank 0 reassembles the output in natural order and checks it.
  std::vector<float> all(rank == 0 ? out.size() * ranks : 0);
  MPI_Gather(out.data(), static_cast<int>(out.size()), MPI_FLOAT, all.data(),
             static_cast<int>(out.size()), MPI_FLOAT, 0, MPI_COMM_WORLD);
  int status = 0;
  if (rank == 0) {
    std::vector<double> result(b * hq * global * d);
    for (int r = 0; r < ranks; ++r)
      for (int64_t p = 0; p < b * hq; ++p)
        for (int64_t t = 0; t < local; ++t)
          for (int64_t x = 0; x < d; ++x)
            result[(p * global + globalPosition(*layout, ranks, r, local, t)) *
                       d +
                   x] = all[r * out.size() + (p * local + t) * d + x];
    AttentionShape s{b, hq, hkv, global, global, d};
    std::vector<double> qd64(q.begin(), q.end()), kd64(k.begin(), k.end()),
        vd64(v.begin(), v.end());
    ErrorStats stats = compare(
        result,
        referenceAttention(s, qd64, kd64, vd64,
                           1.0 / std::sqrt(static_cast<double>(d)), causal));
    bool pass = stats.finite && stats.relative <= 1e-5;
    std::printf("aot ring attention: %d ranks, %s%s, rank 0 took %.3f ms, "
                "rel_err=%.3e %s\n",
                ranks, layoutName(*layout), causal ? " causal" : "",
                report.seconds * 1e3, stats.relative, pass ? "PASS" : "FAIL");
    status = pass ? 0 : 1;
  }
  MPI_Bcast(&status, 1, MPI_INT, 0, MPI_COMM_WORLD);
  MPI_Finalize();
  return status;
}
