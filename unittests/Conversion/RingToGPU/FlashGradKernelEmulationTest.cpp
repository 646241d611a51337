//===- FlashGradKernelEmulationTest.cpp - GPU gradient kernels, on the CPU ===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// The two gradient kernels of ring-lower-block-attention-gpu (dq; dk and dv)
// run on GpuKernelEmulator.h's SIMT machine, one grid after the other as the
// lowering launches them, and are compared with a float64 reference of the
// op's math (ring.block_attention_grad) on random inputs. The log-sum-exp is
// a global one (the block's keys plus a random share of other blocks', or
// none: rows that see no key at all get -inf), and the destinations start
// random, so the test sees that the kernels take the lse as given and add
// to the gradients rather than overwrite them.
//
//===----------------------------------------------------------------------===//

#include "FlashAttentionGradKernel.h"
#include "GpuKernelEmulator.h"

#include "RingAttn/Support/Float16.h"

#include "gtest/gtest.h"

#include <cmath>
#include <cstdio>
#include <random>

using namespace mlir;
using namespace mlir::ring::emulation;

namespace {

struct GradCase {
  const char *name;
  const char *elementType; // f32, f16, bf16
  int64_t batch, queryHeads, kvHeads, queryLen, keyLen, headDim;
  bool causal;
  int64_t queryOffset, queryStride, keyOffset, keyStride;
  bool tensorCores = false;
};

void PrintTo(const GradCase &c, std::ostream *os) { *os << c.name; }

using GradKernelFn = void (*)(Desc<4> *, Desc<4> *, Desc<4> *, Desc<4> *,
                              Desc<3> *, Desc<3> *, Desc<4> *, Desc<4> *,
                              Desc<4> *, float, float, int64_t, int64_t,
                              int64_t, int64_t, int64_t, int64_t, int64_t,
                              int64_t, Desc<1> *);

/// Random inputs and destinations of a case, and the values the reference
/// sees (the inputs rounded to the element type).
struct GradInputs {
  explicit GradInputs(const GradCase &c)
      : type(c.elementType), bytes(type == "f32" ? 4 : 2),
        q({c.batch, c.queryHeads, c.queryLen, c.headDim}, bytes),
        k({c.batch, c.kvHeads, c.keyLen, c.headDim}, bytes),
        v({c.batch, c.kvHeads, c.keyLen, c.headDim}, bytes),
        dout({c.batch, c.queryHeads, c.queryLen, c.headDim}, bytes),
        lse({c.batch, c.queryHeads, c.queryLen}, 4),
        delta({c.batch, c.queryHeads, c.queryLen}, 4),
        dq({c.batch, c.queryHeads, c.queryLen, c.headDim}, 4),
        dk({c.batch, c.kvHeads, c.keyLen, c.headDim}, 4),
        dv({c.batch, c.kvHeads, c.keyLen, c.headDim}, 4),
        rng(c.queryLen * 977 + c.keyLen * 31 + c.headDim) {
    qv = fill(q);
    kv = fill(k);
    vv = fill(v);
    dov = fill(dout);
    for (Buffer *gradient : {&dq, &dk, &dv})
      initial.push_back(fill(*gradient));
    delta0 = fill(delta);
  }

  /// Uniform values in [-1, 1), stored in the buffer's type; what it holds.
  std::vector<double> fill(Buffer &buffer) {
    std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
    std::vector<double> values(elements(buffer));
    for (size_t i = 0; i < values.size(); ++i) {
      float x = uniform(rng);
      if (buffer.bytesPerElement == 4) {
        reinterpret_cast<float *>(buffer.data)[i] = x;
        values[i] = x;
        continue;
      }
      bool bf16 = type == "bf16";
      uint16_t bits =
          bf16 ? ringattn::floatToBFloat16(x) : ringattn::floatToHalf(x);
      reinterpret_cast<uint16_t *>(buffer.data)[i] = bits;
      values[i] =
          bf16 ? ringattn::bfloat16ToFloat(bits) : ringattn::halfToFloat(bits);
    }
    return values;
  }
  static size_t elements(const Buffer &buffer) {
    size_t n = 1;
    for (int64_t s : buffer.shape)
      n *= s;
    return n;
  }

  std::string type;
  int64_t bytes;
  Buffer q, k, v, dout, lse, delta, dq, dk, dv;
  std::mt19937_64 rng;
  std::vector<double> qv, kv, vv, dov, delta0;
  std::vector<std::vector<double>> initial; // dq, dk, dv before the kernels
};

/// The float64 gradients of the case, from the lse the kernels get: fills
/// `in.lse` (the block's log-sum-exp, plus other blocks' share in even rows)
/// and returns dq, dk, dv to add to the initial destinations.
std::vector<std::vector<double>> referenceGradients(const GradCase &c,
                                                    GradInputs &in) {
  const int64_t d = c.headDim, group = c.queryHeads / c.kvHeads;
  const double scale = 1.0 / std::sqrt(double(d));
  std::vector<std::vector<double>> grads = {std::vector<double>(in.qv.size()),
                                            std::vector<double>(in.kv.size()),
                                            std::vector<double>(in.vv.size())};
  auto *lse = reinterpret_cast<float *>(in.lse.data);
  std::uniform_real_distribution<double> elsewhere(-1.0, 2.0);
  for (int64_t n = 0; n < c.batch; ++n)
    for (int64_t h = 0; h < c.queryHeads; ++h)
      for (int64_t i = 0; i < c.queryLen; ++i) {
        const int64_t row = (n * c.queryHeads + h) * c.queryLen + i;
        const int64_t kh = h / group;
        auto keyRow = [&](int64_t j) {
          return (n * c.kvHeads + kh) * c.keyLen + j;
        };
        auto visible = [&](int64_t j) {
          return !c.causal || c.keyOffset + c.keyStride * j <=
                                  c.queryOffset + c.queryStride * i;
        };
        std::vector<double> s(c.keyLen);
        double sum = i % 2 == 0 ? std::exp(elsewhere(in.rng)) : 0.0;
        for (int64_t j = 0; j < c.keyLen; ++j) {
          double dot = 0;
          for (int64_t e = 0; e < d; ++e)
            dot += in.qv[row * d + e] * in.kv[keyRow(j) * d + e];
          s[j] = dot * scale;
          if (visible(j))
            sum += std::exp(s[j]);
        }
        lse[row] = sum > 0 ? float(std::log(sum)) : -INFINITY;
        if (sum == 0)
          continue; // no probability: zero gradients
        for (int64_t j = 0; j < c.keyLen; ++j) {
          if (!visible(j))
            continue;
          double p = std::exp(s[j] - double(lse[row]));
          double dp = 0;
          for (int64_t e = 0; e < d; ++e)
            dp += in.dov[row * d + e] * in.vv[keyRow(j) * d + e];
          double ds = p * (dp - in.delta0[row]);
          for (int64_t e = 0; e < d; ++e) {
            grads[0][row * d + e] += scale * ds * in.kv[keyRow(j) * d + e];
            grads[1][keyRow(j) * d + e] += scale * ds * in.qv[row * d + e];
            grads[2][keyRow(j) * d + e] += p * in.dov[row * d + e];
          }
        }
      }
  return grads;
}

/// Both kernels of `c`, compiled for `cpu`, recording shared accesses when
/// `recordShared`.
void compileGradKernels(const GradCase &c, StringRef cpu, bool recordShared,
                        EmulatedKernel (&kernels)[2]) {
  const ring::GradKernelPart parts[2] = {ring::GradKernelPart::Query,
                                         ring::GradKernelPart::KeyValue};
  for (int i = 0; i < 2; ++i) {
    int64_t sharedBytes = 0;
    ASSERT_NO_FATAL_FAILURE(compileKernel(
        [&](gpu::GPUModuleOp module) {
          OpBuilder b(module.getContext());
          Type element = StringRef(c.elementType) == "f32"   ? b.getF32Type()
                         : StringRef(c.elementType) == "f16" ? b.getF16Type()
                                                             : b.getBF16Type();
          ring::FlashGradKernelConfig config{element, c.headDim, c.causal,
                                             c.tensorCores};
          sharedBytes = config.sharedMemoryBytes();
          return ring::getOrCreateFlashGradKernel(module, config, parts[i]);
        },
        cpu, recordShared, kernels[i]));
    kernels[i].sharedBytes = sharedBytes;
  }
}

/// The dq grid, then the dk/dv grid, block after block.
void launchGrad(EmulatedKernel (&kernels)[2], const GradCase &c,
                GradInputs &in) {
  const double scale = 1.0 / std::sqrt(double(c.headDim));
  const int64_t rows = ring::FlashGradKernelConfig::kRowsPerBlock;
  const int64_t grids[2][2] = {{(c.queryLen + rows - 1) / rows, c.queryHeads},
                               {(c.keyLen + rows - 1) / rows, c.kvHeads}};
  for (int part = 0; part < 2; ++part) {
    auto fn = reinterpret_cast<GradKernelFn>(kernels[part].fn);
    for (int64_t bz = 0; bz < c.batch; ++bz)
      for (int64_t by = 0; by < grids[part][1]; ++by)
        for (int64_t bx = 0; bx < grids[part][0]; ++bx)
          runBlock(
              kernels[part], in.type == "bf16", [&](int t, Desc<1> *shared) {
                Desc<4> q = in.q.describe<4>(), k = in.k.describe<4>(),
                        v = in.v.describe<4>(), dout = in.dout.describe<4>(),
                        dq = in.dq.describe<4>(), dk = in.dk.describe<4>(),
                        dv = in.dv.describe<4>();
                Desc<3> lse = in.lse.describe<3>(),
                        delta = in.delta.describe<3>();
                fn(&q, &k, &v, &dout, &lse, &delta, &dq, &dk, &dv,
                   float(scale * 1.4426950408889634), float(scale),
                   c.queryOffset, c.queryStride, c.keyOffset, c.keyStride, bx,
                   by, bz, t, shared);
              });
  }
}

using GradEmulationParam = std::tuple<GradCase, const char *>;

class FlashGradKernelEmulation
    : public ::testing::TestWithParam<GradEmulationParam> {};

TEST_P(FlashGradKernelEmulation, MatchesFloat64Reference) {
  const GradCase &c = std::get<0>(GetParam());
  EmulatedKernel kernels[2];
  ASSERT_NO_FATAL_FAILURE(compileGradKernels(c, std::get<1>(GetParam()),
                                             /*recordShared=*/false, kernels));
  GradInputs in(c);
  std::vector<std::vector<double>> expected = referenceGradients(c, in);
  launchGrad(kernels, c, in);

  const char *names[3] = {"dq", "dk", "dv"};
  Buffer *results[3] = {&in.dq, &in.dk, &in.dv};
  for (int g = 0; g < 3; ++g) {
    const auto *result = reinterpret_cast<const float *>(results[g]->data);
    double errSq = 0, refSq = 0;
    bool finite = true;
    for (size_t i = 0; i < expected[g].size(); ++i) {
      finite &= std::isfinite(result[i]);
      double added = double(result[i]) - in.initial[g][i];
      errSq += std::pow(added - expected[g][i], 2);
      refSq += expected[g][i] * expected[g][i];
    }
    EXPECT_TRUE(finite) << names[g] << " has a NaN or infinity";
    EXPECT_GT(refSq, 0.0) << names[g] << ": the reference must not be zero";
    // The SIMT kernels compute in f32 from the same rounded inputs the
    // reference reads, whatever the element type; the tensor-core kernels
    // round P and dS to it to enter the second products.
    double tolerance = !c.tensorCores                       ? 2e-6
                       : StringRef(c.elementType) == "bf16" ? 5e-3
                                                            : 1e-3;
    double relative = std::sqrt(errSq / refSq);
    EXPECT_LE(relative, tolerance) << names[g];
    char measured[32];
    std::snprintf(measured, sizeof(measured), "%.3e", relative);
    RecordProperty(names[g], measured); // in --gtest_output's XML
  }
}

// Shapes cover, on the SIMT and the tensor-core (mma) kernels: GQA (dk/dv
// summed over a group's query heads), causal masks with zigzag-like offsets
// and strides, rows that see no key (lse = -inf, zero gradients), causal
// blocks whose dq kernel stops early and whose dk/dv kernel starts late,
// several row blocks and ragged row tiles, head_dim from 7 to 128 (SIMT
// tiles of 64, 56 and 32 rows; mma tiles of 64 and 32), f32, f16 and bf16.
INSTANTIATE_TEST_SUITE_P(
    Kernels, FlashGradKernelEmulation,
    ::testing::Combine(
        ::testing::Values(GradCase{"f32_causal_gqa_strided", "f32", 1, 4, 2, 70,
                                   80, 16, true, 10, 2, 3, 2},
                          GradCase{"bf16_full_d72_two_batches", "bf16", 2, 2, 1,
                                   130, 100, 72, false, 0, 1, 0, 1},
                          GradCase{"f16_causal_rows_see_no_key", "f16", 1, 1, 1,
                                   64, 32, 32, true, 0, 1, 40, 1},
                          GradCase{"f32_causal_skips_tiles", "f32", 1, 1, 1,
                                   200, 150, 8, true, 0, 1, 0, 1},
                          GradCase{"bf16_d128_full", "bf16", 1, 1, 1, 40, 70,
                                   128, false, 0, 1, 0, 1},
                          GradCase{"f32_causal_d7_gqa", "f32", 2, 3, 1, 33, 33,
                                   7, true, 0, 1, 0, 1},
                          GradCase{"bf16_mma_causal_gqa_strided", "bf16", 1, 4,
                                   2, 70, 80, 64, true, 10, 2, 3, 2, true},
                          GradCase{"f16_mma_full_d128_ragged", "f16", 1, 2, 2,
                                   130, 100, 128, false, 0, 1, 0, 1, true},
                          GradCase{"bf16_mma_rows_see_no_key", "bf16", 1, 1, 1,
                                   64, 32, 32, true, 0, 1, 40, 1, true},
                          GradCase{"f16_mma_causal_skips_tiles", "f16", 1, 1, 1,
                                   200, 150, 16, true, 0, 1, 0, 1, true},
                          GradCase{"bf16_mma_d128_causal_gqa_two_batches",
                                   "bf16", 2, 2, 1, 90, 70, 128, true, 0, 1, 0,
                                   1, true}),
        ::testing::Values("host", "x86-64-v3")),
    [](const ::testing::TestParamInfo<GradEmulationParam> &info) {
      std::string cpu = std::get<1>(info.param);
      std::replace(cpu.begin(), cpu.end(), '-', '_');
      return std::string(std::get<0>(info.param).name) + "_" + cpu;
    });

/// Both kernels on a causal case with several tiles each way: no thread
/// reads shared memory another thread writes between the same barriers.
class FlashGradKernelSharedRaces : public ::testing::TestWithParam<GradCase> {};

TEST_P(FlashGradKernelSharedRaces, NoReadOverlapsAnotherThreadsWrite) {
  const GradCase &c = GetParam();
  EmulatedKernel kernels[2];
  ASSERT_NO_FATAL_FAILURE(
      compileGradKernels(c, "host", /*recordShared=*/true, kernels));
  GradInputs in(c);
  referenceGradients(c, in);
  launchGrad(kernels, c, in);
  for (EmulatedKernel &kernel : kernels) {
    ASSERT_FALSE(kernel.sites.empty());
    EXPECT_TRUE(kernel.races.empty())
        << kernel.races.size() << " racing bytes; the first: byte "
        << kernel.races[0].address << ", written at site "
        << kernel.sites[kernel.races[0].writeSite].kind
        << ", also accessed at site "
        << kernel.sites[kernel.races[0].otherSite].kind;
    // In the streaming loop, no warp-wide shared access is more than 2-way
    // bank conflicted (issue 14's bound for the forward).
    if (!c.tensorCores)
      continue;
    for (const SharedSite &site : kernel.sites) {
      if (site.hotLoop) {
        EXPECT_LE(site.worst, 2) << site.kind << " " << site.buffer;
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    Kernels, FlashGradKernelSharedRaces,
    ::testing::Values(GradCase{"simt_bf16_d128", "bf16", 1, 2, 1, 100, 90, 128,
                               true, 0, 1, 0, 1},
                      GradCase{"mma_bf16_d64", "bf16", 1, 2, 1, 150, 140, 64,
                               true, 0, 1, 0, 1, true},
                      GradCase{"mma_f16_d128", "f16", 1, 1, 1, 100, 90, 128,
                               true, 0, 1, 0, 1, true}),
    [](const ::testing::TestParamInfo<GradCase> &info) {
      return std::string(info.param.name);
    });

} // namespace
