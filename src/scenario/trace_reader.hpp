#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "scenario/scenario.hpp"
#include "scenario/trace_format.hpp"
#include "util/gzip.hpp"

// Streams the requests of a trace (docs/capture.md, "The trace format") one line at a time:
// what `workload.mode: replay` sends. Only the header's statement dictionary is held whole;
// a request is parsed when it is read, so memory does not grow with the trace's length.

namespace poolbench::scenario {

/// One entry of the header's statement dictionary.
struct TraceText {
  std::string sql;
  /// Captured through the simple protocol (literals inline, no `$n`): replayed as a simple
  /// query. Otherwise prepared and executed with the recorded parameters.
  bool simple = false;
};

/// One statement of a request.
struct TraceStatement {
  std::uint32_t q = 0;      ///< index into the dictionary
  std::int64_t gap_us = 0;  ///< application time before it, the connection held (>= 0)
  std::vector<std::optional<std::string>> params;  ///< $1.. as text; nullopt: NULL
};

/// One request: one checkout.
struct TraceRequest {
  std::int64_t index = 0;  ///< 0-based, in trace order
  std::int64_t at_us = 0;  ///< arrival offset from the first request (non-decreasing)
  std::vector<TraceStatement> statements;
};

class TraceReader {
 public:
  /// Opens the trace and reads its header (TraceHeader's checks). Throws InputError naming
  /// path:line.
  explicit TraceReader(const std::filesystem::path& path);

  const TraceHeader& header() const noexcept { return m_header; }
  const std::vector<TraceText>& texts() const noexcept { return m_texts; }

  /// The next request into `out` (its buffers reused); false at the end. Throws InputError
  /// naming path:line for a line that is not a request of this format: not JSON, a missing or
  /// negative field, an arrival before the previous one, a statement index outside the
  /// dictionary; and at the end when the count differs from the header's `requests`.
  bool next(TraceRequest& out);

 private:
  std::string where() const;

  std::filesystem::path m_path;
  util::GzLineReader m_reader;
  TraceHeader m_header;
  std::vector<TraceText> m_texts;
  std::string m_line;
  std::int64_t m_count = 0;
  std::int64_t m_last_at_us = 0;
};

/// The trace a replay scenario names: replay.trace, relative to the scenario file's directory.
std::filesystem::path replay_trace_path(const Scenario& scenario);

/// Reads the whole trace once, as TraceReader::next() does, and returns its header: every
/// problem is found before a run starts. Memory stays bounded (one line at a time).
TraceHeader check_trace(const std::filesystem::path& path);

}  // namespace poolbench::scenario
