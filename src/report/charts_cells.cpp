// Chart planners over single cells: latency percentile curves per profile, and one cell's
// per-second time series (charts.hpp lists the charts).

#include <algorithm>
#include <cmath>

#include "metrics/hdr_codec.hpp"
#include "report/chart_helpers.hpp"
#include "util/error.hpp"

namespace poolbench::report::chart_detail {
namespace {

/// Percentile rows start at 1/(1-p) = 1 and end here at the least.
constexpr double k_min_x_max = 10;
/// More curves than this in a panel and its key would be illegible: none is drawn.
constexpr std::size_t k_max_keyed_curves = 16;
constexpr double k_y_headroom = 1.05;
constexpr double k_x_slack = 1.001;
constexpr int k_us_per_ms = 1000;
/// An instantaneous fault is shaded this wide (seconds) so it can be seen.
constexpr double k_min_fault_band_s = 0.3;

/// Percentile curve of one histogram: rows "x latency_ms percentile" with x = 1/(1-p), 20
/// points a decade up to x = total count (beyond it the sample cannot resolve), then the max.
std::string percentile_rows(const metrics::HdrHistogram& h, double* x_max, double* y_max) {
  std::string rows;
  const double top = std::max(1.0, static_cast<double>(h.total_count()));
  for (int i = 0;; ++i) {
    const double x = std::pow(10.0, i / 20.0);
    if (x > top) break;
    const double p = 1 - 1 / x;
    const double ms = static_cast<double>(h.value_at_percentile_us(p * 100)) / k_us_per_ms;
    rows += fmt::format("{:.6g} {} {:.6g}\n", x, ms, p * 100);
  }
  const double max_ms = static_cast<double>(h.max_us()) / k_us_per_ms;
  rows += fmt::format("{:.6g} {} 100\n", top, max_ms);
  *x_max = std::max(*x_max, top);
  *y_max = std::max(*y_max, max_ms);
  return rows;
}

/// Curve styles of the percentile chart: colour by the cell's params other than profile and
/// max_overflow, dash by max_overflow, so a cell and its twin in the other profile look the
/// same in every panel.
class CurveStyles {
 public:
  explicit CurveStyles(const ReportModel& model) : m_model(model) {
    for (const auto& row : model.cells) {
      const std::string key = colour_key(row);
      if (std::find(m_keys.begin(), m_keys.end(), key) == m_keys.end()) m_keys.push_back(key);
      if (!std::isnan(row.max_overflow)) m_overflows.insert(row.max_overflow);
    }
  }
  std::string style_of(const CellRow& row) const {
    const auto c = std::find(m_keys.begin(), m_keys.end(), colour_key(row)) - m_keys.begin();
    const auto d = std::isnan(row.max_overflow)
                       ? 0
                       : std::distance(m_overflows.begin(), m_overflows.find(row.max_overflow));
    return fmt::format("lc rgb '{}' dt {}", color(static_cast<std::size_t>(c)), 1 + d);
  }

 private:
  std::string colour_key(const CellRow& row) const {
    return param_value(m_model, row, "pool_size") + " " +
           key_without(m_model, row, {"profile", "max_overflow", "pool_size"});
  }
  const ReportModel& m_model;
  std::vector<std::string> m_keys;
  std::set<double> m_overflows;
};

/// A curve's key text: "pool 2+4 read_heavy" (values only; the key is narrow).
std::string curve_label(const ReportModel& model, const CellRow& row) {
  std::string label;
  for (const auto& name : model.varying) {
    if (name == "profile" || name == "pool_size" || name == "max_overflow") continue;
    label += " " + param_value(model, row, name);
  }
  if (!std::isnan(row.pool_size)) {
    label = fmt::format(
                "pool {}{}", param_value(model, row, "pool_size"),
                std::isnan(row.max_overflow) ? "" : "+" + param_value(model, row, "max_overflow")) +
            label;
  }
  if (label.empty()) label = row.label;
  if (model.repetitions_vary) label += fmt::format(" #{}", row.repetition);
  return label;
}

metrics::HdrHistogram latency_histogram(const ReportModel& model, const CellRow& row) {
  try {
    return metrics::decode_hdr_v2_base64((*row.cell)["histograms"]["latency"].get<std::string>());
  } catch (const InputError& e) {
    throw InputError(
        fmt::format("{}: cell {}: histograms.latency: {}", model.source, row.id, e.what()));
  }
}

/// The percentile chart's data file and one list of plot clauses per panel.
struct PercentileCurves {
  std::string data = "# x=1/(1-p)  latency_ms  percentile\n";
  std::vector<std::vector<std::string>> plots;
  std::size_t blocks = 0;
  double x_max = k_min_x_max;
  double y_max = 0;
  std::size_t key_chars = 0;  ///< the longest key text
};

PercentileCurves percentile_curves(const ReportModel& model, Groups& panels) {
  PercentileCurves out;
  const CurveStyles styles(model);
  out.plots.resize(panels.names.size());
  for (std::size_t p = 0; p < panels.names.size(); ++p) {
    const auto& rows = panels.rows[panels.names[p]];
    for (const CellRow* row : rows) {
      const metrics::HdrHistogram h = latency_histogram(model, *row);
      if (h.total_count() == 0) continue;
      out.data += fmt::format("# cell: {}\n", row->label);
      out.data += percentile_rows(h, &out.x_max, &out.y_max);
      out.data += "\n\n";
      // Every panel shows the same cells, so only the last one carries the key; with more
      // curves than a key can list legibly, none does (the data file names each block).
      const bool keyed = p + 1 == panels.names.size() && rows.size() <= k_max_keyed_curves;
      if (keyed) out.key_chars = std::max(out.key_chars, curve_label(model, *row).size());
      out.plots[p].push_back(
          fmt::format("'latency_percentiles.dat' index {} using 1:2 with lines lw 2 {} {}",
                      out.blocks++, styles.style_of(*row),
                      keyed ? "title " + gnuplot_quote(curve_label(model, *row)) : "notitle"));
    }
  }
  return out;
}

std::string percentile_tics(double x_max) {
  // Tic labels are gnuplot format strings: %% is a percent sign.
  static const char* k_names[] = {"0%%",     "90%%",     "99%%",      "99.9%%",
                                  "99.99%%", "99.999%%", "99.9999%%", "99.99999%%"};
  std::vector<std::string> tics;
  for (int decade = 0; std::pow(10.0, decade) <= x_max * k_x_slack; ++decade) {
    if (decade < static_cast<int>(std::size(k_names))) {
      tics.push_back(fmt::format("'{}' {}", k_names[decade], std::pow(10.0, decade)));
    }
  }
  return fmt::format("({})", fmt::join(tics, ", "));
}

/// Where the key starts (screen fraction): right of the panels, with room for its longest
/// text (~7.5 px a character at the svg's 12 pt sans, plus the line sample) in `width_px`.
double key_left(const PercentileCurves& curves, int width_px) {
  const double key_px = 60.0 + 7.5 * static_cast<double>(curves.key_chars);
  return std::clamp(1.0 - key_px / width_px, 0.5, 0.81);
}

std::string percentiles_plot(const ReportModel& model, const Groups& panels,
                             const PercentileCurves& curves, int width_px) {
  std::string plot = k_style;
  plot += "set logscale x\n";
  plot += fmt::format("set xtics {}\nset mxtics 10\n", percentile_tics(curves.x_max));
  plot += fmt::format("set xrange [1:{}]\nset yrange [0:{}]\n", curves.x_max,
                      curves.y_max * k_y_headroom);
  plot += "set xlabel 'percentile'\nset ylabel 'latency (ms)'\n";
  // The key sits right of the panels, outside every plot area.
  const double key_at = key_left(curves, width_px);
  plot += fmt::format("set key at screen {:.3f}, graph 1 left top vertical spacing 1.1\n", key_at);
  if (!std::isnan(model.slo_p99_ms)) {
    plot += fmt::format(
        "set arrow 100 from graph 0, first {0} to graph 1, first {0} nohead lc rgb '#d62728' dt "
        "3\n",
        model.slo_p99_ms);
  }
  plot += fmt::format("set multiplot layout 1,{} margins 0.07,{:.3f},0.14,0.9 spacing 0.07\n",
                      panels.names.size(), key_at - 0.02);
  for (std::size_t p = 0; p < panels.names.size(); ++p) {
    if (curves.plots[p].empty()) continue;
    plot += fmt::format(
        "set title {}\n",
        gnuplot_quote(panels.names[p].empty() ? "all cells" : "profile " + panels.names[p]));
    plot += fmt::format("plot {}\n", fmt::join(curves.plots[p], ", \\\n     "));
  }
  return plot + "unset multiplot\n";
}

std::string timeseries_data(const nlohmann::json& series) {
  std::string data =
      "# t_s  throughput_rps  timeouts  p50_ms  p99_ms  checked_out  overflow  waiting  errors\n";
  for (const auto& r : series) {
    data += fmt::format("{} {} {} {} {} {} {} {} {}\n", num(number_at(r, "t_s")),
                        num(number_at(r, "throughput_rps")), num(number_at(r, "timeouts")),
                        num(number_at(r, "p50_ms")), num(number_at(r, "p99_ms")),
                        num(number_at(r, "checked_out")), num(number_at(r, "overflow")),
                        num(number_at(r, "waiting")), num(number_at(r, "errors")));
  }
  return data;
}

/// Injected faults: a shaded band over every panel from start to end (at least
/// k_min_fault_band_s wide for instantaneous ones), named in the top panel.
struct FaultBands {
  std::string objects;
  std::string labels;
  int count = 0;
};

FaultBands fault_bands(const CellRow& row) {
  FaultBands out;
  const auto* list = find_path(*row.cell, {"faults"});
  if (list == nullptr || !list->is_array()) return out;
  for (const auto& fault : *list) {
    const double at = number_at(fault, "at_s");
    const double end = number_at(fault, "end_s");
    if (std::isnan(at)) continue;
    ++out.count;
    const double until = std::max(std::isnan(end) ? at : end, at + k_min_fault_band_s);
    out.objects += fmt::format(
        "set object {} rect from {}, graph 0 to {}, graph 1 fc rgb '#f4b6b0' fs solid 0.35 "
        "noborder behind\n",
        out.count, num(at), num(until));
    out.labels += fmt::format(
        "set label {} {} at {}, graph 0.93 left front font ',9' tc rgb "
        "'#a01b12'\n",
        out.count, gnuplot_quote(fault.value("kind", "fault")), num(at));
  }
  return out;
}

/// Seconds in which the server counted a checkpoint (server_checkpoints > 0): a dashed line
/// over every panel, named in the latency panel, so a checkpoint sits beside its spike.
struct CheckpointMarks {
  std::string arrows;
  std::string labels;
  int count = 0;
};

/// Gnuplot ids of the marks, apart from the fault bands' and labels'.
constexpr int k_checkpoint_first_id = 200;

CheckpointMarks checkpoint_marks(const nlohmann::json& series) {
  CheckpointMarks out;
  for (const auto& row : series) {
    const double count = number_at(row, "server_checkpoints");
    const double at = number_at(row, "t_s");
    if (std::isnan(count) || count <= 0 || std::isnan(at)) continue;
    const int id = k_checkpoint_first_id + out.count++;
    out.arrows += fmt::format(
        "set arrow {} from {}, graph 0 to {}, graph 1 nohead dt 2 lw 1.5 lc rgb '#7f7f7f' back\n",
        id, num(at), num(at));
    out.labels += fmt::format(
        "set label {} {} at {}, graph 0.93 right offset -0.5,0 front font ',9' tc rgb "
        "'#555555'\n",
        id, gnuplot_quote(count > 1 ? fmt::format("{} checkpoints", num(count)) : "checkpoint"),
        num(at));
  }
  return out;
}

std::string timeseries_plot(const FaultBands& faults, const CheckpointMarks& checkpoints) {
  std::string plot = k_style;
  plot += "set key outside right top vertical\nset lmargin 10\nset rmargin 22\nset yrange [0:*]\n";
  plot += faults.objects;
  plot += checkpoints.arrows;
  plot += "set multiplot layout 3,1\nset format x ''\nunset xlabel\n";
  plot += faults.labels;
  plot += "set title 'requests per second'\nset ylabel 'per second'\n";
  plot +=
      "plot 'timeseries.dat' using 1:2 with linespoints lw 2 pt 7 ps 0.6 lc rgb '#1f77b4' title "
      "'completed', \\\n     '' using 1:3 with linespoints lw 2 pt 7 ps 0.6 lc rgb '#d62728' title "
      "'timeouts', \\\n     '' using 1:9 with linespoints lw 2 pt 5 ps 0.6 lc rgb '#8c564b' title "
      "'errors'\n";
  if (faults.count > 0) plot += "unset label\n";
  plot += checkpoints.labels;
  plot += "set title 'latency'\nset ylabel 'ms'\n";
  plot +=
      "plot 'timeseries.dat' using 1:4 with linespoints lw 2 pt 7 ps 0.6 lc rgb '#2ca02c' title "
      "'p50', \\\n     '' using 1:5 with linespoints lw 2 pt 7 ps 0.6 lc rgb '#ff7f0e' title "
      "'p99'\n";
  if (checkpoints.count > 0) plot += "unset label\n";
  plot += "set title 'pool (time-weighted means)'\nset ylabel 'connections / requests'\n";
  plot += "set format x '%g'\nset xlabel 't (s since the measurement start)'\n";
  plot +=
      "plot 'timeseries.dat' using 1:6 with linespoints lw 2 pt 7 ps 0.6 lc rgb '#1f77b4' title "
      "'checked_out', \\\n     '' using 1:7 with linespoints lw 2 pt 7 ps 0.6 lc rgb '#9467bd' "
      "title 'overflow', \\\n     '' using 1:8 with linespoints lw 2 pt 7 ps 0.6 lc rgb "
      "'#d62728' title 'waiting'\n";
  return plot + "unset multiplot\n";
}

constexpr int k_percentiles_min_px = 760;
constexpr int k_percentiles_panel_px = 480;
constexpr int k_percentiles_margin_px = 200;
constexpr int k_percentiles_height_px = 440;
constexpr int k_timeseries_width_px = 1000;
constexpr int k_timeseries_height_px = 720;

}  // namespace

Chart percentiles_chart(const ReportModel& model) {
  const std::string title = "Latency by percentile";
  Groups panels;
  for (const auto& row : model.cells) {
    const auto* hist = find_path(*row.cell, {"histograms", "latency"});
    if (hist != nullptr && hist->is_string()) panels.add(row.profile, row);
  }
  if (panels.names.empty()) return skipped("latency_percentiles", title, "no latency histograms.");
  const PercentileCurves curves = percentile_curves(model, panels);
  if (curves.blocks == 0) {
    return skipped("latency_percentiles", title, "every latency histogram is empty.");
  }
  Chart chart;
  chart.name = "latency_percentiles";
  chart.title = title;
  chart.caption =
      "One curve per cell; a curve that turns up sharply at 99% has a queueing tail. Panels "
      "share the y axis, so profiles compare side by side.";
  if (!std::isnan(model.slo_p99_ms)) chart.caption += " Red dotted: the SLO's p99.";
  chart.width_px = std::max(
      k_percentiles_min_px,
      k_percentiles_panel_px * static_cast<int>(panels.names.size()) + k_percentiles_margin_px);
  chart.height_px = k_percentiles_height_px;
  chart.data.push_back({"latency_percentiles.dat", curves.data});
  chart.plot = percentiles_plot(model, panels, curves, chart.width_px);
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
  const FaultBands faults = fault_bands(row);
  Chart chart;
  chart.name = "timeseries";
  chart.title = fmt::format("{} of {}{}", title_base, row.label,
                            options.timeseries_cell >= 0 ? "" : " (the worst cell)");
  chart.caption =
      "Look for a ramp after warmup, periodic stalls, and waiting > 0 while checked_out sits "
      "at the pool limit: that is the queue behind the timeouts.";
  if (faults.count > 0) chart.caption += " Shaded: the injected faults (see the Faults table).";
  const CheckpointMarks checkpoints = checkpoint_marks(*series);
  if (checkpoints.count > 0) {
    chart.caption +=
        " Grey dashed: a second in which a checkpoint started (server_checkpoints; PostgreSQL "
        "counts one as it begins). A spread checkpoint writes over checkpoint_completion_target "
        "of the interval and syncs at its end, so the latency it costs can come seconds later.";
  }
  chart.width_px = k_timeseries_width_px;
  chart.height_px = k_timeseries_height_px;
  chart.data.push_back({"timeseries.dat", timeseries_data(*series)});
  chart.plot = timeseries_plot(faults, checkpoints);
  return chart;
}

}  // namespace poolbench::report::chart_detail
