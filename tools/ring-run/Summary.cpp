//===- Summary.cpp - What ring-run prints after the runs ------------------===//

#include "Summary.h"

#include "llvm/Support/FormatVariadic.h"

#include <algorithm>

namespace ringattn {

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
  std::string rankMs, busyMs, busyCpuMs;
  double maxBusy = 0, sumBusy = 0;
  auto appendMs = [](std::string &list, double seconds) {
    list += (list.empty() ? "" : ", ") +
            llvm::formatv("{0:f3}", seconds * 1e3).str();
  };
  for (const runtime::RankReport &rank : report.ranks) {
    appendMs(rankMs, rank.seconds);
    appendMs(busyMs, rank.busySeconds);
    appendMs(busyCpuMs, rank.busyCpuSeconds);
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
    os << llvm::formatv(
        "{{\"entry\": \"{0}\", \"dtype\": \"{1}\", \"batch\": {2}, "
        "\"query_heads\": {3}, \"kv_heads\": {4}, \"query_len\": {5}, "
        "\"key_len\": {6}, \"head_dim\": {7}, \"causal\": {8}, "
        "\"compile_s\": {9:f3}, \"time_ms\": {10:f4}, \"gflops\": {11:f2}, "
        "\"peak_rss_mib\": {12:f1}, \"ranks\": {13}, \"layout\": \"{14}\", "
        "\"backend\": \"{15}\", \"rank_ms\": [{16}], \"busy_ms\": [{17}], "
        "\"busy_cpu_ms\": [{18}], \"imbalance\": {19:f3}, "
        "\"communication\": {20}, \"run_rss_mib\": {21:f1}, "
        "\"best_ms\": {22:f4}",
        entry.name, elementTypeName(entry.elementType), s.batch, s.queryHeads,
        s.kvHeads, s.queryLen, s.keyLen, s.headDim,
        entry.causal ? "true" : "false", compileSeconds, median * 1e3, gflops,
        summary.peakMemoryMiB, ranks, layoutName(entry.layout), options.backend,
        rankMs, busyMs, busyCpuMs, imbalance,
        options.noCommunication ? "false" : "true", runMemoryMiB,
        times.front() * 1e3);
    if (summary.checked)
      os << llvm::formatv(
          ", \"max_abs_err\": {0:e3}, \"rel_err\": {1:e3}, \"tolerance\": "
          "{2:e1}, \"passed\": {3}",
          stats.maxAbs, stats.relative, tolerance, passed ? "true" : "false");
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
    if (summary.checked)
      os << llvm::formatv(
          "check: max_abs_err={0:e3} rel_err={1:e3} tolerance={2:e1} {3}\n",
          stats.maxAbs, stats.relative, tolerance, passed ? "PASS" : "FAIL");
  }
}

} // namespace ringattn
