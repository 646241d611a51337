//===- CompilerTest.cpp - Ring modules compiled into this process ---------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// The compiler's C API end to end: a module's text compiled, its entry
// called through an embedding context on fresh random inputs and compared
// with the float64 reference; and each error it reports.
//
//===----------------------------------------------------------------------===//

#include "RingAttn-c/Compiler.h"
#include "RingAttn/Runtime/Embedding.h"
#include "RingAttn/Support/ReferenceAttention.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace {

/// MLIR's descriptor of a 4-D f32 memref.
struct Memref4 {
  float *allocated, *aligned;
  int64_t offset, sizes[4], strides[4];
};

Memref4 describe(std::vector<float> &data, int64_t b, int64_t h, int64_t s,
                 int64_t d) {
  return Memref4{
      data.data(), data.data(), 0, {b, h, s, d}, {h * s * d, s * d, d, 1}};
}

constexpr const char *kAttention = R"mlir(
func.func @attention(%q: tensor<1x4x24x16xf32>, %k: tensor<1x2x24x16xf32>,
                     %v: tensor<1x2x24x16xf32>) -> tensor<1x4x24x16xf32>
    attributes {llvm.emit_c_interface} {
  %o = ring.attention %q, %k, %v causal scale 0.3
      : tensor<1x4x24x16xf32>, tensor<1x2x24x16xf32>, tensor<1x2x24x16xf32>
  return %o : tensor<1x4x24x16xf32>
}
)mlir";

std::string compileError(const char *source, const char *pipeline) {
  char error[1024];
  RingAttnCompiledModule *module =
      ringattnCompileModule(source, pipeline, error, sizeof(error));
  ringattnCompiledModuleDestroy(module);
  return module ? "compiled" : error;
}

TEST(Compiler, CompiledEntryMatchesTheFloat64Reference) {
  char error[1024];
  RingAttnCompiledModule *module =
      ringattnCompileModule(kAttention, "", error, sizeof(error));
  ASSERT_NE(module, nullptr) << error;
  void *entry = ringattnCompiledModuleLookup(module, "_mlir_ciface_attention",
                                             error, sizeof(error));
  ASSERT_NE(entry, nullptr) << error;

  std::mt19937 random(std::random_device{}());
  std::normal_distribution<float> normal;
  std::vector<float> q(4 * 24 * 16), k(2 * 24 * 16), v(2 * 24 * 16),
      out(q.size(), 0.0f);
  for (std::vector<float> *t : {&q, &k, &v})
    for (float &x : *t)
      x = normal(random);
  Memref4 mq = describe(q, 1, 4, 24, 16), mk = describe(k, 1, 2, 24, 16),
          mv = describe(v, 1, 2, 24, 16), mo = describe(out, 1, 4, 24, 16);
  void *operands[] = {&mq, &mk, &mv, &mo};

  ringattn_context_options options{0, 1, nullptr, 10.0, /*stream=*/nullptr};
  ringattn_context *context = nullptr;
  ASSERT_EQ(ringattn_context_create(&options, &context, error, sizeof(error)),
            RINGATTN_OK);
  EXPECT_EQ(ringattn_context_invoke(context, entry, 4, operands), RINGATTN_OK)
      << ringattn_context_error(context);
  ringattn_context_destroy(context);
  ringattnCompiledModuleDestroy(module);

  auto widen = [](const std::vector<float> &t) {
    return std::vector<double>(t.begin(), t.end());
  };
  ringattn::ErrorStats stats = ringattn::compare(
      widen(out),
      ringattn::referenceAttention({1, 4, 2, 24, 24, 16}, widen(q), widen(k),
                                   widen(v), 0.3, /*causal=*/true));
  EXPECT_TRUE(stats.finite);
  EXPECT_LE(stats.relative, 1e-5);
}

TEST(Compiler, SaysWhyAModuleDoesNotCompile) {
  EXPECT_EQ(compileError(nullptr, ""), "no module source given");
  EXPECT_EQ(compileError("func.func @f(", ""),
            "could not parse the module: ringattn-module:1:13: expected "
            "non-function type");
  EXPECT_EQ(compileError(kAttention, "ring-lower-nothing"),
            "bad pass pipeline 'ring-lower-nothing': 'ring-lower-nothing' "
            "does not refer to a registered pass or pass pipeline");
  EXPECT_EQ(compileError(kAttention, "ring-lower-cpu{target-cpu=pdp11}"),
            "ring-lower-cpu{target-cpu=pdp11} failed: ringattn-module:0:0: "
            "ring-set-cpu-target: unknown x86-64 CPU 'pdp11' (for example "
            "x86-64, x86-64-v3, x86-64-v4, znver3, skylake-avx512)");
}

TEST(Compiler, SaysWhenASymbolIsMissing) {
  char error[1024];
  RingAttnCompiledModule *module =
      ringattnCompileModule(kAttention, "", error, sizeof(error));
  ASSERT_NE(module, nullptr) << error;
  EXPECT_EQ(ringattnCompiledModuleLookup(module, "_mlir_ciface_missing", error,
                                         sizeof(error)),
            nullptr);
  EXPECT_EQ(std::string(error).rfind(
                "the compiled module has no _mlir_ciface_missing: ", 0),
            0u)
      << error;
  EXPECT_EQ(ringattnCompiledModuleLookup(nullptr, "x", error, sizeof(error)),
            nullptr);
  EXPECT_STREQ(error, "no module or symbol given");
  ringattnCompiledModuleDestroy(module);
}

} // namespace
