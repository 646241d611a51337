//===- ChromeTrace.cpp - Spans as a Chrome trace (JSON) -------------------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// The Trace Event Format's JSON object form: complete events ("ph": "X") for
// spans, on one track per rank (tid = rank) for compute and one per copy
// engine (tid = 1000 + rank) for transfers, plus thread_name metadata so the
// viewers label the tracks.
//
//===----------------------------------------------------------------------===//

#include "Format.h"
#include "RingAttn/Runtime/RunReport.h"
#include "RingAttn/Support/AtomicFile.h"

#include <set>

namespace ringattn {
namespace runtime {

/// Keeps copy-engine tracks apart from (and after) the rank tracks.
static constexpr int copyEngineTidBase = 1000;

static int trackOf(const Span &span) {
  return span.kind == Span::Kind::Compute ? span.rank
                                          : copyEngineTidBase + span.rank;
}

static std::string eventName(const Span &span) {
  long long step = static_cast<long long>(span.step);
  if (span.kind == Span::Kind::Compute)
    return formatString("compute step %lld", step);
  return formatString("send %lld B step %lld",
                      static_cast<long long>(span.bytes), step);
}

static std::string trackName(int tid) {
  if (tid >= copyEngineTidBase)
    return formatString("copy engine %d", tid - copyEngineTidBase);
  return formatString("rank %d", tid);
}

/// The whole trace as text; traces are small (a few spans per ring step).
static std::string traceText(const std::vector<Span> &spans) {
  std::set<int> tracks;
  std::string text = "{\"traceEvents\": [\n";
  const char *separator = "";
  for (const Span &span : spans) {
    tracks.insert(trackOf(span));
    text += formatString("%s  {\"name\": \"%s\", \"ph\": \"X\", \"ts\": %.3f, "
                         "\"dur\": %.3f, \"pid\": 0, \"tid\": %d}",
                         separator, eventName(span).c_str(), span.beginUs,
                         span.endUs - span.beginUs, trackOf(span));
    separator = ",\n";
  }
  for (int tid : tracks) {
    text += formatString("%s  {\"name\": \"thread_name\", \"ph\": \"M\", "
                         "\"pid\": 0, \"tid\": %d, \"args\": {\"name\": "
                         "\"%s\"}}",
                         separator, tid, trackName(tid).c_str());
    separator = ",\n";
  }
  return text + "\n], \"displayTimeUnit\": \"ms\"}\n";
}

bool writeChromeTrace(const std::string &path, const std::vector<Span> &spans,
                      std::string &error) {
  // Atomically: a trace is complete, or the old file stays (AtomicFile.h).
  AtomicFile file;
  return file.open(path, error) && file.write(traceText(spans), error) &&
         file.commit(error);
}

} // namespace runtime
} // namespace ringattn
