#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include <nlohmann/json_fwd.hpp>

// The trace that `poolbench capture --log` writes and `workload.mode: replay` reads
// (docs/capture.md, "The trace format"): gzip-compressed JSON lines.
//
// Line 1, the header:
//   {"format": "poolbench.trace", "version": 1, "source": "log", "created": RFC 3339,
//    "requests": N, "sessions": S, "span_s": seconds from the first arrival to the last,
//    "redacted": bool, "statements": [{"sql": text, "protocol": "extended"|"simple"}, ...]}
// Then one request (one checkout) per line, by arrival:
//   {"at_us": arrival offset from the first request, "session": index, "hold_us": first
//    statement's start to the last one's end,
//    "statements": [{"q": index into the header's statements, "gap_us": application time
//                    before it (0 for the first), "duration_us": server time,
//                    "params": ["text", null, ...]}, ...]}
// A reader refuses another format or version (InputError naming file:1).

namespace poolbench::scenario {

inline constexpr const char* k_trace_format = "poolbench.trace";
inline constexpr int k_trace_version = 1;

/// What the header line says.
struct TraceHeader {
  std::int64_t requests = 0;
  std::int64_t sessions = 0;
  double span_s = 0;
  bool redacted = false;
  std::size_t statements = 0;  ///< distinct statement texts
};

/// Reads and checks a trace's header line: gzip JSON, this format, this version. Throws
/// InputError naming `path:1` (or the line zlib stopped at) and what was expected.
TraceHeader read_trace_header(const std::filesystem::path& path);

/// Checks an already parsed header line (`where` names it in messages). Throws InputError.
TraceHeader check_trace_header(const nlohmann::json& header, const std::string& where);

}  // namespace poolbench::scenario
