#pragma once

#include <chrono>
#include <filesystem>
#include <iosfwd>
#include <string>
#include <vector>

#include "capture/redact.hpp"
#include "capture/requests.hpp"

// `poolbench capture --log`: server logs -> DIR/trace.jsonl.gz (scenario/trace_format.hpp)
// and DIR/scenario.yaml (workload.mode: replay), and a summary of what was found.

namespace poolbench::capture {

struct LogCaptureOptions {
  std::vector<std::filesystem::path> files;
  std::filesystem::path out;
  std::chrono::microseconds request_gap = k_default_request_gap;
  std::string database;  ///< empty: every database
  std::string user;      ///< empty: every user
  bool redact = false;
  ValueSource values;  ///< with --redact and --dsn: values drawn from column statistics
};

/// What the capture found (also printed).
struct LogCaptureSummary {
  std::int64_t sessions = 0;
  std::int64_t requests = 0;
  double span_s = 0;
  SkipCounts skipped;
};

/// Reads every file, writes the trace and the scenario, prints the summary to `out`. Throws
/// InputError (bad logs, nothing captured) before writing anything.
LogCaptureSummary capture_from_logs(const LogCaptureOptions& options, std::ostream& out);

}  // namespace poolbench::capture
