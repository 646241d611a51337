//===- blas_attention.cpp - BLAS baselines for the attention benchmark ----===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//   blas-attention sgemm N                 square sgemm rate
//   blas-attention attention B H S D [causal]
//                                          plain attention: S = Q K^T (sgemm),
//                                          row softmax, O = P V (sgemm), one
//                                          head at a time, materializing the
//                                          S x S score matrix
//
// Prints one JSON line with the OpenBLAS kernel it ran, the time and the
// GFLOP/s (attention FLOPs counted as RingAttn counts them: 4*B*H*S*S*D, half
// of that when causal). Run it single-threaded (OPENBLAS_NUM_THREADS=1) to
// compare with one RingAttn core.
//
//===----------------------------------------------------------------------===//

#include <cblas.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <sys/resource.h>
#include <vector>

extern "C" char *openblas_get_corename(void);
extern "C" char *openblas_get_config(void);

static double now() {
  return std::chrono::duration<double>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

static double peakRssMiB() {
  struct rusage usage;
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss / 1024.0;
}

static void fillRandom(std::vector<float> &v, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  for (float &x : v)
    x = uniform(rng);
}

static void report(const char *what, double seconds, double flops) {
  std::printf("{\"baseline\": \"%s\", \"kernel\": \"%s\", \"config\": \"%s\", "
              "\"time_ms\": %.3f, \"gflops\": %.2f, \"peak_rss_mib\": %.1f}\n",
              what, openblas_get_corename(), openblas_get_config(),
              seconds * 1e3, flops / seconds * 1e-9, peakRssMiB());
}

static int sgemm(int n) {
  std::vector<float> a(size_t(n) * n), b(size_t(n) * n), c(size_t(n) * n);
  fillRandom(a, 1);
  fillRandom(b, 2);
  // The median of three, as ring-run --repeat 3 reports RingAttn's.
  std::vector<double> times;
  for (int r = 0; r < 3; ++r) {
    double start = now();
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f,
                a.data(), n, b.data(), n, 0.0f, c.data(), n);
    times.push_back(now() - start);
  }
  std::sort(times.begin(), times.end());
  report("sgemm", times[1], 2.0 * n * n * n);
  return 0;
}

static int attention(int batch, int heads, int seq, int dim, bool causal) {
  size_t headSize = size_t(seq) * dim;
  std::vector<float> q(batch * heads * headSize), k(q.size()), v(q.size()),
      out(q.size());
  fillRandom(q, 1);
  fillRandom(k, 2);
  fillRandom(v, 3);
  std::vector<float> scores(size_t(seq) * seq);
  float scale = 1.0f / std::sqrt(float(dim));
  double start = now();
  for (int bh = 0; bh < batch * heads; ++bh) {
    const float *qh = &q[bh * headSize], *kh = &k[bh * headSize],
                *vh = &v[bh * headSize];
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, seq, seq, dim, scale,
                qh, dim, kh, dim, 0.0f, scores.data(), seq);
    for (int i = 0; i < seq; ++i) {
      float *row = &scores[size_t(i) * seq];
      int visible = causal ? i + 1 : seq;
      float max = *std::max_element(row, row + visible);
      float sum = 0;
      for (int j = 0; j < visible; ++j)
        sum += row[j] = std::exp(row[j] - max);
      for (int j = 0; j < visible; ++j)
        row[j] /= sum;
      std::fill(row + visible, row + seq, 0.0f);
    }
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, seq, dim, seq, 1.0f,
                scores.data(), seq, vh, dim, 0.0f, &out[bh * headSize], dim);
  }
  double pairs = causal ? 0.5 * seq * (seq + 1.0) : double(seq) * seq;
  report(causal ? "blas-attention-causal" : "blas-attention", now() - start,
         4.0 * batch * heads * pairs * dim);
  return 0;
}

int main(int argc, char **argv) {
  if (argc == 3 && !std::strcmp(argv[1], "sgemm"))
    return sgemm(std::atoi(argv[2]));
  if ((argc == 6 || argc == 7) && !std::strcmp(argv[1], "attention"))
    return attention(std::atoi(argv[2]), std::atoi(argv[3]), std::atoi(argv[4]),
                     std::atoi(argv[5]),
                     argc == 7 && !std::strcmp(argv[6], "causal"));
  std::fprintf(stderr, "usage: blas-attention sgemm N\n"
                       "       blas-attention attention B H S D [causal]\n");
  return 2;
}
