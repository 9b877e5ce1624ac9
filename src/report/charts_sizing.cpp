// Chart planners over the pool grid: timeouts and checkout wait vs pool_size, heat maps,
// throughput vs connections (charts.hpp lists the charts).

#include "report/chart_helpers.hpp"

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

}  // namespace

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
                      0.95 - 0.06 * static_cast<double>(n_stars.size())));
    }
  }
  std::string plot = k_style;
  plot += fmt::format("set xrange [0:{}]\nset yrange [0:*]\n", x_max * 1.08);
  plot += fmt::format("set xlabel {}\nset ylabel 'completed per second'\n", gnuplot_quote(x_label));
  plot += "set key bottom right opaque box lc rgb '#dddddd'\nset samples 200\n";
  if (!std::isnan(model.offered_rps)) {
    plot += fmt::format(
        "set arrow from graph 0, first {0} to graph 1, first {0} nohead ls 99\n"
        "set label {1} at graph 0.99, first {0} right offset 0,0.7 textcolor rgb '#555555'\n",
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

}  // namespace poolbench::report::chart_detail
