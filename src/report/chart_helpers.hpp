#pragma once

// Shared by the chart planners (charts*.cpp); not part of the report API.

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "report/charts.hpp"
#include "report/report_model.hpp"

namespace poolbench::report::chart_detail {

// Colour-blind-safe-ish categorical colours (Tableau 10), in series order.
inline constexpr const char* k_colors[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd",
                                           "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};

inline std::string color(std::size_t i) {
  return k_colors[i % std::size(k_colors)];
}

inline std::string num(double value) {
  return std::isnan(value) ? "NaN" : fmt::format("{}", value);
}

/// Shared look: light grid, no top/right border, readable tics. Every plot starts with it.
inline constexpr const char* k_style = R"(reset
set encoding utf8
set border 3 lc rgb '#555555'
set tics nomirror textcolor rgb '#333333'
set grid lc rgb '#e0e0e0' lw 1 dt 1
set key top right Left reverse noopaque samplen 2 textcolor rgb '#333333'
set style line 99 lc rgb '#888888' dt 3 lw 1.5
)";

inline bool varies(const ReportModel& model, const char* name) {
  return std::find(model.varying.begin(), model.varying.end(), name) != model.varying.end();
}

inline bool has_param(const ReportModel& model, const char* name) {
  return std::find(model.param_names.begin(), model.param_names.end(), name) !=
         model.param_names.end();
}

/// The varying params except `excluded`, as "name=value" words (group and series names).
inline std::string key_without(const ReportModel& model, const CellRow& row,
                               std::initializer_list<const char*> excluded) {
  std::vector<std::string> parts;
  for (const auto& name : model.varying) {
    if (std::find_if(excluded.begin(), excluded.end(), [&](const char* e) { return name == e; }) !=
        excluded.end()) {
      continue;
    }
    const auto dot = name.rfind('.');
    parts.push_back((dot == std::string::npos ? name : name.substr(dot + 1)) + "=" +
                    param_value(model, row, name));
  }
  return fmt::format("{}", fmt::join(parts, " "));
}

/// Cells grouped by a key, groups in first-seen order.
struct Groups {
  std::vector<std::string> names;
  std::map<std::string, std::vector<const CellRow*>> rows;

  void add(const std::string& name, const CellRow& row) {
    if (!rows.count(name)) names.push_back(name);
    rows[name].push_back(&row);
  }
};

inline double mean_of(const std::vector<double>& values) {
  double sum = 0;
  int n = 0;
  for (const double v : values) {
    if (!std::isnan(v)) {
      sum += v;
      ++n;
    }
  }
  return n == 0 ? k_nan : sum / n;
}

inline double median_of(std::vector<double> values) {
  return median(std::move(values));
}

/// Rows of one series averaged per x (repetitions, or cells that share x): x -> column means.
inline std::map<double, std::vector<double>> by_x(
    const std::vector<const CellRow*>& rows, double (*x_of)(const CellRow&),
    const std::vector<double (*)(const CellRow&)>& columns) {
  std::map<double, std::vector<std::vector<double>>> collected;
  for (const CellRow* row : rows) {
    const double x = x_of(*row);
    if (std::isnan(x)) continue;
    auto& cols = collected[x];
    cols.resize(columns.size());
    for (std::size_t c = 0; c < columns.size(); ++c) cols[c].push_back(columns[c](*row));
  }
  std::map<double, std::vector<double>> out;
  for (const auto& [x, cols] : collected) {
    for (const auto& values : cols) out[x].push_back(mean_of(values));
  }
  return out;
}

inline std::string xtics_for(const std::set<double>& values) {
  std::vector<std::string> tics;
  for (const double v : values) tics.push_back(fmt::format("'{}' {}", v, v));
  return fmt::format("set xtics ({})\n", fmt::join(tics, ", "));
}

/// True when some cell has a value for `member` (failed cells have none; gnuplot refuses a
/// plot whose every point is undefined).
inline bool any_measured(const ReportModel& model, double CellRow::*member) {
  return std::any_of(model.cells.begin(), model.cells.end(),
                     [&](const CellRow& row) { return !std::isnan(row.*member); });
}

inline Chart skipped(std::string name, std::string title, std::string why) {
  Chart chart;
  chart.name = std::move(name);
  chart.title = std::move(title);
  chart.skipped = std::move(why);
  return chart;
}

// The planners, one per chart (charts_sizing.cpp, charts_cells.cpp).
Chart pool_sizing_chart(const ReportModel& model);
/// What a heat map colours its cells by.
enum class HeatmapValue { p99_latency, timeouts };
Chart heatmap_chart(const ReportModel& model, HeatmapValue value);
Chart throughput_chart(const ReportModel& model);
Chart percentiles_chart(const ReportModel& model);
Chart timeseries_chart(const ReportModel& model, const ChartOptions& options);

}  // namespace poolbench::report::chart_detail
