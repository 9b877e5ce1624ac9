// Chart planners over the pool grid: timeouts and checkout wait vs pool_size, heat maps,
// throughput vs connections (charts.hpp lists the charts).

#include "report/chart_helpers.hpp"
#include "report/model_text.hpp"

namespace poolbench::report::chart_detail {
namespace {

/// A vertical line on the pool_size axis: a model's connection count.
struct Marker {
  double x = 0;
  std::string label;
  bool erlang = false;
};

/// The seeds' formula (median connections_needed of each analysis group) and Erlang C's
/// smallest server count (per group), merged where groups agree (to one decimal).
std::vector<Marker> sizing_markers(const ReportModel& model) {
  std::vector<std::string> groups;
  std::map<std::string, std::vector<double>> needed;
  std::map<std::string, double> erlang;
  for (const auto& row : model.cells) {
    const nlohmann::json* group = analysis_group(model, row);
    if (group == nullptr) continue;
    const std::string key = group->value("key", "");
    if (!needed.count(key)) {
      groups.push_back(key);
      erlang[key] = number_at(*group, "erlang_c_smallest_servers");
    }
    needed[key].push_back(analysis_number(row, {"seeds_formula", "connections_needed"}));
  }
  std::vector<Marker> markers;
  const bool one_group = groups.size() == 1;
  const auto group_name = [&](const std::string& key) {
    return one_group ? std::string() : " (" + key.substr(key.find('=') + 1) + ")";
  };
  // The seeds' formula: one line when the groups' medians are within half a connection.
  std::vector<double> medians;
  for (const auto& key : groups) medians.push_back(median_of(needed[key]));
  const auto [low, high] = std::minmax_element(medians.begin(), medians.end());
  if (!medians.empty() && !std::isnan(*low) && *high - *low < 0.5) {
    const double x = median_of(medians);
    markers.push_back({x, fmt::format("seeds' formula: {:.1f}", x), false});
  } else {
    for (std::size_t g = 0; g < groups.size(); ++g) {
      if (std::isnan(medians[g])) continue;
      markers.push_back({medians[g],
                         fmt::format("seeds' formula{}: {:.1f}", group_name(groups[g]), medians[g]),
                         false});
    }
  }
  // Erlang C: one line per distinct server count, naming the groups when they differ.
  std::map<double, std::vector<std::string>> by_servers;
  for (const auto& key : groups) {
    if (!std::isnan(erlang[key])) by_servers[erlang[key]].push_back(key);
  }
  for (const auto& [servers, keys] : by_servers) {
    std::string names;
    if (by_servers.size() > 1) {
      for (const auto& key : keys) names += group_name(key);
    }
    markers.push_back({servers, fmt::format("Erlang C{}: {:.0f}", names, servers), true});
  }
  return markers;
}

/// N* is drawn when it lies within this multiple of the largest measured concurrency.
constexpr double k_n_star_view = 3;
/// Room right of the last point or N*.
constexpr double k_x_margin = 1.08;
/// Marker labels start near the top of the plot and step down so close ones stay readable.
constexpr double k_label_top = 0.95;
constexpr double k_label_step = 0.06;
constexpr int k_wide_px = 1000;
constexpr int k_sizing_width_px = 1100;
constexpr double k_percent = 100;
/// Half a pool_size step of room either side of the x axis.
constexpr double k_half_step = 0.5;
constexpr double k_marker_top = 0.97;
constexpr double k_marker_step = 0.07;
/// Heat map cells darker than this share of the scale get white labels.
constexpr double k_dark_share = 0.55;
constexpr int k_light_text = 0xffffff;
constexpr int k_dark_text = 0x222222;
constexpr int k_heatmap_min_px = 600;
constexpr int k_heatmap_panel_px = 420;
constexpr int k_heatmap_margin_px = 120;
constexpr int k_heatmap_height_px = 380;
constexpr int k_chart_height_px = 420;

/// The USL fit of the cell's analysis group, when the analysis calls it good (R² >= 0.9 on
/// cells that measured capacity) and it has numeric parameters.
const nlohmann::json* usl_fit(const ReportModel& model, const CellRow& row) {
  const nlohmann::json* group = analysis_group(model, row);
  const nlohmann::json* usl = group != nullptr ? find_path(*group, {"usl"}) : nullptr;
  if (usl == nullptr) return nullptr;
  const nlohmann::json* good = find_path(*usl, {"good_fit"});
  if (good == nullptr || !good->is_boolean() || !good->get<bool>()) return nullptr;
  for (const char* key : {"lambda", "sigma", "kappa"}) {
    if (std::isnan(number_at(*usl, key))) return nullptr;
  }
  return usl;
}

/// Why the cell's group has no (good) USL fit, from the analysis; empty without one.
std::string usl_no_fit_reason(const ReportModel& model, const CellRow& row) {
  const nlohmann::json* group = analysis_group(model, row);
  const nlohmann::json* usl = group != nullptr ? find_path(*group, {"usl"}) : nullptr;
  if (usl == nullptr) return {};
  return usl->value("reason", std::string());
}

/// The USL curves and N* lines of the throughput chart, as gnuplot text.
struct UslCurves {
  std::string functions;
  std::vector<std::string> parts;
  std::vector<std::string> n_stars;
  double x_max = 0;
};

double connections_of(const CellRow& row) {
  return std::isnan(row.max_overflow) ? row.pool_size : row.pool_size + row.max_overflow;
}

double in_use_of(const CellRow& row) {
  return row.mean_checked_out;
}

}  // namespace

namespace {

/// The model's predicted timeout rate (%) and p99 wait (ms) of a cell: Erlang C for an open
/// loop, the finite-source model for a closed one; NaN when neither applies.
double model_timeout_percent(const CellRow& row) {
  return queue_model(row).predicted_timeout_rate * k_percent;
}
/// The measured p99 the models' p99 wait is drawn against: the wait for a slot (queue_wait),
/// else (older results) the checkout wait with its connect and pre-ping.
double measured_p99_wait_ms(const CellRow& row) {
  return std::isnan(row.queue_wait_p99_ms) ? row.checkout_wait_p99_ms : row.queue_wait_p99_ms;
}

double model_p99_wait_ms(const CellRow& row) {
  return queue_model(row).p99_wait_ms;
}

/// pool_sizing.dat: one block per series of cells that differ only in pool_size.
struct SizingData {
  Groups series;
  std::string data;
  std::set<double> sizes;
  bool model_timeouts = false;
  bool model_wait = false;
};

SizingData sizing_data(const ReportModel& model) {
  SizingData out;
  for (const auto& row : model.cells) {
    out.series.add(key_without(model, row, {"pool_size"}), row);
    out.model_timeouts = out.model_timeouts || !std::isnan(model_timeout_percent(row));
    out.model_wait = out.model_wait || !std::isnan(model_p99_wait_ms(row));
  }
  // p99_wait_ms: the wait for a slot (queue_wait), or the checkout wait in older results.
  out.data = "# pool_size  timeout_%  p99_wait_ms  model_timeout_%  model_p99_wait_ms\n";
  for (const auto& name : out.series.names) {
    out.data += fmt::format("# series: {}\n", name.empty() ? "all cells" : name);
    const auto points = by_x(out.series.rows[name], [](const CellRow& r) { return r.pool_size; },
                             {[](const CellRow& r) { return r.timeout_rate * k_percent; },
                              measured_p99_wait_ms, model_timeout_percent, model_p99_wait_ms});
    for (const auto& [x, cols] : points) {
      out.sizes.insert(x);
      out.data += fmt::format("{} {} {} {} {}\n", num(x), num(cols[0]), num(cols[1]), num(cols[2]),
                              num(cols[3]));
    }
    out.data += "\n\n";
  }
  return out;
}

std::string marker_commands(const std::vector<Marker>& markers) {
  std::string plot;
  for (std::size_t m = 0; m < markers.size(); ++m) {
    plot += fmt::format(
        "set arrow from {0}, graph 0 to {0}, graph 1 nohead lc rgb '{2}' dt {3} lw 1.5\n"
        "set label {1} at {0}, graph {4} left offset 0.5,0 textcolor rgb '{2}'\n",
        markers[m].x, gnuplot_quote(markers[m].label), markers[m].erlang ? "#6a3d9a" : "#555555",
        markers[m].erlang ? 4 : 3, k_marker_top - k_marker_step * static_cast<double>(m));
  }
  return plot;
}

/// The columns of pool_sizing.dat (gnuplot counts from 1; column 1 is pool_size).
constexpr int k_timeout_column = 2;
constexpr int k_wait_column = 3;
constexpr int k_model_timeout_column = 4;
constexpr int k_model_wait_column = 5;

/// One panel of the sizing chart: which columns it plots and whether it carries the key.
struct SizingPanel {
  int column = k_timeout_column;
  int model_column = k_model_timeout_column;
  bool with_model = false;  ///< the model's column exists for these cells
  bool with_key = false;    ///< the panel titles its lines (the key shows once, for both)
};

/// One panel's plot command: the measured column per series, and the model's dashed.
std::string sizing_panel(const SizingData& in, const SizingPanel& panel) {
  const auto [column, model_column, with_model, with_key] = panel;
  std::vector<std::string> parts;
  for (std::size_t i = 0; i < in.series.names.size(); ++i) {
    const std::string& name = in.series.names[i];
    parts.push_back(fmt::format(
        "'pool_sizing.dat' index {} using 1:{} with linespoints lw 2 pt 7 ps 0.8 lc rgb '{}' {}", i,
        column, color(i),
        with_key ? "title " + gnuplot_quote(name.empty() ? "measured" : name) : "notitle"));
    if (with_model) {
      parts.push_back(fmt::format(
          "'pool_sizing.dat' index {} using 1:{} with lines lw 1.5 dt 2 lc rgb '{}' {}", i,
          model_column, color(i), with_key && i == 0 ? "title 'model (dashed)'" : "notitle"));
    }
  }
  return fmt::format("plot {}\n", fmt::join(parts, ", \\\n     "));
}

std::string sizing_caption(const ReportModel& model, const SizingData& in, bool markers) {
  std::string caption =
      "Both fall as the pool grows: the first pool_size whose timeout line reaches 0 is the "
      "smallest adequate pool; the p99 wait flattens at pool_timeout while requests time out.";
  if (in.model_timeouts || in.model_wait) {
    caption +=
        " Dashed: the queueing model's predicted timeout rate and p99 wait for the same cells "
        "(Erlang C for an open loop, the finite-source model M/M/c//N for a closed one).";
  }
  if (markers) {
    caption +=
        " Vertical lines: the connections the seeds' formula and Erlang C (the smallest c "
        "meeting the SLO's timeout rate) call for; they are pool totals, so read them on the "
        "max_overflow 0 lines.";
  }
  if (!std::isnan(model.slo_timeout_rate)) caption += " Red dotted: the SLO's timeout rate.";
  return caption;
}

}  // namespace

Chart pool_sizing_chart(const ReportModel& model) {
  const std::string title = "Timeouts and p99 wait vs pool_size";
  if (!has_param(model, "pool_size") || !varies(model, "pool_size")) {
    return skipped("pool_sizing", title, "pool_size has a single value in these results.");
  }
  if (!any_measured(model, &CellRow::timeout_rate) ||
      !any_measured(model, &CellRow::checkout_wait_p99_ms)) {
    return skipped("pool_sizing", title, "no cell has a measured summary.");
  }
  const SizingData in = sizing_data(model);
  const std::vector<Marker> markers = sizing_markers(model);
  std::string plot = k_style;
  plot += xtics_for(in.sizes);
  plot += fmt::format("set xrange [{}:{}]\n", *in.sizes.begin() - k_half_step,
                      *in.sizes.rbegin() + k_half_step);
  plot += "set xlabel 'pool_size'\nset yrange [0:*]\n";
  plot += marker_commands(markers);
  // The key sits right of both panels, where no line or marker label can hide it.
  plot += "set key at screen 0.79, graph 1 left top vertical\n";
  plot += "set multiplot layout 1,2 margins 0.07,0.77,0.14,0.9 spacing 0.08\n";
  plot += "set title 'timeout rate'\nset ylabel 'timeouts (% of requests)'\n";
  if (!std::isnan(model.slo_timeout_rate)) {
    plot += fmt::format(
        "set arrow 100 from graph 0, first {0} to graph 1, first {0} nohead lc rgb '#d62728' dt "
        "3\n",
        model.slo_timeout_rate * k_percent);
  }
  plot += sizing_panel(in, {.column = k_timeout_column,
                            .model_column = k_model_timeout_column,
                            .with_model = in.model_timeouts,
                            .with_key = true});
  plot += "unset arrow 100\nunset label\nset title 'p99 wait'\nset ylabel 'ms'\n";
  plot += sizing_panel(in, {.column = k_wait_column,
                            .model_column = k_model_wait_column,
                            .with_model = in.model_wait,
                            .with_key = false});
  plot += "unset multiplot\n";

  Chart chart;
  chart.name = "pool_sizing";
  chart.title = title;
  chart.width_px = k_sizing_width_px;
  chart.caption = sizing_caption(model, in, !markers.empty());
  chart.height_px = k_chart_height_px;
  chart.data.push_back({"pool_sizing.dat", in.data});
  chart.plot = plot;
  return chart;
}

namespace {

/// The heat map's cells: per panel (the other params), the mean value per (pool_size,
/// max_overflow), and the largest value (the colour scale shared by all panels).
struct HeatmapCells {
  Groups panels;
  std::vector<double> x_values;  ///< pool_size values, ascending
  std::vector<double> y_values;  ///< max_overflow values, ascending
  std::vector<std::map<std::pair<double, double>, double>> means;  ///< per panel
  double high = 0;
};

double heatmap_value(const CellRow& row, HeatmapValue value) {
  return value == HeatmapValue::timeouts ? row.timeout_rate * k_percent : row.latency_p99_ms;
}

HeatmapCells heatmap_cells(const ReportModel& model, HeatmapValue value) {
  HeatmapCells out;
  std::set<double> xs;
  std::set<double> ys;
  for (const auto& row : model.cells) {
    out.panels.add(key_without(model, row, {"pool_size", "max_overflow"}), row);
    if (!std::isnan(row.pool_size)) xs.insert(row.pool_size);
    if (!std::isnan(row.max_overflow)) ys.insert(row.max_overflow);
  }
  out.x_values.assign(xs.begin(), xs.end());
  out.y_values.assign(ys.begin(), ys.end());
  out.means.resize(out.panels.names.size());
  for (std::size_t p = 0; p < out.panels.names.size(); ++p) {
    std::map<std::pair<double, double>, std::vector<double>> values;
    for (const CellRow* row : out.panels.rows[out.panels.names[p]]) {
      values[{row->pool_size, row->max_overflow}].push_back(heatmap_value(*row, value));
    }
    for (const auto& [xy, list] : values) {
      out.means[p][xy] = mean_of(list);
      if (!std::isnan(out.means[p][xy])) out.high = std::max(out.high, out.means[p][xy]);
    }
  }
  if (out.high <= 0) out.high = 1;
  return out;
}

std::string heatmap_data(const HeatmapCells& in, HeatmapValue value) {
  const auto position = [](const std::vector<double>& values, double v) {
    return std::find(values.begin(), values.end(), v) - values.begin();
  };
  std::string data = fmt::format("# x_index  y_index  {}  label  label_rgb\n",
                                 value == HeatmapValue::timeouts ? "timeout_%" : "p99_latency_ms");
  for (std::size_t p = 0; p < in.panels.names.size(); ++p) {
    data +=
        fmt::format("# panel: {}\n", in.panels.names[p].empty() ? "all cells" : in.panels.names[p]);
    for (const auto& [xy, mean] : in.means[p]) {
      const std::string label = std::isnan(mean)                  ? "—"
                                : value == HeatmapValue::timeouts ? format_percent(mean / k_percent)
                                                                  : format_ms(mean);
      const int rgb = mean > k_dark_share * in.high ? k_light_text : k_dark_text;
      data += fmt::format("{} {} {} \"{}\" {}\n", position(in.x_values, xy.first),
                          position(in.y_values, xy.second), num(mean), label, rgb);
    }
    data += "\n\n";
  }
  return data;
}

std::string index_tics(const std::vector<double>& values) {
  std::vector<std::string> tics;
  for (std::size_t i = 0; i < values.size(); ++i)
    tics.push_back(fmt::format("'{}' {}", values[i], i));
  return fmt::format("({})", fmt::join(tics, ", "));
}

std::string heatmap_plot(const HeatmapCells& in, HeatmapValue value, const std::string& name) {
  const bool timeouts = value == HeatmapValue::timeouts;
  std::string plot = k_style;
  plot += "unset grid\nunset key\nset border 0\nset tics scale 0\n";
  plot +=
      fmt::format("set xtics {}\nset ytics {}\n", index_tics(in.x_values), index_tics(in.y_values));
  plot += fmt::format("set xrange [-0.5:{}]\nset yrange [-0.5:{}]\n", in.x_values.size() - 0.5,
                      in.y_values.size() - 0.5);
  plot += "set xlabel 'pool_size'\nset ylabel 'max_overflow'\n";
  plot += fmt::format("set cbrange [0:{}]\nset cblabel {}\n", in.high,
                      gnuplot_quote(timeouts ? "timeouts (%)" : "p99 latency (ms)"));
  plot += timeouts
              ? "set palette defined (0 '#ffffff', 0.02 '#fee8c8', 0.5 '#fc8d59', 1 '#7f0000')\n"
              : "set palette defined (0 '#f7fbff', 0.5 '#6baed6', 1 '#08306b')\n";
  plot += fmt::format("set multiplot layout 1,{}\n", in.panels.names.size());
  for (std::size_t p = 0; p < in.panels.names.size(); ++p) {
    plot +=
        fmt::format("set title {}\n",
                    gnuplot_quote(in.panels.names[p].empty() ? "all cells" : in.panels.names[p]));
    plot += p + 1 == in.panels.names.size() ? "set colorbox\n" : "unset colorbox\n";
    plot += fmt::format(
        "plot '{0}.dat' index {1} using 1:2:(0.5):(0.5):3 with boxxyerror fc palette fs solid 1.0 "
        "border lc rgb '#ffffff', \\\n"
        "     '{0}.dat' index {1} using 1:2:4:5 with labels tc rgb variable font ',10'\n",
        name, p);
  }
  return plot + "unset multiplot\n";
}

}  // namespace

Chart heatmap_chart(const ReportModel& model, HeatmapValue value) {
  const bool timeouts = value == HeatmapValue::timeouts;
  const std::string name = timeouts ? "heatmap_timeouts" : "heatmap_p99";
  const std::string title = timeouts ? "Timeout rate over pool_size × max_overflow"
                                     : "p99 latency over pool_size × max_overflow";
  if (!has_param(model, "pool_size") || !has_param(model, "max_overflow") ||
      !varies(model, "pool_size") || !varies(model, "max_overflow")) {
    return skipped(name, title,
                   "needs both a pool_size and a max_overflow axis with two values or more.");
  }
  if (!any_measured(model, timeouts ? &CellRow::timeout_rate : &CellRow::latency_p99_ms)) {
    return skipped(name, title, "no cell has a measured summary.");
  }
  const HeatmapCells cells = heatmap_cells(model, value);
  Chart chart;
  chart.name = name;
  chart.title = title;
  chart.caption =
      timeouts ? "White cells never timed out; the boundary to the shaded ones is the smallest "
                 "adequate pool_size + max_overflow."
               : "Darker is slower: read right for a bigger pool_size, up for more overflow, and "
                 "see where p99 stops improving.";
  chart.width_px =
      std::max(k_heatmap_min_px, k_heatmap_panel_px * static_cast<int>(cells.panels.names.size()) +
                                     k_heatmap_margin_px);
  chart.height_px = k_heatmap_height_px;
  chart.data.push_back({name + ".dat", heatmap_data(cells, value)});
  chart.plot = heatmap_plot(cells, value, name);
  return chart;
}

namespace {

/// The throughput chart's series: the cells that differ only in pool settings, each with
/// its group's USL fit when that fit is good (nullptr otherwise).
struct ThroughputSeries {
  Groups series;
  std::vector<const nlohmann::json*> fits;
  bool any_fit = false;
  /// Why a series has no curve ("ssd: 3 distinct concurrencies ..."), one per reason.
  std::vector<std::string> no_fit;
};

ThroughputSeries throughput_series(const ReportModel& model) {
  ThroughputSeries out;
  for (const auto& row : model.cells) {
    out.series.add(key_without(model, row, {"pool_size", "max_overflow"}), row);
  }
  for (const auto& name : out.series.names) {
    const CellRow& first = *out.series.rows[name].front();
    out.fits.push_back(usl_fit(model, first));
    out.any_fit = out.any_fit || out.fits.back() != nullptr;
    if (out.fits.back() != nullptr) continue;
    const std::string reason = usl_no_fit_reason(model, first);
    if (reason.empty()) continue;
    const std::string line = name.empty() ? reason : name + ": " + reason;
    if (std::find(out.no_fit.begin(), out.no_fit.end(), line) == out.no_fit.end()) {
      out.no_fit.push_back(line);
    }
  }
  return out;
}

/// The USL curve of series i and, when it is in view, its N* line.
void add_usl_curve(const nlohmann::json& fit, std::size_t i, const std::string& name,
                   double x_measured_max, UslCurves& curves) {
  curves.functions += fmt::format("usl{}(n) = {} * n / (1 + {} * (n - 1) + {} * n * (n - 1))\n", i,
                                  num(number_at(fit, "lambda")), num(number_at(fit, "sigma")),
                                  num(number_at(fit, "kappa")));
  curves.parts.push_back(fmt::format(
      "usl{}(x) with lines lw 1.5 dt 2 lc rgb '{}' title {}", i, color(i),
      gnuplot_quote(fmt::format("USL fit{} (R² {:.2f})", name.empty() ? "" : ": " + name,
                                number_at(fit, "r_squared")))));
  const double n_star = number_at(fit, "peak_concurrency");
  if (std::isnan(n_star) || n_star <= 0 || n_star > k_n_star_view * x_measured_max) return;
  curves.x_max = std::max(curves.x_max, n_star);
  curves.n_stars.push_back(
      fmt::format("set arrow from {0}, graph 0 to {0}, graph 1 nohead lc rgb '{1}' dt 3\n"
                  "set label {2} at {0}, graph {3} left offset 0.5,0 textcolor rgb '{1}'\n",
                  n_star, color(i), gnuplot_quote(fmt::format("N* = {:.1f}", n_star)),
                  k_label_top - k_label_step * static_cast<double>(curves.n_stars.size())));
}

std::string throughput_plot(const ReportModel& model, const std::string& x_label,
                            const UslCurves& curves) {
  std::string plot = k_style;
  plot += fmt::format("set xrange [0:{}]\nset yrange [0:*]\n", curves.x_max * k_x_margin);
  plot += fmt::format("set xlabel {}\nset ylabel 'completed per second'\n", gnuplot_quote(x_label));
  plot += "set key bottom right opaque box lc rgb '#dddddd'\nset samples 200\n";
  if (!std::isnan(model.offered_rps)) {
    plot += fmt::format(
        "set arrow from graph 0, first {0} to graph 1, first {0} nohead ls 99\n"
        "set label {1} at graph 0.99, first {0} right offset 0,0.7 textcolor rgb '#555555'\n",
        model.offered_rps, gnuplot_quote(fmt::format("offered {} rps", num(model.offered_rps))));
  }
  plot += curves.functions;
  for (const auto& n_star : curves.n_stars) plot += n_star;
  plot += fmt::format("plot {}\n", fmt::join(curves.parts, ", \\\n     "));
  return plot;
}

std::string throughput_caption(const ThroughputSeries& in) {
  std::string caption =
      "Throughput rises with connections and flattens at the offered rate (open loop) or at "
      "the server's capacity; a fall past a peak is contention.";
  if (in.any_fit) {
    caption +=
        " Dashed: the Universal Scalability Law fitted to the cells that measured capacity "
        "(R² >= 0.9); N* its peak concurrency.";
  }
  if (!in.no_fit.empty()) {
    caption += fmt::format(" No USL fit for {}.", fmt::join(in.no_fit, "; "));
  }
  return caption;
}

}  // namespace

Chart throughput_chart(const ReportModel& model) {
  ThroughputSeries in = throughput_series(model);
  // With a USL fit the x axis is the fit's concurrency (mean connections checked out), so
  // points and curve share it; without one, the pool's connection limit.
  double (*x_of)(const CellRow&) = in.any_fit ? in_use_of : connections_of;
  const std::string x_label = in.any_fit ? "connections in use (mean checked_out)"
                                         : "connections (pool_size + max_overflow)";
  const std::string title = "Throughput vs " + x_label;
  std::set<double> xs;
  for (const auto& row : model.cells) {
    if (!std::isnan(x_of(row))) xs.insert(x_of(row));
  }
  if (xs.size() < 2) {
    return skipped("throughput", title, x_label + " has a single value in these results.");
  }
  if (!any_measured(model, &CellRow::throughput_rps)) {
    return skipped("throughput", title, "no cell has a measured summary.");
  }
  std::string data =
      fmt::format("# {}  throughput_rps\n", in.any_fit ? "mean_checked_out" : "pool_total");
  UslCurves curves;
  curves.x_max = *xs.rbegin();
  for (std::size_t i = 0; i < in.series.names.size(); ++i) {
    const std::string& name = in.series.names[i];
    data += fmt::format("# series: {}\n", name.empty() ? "all cells" : name);
    for (const auto& [x, cols] :
         by_x(in.series.rows[name], x_of, {[](const CellRow& r) { return r.throughput_rps; }})) {
      data += fmt::format("{} {}\n", num(x), num(cols[0]));
    }
    data += "\n\n";
    curves.parts.push_back(fmt::format(
        "'throughput.dat' index {} using 1:2 with {} lw 2 pt 7 ps 0.9 lc rgb '{}' title {}", i,
        in.any_fit ? "points" : "linespoints", color(i),
        gnuplot_quote(name.empty() ? "measured" : name)));
    if (in.fits[i] != nullptr) add_usl_curve(*in.fits[i], i, name, *xs.rbegin(), curves);
  }
  Chart chart;
  chart.name = "throughput";
  chart.title = title;
  chart.caption = throughput_caption(in);
  chart.width_px = k_wide_px;
  chart.height_px = k_chart_height_px;
  chart.data.push_back({"throughput.dat", data});
  chart.plot = throughput_plot(model, x_label, curves);
  return chart;
}

}  // namespace poolbench::report::chart_detail
