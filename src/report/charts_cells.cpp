// Chart planners over single cells: latency percentile curves per profile, and one cell's
// per-second time series (charts.hpp lists the charts).

#include <algorithm>
#include <cmath>

#include "metrics/hdr_codec.hpp"
#include "report/chart_helpers.hpp"
#include "util/error.hpp"

namespace poolbench::report::chart_detail {
namespace {

/// Percentile curve of one histogram: rows "x latency_ms percentile" with x = 1/(1-p), 20
/// points a decade up to x = total count (beyond it the sample cannot resolve), then the max.
std::string percentile_rows(const metrics::HdrHistogram& h, double* x_max, double* y_max) {
  std::string rows;
  const double top = std::max(1.0, static_cast<double>(h.total_count()));
  for (int i = 0;; ++i) {
    const double x = std::pow(10.0, i / 20.0);
    if (x > top) break;
    const double p = 1 - 1 / x;
    const double ms = static_cast<double>(h.value_at_percentile_us(p * 100)) / 1000;
    rows += fmt::format("{:.6g} {} {:.6g}\n", x, ms, p * 100);
  }
  const double max_ms = static_cast<double>(h.max_us()) / 1000;
  rows += fmt::format("{:.6g} {} 100\n", top, max_ms);
  *x_max = std::max(*x_max, top);
  *y_max = std::max(*y_max, max_ms);
  return rows;
}

}  // namespace

Chart percentiles_chart(const ReportModel& model) {
  const std::string title = "Latency by percentile";
  Groups panels;
  for (const auto& row : model.cells) {
    const auto* hist = find_path(*row.cell, {"histograms", "latency"});
    if (hist != nullptr && hist->is_string()) panels.add(row.profile, row);
  }
  if (panels.names.empty()) return skipped("latency_percentiles", title, "no latency histograms.");
  std::string data = "# x=1/(1-p)  latency_ms  percentile\n";
  double x_max = 10;
  double y_max = 0;
  // Colour by the cell's params other than profile and max_overflow, dash by max_overflow,
  // so a cell and its twin in the other profile look the same in every panel.
  const auto colour_key = [&](const CellRow& row) {
    return param_value(model, row, "pool_size") + " " +
           key_without(model, row, {"profile", "max_overflow", "pool_size"});
  };
  std::vector<std::string> colour_keys;
  std::set<double> overflows;
  for (const auto& row : model.cells) {
    if (std::find(colour_keys.begin(), colour_keys.end(), colour_key(row)) == colour_keys.end()) {
      colour_keys.push_back(colour_key(row));
    }
    if (!std::isnan(row.max_overflow)) overflows.insert(row.max_overflow);
  }
  const auto style_of = [&](const CellRow& row) {
    const auto c =
        std::find(colour_keys.begin(), colour_keys.end(), colour_key(row)) - colour_keys.begin();
    const auto d = std::isnan(row.max_overflow)
                       ? 0
                       : std::distance(overflows.begin(), overflows.find(row.max_overflow));
    return fmt::format("lc rgb '{}' dt {}", color(static_cast<std::size_t>(c)), 1 + d);
  };
  std::vector<std::vector<std::string>> plots(panels.names.size());
  std::size_t block = 0;
  for (std::size_t p = 0; p < panels.names.size(); ++p) {
    for (const CellRow* row : panels.rows[panels.names[p]]) {
      metrics::HdrHistogram h;
      try {
        h = metrics::decode_hdr_v2_base64((*row->cell)["histograms"]["latency"].get<std::string>());
      } catch (const InputError& e) {
        throw InputError(
            fmt::format("{}: cell {}: histograms.latency: {}", model.source, row->id, e.what()));
      }
      if (h.total_count() == 0) continue;
      data += fmt::format("# cell: {}\n", row->label);
      data += percentile_rows(h, &x_max, &y_max);
      data += "\n\n";
      // Short: "2+4 read_heavy" (values only; the key is narrow).
      std::string label;
      for (const auto& name : model.varying) {
        if (name == "profile" || name == "pool_size" || name == "max_overflow") continue;
        label += " " + param_value(model, *row, name);
      }
      if (!std::isnan(row->pool_size)) {
        label = fmt::format("pool {}{}", param_value(model, *row, "pool_size"),
                            std::isnan(row->max_overflow)
                                ? ""
                                : "+" + param_value(model, *row, "max_overflow")) +
                label;
      }
      if (label.empty()) label = row->label;
      if (model.repetitions_vary) label += fmt::format(" #{}", row->repetition);
      // Every panel shows the same cells, so only the last one carries the key; with more
      // curves than a key can list legibly, none does (the data file names each block).
      const bool keyed = p + 1 == panels.names.size() && panels.rows[panels.names[p]].size() <= 16;
      plots[p].push_back(
          fmt::format("'latency_percentiles.dat' index {} using 1:2 with lines lw 2 {} {}", block++,
                      style_of(*row), keyed ? "title " + gnuplot_quote(label) : "notitle"));
    }
  }
  if (block == 0) return skipped("latency_percentiles", title, "every latency histogram is empty.");
  std::vector<std::string> tics;
  for (int decade = 0; std::pow(10.0, decade) <= x_max * 1.001; ++decade) {
    // Tic labels are gnuplot format strings: %% is a percent sign.
    static const char* k_names[] = {"0%%",     "90%%",     "99%%",      "99.9%%",
                                    "99.99%%", "99.999%%", "99.9999%%", "99.99999%%"};
    if (decade < static_cast<int>(std::size(k_names))) {
      tics.push_back(fmt::format("'{}' {}", k_names[decade], std::pow(10.0, decade)));
    }
  }
  std::string plot = k_style;
  plot += "set logscale x\n";
  plot += fmt::format("set xtics ({})\nset mxtics 10\n", fmt::join(tics, ", "));
  plot += fmt::format("set xrange [1:{}]\nset yrange [0:{}]\n", x_max, y_max * 1.05);
  plot += "set xlabel 'percentile'\nset ylabel 'latency (ms)'\n";
  // The key sits right of the panels, outside every plot area.
  plot += "set key at screen 0.81, graph 1 left top vertical spacing 1.1\n";
  if (!std::isnan(model.slo_p99_ms)) {
    plot += fmt::format(
        "set arrow 100 from graph 0, first {0} to graph 1, first {0} nohead lc rgb '#d62728' dt "
        "3\n",
        model.slo_p99_ms);
  }
  plot += fmt::format("set multiplot layout 1,{} margins 0.07,0.79,0.14,0.9 spacing 0.07\n",
                      panels.names.size());
  for (std::size_t p = 0; p < panels.names.size(); ++p) {
    if (plots[p].empty()) continue;
    plot += fmt::format(
        "set title {}\n",
        gnuplot_quote(panels.names[p].empty() ? "all cells" : "profile " + panels.names[p]));
    plot += fmt::format("plot {}\n", fmt::join(plots[p], ", \\\n     "));
  }
  plot += "unset multiplot\n";

  Chart chart;
  chart.name = "latency_percentiles";
  chart.title = title;
  chart.caption =
      "One curve per cell; a curve that turns up sharply at 99% has a queueing tail. Panels "
      "share the y axis, so profiles compare side by side.";
  if (!std::isnan(model.slo_p99_ms)) chart.caption += " Red dotted: the SLO's p99.";
  chart.width_px = std::max(760, 480 * static_cast<int>(panels.names.size()) + 200);
  chart.height_px = 440;
  chart.data.push_back({"latency_percentiles.dat", data});
  chart.plot = plot;
  return chart;
}

Chart timeseries_chart(const ReportModel& model, const ChartOptions& options) {
  const std::string title_base = "Per-second time series";
  const int index = options.timeseries_cell >= 0 ? options.timeseries_cell : worst_cell(model);
  if (index < 0 || static_cast<std::size_t>(index) >= model.cells.size()) {
    return skipped("timeseries", title_base, "no cells.");
  }
  const CellRow& row = model.cells[static_cast<std::size_t>(index)];
  const auto* series = find_path(*row.cell, {"timeseries"});
  if (series == nullptr || !series->is_array() || series->size() < 2) {
    return skipped("timeseries", title_base + " of " + row.label,
                   "the cell has fewer than two per-second rows.");
  }
  std::string data =
      "# t_s  throughput_rps  timeouts  p50_ms  p99_ms  checked_out  overflow  waiting  errors\n";
  for (const auto& r : *series) {
    data += fmt::format("{} {} {} {} {} {} {} {} {}\n", num(number_at(r, "t_s")),
                        num(number_at(r, "throughput_rps")), num(number_at(r, "timeouts")),
                        num(number_at(r, "p50_ms")), num(number_at(r, "p99_ms")),
                        num(number_at(r, "checked_out")), num(number_at(r, "overflow")),
                        num(number_at(r, "waiting")), num(number_at(r, "errors")));
  }
  std::string plot = k_style;
  plot += "set key outside right top vertical\nset lmargin 10\nset rmargin 22\nset yrange [0:*]\n";
  // Injected faults: a shaded band over every panel from start to end (at least 0.3 s wide
  // for instantaneous ones), named in the top panel.
  std::string fault_labels;
  int faults = 0;
  if (const auto* list = find_path(*row.cell, {"faults"}); list && list->is_array()) {
    for (const auto& fault : *list) {
      const double at = number_at(fault, "at_s");
      const double end = number_at(fault, "end_s");
      if (std::isnan(at)) continue;
      ++faults;
      const double until = std::max(std::isnan(end) ? at : end, at + 0.3);
      plot += fmt::format(
          "set object {} rect from {}, graph 0 to {}, graph 1 fc rgb '#f4b6b0' fs solid 0.35 "
          "noborder behind\n",
          faults, num(at), num(until));
      fault_labels += fmt::format(
          "set label {} {} at {}, graph 0.93 left front font ',9' tc rgb "
          "'#a01b12'\n",
          faults, gnuplot_quote(fault.value("kind", "fault")), num(at));
    }
  }
  plot += "set multiplot layout 3,1\nset format x ''\nunset xlabel\n";
  plot += fault_labels;
  plot += "set title 'requests per second'\nset ylabel 'per second'\n";
  plot +=
      "plot 'timeseries.dat' using 1:2 with linespoints lw 2 pt 7 ps 0.6 lc rgb '#1f77b4' title "
      "'completed', \\\n     '' using 1:3 with linespoints lw 2 pt 7 ps 0.6 lc rgb '#d62728' title "
      "'timeouts', \\\n     '' using 1:9 with linespoints lw 2 pt 5 ps 0.6 lc rgb '#8c564b' title "
      "'errors'\n";
  if (faults > 0) plot += "unset label\n";
  plot += "set title 'latency'\nset ylabel 'ms'\n";
  plot +=
      "plot 'timeseries.dat' using 1:4 with linespoints lw 2 pt 7 ps 0.6 lc rgb '#2ca02c' title "
      "'p50', \\\n     '' using 1:5 with linespoints lw 2 pt 7 ps 0.6 lc rgb '#ff7f0e' title "
      "'p99'\n";
  plot += "set title 'pool (time-weighted means)'\nset ylabel 'connections / requests'\n";
  plot += "set format x '%g'\nset xlabel 't (s since the measurement start)'\n";
  plot +=
      "plot 'timeseries.dat' using 1:6 with linespoints lw 2 pt 7 ps 0.6 lc rgb '#1f77b4' title "
      "'checked_out', \\\n     '' using 1:7 with linespoints lw 2 pt 7 ps 0.6 lc rgb '#9467bd' "
      "title 'overflow', \\\n     '' using 1:8 with linespoints lw 2 pt 7 ps 0.6 lc rgb "
      "'#d62728' title 'waiting'\n";
  plot += "unset multiplot\n";

  Chart chart;
  chart.name = "timeseries";
  chart.title = fmt::format("{} of {}{}", title_base, row.label,
                            options.timeseries_cell >= 0 ? "" : " (the worst cell)");
  chart.caption =
      "Look for a ramp after warmup, periodic stalls, and waiting > 0 while checked_out sits "
      "at the pool limit: that is the queue behind the timeouts.";
  if (faults > 0) chart.caption += " Shaded: the injected faults (see the Faults table).";
  chart.width_px = 1000;
  chart.height_px = 720;
  chart.data.push_back({"timeseries.dat", data});
  chart.plot = plot;
  return chart;
}

}  // namespace poolbench::report::chart_detail
