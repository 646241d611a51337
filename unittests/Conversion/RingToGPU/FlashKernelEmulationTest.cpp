//===- FlashKernelEmulationTest.cpp - Forward GPU kernels, run on the CPU -===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// The flash-attention forward kernels of ring-lower-block-attention-gpu, run
// on GpuKernelEmulator.h's SIMT machine: the outputs are compared with a
// float64 reference on random inputs, so the kernels' indexing, masks,
// online softmax and fragment bookkeeping are tested here. The same machine
// records every shared-memory access, to bound the bank conflicts of each
// warp-wide access (FlashKernelBankConflicts below) and to find accesses
// that race with another thread's write, unordered by barriers and
// mbarriers (FlashKernelSharedRaces).
//
//===----------------------------------------------------------------------===//

#include "FlashAttentionKernel.h"
#include "GpuKernelEmulator.h"

#include "RingAttn/Support/Float16.h"

#include "llvm/Support/Format.h"

#include "gtest/gtest.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <tuple>

using namespace mlir;
using namespace mlir::ring::emulation;

namespace {

//===----------------------------------------------------------------------===//
// The test
//===----------------------------------------------------------------------===//

struct Case {
  const char *name;
  const char *elementType; // f32, f16, bf16
  int64_t batch, queryHeads, kvHeads, queryLen, keyLen, headDim;
  bool causal, tensorCores;
  int64_t queryOffset, queryStride, keyOffset, keyStride;
  double tolerance;
  /// out in the element type, rounded by the kernel (a lone block's final
  /// output); otherwise f32.
  bool finalOutput = false;
  /// sm_90a's wgmma kernel (with tensorCores).
  bool warpgroupMma = false;

  ring::FlashKernelConfig config(Type element) const {
    ring::FlashKernelConfig config{element, headDim, causal, tensorCores,
                                   finalOutput};
    config.warpgroupMma = warpgroupMma;
    return config;
  }
};

void PrintTo(const Case &c, std::ostream *os) { *os << c.name; }

using KernelFn = void (*)(Desc<4> *, Desc<4> *, Desc<4> *, Desc<4> *, Desc<3> *,
                          float, int64_t, int64_t, int64_t, int64_t, int64_t,
                          int64_t, int64_t, int64_t, Desc<1> *);
/// A warp-specialized kernel's: the tensor maps of q, k, v follow.
using TmaKernelFn = void (*)(Desc<4> *, Desc<4> *, Desc<4> *, Desc<4> *,
                             Desc<3> *, float, int64_t, int64_t, int64_t,
                             int64_t, const TensorMap *, const TensorMap *,
                             const TensorMap *, int64_t, int64_t, int64_t,
                             int64_t, Desc<1> *);

/// Compiles the kernel of `c` for `cpu` ("host" or an x86-64 level).
void compileKernel(const Case &c, StringRef cpu, bool recordShared,
                   EmulatedKernel &result) {
  // The configuration's type lives in the compilation's context: what the
  // launch needs is taken from it there.
  int64_t sharedBytes = 0;
  ASSERT_NO_FATAL_FAILURE(ring::emulation::compileKernel(
      [&](gpu::GPUModuleOp kernels) {
        OpBuilder b(kernels.getContext());
        Type element = StringRef(c.elementType) == "f32"   ? b.getF32Type()
                       : StringRef(c.elementType) == "f16" ? b.getF16Type()
                                                           : b.getBF16Type();
        ring::FlashKernelConfig config = c.config(element);
        sharedBytes = config.sharedMemoryBytes();
        return ring::getOrCreateFlashKernel(kernels, config);
      },
      cpu, recordShared, result));
  result.sharedBytes = sharedBytes;
}

/// Random inputs of a case, rounded to its element type, and the rounded
/// values the reference sees; the outputs.
struct Inputs {
  explicit Inputs(const Case &c)
      : bf16(StringRef(c.elementType) == "bf16"),
        bytes(StringRef(c.elementType) == "f32" ? 4 : 2),
        q({c.batch, c.queryHeads, c.queryLen, c.headDim}, bytes),
        k({c.batch, c.kvHeads, c.keyLen, c.headDim}, bytes),
        v({c.batch, c.kvHeads, c.keyLen, c.headDim}, bytes),
        out({c.batch, c.queryHeads, c.queryLen, c.headDim},
            c.finalOutput ? bytes : 4),
        lse({c.batch, c.queryHeads, c.queryLen}, 4) {
    std::mt19937_64 rng(c.queryLen * 131 + c.headDim);
    qv = fill(q, rng);
    kv = fill(k, rng);
    vv = fill(v, rng);
  }
  /// Element i of out, as the kernel wrote it.
  double output(int64_t i) const {
    if (out.bytesPerElement == 4)
      return reinterpret_cast<const float *>(out.data)[i];
    uint16_t bits = reinterpret_cast<const uint16_t *>(out.data)[i];
    return bf16 ? ringattn::bfloat16ToFloat(bits) : ringattn::halfToFloat(bits);
  }
  std::vector<double> fill(Buffer &buffer, std::mt19937_64 &rng) {
    std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
    int64_t n = 1;
    for (int64_t s : buffer.shape)
      n *= s;
    std::vector<double> values(n);
    for (int64_t i = 0; i < n; ++i) {
      float x = uniform(rng);
      if (bytes == 4) {
        reinterpret_cast<float *>(buffer.data)[i] = x;
        values[i] = x;
      } else {
        uint16_t bits =
            bf16 ? ringattn::floatToBFloat16(x) : ringattn::floatToHalf(x);
        reinterpret_cast<uint16_t *>(buffer.data)[i] = bits;
        values[i] = bf16 ? ringattn::bfloat16ToFloat(bits)
                         : ringattn::halfToFloat(bits);
      }
    }
    return values;
  }
  bool bf16;
  int64_t bytes;
  Buffer q, k, v, out, lse;
  std::vector<double> qv, kv, vv;
};

/// Runs the whole grid of `c`, block after block; a kernel compiled to
/// record its shared-memory accesses adds each block's conflicts to its
/// sites and its races to its races.
void launch(EmulatedKernel &kernel, const Case &c, Inputs &in) {
  const double scale = 1.0 / std::sqrt(double(c.headDim));
  Desc<4> qd = in.q.describe<4>(), kd = in.k.describe<4>(),
          vd = in.v.describe<4>(), od = in.out.describe<4>();
  Desc<3> ld = in.lse.describe<3>();
  ring::FlashKernelConfig config = c.config(Type());
  int64_t queryTile = config.queryTile();
  int64_t gridX = (c.queryLen + queryTile - 1) / queryTile;
  // The tensor maps the launch makes on the host (LowerBlockAttentionToGPU).
  SmallVector<int64_t, 4> queryBox = ring::flashTensorMapBox(config, true);
  SmallVector<int64_t, 4> keyBox = ring::flashTensorMapBox(config, false);
  TensorMap queryMap = tensorMapOf(qd, in.bytes, queryBox),
            keyMap = tensorMapOf(kd, in.bytes, keyBox),
            valueMap = tensorMapOf(vd, in.bytes, keyBox);
  const float scaleLog2 = float(scale * 1.4426950408889634);
  for (int64_t bz = 0; bz < c.batch; ++bz)
    for (int64_t by = 0; by < c.queryHeads; ++by)
      for (int64_t bx = 0; bx < gridX; ++bx)
        runBlock(kernel, in.bf16, [&](int t, Desc<1> *shared) {
          Desc<4> q2 = qd, k2 = kd, v2 = vd, o2 = od;
          Desc<3> l2 = ld;
          if (config.warpSpecialized())
            reinterpret_cast<TmaKernelFn>(kernel.fn)(
                &q2, &k2, &v2, &o2, &l2, scaleLog2, c.queryOffset,
                c.queryStride, c.keyOffset, c.keyStride, &queryMap, &keyMap,
                &valueMap, bx, by, bz, t, shared);
          else
            reinterpret_cast<KernelFn>(kernel.fn)(
                &q2, &k2, &v2, &o2, &l2, scaleLog2, c.queryOffset,
                c.queryStride, c.keyOffset, c.keyStride, bx, by, bz, t, shared);
        });
}

/// A kernel case, and the CPU the emulation is compiled for: the host, and
/// x86-64-v3 (AVX2) so that an AVX-512 machine runs the AVX2 code too.
using EmulationParam = std::tuple<Case, const char *>;

class FlashKernelEmulation : public ::testing::TestWithParam<EmulationParam> {};

TEST_P(FlashKernelEmulation, MatchesFloat64Reference) {
  const Case &c = std::get<0>(GetParam());
  EmulatedKernel kernel;
  ASSERT_NO_FATAL_FAILURE(compileKernel(c, std::get<1>(GetParam()),
                                        /*recordShared=*/false, kernel));
  Inputs in(c);
  launch(kernel, c, in);
  const std::vector<double> &qv = in.qv, &kv = in.kv, &vv = in.vv;
  const double scale = 1.0 / std::sqrt(double(c.headDim));

  // float64 reference of out and lse, with the affine positions.
  const float *l = reinterpret_cast<const float *>(in.lse.data);
  double errSq = 0, refSq = 0, lseErr = 0;
  int64_t group = c.queryHeads / c.kvHeads, d = c.headDim;
  for (int64_t n = 0; n < c.batch; ++n)
    for (int64_t h = 0; h < c.queryHeads; ++h)
      for (int64_t i = 0; i < c.queryLen; ++i) {
        int64_t kh = h / group;
        const double *qi = &qv[((n * c.queryHeads + h) * c.queryLen + i) * d];
        std::vector<double> s(c.keyLen, -INFINITY);
        double max = -INFINITY;
        for (int64_t j = 0; j < c.keyLen; ++j) {
          if (c.causal &&
              c.keyOffset + c.keyStride * j > c.queryOffset + c.queryStride * i)
            continue;
          const double *kj = &kv[((n * c.kvHeads + kh) * c.keyLen + j) * d];
          double dot = 0;
          for (int64_t e = 0; e < d; ++e)
            dot += qi[e] * kj[e];
          s[j] = dot * scale;
          max = std::max(max, s[j]);
        }
        double sum = 0;
        std::vector<double> acc(d, 0.0);
        for (int64_t j = 0; j < c.keyLen && max > -INFINITY; ++j) {
          double p = std::exp(s[j] - max);
          sum += p;
          const double *vj = &vv[((n * c.kvHeads + kh) * c.keyLen + j) * d];
          for (int64_t e = 0; e < d; ++e)
            acc[e] += p * vj[e];
        }
        int64_t row = (n * c.queryHeads + h) * c.queryLen + i;
        for (int64_t e = 0; e < d; ++e) {
          double expected = sum > 0 ? acc[e] / sum : 0.0;
          errSq += std::pow(in.output(row * d + e) - expected, 2);
          refSq += expected * expected;
        }
        double expectedLse = sum > 0 ? max + std::log(sum) : -INFINITY;
        if (std::isinf(expectedLse))
          EXPECT_TRUE(std::isinf(l[row]) && l[row] < 0) << "row " << row;
        else
          lseErr = std::max(lseErr, std::abs(l[row] - expectedLse));
      }
  double relative = std::sqrt(errSq / std::max(refSq, 1e-300));
  EXPECT_LE(relative, c.tolerance) << c.name;
  EXPECT_LE(lseErr, 1e-3) << c.name;
  EXPECT_GT(refSq, 0.0) << "the reference must not be all zeros";
}

// Shapes cover: ragged query and key tiles, GQA, a causal mask with the
// positions of a zigzag/striped chunk (offsets, stride 2), fully masked rows
// (keys after some queries), a query block whose rows see no key at all (the
// key loop never runs), key tiles that
// every row of a warp sees whole (the unmasked path) next to tiles on the
// diagonal and past the end, two query blocks, head_dim 64, 128 (two m-tiles
// a warp) and 256 (one) on tensor cores, head_dim 7 and 72 on the SIMT path;
// the same paths through the wgmma kernel at head_dim 64, 128, 192 and 256,
// and six key tiles through the warp-specialized one (each stage's
// mbarriers go through three phases, so both parities come back).
INSTANTIATE_TEST_SUITE_P(
    Kernels, FlashKernelEmulation,
    ::testing::Combine(
        ::testing::Values(
            Case{"bf16_mma_causal_gqa_strided", "bf16", 1, 4, 2, 70, 80, 64,
                 true, true, 10, 2, 3, 2, 2e-2},
            Case{"f16_mma_full_ragged", "f16", 1, 2, 2, 40, 72, 128, false,
                 true, 0, 1, 0, 1, 4e-3},
            Case{"bf16_mma_masked_rows", "bf16", 1, 1, 1, 64, 32, 32, true,
                 true, 0, 1, 40, 1, 2e-2},
            Case{"bf16_mma_block_sees_no_key", "bf16", 1, 1, 1, 200, 40, 64,
                 true, true, 0, 1, 150, 1, 2e-2},
            Case{"bf16_mma_d128_causal_two_blocks", "bf16", 1, 2, 1, 200, 190,
                 128, true, true, 0, 1, 0, 1, 2e-2},
            Case{"bf16_mma_d256_full", "bf16", 1, 1, 1, 70, 130, 256, false,
                 true, 0, 1, 0, 1, 2e-2},
            Case{"f16_mma_final_output", "f16", 1, 2, 1, 50, 90, 64, true, true,
                 0, 1, 0, 1, 4e-3, true},
            Case{"bf16_simt_final_output", "bf16", 1, 1, 1, 30, 40, 24, false,
                 false, 0, 1, 0, 1, 1e-2, true},
            Case{"f32_simt_causal_d7", "f32", 2, 2, 1, 33, 33, 7, true, false,
                 0, 1, 0, 1, 1e-5},
            Case{"bf16_simt_d72", "bf16", 1, 2, 1, 20, 50, 72, false, false, 0,
                 1, 0, 1, 1e-2},
            Case{"bf16_wgmma_causal_gqa_strided", "bf16", 1, 4, 2, 70, 80, 64,
                 true, true, 10, 2, 3, 2, 2e-2, false, true},
            Case{"f16_wgmma_full_ragged", "f16", 1, 2, 2, 40, 72, 128, false,
                 true, 0, 1, 0, 1, 4e-3, false, true},
            Case{"bf16_wgmma_block_sees_no_key", "bf16", 1, 1, 1, 200, 40, 64,
                 true, true, 0, 1, 150, 1, 2e-2, false, true},
            Case{"bf16_wgmma_d128_causal_two_blocks", "bf16", 1, 2, 1, 200, 190,
                 128, true, true, 0, 1, 0, 1, 2e-2, false, true},
            Case{"f16_wgmma_d64_six_key_tiles", "f16", 1, 2, 1, 130, 330, 64,
                 false, true, 0, 1, 0, 1, 4e-3, false, true},
            Case{"bf16_wgmma_d192_causal_final", "bf16", 1, 1, 1, 60, 100, 192,
                 true, true, 0, 1, 0, 1, 2e-2, true, true},
            Case{"f16_wgmma_d256_full_final", "f16", 1, 1, 1, 70, 130, 256,
                 false, true, 0, 1, 0, 1, 4e-3, true, true}),
        ::testing::Values("host", "x86-64-v3")),
    [](const ::testing::TestParamInfo<EmulationParam> &info) {
      std::string cpu = std::get<1>(info.param);
      std::replace(cpu.begin(), cpu.end(), '-', '_');
      return std::string(std::get<0>(info.param).name) + "_" + cpu;
    });

//===----------------------------------------------------------------------===//
// Bank conflicts
//===----------------------------------------------------------------------===//

/// A warp whose lane l accesses `bytes` at `address(l)`, for lanes in
/// [0, lanes).
int degreeOf(int64_t bytes, function_ref<int64_t(int)> address,
             int lanes = 32) {
  SmallVector<LaneAccess> accesses;
  for (int lane = 0; lane < lanes; ++lane)
    accesses.push_back({lane, address(lane), bytes});
  return conflictDegree(accesses);
}

TEST(SharedMemoryBankModel, ConflictDegree) {
  EXPECT_EQ(degreeOf(4, [](int) { return 0; }), 1) << "broadcast";
  EXPECT_EQ(degreeOf(4, [](int l) { return 4 * l; }), 1);
  EXPECT_EQ(degreeOf(4, [](int l) { return 8 * l; }), 2);
  EXPECT_EQ(degreeOf(4, [](int l) { return 128 * l; }), 32);
  EXPECT_EQ(degreeOf(
                4, [](int l) { return 128 * l; }, 16),
            16)
      << "inactive lanes do not count";
  EXPECT_EQ(degreeOf(4, [](int l) { return 4 * (l % 8); }), 1)
      << "repeated words are broadcast";
  EXPECT_EQ(degreeOf(2, [](int l) { return 2 * l; }), 1)
      << "halves of one word";
  // The transposed V tile store: lanes 0-15 at rows 8 apart of a 144-byte
  // row pitch (1152 bytes, a multiple of 128), lanes 16-31 the other halves
  // of the same words.
  EXPECT_EQ(degreeOf(2, [](int l) { return 1152 * (l % 16) + 2 * (l / 16); }),
            16);
  // 8-byte accesses: two phases of 16 lanes.
  EXPECT_EQ(degreeOf(8, [](int l) { return 8 * l; }), 1);
  EXPECT_EQ(degreeOf(8, [](int) { return 0; }), 1);
  EXPECT_EQ(degreeOf(8, [](int l) { return 16 * l; }), 2);
  // 16-byte accesses: four phases of 8 lanes.
  EXPECT_EQ(degreeOf(16, [](int l) { return 16 * l; }), 1);
  EXPECT_EQ(degreeOf(16, [](int l) { return 32 * l; }), 2);
  EXPECT_EQ(degreeOf(16, [](int l) { return 128 * l; }), 8);
  EXPECT_EQ(degreeOf(16, [](int l) { return 144 * l; }), 1)
      << "16-byte padded rows";
  EXPECT_EQ(conflictDegree({}), 0);
}

/// Sites of one kernel with the same op, buffer, hot-loop flag and degrees,
/// consecutive in walk order (the unrolled fragment loads of one loop).
struct SiteGroup {
  int64_t first, count;
  SharedSite site; // the first; instances summed over the group
};

std::vector<SiteGroup> groupSites(ArrayRef<SharedSite> sites) {
  std::vector<SiteGroup> groups;
  for (auto [i, site] : llvm::enumerate(sites)) {
    if (!groups.empty()) {
      SharedSite &last = groups.back().site;
      if (last.kind == site.kind && last.buffer == site.buffer &&
          last.hotLoop == site.hotLoop && last.worst == site.worst &&
          last.degreeSum * site.instances == site.degreeSum * last.instances) {
        ++groups.back().count;
        last.instances += site.instances;
        last.degreeSum += site.degreeSum;
        continue;
      }
    }
    groups.push_back({int64_t(i), 1, site});
  }
  return groups;
}

/// docs/GPU.md's table rows of a kernel's sites, one per group, each
/// starting with `kernel` (its element type and head_dim columns).
std::string siteTable(ArrayRef<SharedSite> sites, StringRef kernel) {
  std::string text;
  llvm::raw_string_ostream os(text);
  for (const SiteGroup &g : groupSites(sites)) {
    os << "| " << kernel << " | " << g.first;
    if (g.count > 1)
      os << "-" << g.first + g.count - 1;
    os << " | `" << g.site.kind << "` | " << g.site.buffer << " | "
       << (g.site.hotLoop ? "key tiles" : "outside") << " | "
       << g.site.instances << " | " << g.site.worst << " | "
       << llvm::format("%.2f", g.site.average()) << " |\n";
  }
  return text;
}

/// wgmma's operand reads and TMA's box writes have no bank model here (the
/// hardware's own traffic); their sites exist for the race check.
constexpr const char *kWgmmaSite = "nvvm.wgmma.mma_async";
constexpr const char *kTmaSite = "nvvm.cp.async.bulk.tensor";
bool hasBankModel(const SharedSite &site) {
  return site.kind != kWgmmaSite && site.kind != kTmaSite;
}

/// A tensor-core kernel's bank conflicts: one query block (every warp full)
/// against two key tiles. Prints the table rows.
class FlashKernelBankConflicts
    : public ::testing::TestWithParam<std::tuple<std::string, int64_t, bool>> {
protected:
  void measure() {
    auto [type, headDim, warpgroupMma] = GetParam();
    MLIRContext ctx;
    Type element = StringRef(type) == "f16" ? Type(Float16Type::get(&ctx))
                                            : Type(BFloat16Type::get(&ctx));
    ring::FlashKernelConfig config{element, headDim, false, true};
    config.warpgroupMma = warpgroupMma;
    warpSpecialized = config.warpSpecialized();
    int64_t keys = 2 * config.keyTile();
    Case c{"bank_conflicts",
           type.c_str(),
           1,
           1,
           1,
           config.queryTile(),
           keys,
           headDim,
           false,
           true,
           0,
           1,
           0,
           1,
           0.0,
           false,
           warpgroupMma};
    ASSERT_NO_FATAL_FAILURE(
        compileKernel(c, "host", /*recordShared=*/true, kernel));
    Inputs in(c);
    launch(kernel, c, in);
    table = siteTable(kernel.sites,
                      (llvm::Twine(type) + (warpgroupMma ? " wgmma" : "") +
                       " | " + llvm::Twine(headDim))
                          .str());
    llvm::outs() << table;
    llvm::outs().flush();
  }
  EmulatedKernel kernel;
  std::string table;
  bool warpSpecialized = false;
};

/// Issue 14's bound: no shared-memory access in the key-tile loop more than
/// 2-way conflicted. The warp-specialized kernel's key loop has no warp-wide
/// access at all: TMA writes the tiles and wgmma reads them.
TEST_P(FlashKernelBankConflicts, HotLoopAtMostTwoWay) {
  ASSERT_NO_FATAL_FAILURE(measure());
  ASSERT_FALSE(kernel.sites.empty());
  int64_t hotSites = 0, hotTmaSites = 0;
  for (auto [i, site] : llvm::enumerate(kernel.sites)) {
    hotTmaSites += site.hotLoop && site.kind == kTmaSite;
    if (site.hotLoop && hasBankModel(site)) {
      ++hotSites;
      EXPECT_LE(site.worst, 2) << "site " << i << ": " << site.kind << " "
                               << site.buffer << ", average " << site.average();
    }
  }
  if (warpSpecialized) {
    EXPECT_EQ(hotSites, 0) << "a warp-wide access in the TMA kernel's loop";
    EXPECT_GT(hotTmaSites, 0) << "the key loop loads no tile by TMA";
  } else {
    EXPECT_GT(hotSites, 0) << "no access of the key-tile loop was measured";
  }
}

/// What the kernel's shared-memory traffic is made of: 16-byte cp.async
/// stores of whole rows and ldmatrix reads of 16-byte rows (wgmma: the
/// copies and wgmma's own reads; warp-specialized: TMA's writes and
/// wgmma's reads alone), each executed conflict-free (one wavefront a
/// phase), in and outside the key loop.
TEST_P(FlashKernelBankConflicts, OnlyConflictFreeCopiesAndLdmatrix) {
  ASSERT_NO_FATAL_FAILURE(measure());
  const bool warpgroupMma = std::get<2>(GetParam());
  int64_t copies = 0, ldmatrices = 0, wgmmas = 0, tmas = 0;
  for (auto [i, site] : llvm::enumerate(kernel.sites)) {
    if (!hasBankModel(site)) {
      wgmmas += site.kind == kWgmmaSite;
      tmas += site.kind == kTmaSite;
      continue;
    }
    copies += site.kind == "nvgpu.device_async_copy 16B";
    ldmatrices += site.kind == "nvgpu.ldmatrix 16B";
    EXPECT_TRUE(site.kind == "nvgpu.device_async_copy 16B" ||
                site.kind == "nvgpu.ldmatrix 16B")
        << "site " << i << ": " << site.kind;
    EXPECT_GT(site.instances, 0) << "site " << i << " never ran";
    EXPECT_EQ(site.worst, 1)
        << "site " << i << ": " << site.kind << " " << site.buffer;
  }
  EXPECT_EQ(copies > 0, !warpSpecialized);
  EXPECT_EQ(tmas > 0, warpSpecialized);
  EXPECT_EQ(ldmatrices > 0, !warpgroupMma);
  EXPECT_EQ(wgmmas > 0, warpgroupMma);
}

INSTANTIATE_TEST_SUITE_P(
    TensorCoreKernels, FlashKernelBankConflicts,
    ::testing::Combine(
        ::testing::Values(std::string("bf16"), std::string("f16")),
        ::testing::Values(int64_t(64), int64_t(128), int64_t(256)),
        ::testing::Bool()),
    [](const auto &info) {
      return std::get<0>(info.param) + "_d" +
             std::to_string(std::get<1>(info.param)) +
             (std::get<2>(info.param) ? "_wgmma" : "_mma");
    });

//===----------------------------------------------------------------------===//
// Races
//===----------------------------------------------------------------------===//

/// Two threads' logs for the race model: each touch (sequence, thread,
/// what the thread has acquired of the other's clock, its own clock when
/// the access is done, byte offset, bytes, write).
using TouchSpec =
    std::tuple<int64_t, int, int32_t, int32_t, int32_t, int32_t, bool>;
std::vector<SharedAccessLog> twoThreads(std::initializer_list<TouchSpec> list) {
  std::vector<SharedAccessLog> logs(2);
  for (auto [sequence, thread, seenOther, done, address, bytes, write] : list) {
    SharedAccessLog &log = logs[thread];
    VectorClock clock(2, 0);
    clock[thread] = done;
    clock[1 - thread] = seenOther;
    log.clocks.push_back(clock);
    log.touches.push_back({0, sequence, int32_t(log.clocks.size() - 1), done,
                           address, bytes, write});
  }
  return logs;
}

TEST(SharedMemoryRaceModel, FindsAccessesNotOrderedByHappensBefore) {
  struct Example {
    std::initializer_list<TouchSpec> touches;
    size_t races;
    const char *why;
  };
  const Example examples[] = {
      {{{0, 0, 0, 1, 0, 4, true}, {1, 1, 0, 1, 2, 4, false}},
       2,
       "bytes 2 and 3: the reader has acquired nothing of the writer"},
      {{{0, 0, 0, 1, 0, 4, true}, {1, 1, 1, 1, 0, 4, false}},
       0,
       "the reader acquired the writer's release after the write"},
      {{{0, 0, 0, 2, 0, 4, true}, {1, 1, 1, 1, 0, 4, false}},
       4,
       "the reader acquired only a release from before the write"},
      {{{0, 0, 0, 1, 0, 4, true}, {1, 0, 0, 1, 0, 4, false}},
       0,
       "a thread reads its own write"},
      {{{0, 0, 0, 1, 0, 4, false}, {1, 1, 0, 1, 0, 4, false}},
       0,
       "two readers"},
      {{{0, 0, 0, 1, 0, 2, true}, {1, 1, 0, 1, 2, 2, false}},
       0,
       "the two halves of one word"},
      {{{0, 0, 0, 3, 0, 16, true}, {1, 1, 2, 1, 8, 1, false}},
       1,
       "a cp.async issued at clock 1 and waited for at 3 may land after the "
       "release at 2 that the reader acquired"},
      {{{0, 1, 0, 1, 0, 4, false}, {1, 0, 0, 1, 0, 4, true}},
       4,
       "a write after another thread's read it has not acquired (WAR)"},
      {{{0, 1, 0, 1, 0, 4, false}, {1, 0, 1, 1, 0, 4, true}},
       0,
       "the writer acquired the reader's release: the stage was empty"},
      {{{0, 0, 0, 1, 0, 4, true}, {1, 1, 0, 1, 0, 4, true}},
       4,
       "two writes (WAW)"},
  };
  for (const Example &example : examples) {
    std::vector<SharedAccessLog> logs = twoThreads(example.touches);
    EXPECT_EQ(findRaces(logs).size(), example.races) << example.why;
  }
}

/// Every tensor-core kernel and the SIMT kernel, on two query blocks and
/// three key tiles with a causal mask (every path of the pipeline: the
/// prologue, prefetches of the next K, the last tile without one, masked
/// and unmasked tiles; with warp specialization, each stage used twice and
/// the producer waiting for it to empty): no thread accesses shared memory
/// that another thread writes without a barrier or mbarrier phase ordering
/// the two.
class FlashKernelSharedRaces
    : public ::testing::TestWithParam<
          std::tuple<const char *, int64_t, bool, bool>> {};

TEST_P(FlashKernelSharedRaces, NoReadOverlapsAnotherThreadsWrite) {
  auto [type, headDim, tensorCores, warpgroupMma] = GetParam();
  MLIRContext ctx;
  Type element = StringRef(type) == "f16"    ? Type(Float16Type::get(&ctx))
                 : StringRef(type) == "bf16" ? Type(BFloat16Type::get(&ctx))
                                             : Type(Float32Type::get(&ctx));
  ring::FlashKernelConfig config{element, headDim, true, tensorCores};
  config.warpgroupMma = warpgroupMma;
  Case c{"races",
         type,
         1,
         1,
         1,
         config.queryTile() + 8,
         3 * config.keyTile() - 5,
         headDim,
         true,
         tensorCores,
         config.keyTile(),
         1,
         0,
         1,
         0.0,
         false,
         warpgroupMma};
  EmulatedKernel kernel;
  ASSERT_NO_FATAL_FAILURE(
      compileKernel(c, "host", /*recordShared=*/true, kernel));
  Inputs in(c);
  launch(kernel, c, in);
  ASSERT_FALSE(kernel.sites.empty());
  EXPECT_TRUE(kernel.races.empty())
      << kernel.races.size() << " racing bytes; the first: byte "
      << kernel.races[0].address << ", thread " << kernel.races[0].writer
      << " writes (site " << kernel.races[0].writeSite << ": "
      << kernel.sites[kernel.races[0].writeSite].kind << "), thread "
      << kernel.races[0].other << " also accesses it (site "
      << kernel.races[0].otherSite << ": "
      << kernel.sites[kernel.races[0].otherSite].kind << ")";
}

INSTANTIATE_TEST_SUITE_P(
    Kernels, FlashKernelSharedRaces,
    ::testing::Values(std::make_tuple("bf16", int64_t(64), true, false),
                      std::make_tuple("f16", int64_t(128), true, false),
                      std::make_tuple("bf16", int64_t(256), true, false),
                      std::make_tuple("f32", int64_t(24), false, false),
                      std::make_tuple("bf16", int64_t(64), true, true),
                      std::make_tuple("f16", int64_t(128), true, true),
                      std::make_tuple("bf16", int64_t(256), true, true)),
    [](const auto &info) {
      return std::string(std::get<0>(info.param)) + "_d" +
             std::to_string(std::get<1>(info.param)) +
             (std::get<3>(info.param)   ? "_wgmma"
              : std::get<2>(info.param) ? "_mma"
                                        : "_simt");
    });

} // namespace
