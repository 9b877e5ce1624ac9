#pragma once

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <iosfwd>
#include <string>

#include "capture/catalog.hpp"

// `poolbench capture --dsn`: two snapshots of pg_stat_statements a window apart, turned into
// DIR/scenario.yaml (docs/capture.md, "From pg_stat_statements").

namespace poolbench::capture {

struct StatCaptureOptions {
  std::string dsn;
  std::filesystem::path out;
  std::chrono::microseconds window = std::chrono::seconds(60);
  std::size_t top = 0;  ///< 0: every statement
  bool redact = false;  ///< literals left in the normalized text are replaced too
};

/// One statement's activity in the window.
struct StatementActivity {
  std::string query;
  double calls = 0;
  double total_ms = 0;
  double mean_ms = 0;
  double stddev_ms = 0;
  double rows = 0;
};

/// A transaction script for `query`: a \set per $n drawing from its column's values (or
/// FILL-IN with a note when unresolved), then the statement with :pN for $n.
std::string statement_script(const std::string& query, Catalog* catalog);

/// Samples, writes DIR/scenario.yaml, prints what it found. Throws RuntimeFailure (exit 3)
/// for a server without the extension, a role that cannot read every statement, or a window
/// in which no statement ran.
void capture_from_stat_statements(const StatCaptureOptions& options, std::ostream& out);

}  // namespace poolbench::capture
