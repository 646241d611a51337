//===- Summary.cpp - What ring-run prints after the runs ------------------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception

#include "Summary.h"

#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace ringattn {

/// `text` as a JSON string: quoted, escaped, invalid UTF-8 replaced (a
/// quoted MLIR symbol name may hold any byte).
static std::string jsonString(llvm::StringRef text) {
  std::string out;
  llvm::raw_string_ostream os(out);
  llvm::json::OStream(os).value(llvm::json::fixUTF8(text));
  return out;
}

/// `value` with `decimals` digits after the point (`exponent`: in
/// scientific notation, like formatv's e3), or null: JSON has no NaN or
/// infinity.
static std::string jsonNumber(double value, int decimals,
                              bool exponent = false) {
  if (!std::isfinite(value))
    return "null";
  char text[64];
  std::snprintf(text, sizeof text, exponent ? "%.*e" : "%.*f", decimals, value);
  return text;
}

/// "2560 NaN and 3 inf of 2560 values": what is wrong with an output that
/// is not finite.
static std::string nonFiniteCounts(const ErrorStats &stats) {
  std::string counts;
  if (stats.nanCount)
    counts = std::to_string(stats.nanCount) + " NaN";
  if (stats.nanCount && stats.infCount)
    counts += " and ";
  if (stats.infCount)
    counts += std::to_string(stats.infCount) + " inf";
  return counts + " of " + std::to_string(stats.count) + " values";
}

/// FLOPs of the attention: 2 for each multiply-add of QK^T and of PV, over
/// the (query, key) pairs the mask leaves visible.
static double attentionFlops(const EntryPoint &entry) {
  const AttentionShape &s = entry.shape;
  double pairs = entry.causal ? 0.5 * s.queryLen * (s.queryLen + 1)
                              : static_cast<double>(s.queryLen) * s.keyLen;
  return 4.0 * s.batch * s.queryHeads * pairs * s.headDim;
}

void printSummary(llvm::raw_ostream &os, const Summary &summary, int ranks,
                  const RunOptions &options) {
  const EntryPoint &entry = summary.entry;
  const runtime::RunReport &report = summary.report;
  const ErrorStats &stats = summary.stats;
  double median = summary.times[summary.times.size() / 2];
  double gflops = attentionFlops(entry) / median * 1e-9;
  double compileSeconds = summary.compileSeconds,
         runMemoryMiB = summary.runMemoryMiB, tolerance = summary.tolerance;
  bool passed = summary.passed;
  const std::vector<double> &times = summary.times;
  // Per-rank wall and busy (compute) time of the last run. The imbalance is
  // max/mean of the ranks' busy CPU time: their work, even when ranks share
  // cores.
  double maxBusy = 0, sumBusy = 0;
  for (const runtime::RankReport &rank : report.ranks) {
    maxBusy = std::max(maxBusy, rank.busyCpuSeconds);
    sumBusy += rank.busyCpuSeconds;
  }
  double imbalance = sumBusy > 0 ? maxBusy / (sumBusy / ranks) : 1.0;

  const AttentionShape &s = entry.shape;
  std::string shape =
      llvm::formatv("b={0} hq={1} hkv={2} sq={3} skv={4} d={5}", s.batch,
                    s.queryHeads, s.kvHeads, s.queryLen, s.keyLen, s.headDim)
          .str();
  if (options.json) {
    // Every string escaped, every number finite or null: the line parses.
    auto list = [](const std::vector<double> &values, int decimals) {
      std::string text;
      for (double value : values)
        text += (text.empty() ? "" : ", ") + jsonNumber(value, decimals);
      return text;
    };
    std::vector<double> rankSeconds, busySeconds, busyCpuSeconds;
    for (const runtime::RankReport &rank : report.ranks) {
      rankSeconds.push_back(rank.seconds * 1e3);
      busySeconds.push_back(rank.busySeconds * 1e3);
      busyCpuSeconds.push_back(rank.busyCpuSeconds * 1e3);
    }
    os << llvm::formatv(
        "{{\"entry\": {0}, \"dtype\": {1}, \"batch\": {2}, "
        "\"query_heads\": {3}, \"kv_heads\": {4}, \"query_len\": {5}, "
        "\"key_len\": {6}, \"head_dim\": {7}, \"causal\": {8}, "
        "\"compile_s\": {9}, \"time_ms\": {10}, \"gflops\": {11}, "
        "\"peak_rss_mib\": {12}, \"ranks\": {13}, \"layout\": {14}, "
        "\"backend\": {15}, \"rank_ms\": [{16}], \"busy_ms\": [{17}], "
        "\"busy_cpu_ms\": [{18}], \"imbalance\": {19}, "
        "\"communication\": {20}, \"run_rss_mib\": {21}, "
        "\"best_ms\": {22}",
        jsonString(entry.name), jsonString(elementTypeName(entry.elementType)),
        s.batch, s.queryHeads, s.kvHeads, s.queryLen, s.keyLen, s.headDim,
        entry.causal ? "true" : "false", jsonNumber(compileSeconds, 3),
        jsonNumber(median * 1e3, 4), jsonNumber(gflops, 2),
        jsonNumber(summary.peakMemoryMiB, 1), ranks,
        jsonString(layoutName(entry.layout)), jsonString(options.backend),
        list(rankSeconds, 3), list(busySeconds, 3), list(busyCpuSeconds, 3),
        jsonNumber(imbalance, 3), options.noCommunication ? "false" : "true",
        jsonNumber(runMemoryMiB, 1), jsonNumber(times.front() * 1e3, 4));
    os << ", \"object\": " << jsonString(summary.objectSource);
    if (summary.checked)
      os << llvm::formatv(
          ", \"max_abs_err\": {0}, \"rel_err\": {1}, \"tolerance\": {2}, "
          "\"output_nan\": {3}, \"output_inf\": {4}, \"passed\": {5}",
          jsonNumber(stats.maxAbs, 3, true),
          jsonNumber(stats.relative, 3, true), jsonNumber(tolerance, 1, true),
          stats.nanCount, stats.infCount, passed ? "true" : "false");
    os << "}\n";
  } else {
    os << llvm::formatv(
        "@{0} {1} {2}{3}: {4:f3} ms (median of {5}), {6:f2} GFLOP/s, peak "
        "RSS {7:f1} MiB\n",
        entry.name, elementTypeName(entry.elementType), shape,
        entry.causal ? " causal" : "", median * 1e3, times.size(), gflops,
        summary.peakMemoryMiB);
    if (ranks > 1) {
      os << llvm::formatv("ring: {0} ranks ({1}), {2} layout\n", ranks,
                          options.backend, layoutName(entry.layout));
      for (int r = 0; r < ranks; ++r)
        os << llvm::formatv(
            "  rank {0}: {1:f3} ms, busy {2:f3} ms ({3:f3} ms CPU)\n", r,
            report.ranks[r].seconds * 1e3, report.ranks[r].busySeconds * 1e3,
            report.ranks[r].busyCpuSeconds * 1e3);
      os << llvm::formatv("  busy CPU max/mean: {0:f3}\n", imbalance);
    }
    if (summary.checked && !stats.finite)
      os << "check: output has " << nonFiniteCounts(stats)
         << (stats.expectedFinite ? "" : " (the inputs hold NaN or inf)")
         << llvm::formatv(" tolerance={0:e1} FAIL\n", tolerance);
    else if (summary.checked)
      os << llvm::formatv(
          "check: max_abs_err={0:e3} rel_err={1:e3} tolerance={2:e1} {3}\n",
          stats.maxAbs, stats.relative, tolerance, passed ? "PASS" : "FAIL");
  }
}

} // namespace ringattn
