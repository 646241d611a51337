//===- ChromeTrace.cpp - Spans as a Chrome trace (JSON) -------------------===//
//
// The Trace Event Format's JSON object form: complete events ("ph": "X") for
// spans, on one track per rank (tid = rank) for compute and one per copy
// engine (tid = 1000 + rank) for transfers, plus thread_name metadata so the
// viewers label the tracks.
//
//===----------------------------------------------------------------------===//

#include "Format.h"
#include "RingAttn/Runtime/ThreadsBackend.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
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

bool writeChromeTrace(const std::string &path, const std::vector<Span> &spans,
                      std::string &error) {
  std::FILE *file = std::fopen(path.c_str(), "w");
  if (!file) {
    error = formatString("cannot write trace '%s': %s", path.c_str(),
                         std::strerror(errno));
    return false;
  }

  std::set<int> tracks;
  std::fputs("{\"traceEvents\": [\n", file);
  const char *separator = "";
  for (const Span &span : spans) {
    tracks.insert(trackOf(span));
    std::fprintf(file,
                 "%s  {\"name\": \"%s\", \"ph\": \"X\", \"ts\": %.3f, "
                 "\"dur\": %.3f, \"pid\": 0, \"tid\": %d}",
                 separator, eventName(span).c_str(), span.beginUs,
                 span.endUs - span.beginUs, trackOf(span));
    separator = ",\n";
  }
  for (int tid : tracks) {
    std::fprintf(file,
                 "%s  {\"name\": \"thread_name\", \"ph\": \"M\", \"pid\": 0, "
                 "\"tid\": %d, \"args\": {\"name\": \"%s\"}}",
                 separator, tid, trackName(tid).c_str());
    separator = ",\n";
  }
  std::fputs("\n], \"displayTimeUnit\": \"ms\"}\n", file);

  bool written = !std::ferror(file);
  if (std::fclose(file) != 0)
    written = false;
  if (!written) {
    error = formatString("cannot write trace '%s': %s", path.c_str(),
                         std::strerror(errno));
    return false;
  }
  return true;
}

} // namespace runtime
} // namespace ringattn
