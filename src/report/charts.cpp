#include "report/charts.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "metrics/hdr_codec.hpp"
#include "util/error.hpp"

namespace poolbench::report {
namespace {

// Colour-blind-safe-ish categorical colours (Tableau 10), in series order.
constexpr const char* k_colors[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd",
                                    "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};

std::string color(std::size_t i) {
  return k_colors[i % std::size(k_colors)];
}

std::string num(double value) {
  return std::isnan(value) ? "NaN" : fmt::format("{}", value);
}

/// Shared look: light grid, no top/right border, readable tics. Every plot starts with it.
constexpr const char* k_style = R"(reset
set encoding utf8
set border 3 lc rgb '#555555'
set tics nomirror textcolor rgb '#333333'
set grid lc rgb '#e0e0e0' lw 1 dt 1
set key top right Left reverse noopaque samplen 2 textcolor rgb '#333333'
set style line 99 lc rgb '#888888' dt 3 lw 1.5
)";

bool varies(const ReportModel& model, const char* name) {
  return std::find(model.varying.begin(), model.varying.end(), name) != model.varying.end();
}

bool has_param(const ReportModel& model, const char* name) {
  return std::find(model.param_names.begin(), model.param_names.end(), name) !=
         model.param_names.end();
}

/// The varying params except `excluded`, as "name=value" words (group and series names).
std::string key_without(const ReportModel& model, const CellRow& row,
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

double mean_of(const std::vector<double>& values) {
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

double median_of(std::vector<double> values) {
  values.erase(std::remove_if(values.begin(), values.end(), [](double v) { return std::isnan(v); }),
               values.end());
  if (values.empty()) return k_nan;
  std::sort(values.begin(), values.end());
  const std::size_t n = values.size();
  return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

/// Rows of one series averaged per x (repetitions, or cells that share x): x -> column means.
std::map<double, std::vector<double>> by_x(const std::vector<const CellRow*>& rows,
                                           double (*x_of)(const CellRow&),
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

std::string xtics_for(const std::set<double>& values) {
  std::vector<std::string> tics;
  for (const double v : values) tics.push_back(fmt::format("'{}' {}", v, v));
  return fmt::format("set xtics ({})\n", fmt::join(tics, ", "));
}

/// True when some cell has a value for `member` (failed cells have none; gnuplot refuses a
/// plot whose every point is undefined).
bool any_measured(const ReportModel& model, double CellRow::*member) {
  return std::any_of(model.cells.begin(), model.cells.end(),
                     [&](const CellRow& row) { return !std::isnan(row.*member); });
}

Chart skipped(std::string name, std::string title, std::string why) {
  Chart chart;
  chart.name = std::move(name);
  chart.title = std::move(title);
  chart.skipped = std::move(why);
  return chart;
}

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

Chart pool_sizing_chart(const ReportModel& model) {
  const std::string title = "Timeouts and p99 checkout wait vs pool_size";
  if (!has_param(model, "pool_size") || !varies(model, "pool_size")) {
    return skipped("pool_sizing", title, "pool_size has a single value in these results.");
  }
  if (!any_measured(model, &CellRow::timeout_rate) ||
      !any_measured(model, &CellRow::checkout_wait_p99_ms)) {
    return skipped("pool_sizing", title, "no cell has a measured summary.");
  }
  Groups series;
  for (const auto& row : model.cells) series.add(key_without(model, row, {"pool_size"}), row);
  bool erlang_timeouts = false;
  bool erlang_wait = false;
  for (const auto& row : model.cells) {
    erlang_timeouts = erlang_timeouts || !std::isnan(erlang_c_timeout_rate(row));
    erlang_wait = erlang_wait || !std::isnan(erlang_c_p99_wait_ms(row));
  }
  const std::vector<Marker> markers = sizing_markers(model);
  std::string data =
      "# pool_size  timeout_%  p99_checkout_wait_ms  erlang_c_timeout_%  erlang_c_p99_wait_ms\n";
  std::set<double> sizes;
  for (const auto& name : series.names) {
    data += fmt::format("# series: {}\n", name.empty() ? "all cells" : name);
    const auto points = by_x(series.rows[name], [](const CellRow& r) { return r.pool_size; },
                             {[](const CellRow& r) { return r.timeout_rate * 100; },
                              [](const CellRow& r) { return r.checkout_wait_p99_ms; },
                              [](const CellRow& r) { return erlang_c_timeout_rate(r) * 100; },
                              [](const CellRow& r) { return erlang_c_p99_wait_ms(r); }});
    for (const auto& [x, cols] : points) {
      sizes.insert(x);
      data += fmt::format("{} {} {} {} {}\n", num(x), num(cols[0]), num(cols[1]), num(cols[2]),
                          num(cols[3]));
    }
    data += "\n\n";
  }
  std::string plot = k_style;
  plot += xtics_for(sizes);
  plot += fmt::format("set xrange [{}:{}]\n", *sizes.begin() - 0.5, *sizes.rbegin() + 0.5);
  plot += "set xlabel 'pool_size'\nset yrange [0:*]\n";
  for (std::size_t m = 0; m < markers.size(); ++m) {
    // Labels step down so that markers close together stay readable.
    plot += fmt::format(
        "set arrow from {0}, graph 0 to {0}, graph 1 nohead lc rgb '{2}' dt {3} lw 1.5\n"
        "set label {1} at {0}, graph {4} left offset 0.5,0 textcolor rgb '{2}'\n",
        markers[m].x, gnuplot_quote(markers[m].label), markers[m].erlang ? "#6a3d9a" : "#555555",
        markers[m].erlang ? 4 : 3, 0.97 - 0.07 * static_cast<double>(m));
  }
  // The key sits right of both panels, where no line or marker label can hide it.
  plot += "set key at screen 0.79, graph 1 left top vertical\n";
  plot += "set multiplot layout 1,2 margins 0.07,0.77,0.14,0.9 spacing 0.08\n";
  const auto plot_column = [&](int column, int erlang_column, bool erlang, bool with_key) {
    std::vector<std::string> parts;
    for (std::size_t i = 0; i < series.names.size(); ++i) {
      const std::string& name = series.names[i];
      parts.push_back(fmt::format(
          "'pool_sizing.dat' index {} using 1:{} with linespoints lw 2 pt 7 ps 0.8 lc rgb '{}' {}",
          i, column, color(i),
          with_key ? "title " + gnuplot_quote(name.empty() ? "measured" : name) : "notitle"));
      if (erlang) {
        parts.push_back(fmt::format(
            "'pool_sizing.dat' index {} using 1:{} with lines lw 1.5 dt 2 lc rgb '{}' {}", i,
            erlang_column, color(i), with_key && i == 0 ? "title 'Erlang C (dashed)'" : "notitle"));
      }
    }
    return fmt::format("plot {}\n", fmt::join(parts, ", \\\n     "));
  };
  plot += "set title 'timeout rate'\nset ylabel 'timeouts (% of requests)'\n";
  if (!std::isnan(model.slo_timeout_rate)) {
    plot += fmt::format(
        "set arrow 100 from graph 0, first {0} to graph 1, first {0} nohead lc rgb '#d62728' dt "
        "3\n",
        model.slo_timeout_rate * 100);
  }
  plot += plot_column(2, 4, erlang_timeouts, true);
  plot += "unset arrow 100\nunset label\nset title 'p99 checkout wait'\nset ylabel 'ms'\n";
  plot += plot_column(3, 5, erlang_wait, false);
  plot += "unset multiplot\n";

  Chart chart;
  chart.name = "pool_sizing";
  chart.title = title;
  chart.width_px = 1100;
  chart.caption =
      "Both fall as the pool grows: the first pool_size whose timeout line reaches 0 is the "
      "smallest adequate pool; the p99 wait flattens at pool_timeout while requests time out.";
  if (erlang_timeouts) {
    chart.caption += " Dashed: Erlang C's predicted timeout rate for the same cells.";
  }
  if (!markers.empty()) {
    chart.caption +=
        " Vertical lines: the connections the seeds' formula and Erlang C (the smallest c "
        "meeting the SLO's timeout rate) call for; they are pool totals, so read them on the "
        "max_overflow 0 lines.";
  }
  if (!std::isnan(model.slo_timeout_rate)) chart.caption += " Red dotted: the SLO's timeout rate.";
  chart.height_px = 420;
  chart.data.push_back({"pool_sizing.dat", data});
  chart.plot = plot;
  return chart;
}

Chart heatmap_chart(const ReportModel& model, bool timeouts) {
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
  Groups panels;
  for (const auto& row : model.cells) {
    panels.add(key_without(model, row, {"pool_size", "max_overflow"}), row);
  }
  std::set<double> xs;
  std::set<double> ys;
  for (const auto& row : model.cells) {
    if (!std::isnan(row.pool_size)) xs.insert(row.pool_size);
    if (!std::isnan(row.max_overflow)) ys.insert(row.max_overflow);
  }
  const std::vector<double> x_values(xs.begin(), xs.end());
  const std::vector<double> y_values(ys.begin(), ys.end());
  const auto position = [](const std::vector<double>& values, double v) {
    return std::find(values.begin(), values.end(), v) - values.begin();
  };
  // Averages per (panel, x, y); the colour scale is shared by all panels.
  double high = 0;
  std::string data = fmt::format("# x_index  y_index  {}  label  label_rgb\n",
                                 timeouts ? "timeout_%" : "p99_latency_ms");
  std::vector<std::map<std::pair<double, double>, double>> cells(panels.names.size());
  for (std::size_t p = 0; p < panels.names.size(); ++p) {
    std::map<std::pair<double, double>, std::vector<double>> values;
    for (const CellRow* row : panels.rows[panels.names[p]]) {
      values[{row->pool_size, row->max_overflow}].push_back(timeouts ? row->timeout_rate * 100
                                                                     : row->latency_p99_ms);
    }
    for (const auto& [xy, list] : values) {
      cells[p][xy] = mean_of(list);
      if (!std::isnan(cells[p][xy])) high = std::max(high, cells[p][xy]);
    }
  }
  if (high <= 0) high = 1;
  for (std::size_t p = 0; p < panels.names.size(); ++p) {
    data += fmt::format("# panel: {}\n", panels.names[p].empty() ? "all cells" : panels.names[p]);
    for (const auto& [xy, value] : cells[p]) {
      const std::string label = std::isnan(value) ? "—"
                                : timeouts        ? format_percent(value / 100)
                                                  : format_ms(value);
      // Dark cells get white text.
      const int rgb = value > 0.55 * high ? 0xffffff : 0x222222;
      data += fmt::format("{} {} {} \"{}\" {}\n", position(x_values, xy.first),
                          position(y_values, xy.second), num(value), label, rgb);
    }
    data += "\n\n";
  }
  std::vector<std::string> xtics;
  for (std::size_t i = 0; i < x_values.size(); ++i) {
    xtics.push_back(fmt::format("'{}' {}", x_values[i], i));
  }
  std::vector<std::string> ytics;
  for (std::size_t i = 0; i < y_values.size(); ++i) {
    ytics.push_back(fmt::format("'{}' {}", y_values[i], i));
  }
  std::string plot = k_style;
  plot += "unset grid\nunset key\nset border 0\nset tics scale 0\n";
  plot += fmt::format("set xtics ({})\nset ytics ({})\n", fmt::join(xtics, ", "),
                      fmt::join(ytics, ", "));
  plot += fmt::format("set xrange [-0.5:{}]\nset yrange [-0.5:{}]\n", x_values.size() - 0.5,
                      y_values.size() - 0.5);
  plot += "set xlabel 'pool_size'\nset ylabel 'max_overflow'\n";
  plot += fmt::format("set cbrange [0:{}]\nset cblabel {}\n", high,
                      gnuplot_quote(timeouts ? "timeouts (%)" : "p99 latency (ms)"));
  plot += timeouts
              ? "set palette defined (0 '#ffffff', 0.02 '#fee8c8', 0.5 '#fc8d59', 1 '#7f0000')\n"
              : "set palette defined (0 '#f7fbff', 0.5 '#6baed6', 1 '#08306b')\n";
  plot += fmt::format("set multiplot layout 1,{}\n", panels.names.size());
  for (std::size_t p = 0; p < panels.names.size(); ++p) {
    plot += fmt::format("set title {}\n",
                        gnuplot_quote(panels.names[p].empty() ? "all cells" : panels.names[p]));
    plot += p + 1 == panels.names.size() ? "set colorbox\n" : "unset colorbox\n";
    plot += fmt::format(
        "plot '{0}.dat' index {1} using 1:2:(0.5):(0.5):3 with boxxyerror fc palette fs solid 1.0 "
        "border lc rgb '#ffffff', \\\n"
        "     '{0}.dat' index {1} using 1:2:4:5 with labels tc rgb variable font ',10'\n",
        name, p);
  }
  plot += "unset multiplot\n";

  Chart chart;
  chart.name = name;
  chart.title = title;
  chart.caption =
      timeouts ? "White cells never timed out; the boundary to the shaded ones is the smallest "
                 "adequate pool_size + max_overflow."
               : "Darker is slower: read right for a bigger pool_size, up for more overflow, and "
                 "see where p99 stops improving.";
  chart.width_px = std::max(600, 420 * static_cast<int>(panels.names.size()) + 120);
  chart.height_px = 380;
  chart.data.push_back({name + ".dat", data});
  chart.plot = plot;
  return chart;
}

/// The USL fit of the cell's analysis group, when it has numeric parameters.
const nlohmann::json* usl_fit(const ReportModel& model, const CellRow& row) {
  const nlohmann::json* group = analysis_group(model, row);
  const nlohmann::json* usl = group != nullptr ? find_path(*group, {"usl"}) : nullptr;
  if (usl == nullptr) return nullptr;
  for (const char* key : {"lambda", "sigma", "kappa"}) {
    if (std::isnan(number_at(*usl, key))) return nullptr;
  }
  return usl;
}

double connections_of(const CellRow& row) {
  return std::isnan(row.max_overflow) ? row.pool_size : row.pool_size + row.max_overflow;
}

double in_use_of(const CellRow& row) {
  return row.mean_checked_out;
}

Chart throughput_chart(const ReportModel& model) {
  Groups series;
  for (const auto& row : model.cells) {
    series.add(key_without(model, row, {"pool_size", "max_overflow"}), row);
  }
  // With a USL fit the x axis is the fit's concurrency (mean connections checked out), so
  // points and curve share it; without one, the pool's connection limit.
  std::vector<const nlohmann::json*> fits;
  bool any_fit = false;
  for (const auto& name : series.names) {
    fits.push_back(usl_fit(model, *series.rows[name].front()));
    any_fit = any_fit || fits.back() != nullptr;
  }
  double (*x_of)(const CellRow&) = any_fit ? in_use_of : connections_of;
  const std::string x_label =
      any_fit ? "connections in use (mean checked_out)" : "connections (pool_size + max_overflow)";
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
      fmt::format("# {}  throughput_rps\n", any_fit ? "mean_checked_out" : "pool_total");
  std::vector<std::string> parts;
  std::string functions;
  std::vector<std::string> n_stars;
  std::string note;
  double x_max = *xs.rbegin();
  for (std::size_t i = 0; i < series.names.size(); ++i) {
    const std::string& name = series.names[i];
    data += fmt::format("# series: {}\n", name.empty() ? "all cells" : name);
    for (const auto& [x, cols] :
         by_x(series.rows[name], x_of, {[](const CellRow& r) { return r.throughput_rps; }})) {
      data += fmt::format("{} {}\n", num(x), num(cols[0]));
    }
    data += "\n\n";
    parts.push_back(fmt::format(
        "'throughput.dat' index {} using 1:2 with {} lw 2 pt 7 ps 0.9 lc rgb '{}' title {}", i,
        any_fit ? "points" : "linespoints", color(i),
        gnuplot_quote(name.empty() ? "measured" : name)));
    const nlohmann::json* fit = fits[i];
    if (fit == nullptr) continue;
    if (note.empty()) note = fit->value("note", "");
    functions += fmt::format("usl{}(n) = {} * n / (1 + {} * (n - 1) + {} * n * (n - 1))\n", i,
                             num(number_at(*fit, "lambda")), num(number_at(*fit, "sigma")),
                             num(number_at(*fit, "kappa")));
    parts.push_back(fmt::format("usl{}(x) with lines lw 1.5 dt 2 lc rgb '{}' title {}", i, color(i),
                                gnuplot_quote("USL fit" + (name.empty() ? "" : ": " + name))));
    const double n_star = number_at(*fit, "peak_concurrency");
    if (!std::isnan(n_star) && n_star > 0 && n_star <= 3 * *xs.rbegin()) {
      x_max = std::max(x_max, n_star);
      n_stars.push_back(
          fmt::format("set arrow from {0}, graph 0 to {0}, graph 1 nohead lc rgb '{1}' dt 3\n"
                      "set label {2} at {0}, graph {3} left offset 0.5,0 textcolor rgb '{1}'\n",
                      n_star, color(i), gnuplot_quote(fmt::format("N* = {:.1f}", n_star)),
                      0.06 + 0.06 * static_cast<double>(n_stars.size())));
    }
  }
  std::string plot = k_style;
  plot += fmt::format("set xrange [0:{}]\nset yrange [0:*]\n", x_max * 1.08);
  plot += fmt::format("set xlabel {}\nset ylabel 'completed per second'\n", gnuplot_quote(x_label));
  plot += "set key top left opaque box lc rgb '#dddddd'\nset samples 200\n";
  if (!std::isnan(model.offered_rps)) {
    plot += fmt::format(
        "set arrow from graph 0, first {0} to graph 1, first {0} nohead ls 99\n"
        "set label {1} at graph 0.01, first {0} left offset 0,0.7 textcolor rgb '#555555'\n",
        model.offered_rps, gnuplot_quote(fmt::format("offered {} rps", num(model.offered_rps))));
  }
  plot += functions;
  for (const auto& n_star : n_stars) plot += n_star;
  plot += fmt::format("plot {}\n", fmt::join(parts, ", \\\n     "));

  Chart chart;
  chart.name = "throughput";
  chart.title = title;
  chart.caption =
      "Throughput rises with connections and flattens at the offered rate (open loop) or at "
      "the server's capacity; a fall past a peak is contention.";
  if (any_fit) {
    chart.caption += " Dashed: the Universal Scalability Law fit; N* its peak concurrency.";
    if (!note.empty()) chart.caption += " Note: " + note + ".";
  }
  chart.width_px = 1000;
  chart.height_px = 420;
  chart.data.push_back({"throughput.dat", data});
  chart.plot = plot;
  return chart;
}

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
      "# t_s  throughput_rps  timeouts  p50_ms  p99_ms  checked_out  overflow  waiting\n";
  for (const auto& r : *series) {
    data += fmt::format("{} {} {} {} {} {} {} {}\n", num(number_at(r, "t_s")),
                        num(number_at(r, "throughput_rps")), num(number_at(r, "timeouts")),
                        num(number_at(r, "p50_ms")), num(number_at(r, "p99_ms")),
                        num(number_at(r, "checked_out")), num(number_at(r, "overflow")),
                        num(number_at(r, "waiting")));
  }
  std::string plot = k_style;
  plot += "set key outside right top vertical\nset lmargin 10\nset rmargin 22\nset yrange [0:*]\n";
  plot += "set multiplot layout 3,1\nset format x ''\nunset xlabel\n";
  plot += "set title 'requests per second'\nset ylabel 'per second'\n";
  plot +=
      "plot 'timeseries.dat' using 1:2 with linespoints lw 2 pt 7 ps 0.6 lc rgb '#1f77b4' title "
      "'completed', \\\n     '' using 1:3 with linespoints lw 2 pt 7 ps 0.6 lc rgb '#d62728' title "
      "'timeouts'\n";
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
  chart.width_px = 1000;
  chart.height_px = 720;
  chart.data.push_back({"timeseries.dat", data});
  chart.plot = plot;
  return chart;
}

}  // namespace

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
      charts.push_back(skipped(name, name, "no cells in these results."));
    }
    return charts;
  }
  charts.push_back(pool_sizing_chart(model));
  charts.push_back(heatmap_chart(model, false));
  charts.push_back(heatmap_chart(model, true));
  charts.push_back(throughput_chart(model));
  charts.push_back(percentiles_chart(model));
  charts.push_back(timeseries_chart(model, options));
  return charts;
}

}  // namespace poolbench::report
