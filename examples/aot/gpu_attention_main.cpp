//===- gpu_attention_main.cpp - An ahead-of-time GPU attention program ----===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// Links with an object file compiled from a ring attention module by
// ring-lower-nvvm (see docs/GPU.md) and with the runtime, and runs the entry
// `@attention` on N ranks sharing this machine's GPU, or with --grad its
// training step `@attention_grad` (ring-opt -ring-add-training-steps adds
// it before ring-lower-nvvm):
//
//   ./gpu-attention B HQ HKV L D LAYOUT RANKS causal|full TYPE
//                   [--repeat R] [--check] [--no-communication] [--grad]
//
// L is each rank's sequence length; TYPE is f32, f16 or bf16 and, like the
// other arguments, must describe the compiled module. It drives the runtime
// the way ring-run does, through the registry's "gpu" backend: it builds
// seeded global inputs, splits them by the layout, stages each rank's shard
// in device memory (DeviceOperands), runs the ring R times (one warm-up run
// first), and with --check gathers the output and compares it with the
// float64 reference (with --grad: the output and dq, dk, dv against the
// float64 gradients of sum(dout * out), dout seeded after q, k, v). It needs
// no MLIR at run time, which is how
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
/// The training step, (q, k, v, dout) -> (out, dq, dk, dv); weak, so the
/// program links with modules compiled without one.
extern "C" __attribute__((weak)) void
_mlir_ciface_attention_grad(Memref4 *q, Memref4 *k, Memref4 *v, Memref4 *dout,
                            Memref4 *out, Memref4 *dq, Memref4 *dk,
                            Memref4 *dv);

int main(int argc, char **argv) {
  std::vector<std::string> positional;
  int repeat = 5;
  bool check = false, noCommunication = false, grad = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--repeat" && i + 1 < argc)
      repeat = std::max(1, std::atoi(argv[++i]));
    else if (arg == "--check")
      check = true;
    else if (arg == "--no-communication")
      noCommunication = true;
    else if (arg == "--grad")
      grad = true;
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
                 "[--no-communication] [--grad]\n",
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
  if (grad && !_mlir_ciface_attention_grad)
    return fail("--grad needs a training step: this program's module has no "
                "@attention_grad (compile it with -ring-add-training-steps)");

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

  // Seeded global operands, split into every rank's shard by the layout:
  // q, k, v (and dout), then the results out (and dq, dk, dv).
  struct Operand {
    const char *name;
    int64_t heads;
  };
  std::vector<Operand> spec = {{"q", hq}, {"k", hkv}, {"v", hkv}};
  if (grad)
    spec.push_back({"dout", hq});
  const int inputCount = static_cast<int>(spec.size());
  spec.push_back({"the output", hq});
  if (grad)
    spec.insert(spec.end(), {{"dq", hq}, {"dk", hkv}, {"dv", hkv}});
  const int operandCount = static_cast<int>(spec.size());
  std::vector<HostTensor> operands(operandCount);
  std::vector<std::vector<HostTensor>> shards(operandCount);
  std::mt19937_64 rng(42);
  for (int i = 0; i < operandCount; ++i) {
    const char *name = spec[i].name;
    const int64_t heads = spec[i].heads;
    if (!operands[i].allocate(name, *type, {b, heads, global, d}, error))
      return fail(error);
    if (i < inputCount)
      operands[i].fillRandom(rng);
    if (!shardsForProcess(
            &operands[i], *layout, ranks, *type, {b, heads, local, d},
            [](int) { return true; }, name, shards[i], error))
      return fail(error);
  }
  // A ring of one runs on the global operands themselves.
  auto input = [&](int i) -> const HostTensor & {
    return ranks == 1 ? shards[i][0] : operands[i];
  };

  // Device buffers, staged once.
  std::vector<runtime::DeviceOperands> device(ranks);
  std::vector<Memref4> descriptors(operandCount * ranks);
  for (int r = 0; r < ranks; ++r) {
    std::vector<HostTensor *> rankOperands;
    for (int i = 0; i < operandCount; ++i)
      rankOperands.push_back(&shards[i][r]);
    if (!device[r].stage(rankOperands, inputCount, error))
      return fail(error);
    for (int i = 0; i < operandCount; ++i)
      descriptors[operandCount * r + i] =
          describe(shards[i][r], device[r].data(i));
  }

  auto body = [&](int r) {
    Memref4 *m = &descriptors[operandCount * r];
    if (grad)
      _mlir_ciface_attention_grad(&m[0], &m[1], &m[2], &m[3], &m[4], &m[5],
                                  &m[6], &m[7]);
    else
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
    // The results, gathered in natural order: out, then dq, dk, dv.
    std::vector<std::vector<double>> results;
    for (int i = inputCount; i < operandCount; ++i) {
      for (int r = 0; r < ranks; ++r)
        if (!device[r].fetch(i, shards[i][r], error))
          return fail(error);
      HostTensor result;
      if (!result.allocate(spec[i].name, *type, {b, spec[i].heads, global, d},
                           error))
        return fail(error);
      gatherSequence(shards[i], *layout, result);
      results.push_back(result.toDouble());
    }
    AttentionShape s{b, hq, hkv, global, global, d};
    const double scale = 1.0 / std::sqrt(static_cast<double>(d));
    std::vector<std::vector<double>> expected = {
        referenceAttention(s, input(0).toDouble(), input(1).toDouble(),
                           input(2).toDouble(), scale, causal)};
    if (grad) {
      AttentionGradients g = referenceAttentionGradients(
          s, input(0).toDouble(), input(1).toDouble(), input(2).toDouble(),
          input(3).toDouble(), scale, causal);
      expected.insert(expected.end(), {g.dq, g.dk, g.dv});
    }
    // As ring-run --check: the gradients of 16-bit inputs are rounded to
    // 16 bits once, after sums of many products.
    double tolerance = *type == ElementType::F32   ? 1e-4
                       : *type == ElementType::F16 ? (grad ? 2e-2 : 4e-3)
                                                   : 2e-2;
    const char *resultNames[] = {"out", "dq", "dk", "dv"};
    double worst = 0;
    std::string each;
    for (size_t i = 0; i < results.size(); ++i) {
      ErrorStats stats = compare(results[i], expected[i]);
      pass = pass && stats.finite && stats.relative <= tolerance;
      worst = std::max(worst, stats.finite ? stats.relative : INFINITY);
      char buffer[64];
      std::snprintf(buffer, sizeof(buffer), ", \"%s_rel_err\": %.3e",
                    resultNames[i], stats.relative);
      each += buffer;
    }
    char buffer[160];
    std::snprintf(buffer, sizeof(buffer),
                  "{\"rel_err\": %.3e, \"tolerance\": %.1e, \"pass\": %s",
                  worst, tolerance, pass ? "true" : "false");
    checked = buffer + each + "}";
  }

  double pairs = causal ? 0.5 * global * (global + 1) : double(global) * global;
  // A training step adds the backward's five products to the forward's two.
  double flops = (grad ? 14.0 : 4.0) * b * hq * pairs * d;
  std::printf("{\"gpu\": \"%s\", \"ranks\": %d, \"layout\": \"%s\", "
              "\"seq\": %lld, \"heads\": %lld, \"head_dim\": %lld, "
              "\"causal\": %s, \"type\": \"%s\", \"communication\": %s, "
              "\"training\": %s, "
              "\"best_ms\": %.3f, \"median_ms\": %.3f, "
              "\"device_best_ms\": %.3f, \"device_median_ms\": %.3f, "
              "\"tflops\": %.1f, \"check\": %s}\n",
              runtime::gpuDeviceName().c_str(), ranks, layoutName(*layout),
              static_cast<long long>(global), static_cast<long long>(hq),
              static_cast<long long>(d), causal ? "true" : "false",
              positional[8].c_str(), noCommunication ? "false" : "true",
              grad ? "true" : "false", times.front(), times[times.size() / 2],
              deviceTimes.front(), deviceTimes[deviceTimes.size() / 2],
              flops / deviceTimes.front() / 1e9, checked.c_str());
  return pass ? 0 : 1;
}
