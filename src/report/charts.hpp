#pragma once

// Chart plans: for each chart the report shows, gnuplot data files and the gnuplot commands
// that draw it (without terminal or output: src/report/gnuplot.hpp renders each plan to SVG
// and PNG), or the one-line reason it does not apply to these results. Pure functions of the
// model, so unit tests need no gnuplot.
//
// Charts, in page order (file stems):
//   pool_sizing               timeout rate and p99 checkout wait vs pool_size, one line per
//                             other varying params; Erlang C predictions dashed, the seeds'
//                             formula a dotted vertical line (from the analysis)
//   heatmap_p99, heatmap_timeouts   pool_size x max_overflow, one panel per other params
//   throughput                throughput vs connections (pool_size + max_overflow), USL fit
//                             and N* from the analysis
//   latency_percentiles       HdrHistogram-style percentile curves (x: 1/(1-p), log), one
//                             panel per profile
//   timeseries                per-second rows of one cell (default: worst_cell)

#include <string>
#include <vector>

#include "report/report_model.hpp"

namespace poolbench::report {

struct ChartFile {
  std::string name;  ///< file name in charts/, e.g. "pool_sizing.dat"
  std::string content;
};

struct Chart {
  std::string name;  ///< file stem: charts/<name>.svg, .png, .gp
  std::string title;
  std::string caption;  ///< one line: what to look for
  std::string skipped;  ///< non-empty: why this chart is not drawn (then nothing else is set)
  int width_px = 960;
  int height_px = 420;
  std::vector<ChartFile> data;
  std::string plot;  ///< gnuplot commands; data files are referenced by name (cwd = charts/)
};

struct ChartOptions {
  /// Index into model.cells of the time-series cell; -1: worst_cell(model).
  int timeseries_cell = -1;
};

std::vector<Chart> plan_charts(const ReportModel& model, const ChartOptions& options);

/// `text` as a gnuplot single-quoted string literal ('' stands for a quote).
std::string gnuplot_quote(const std::string& text);

}  // namespace poolbench::report
