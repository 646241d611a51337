//===- gpu_attention_main.cpp - An ahead-of-time GPU attention program ----===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// Links with an object file compiled from a ring attention module by
// ring-lower-nvvm (see docs/GPU.md) and with the runtime, and runs the entry
// `@attention` on N ranks sharing this machine's GPU:
//
//   ./gpu-attention B HQ HKV L D LAYOUT RANKS causal|full TYPE
//                   [--repeat R] [--check] [--no-communication]
//
// L is each rank's sequence length; TYPE is f32, f16 or bf16 and, like the
// other arguments, must describe the compiled module. It drives the runtime
// the way ring-run does, through the registry's "gpu" backend: it builds
// seeded global inputs, splits them by the layout, stages each rank's shard
// in device memory (DeviceOperands), runs the ring R times (one warm-up run
// first), and with --check gathers the output and compares it with the
// float64 reference. It needs no MLIR at run time, which is how
// scripts/gpu-check.sh runs on GPU machines without the LLVM toolchain.
// Prints one JSON line: end-to-end times (best_ms, median_ms: the host's wall
// time of a run) and device times (device_best_ms, device_median_ms: the
// slowest rank's compute stream between CUDA events, as PyTorch times its
// kernels); TFLOP/s from the best device time.
//
//===----------------------------------------------------------------------===//

#include "RingAttn/Runtime/BackendRegistry.h"
#include "RingAttn/Runtime/DeviceOperands.h"
#include "RingAttn/Runtime/GpuBackend.h"
#include "RingAttn/Support/HostTensor.h"
#include "RingAttn/Support/ReferenceAttention.h"
#include "RingAttn/Support/SequenceSharding.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <random>
#include <string>
#include <vector>

using namespace ringattn;

namespace {

/// MLIR's descriptor of a rank-4 memref (the element type does not matter
/// to the layout).
struct Memref4 {
  void *allocated, *aligned;
  int64_t offset, sizes[4], strides[4];
};

Memref4 describe(const HostTensor &tensor, void *data) {
  const std::vector<int64_t> &s = tensor.shape();
  return {data,
          data,
          0,
          {s[0], s[1], s[2], s[3]},
          {s[1] * s[2] * s[3], s[2] * s[3], s[3], 1}};
}

std::optional<ElementType> parseType(const std::string &name) {
  if (name == "f32")
    return ElementType::F32;
  if (name == "f16")
    return ElementType::F16;
  if (name == "bf16")
    return ElementType::BF16;
  return std::nullopt;
}

int fail(const std::string &message) {
  std::fprintf(stderr, "gpu-attention: error: %s\n", message.c_str());
  return 1;
}

} // namespace

extern "C" void _mlir_ciface_attention(Memref4 *q, Memref4 *k, Memref4 *v,
                                       Memref4 *out);

int main(int argc, char **argv) {
  std::vector<std::string> positional;
  int repeat = 5;
  bool check = false, noCommunication = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--repeat" && i + 1 < argc)
      repeat = std::max(1, std::atoi(argv[++i]));
    else if (arg == "--check")
      check = true;
    else if (arg == "--no-communication")
      noCommunication = true;
    else
      positional.push_back(arg);
  }
  std::optional<Layout> layout =
      positional.size() == 9 ? parseLayout(positional[5]) : std::nullopt;
  std::optional<ElementType> type =
      positional.size() == 9 ? parseType(positional[8]) : std::nullopt;
  if (!layout || !type) {
    std::fprintf(stderr,
                 "usage: %s B HQ HKV L D contiguous|zigzag|striped RANKS "
                 "causal|full f32|f16|bf16 [--repeat R] [--check] "
                 "[--no-communication]\n",
                 argv[0]);
    return 2;
  }
  const int64_t b = std::atoll(positional[0].c_str()),
                hq = std::atoll(positional[1].c_str()),
                hkv = std::atoll(positional[2].c_str()),
                local = std::atoll(positional[3].c_str()),
                d = std::atoll(positional[4].c_str());
  const int ranks = std::atoi(positional[6].c_str());
  const bool causal = positional[7] == "causal";
  const int64_t global = local * ranks;
  if (check && noCommunication)
    return fail("--no-communication gives wrong results by design; it "
                "cannot be combined with --check");

  std::string why;
  if (!runtime::gpuAvailable(why))
    return fail("no usable GPU: " + why);
  runtime::BackendRegistry registry;
  runtime::registerOneGpuBackend(registry);
  runtime::BackendOptions options;
  options.ranks = ranks;
  options.timeoutSeconds = 120;
  options.dropTransfers = noCommunication;
  std::string error;
  std::unique_ptr<runtime::Backend> gpu =
      registry.create("gpu", options, error);
  if (!gpu)
    return fail(error);

  // Seeded global operands, split into every rank's shard by the layout.
  const int64_t heads[] = {hq, hkv, hkv, hq};
  const char *names[] = {"q", "k", "v", "the output"};
  HostTensor operands[4];
  std::vector<HostTensor> shards[4];
  std::mt19937_64 rng(42);
  for (int i = 0; i < 4; ++i) {
    if (!operands[i].allocate(names[i], *type, {b, heads[i], global, d}, error))
      return fail(error);
    if (i < 3)
      operands[i].fillRandom(rng);
    if (!shardsForProcess(
            &operands[i], *layout, ranks, *type, {b, heads[i], local, d},
            [](int) { return true; }, names[i], shards[i], error))
      return fail(error);
  }
  // A ring of one runs on the global operands themselves.
  auto input = [&](int i) -> const HostTensor & {
    return ranks == 1 ? shards[i][0] : operands[i];
  };

  // Device buffers, staged once.
  std::vector<runtime::DeviceOperands> device(ranks);
  std::vector<Memref4> descriptors(4 * ranks);
  for (int r = 0; r < ranks; ++r) {
    if (!device[r].stage(shards[0][r], shards[1][r], shards[2][r], shards[3][r],
                         error))
      return fail(error);
    for (int i = 0; i < 4; ++i)
      descriptors[4 * r + i] = describe(shards[i][r], device[r].data(i));
  }

  auto body = [&](int r) {
    Memref4 *m = &descriptors[4 * r];
    _mlir_ciface_attention(&m[0], &m[1], &m[2], &m[3]);
  };
  // End to end (host wall time of a run) and on the device (the slowest
  // rank's compute stream, timed by CUDA events like PyTorch's kernels).
  std::vector<double> times, deviceTimes;
  for (int i = 0; i <= repeat; ++i) { // run 0 warms up
    double seconds = 0;
    runtime::RunReport report = gpu->run(body, /*trace=*/false, seconds);
    if (!report.ok)
      return fail("the ring failed: " + report.error);
    double deviceSeconds = 0;
    for (const runtime::RankReport &rank : report.ranks)
      deviceSeconds = std::max(deviceSeconds, rank.deviceSeconds);
    if (i > 0) {
      times.push_back(seconds * 1e3);
      deviceTimes.push_back(deviceSeconds * 1e3);
    }
  }
  std::sort(times.begin(), times.end());
  std::sort(deviceTimes.begin(), deviceTimes.end());

  std::string checked = "null";
  bool pass = true;
  if (check) {
    for (int r = 0; r < ranks; ++r)
      if (!device[r].fetchOutput(shards[3][r], error))
        return fail(error);
    HostTensor result;
    if (!result.allocate("the output", *type, {b, hq, global, d}, error))
      return fail(error);
    gatherSequence(shards[3], *layout, result);
    AttentionShape s{b, hq, hkv, global, global, d};
    ErrorStats stats = compare(
        result.toDouble(),
        referenceAttention(s, input(0).toDouble(), input(1).toDouble(),
                           input(2).toDouble(),
                           1.0 / std::sqrt(static_cast<double>(d)), causal));
    double tolerance = *type == ElementType::F32   ? 1e-4
                       : *type == ElementType::F16 ? 4e-3
                                                   : 2e-2;
    pass = stats.finite && stats.relative <= tolerance;
    char buffer[160];
    std::snprintf(buffer, sizeof(buffer),
                  "{\"rel_err\": %.3e, \"tolerance\": %.1e, \"pass\": %s}",
                  stats.relative, tolerance, pass ? "true" : "false");
    checked = buffer;
  }

  double pairs = causal ? 0.5 * global * (global + 1) : double(global) * global;
  double flops = 4.0 * b * hq * pairs * d;
  std::printf("{\"gpu\": \"%s\", \"ranks\": %d, \"layout\": \"%s\", "
              "\"seq\": %lld, \"heads\": %lld, \"head_dim\": %lld, "
              "\"causal\": %s, \"type\": \"%s\", \"communication\": %s, "
              "\"best_ms\": %.3f, \"median_ms\": %.3f, "
              "\"device_best_ms\": %.3f, \"device_median_ms\": %.3f, "
              "\"tflops\": %.1f, \"check\": %s}\n",
              runtime::gpuDeviceName().c_str(), ranks, layoutName(*layout),
              static_cast<long long>(global), static_cast<long long>(hq),
              static_cast<long long>(d), causal ? "true" : "false",
              positional[8].c_str(), noCommunication ? "false" : "true",
              times.front(), times[times.size() / 2], deviceTimes.front(),
              deviceTimes[deviceTimes.size() / 2],
              flops / deviceTimes.front() / 1e9, checked.c_str());
  return pass ? 0 : 1;
}
