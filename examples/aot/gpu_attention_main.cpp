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
// other arguments, must describe the compiled module. It builds seeded global
// inputs, stages each rank's shard in device memory, runs the ring R times
// (one warm-up run first), and with --check gathers the output and compares
// it with the float64 reference. It needs no MLIR at run time, which is how
// scripts/gpu-check.sh runs on GPU machines without the LLVM toolchain.
// Prints one JSON line.
//
//===----------------------------------------------------------------------===//

#include "RingAttn/Runtime/GpuBackend.h"
#include "RingAttn/Support/Float16.h"
#include "RingAttn/Support/ReferenceAttention.h"
#include "RingAttn/Support/SequenceLayout.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
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

enum class Type { F32, F16, BF16 };

/// Host values rounded to the element type, and their bytes.
struct Operand {
  std::vector<double> values;
  std::vector<uint8_t> bytes;
};

Operand randomOperand(int64_t n, Type type, std::mt19937_64 &rng) {
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  Operand x;
  x.values.resize(n);
  x.bytes.resize(n * (type == Type::F32 ? 4 : 2));
  for (int64_t i = 0; i < n; ++i) {
    float v = uniform(rng);
    if (type == Type::F32) {
      std::memcpy(&x.bytes[4 * i], &v, 4);
      x.values[i] = v;
      continue;
    }
    uint16_t bits = type == Type::F16 ? floatToHalf(v) : floatToBFloat16(v);
    std::memcpy(&x.bytes[2 * i], &bits, 2);
    x.values[i] = type == Type::F16 ? halfToFloat(bits) : bfloat16ToFloat(bits);
  }
  return x;
}

double toDouble(const uint8_t *p, Type type) {
  if (type == Type::F32) {
    float v;
    std::memcpy(&v, p, 4);
    return v;
  }
  uint16_t bits;
  std::memcpy(&bits, p, 2);
  return type == Type::F16 ? halfToFloat(bits) : bfloat16ToFloat(bits);
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
  std::optional<Type> type;
  if (positional.size() == 9)
    type = positional[8] == "f32"    ? std::optional<Type>(Type::F32)
           : positional[8] == "f16"  ? std::optional<Type>(Type::F16)
           : positional[8] == "bf16" ? std::optional<Type>(Type::BF16)
                                     : std::nullopt;
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
  const size_t elementBytes = *type == Type::F32 ? 4 : 2;
  if (check && noCommunication)
    return fail("--no-communication gives wrong results by design; it "
                "cannot be combined with --check");

  std::string why;
  if (!runtime::gpuAvailable(why))
    return fail("no usable GPU: " + why);

  std::mt19937_64 rng(42);
  Operand q = randomOperand(b * hq * global * d, *type, rng),
          k = randomOperand(b * hkv * global * d, *type, rng),
          v = randomOperand(b * hkv * global * d, *type, rng);

  // Rank r's shard of x: token t of the rank is token
  // globalPosition(layout, ranks, r, local, t) of the sequence.
  auto rowOf = [&](int r, int64_t p, int64_t t) {
    return p * global + globalPosition(*layout, ranks, r, local, t);
  };
  auto shard = [&](const Operand &x, int64_t heads, int r) {
    std::vector<uint8_t> part(b * heads * local * d * elementBytes);
    for (int64_t p = 0; p < b * heads; ++p)
      for (int64_t t = 0; t < local; ++t)
        std::memcpy(&part[(p * local + t) * d * elementBytes],
                    &x.bytes[rowOf(r, p, t) * d * elementBytes],
                    d * elementBytes);
    return part;
  };

  // Device buffers, staged once.
  std::vector<Memref4> descriptors(4 * ranks);
  std::vector<void *> buffers;
  std::string error;
  for (int r = 0; r < ranks; ++r) {
    const Operand *operands[] = {&q, &k, &v, nullptr};
    int64_t heads[] = {hq, hkv, hkv, hq};
    for (int i = 0; i < 4; ++i) {
      size_t bytes = b * heads[i] * local * d * elementBytes;
      void *buffer = runtime::gpuAlloc(bytes, error);
      if (!buffer)
        return fail(error);
      buffers.push_back(buffer);
      if (operands[i]) {
        std::vector<uint8_t> part = shard(*operands[i], heads[i], r);
        if (!runtime::gpuCopyToDevice(buffer, part.data(), bytes, error))
          return fail(error);
      }
      descriptors[4 * r + i] = {buffer,
                                buffer,
                                0,
                                {b, heads[i], local, d},
                                {heads[i] * local * d, local * d, d, 1}};
    }
  }

  runtime::GpuOptions options;
  options.ranks = ranks;
  options.timeoutSeconds = 120;
  options.dropTransfers = noCommunication;
  auto body = [&](int r) {
    Memref4 *m = &descriptors[4 * r];
    _mlir_ciface_attention(&m[0], &m[1], &m[2], &m[3]);
  };
  std::vector<double> times;
  for (int i = 0; i <= repeat; ++i) { // run 0 warms up
    auto start = std::chrono::steady_clock::now();
    runtime::RunReport report = runtime::runOnOneGpu(options, body);
    double ms = std::chrono::duration<double, std::milli>(
                    std::chrono::steady_clock::now() - start)
                    .count();
    if (!report.ok)
      return fail("the ring failed: " + report.error);
    if (i > 0)
      times.push_back(ms);
  }
  std::sort(times.begin(), times.end());

  std::string checked = "null";
  bool pass = true;
  if (check) {
    std::vector<double> result(b * hq * global * d);
    std::vector<uint8_t> part(b * hq * local * d * elementBytes);
    for (int r = 0; r < ranks; ++r) {
      if (!runtime::gpuCopyToHost(part.data(), buffers[4 * r + 3], part.size(),
                                  error))
        return fail(error);
      for (int64_t p = 0; p < b * hq; ++p)
        for (int64_t t = 0; t < local; ++t)
          for (int64_t x = 0; x < d; ++x)
            result[rowOf(r, p, t) * d + x] = toDouble(
                &part[((p * local + t) * d + x) * elementBytes], *type);
    }
    AttentionShape s{b, hq, hkv, global, global, d};
    ErrorStats stats = compare(
        result,
        referenceAttention(s, q.values, k.values, v.values,
                           1.0 / std::sqrt(static_cast<double>(d)), causal));
    double tolerance = *type == Type::F32   ? 1e-4
                       : *type == Type::F16 ? 4e-3
                                            : 2e-2;
    pass = stats.finite && stats.relative <= tolerance;
    char buffer[160];
    std::snprintf(buffer, sizeof(buffer),
                  "{\"rel_err\": %.3e, \"tolerance\": %.1e, \"pass\": %s}",
                  stats.relative, tolerance, pass ? "true" : "false");
    checked = buffer;
  }
  for (void *buffer : buffers)
    runtime::gpuFree(buffer, error);

  double pairs = causal ? 0.5 * global * (global + 1) : double(global) * global;
  double flops = 4.0 * b * hq * pairs * d;
  std::printf("{\"gpu\": \"%s\", \"ranks\": %d, \"layout\": \"%s\", "
              "\"seq\": %lld, \"heads\": %lld, \"head_dim\": %lld, "
              "\"causal\": %s, \"type\": \"%s\", \"communication\": %s, "
              "\"best_ms\": %.3f, \"median_ms\": %.3f, \"tflops\": %.1f, "
              "\"check\": %s}\n",
              runtime::gpuDeviceName().c_str(), ranks, layoutName(*layout),
              static_cast<long long>(global), static_cast<long long>(hq),
              static_cast<long long>(d), causal ? "true" : "false",
              positional[8].c_str(), noCommunication ? "false" : "true",
              times.front(), times[times.size() / 2],
              flops / times.front() / 1e9, checked.c_str());
  return pass ? 0 : 1;
}
