#pragma once

// The report as files: `write_report` turns one results document into
//   <out>/index.html   self-contained page (verdicts, findings, inline SVG charts, details)
//   <out>/summary.md   short summary for a pull request
//   <out>/cells.csv    one row per cell
//   <out>/charts/      every chart as .svg and .png, with its gnuplot script and data
// Everything is rendered into a temporary directory inside <out> first and moved into place
// only when all of it succeeded, so a failure leaves no partial report (an older report in
// <out> stays as it was). Bad input throws InputError before anything is created.
//
// Called by `poolbench report`, and meant to be called by `poolbench run` and `matrix` when
// they finish: report::write_report(store.document(), results_file.parent_path()).

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace poolbench::report {

struct ReportOptions {
  /// Produces the `analysis` object (src/analysis/'s analyze()) when `results` has none;
  /// empty: the report uses results["analysis"] if present, else SLO verdicts only.
  std::function<nlohmann::json(const nlohmann::json& results)> analyze;
  /// The time-series chart's cell: its id or its index in `cells` as text; empty: the worst
  /// cell (highest timeout rate, then p99). An unknown cell is an InputError.
  std::string timeseries_cell;
  /// How messages and the page name the input, e.g. "reports/qs/results.json".
  std::string source = "results.json";
};

struct ReportSummary {
  std::vector<std::filesystem::path> files;  ///< written, top-level (charts/ as one entry)
  std::vector<std::string> charts_drawn;     ///< chart names
  std::vector<std::string> charts_skipped;   ///< "name: reason"
};

/// Writes the report of `results` into `out_dir` (created if missing). Throws InputError on
/// bad input (wrong schema, unknown --cell, corrupt histogram) with nothing written, and
/// RuntimeFailure on I/O or gnuplot failures (then nothing new is left in out_dir). Charts
/// are skipped, with the reason on the page, when gnuplot is not installed.
ReportSummary write_report(const nlohmann::json& results, const std::filesystem::path& out_dir,
                           const ReportOptions& options = {});

}  // namespace poolbench::report
