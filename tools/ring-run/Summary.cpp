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
/// the (query, key) pairs the mask leaves visible. A training step adds the
/// backward's five products (QK^T again, dO V^T, P^T dO, dS K, dS^T Q):
/// 3.5 times the forward's in all.
static double attentionFlops(const EntryPoint &entry) {
  const AttentionShape &s = entry.shape;
  double pairs = entry.mask.visiblePairs(s.queryLen, s.keyLen);
  double forward = 4.0 * s.batch * s.queryHeads * pairs * s.headDim;
  return entry.training ? 3.5 * forward : forward;
}

/// " causal window_left 128": the mask as the op spells it, or "".
static std::string maskWords(const AttentionMask &mask) {
  std::string words = mask.causal ? " causal" : "";
  if (mask.windowLeft >= 0)
    words += " window_left " + std::to_string(mask.windowLeft);
  if (mask.windowRight >= 0)
    words += " window_right " + std::to_string(mask.windowRight);
  if (mask.softCap > 0)
    words += llvm::formatv(" softcap {0}", mask.softCap).str();
  if (!mask.sinks.empty())
    words += " sinks";
  if (!mask.documentStarts.empty())
    words += " documents " + std::to_string(mask.documentStarts.size());
  return words;
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
    std::vector<double> rankSeconds, busySeconds, busyCpuSeconds, shifts,
        bytesSent;
    for (const runtime::RankReport &rank : report.ranks) {
      rankSeconds.push_back(rank.seconds * 1e3);
      busySeconds.push_back(rank.busySeconds * 1e3);
      busyCpuSeconds.push_back(rank.busyCpuSeconds * 1e3);
      shifts.push_back(rank.shifts);
      bytesSent.push_back(rank.bytesSent);
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
        entry.mask.causal ? "true" : "false", jsonNumber(compileSeconds, 3),
        jsonNumber(median * 1e3, 4), jsonNumber(gflops, 2),
        jsonNumber(summary.peakMemoryMiB, 1), ranks,
        jsonString(layoutName(entry.layout)), jsonString(options.backend),
        list(rankSeconds, 3), list(busySeconds, 3), list(busyCpuSeconds, 3),
        jsonNumber(imbalance, 3), options.noCommunication ? "false" : "true",
        jsonNumber(runMemoryMiB, 1), jsonNumber(times.front() * 1e3, 4));
    os << ", \"object\": " << jsonString(summary.objectSource);
    os << ", \"shifts\": [" << list(shifts, 0) << "], \"bytes_sent\": ["
       << list(bytesSent, 0) << "]";
    for (auto [key, bound] :
         {std::pair{"window_left", entry.mask.windowLeft},
          std::pair{"window_right", entry.mask.windowRight}})
      if (bound >= 0)
        os << ", \"" << key << "\": " << bound;
    if (entry.mask.softCap > 0)
      os << ", \"softcap\": " << jsonNumber(entry.mask.softCap, 6);
    if (entry.hasSinks)
      os << ", \"sinks\": true";
    if (entry.documentSlots)
      os << ", \"documents\": ["
         << list(std::vector<double>(entry.mask.documentStarts.begin(),
                                     entry.mask.documentStarts.end()),
                 0)
         << "]";
    if (entry.placementSlots)
      os << ", \"placement\": ["
         << list(std::vector<double>(entry.placement.begin(),
                                     entry.placement.end()),
                 0)
         << "]";
    if (summary.checked)
      os << llvm::formatv(
          ", \"max_abs_err\": {0}, \"rel_err\": {1}, \"tolerance\": {2}, "
          "\"output_nan\": {3}, \"output_inf\": {4}, \"passed\": {5}",
          jsonNumber(stats.maxAbs, 3, true),
          jsonNumber(stats.relative, 3, true), jsonNumber(tolerance, 1, true),
          stats.nanCount, stats.infCount, passed ? "true" : "false");
    for (const GradientCheck &check : summary.gradChecks)
      os << llvm::formatv(", \"{0}_rel_err\": {1}, \"{0}_max_abs_err\": {2}",
                          check.name, jsonNumber(check.stats.relative, 3, true),
                          jsonNumber(check.stats.maxAbs, 3, true));
    if (!summary.gradChecks.empty())
      os << ", \"grad_tolerance\": "
         << jsonNumber(summary.gradTolerance, 1, true);
    os << ", \"training\": " << (entry.training ? "true" : "false");
    os << "}\n";
  } else {
    os << llvm::formatv(
        "@{0} {1} {2}{3}{8}: {4:f3} ms (median of {5}), {6:f2} GFLOP/s, peak "
        "RSS {7:f1} MiB\n",
        entry.name, elementTypeName(entry.elementType), shape,
        maskWords(entry.mask), median * 1e3, times.size(), gflops,
        summary.peakMemoryMiB, entry.training ? " training step" : "");
    if (ranks > 1) {
      std::string placed =
          entry.placementSlots
              ? "a placement of " + std::to_string(entry.placementSlots) +
                    " blocks"
              : std::string(layoutName(entry.layout)) + " layout";
      os << llvm::formatv("ring: {0} ranks ({1}), {2}\n", ranks,
                          options.backend, placed);
      for (int r = 0; r < ranks; ++r)
        os << llvm::formatv(
            "  rank {0}: {1:f3} ms, busy {2:f3} ms ({3:f3} ms CPU)\n", r,
            report.ranks[r].seconds * 1e3, report.ranks[r].busySeconds * 1e3,
            report.ranks[r].busyCpuSeconds * 1e3);
      os << llvm::formatv("  busy CPU max/mean: {0:f3}\n", imbalance);
      int64_t shifts = 0, bytes = 0;
      for (const runtime::RankReport &rank : report.ranks) {
        shifts += rank.shifts;
        bytes += rank.bytesSent;
      }
      os << llvm::formatv("  sent: {0} shifts, {1:f1} KiB over all ranks\n",
                          shifts, bytes / 1024.0);
    }
    // The output's check, then each gradient's.
    auto printCheck = [&](const std::string &what, const ErrorStats &stats,
                          double tolerance, bool passed) {
      if (!stats.finite)
        os << "check" << what << ": output has " << nonFiniteCounts(stats)
           << (stats.expectedFinite ? "" : " (the inputs hold NaN or inf)")
           << llvm::formatv(" tolerance={0:e1} FAIL\n", tolerance);
      else
        os << llvm::formatv(
            "check{0}: max_abs_err={1:e3} rel_err={2:e3} tolerance={3:e1} "
            "{4}\n",
            what, stats.maxAbs, stats.relative, tolerance,
            passed ? "PASS" : "FAIL");
    };
    if (summary.checked) {
      bool outputPassed = stats.finite && stats.relative <= tolerance;
      printCheck(summary.gradChecks.empty() ? "" : " out", stats, tolerance,
                 summary.gradChecks.empty() ? passed : outputPassed);
    }
    for (const GradientCheck &check : summary.gradChecks)
      printCheck((" " + llvm::Twine(check.name)).str(), check.stats,
                 summary.gradTolerance, check.passed);
  }
}

void printModelSummary(llvm::raw_ostream &os, const ModelSummary &summary,
                       int ranks, const RunOptions &options) {
  double median = summary.times[summary.times.size() / 2];
  if (options.json) {
    os << llvm::formatv(
        "{{\"entry\": {0}, \"sharded\": true, \"ranks\": "
        "{1}, \"backend\": {2}, \"compile_s\": {3}, "
        "\"time_ms\": {4}, \"best_ms\": {5}, "
        "\"peak_rss_mib\": {6}",
        jsonString(summary.entryName), ranks, jsonString(options.backend),
        jsonNumber(summary.compileSeconds, 3), jsonNumber(median * 1e3, 4),
        jsonNumber(summary.times.front() * 1e3, 4),
        jsonNumber(summary.peakMemoryMiB, 1));
    for (const GradientCheck &check : summary.resultChecks)
      os << llvm::formatv(", \"{0}_rel_err\": {1}, \"{0}_passed\": {2}",
                          check.name, jsonNumber(check.stats.relative, 3, true),
                          check.passed ? "true" : "false");
    os << "}\n";
    return;
  }
  os << llvm::formatv("@{0} (sharded entry): {1:f3} ms (median of {2}), peak "
                      "RSS {3:f1} MiB\n",
                      summary.entryName, median * 1e3, summary.times.size(),
                      summary.peakMemoryMiB);
  os << llvm::formatv("ring: {0} ranks ({1})\n", ranks, options.backend);
  for (const GradientCheck &check : summary.resultChecks) {
    const ErrorStats &stats = check.stats;
    if (!stats.finite)
      os << "check " << check.name << ": has " << nonFiniteCounts(stats)
         << llvm::formatv(" tolerance={0:e1} FAIL\n", summary.tolerance);
    else
      os << llvm::formatv("check {0}: max_abs_err={1:e3} rel_err={2:e3} "
                          "tolerance={3:e1} {4}\n",
                          check.name, stats.maxAbs, stats.relative,
                          summary.tolerance, check.passed ? "PASS" : "FAIL");
  }
}

} // namespace ringattn
