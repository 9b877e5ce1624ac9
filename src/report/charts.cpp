#include "report/charts.hpp"

#include "report/chart_helpers.hpp"

namespace poolbench::report {

std::string gnuplot_quote(const std::string& text) {
  std::string out = "'";
  for (const char c : text) {
    if (c == '\'') out += '\'';
    if (c == '\n') {
      out += ' ';
      continue;
    }
    out += c;
  }
  return out + "'";
}

std::vector<Chart> plan_charts(const ReportModel& model, const ChartOptions& options) {
  std::vector<Chart> charts;
  if (model.cells.empty()) {
    for (const char* name : {"pool_sizing", "heatmap_p99", "heatmap_timeouts", "throughput",
                             "latency_percentiles", "timeseries"}) {
      charts.push_back(chart_detail::skipped(name, name, "no cells in these results."));
    }
    return charts;
  }
  charts.push_back(chart_detail::pool_sizing_chart(model));
  charts.push_back(chart_detail::heatmap_chart(model, chart_detail::HeatmapValue::p99_latency));
  charts.push_back(chart_detail::heatmap_chart(model, chart_detail::HeatmapValue::timeouts));
  charts.push_back(chart_detail::throughput_chart(model));
  charts.push_back(chart_detail::percentiles_chart(model));
  charts.push_back(chart_detail::timeseries_chart(model, options));
  return charts;
}

}  // namespace poolbench::report
