// The report's Server table: per cell, what the server counted over the measurement window
// (cells[].server_stats, docs/results.md) next to the client's view.

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "cluster/budget.hpp"
#include "report/report_model.hpp"

namespace poolbench::report {

namespace {

using nlohmann::json;

/// server_lag_note() speaks from this bound (in percent of the shortest window) on.
constexpr double k_lag_note_from_percent = 2.0;

/// The number at `path` inside `object`, else NaN.
double at(const json& object, std::initializer_list<const char*> path) {
  const json* value = find_path(object, path);
  return value != nullptr && value->is_number() ? value->get<double>() : std::nan("");
}

std::string bytes_text(double bytes) {
  return std::isnan(bytes) ? format_number(bytes) : cluster::format_bytes(bytes);
}

/// "2 (1 requested)": every checkpoint in the window, and how many were requested (WAL
/// volume reaching max_wal_size, or an explicit CHECKPOINT) rather than timed.
std::string checkpoints_text(const json& cell) {
  const double total = at(cell, {"summary", "checkpoints"});
  const double requested = at(cell, {"server_stats", "bgwriter", "checkpoints_req"});
  if (std::isnan(total) || std::isnan(requested)) return format_number(total);
  return fmt::format("{} ({} requested)", format_number(total), format_number(requested));
}

/// The three most sampled wait events ("Lock:transactionid 12"), "none" when the samples
/// saw no backend waiting.
std::string waits_text(const json& cell) {
  const json* events = find_path(cell, {"server_stats", "wait_events", "events"});
  if (events == nullptr || !events->is_array()) return format_number(std::nan(""));
  std::vector<std::pair<double, std::string>> counted;
  for (const auto& event : *events) {
    if (!event.is_object()) continue;
    counted.emplace_back(at(event, {"count"}),
                         fmt::format("{}:{}", event.value("wait_event_type", std::string("?")),
                                     event.value("wait_event", std::string("?"))));
  }
  std::stable_sort(counted.begin(), counted.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });
  std::vector<std::string> parts;
  for (std::size_t i = 0; i < counted.size() && i < 3; ++i) {
    parts.push_back(fmt::format("{} {}", counted[i].second, format_number(counted[i].first)));
  }
  return parts.empty() ? std::string("none") : fmt::format("{}", fmt::join(parts, ", "));
}

/// One metric's value as the Server table shows it.
std::string metric_text(const std::string& metric, double value) {
  if (metric == "cache_hit_ratio") return fmt::format("{:.2f}%", 100 * value);
  if (metric == "wal_bytes_per_transaction" || metric == "temp_bytes_per_request")
    return bytes_text(value);
  if (metric == "server_cpu_ms_per_request") return format_ms(value) + " ms";
  return format_number(std::round(value * 100) / 100);  // blocks, checkpoints
}

}  // namespace

std::vector<std::string> server_difference_lines(const ReportModel& model) {
  std::vector<std::string> lines;
  const json* found =
      model.analysis == nullptr ? nullptr : find_path(*model.analysis, {"server_differences"});
  if (found == nullptr || !found->is_array()) return lines;
  for (const auto& item : *found) {
    const auto profiles = item.value("profiles", json::array());
    const auto means = item.value("means", json::array());
    const auto cells = item.value("cells", json::array());
    if (profiles.size() != 2 || means.size() != 2 || cells.size() != 2) continue;
    const std::string metric = item.value("metric", std::string("?"));
    const std::string group = item.value("group", std::string());
    const json ratio = item.value("ratio", json());
    lines.push_back(fmt::format(
        "{}: {} {} vs {} {} ({}; {}{} and {} cells)", metric, profiles[0].get<std::string>(),
        metric_text(metric, means[0].get<double>()), profiles[1].get<std::string>(),
        metric_text(metric, means[1].get<double>()),
        ratio.is_number() ? fmt::format("{:.2f}x", ratio.get<double>())
                          : fmt::format("none in {}", profiles[1].get<std::string>()),
        group.empty() ? std::string() : group + "; ", cells[0].dump(), cells[1].dump()));
  }
  return lines;
}

/// One line per statement whose plan differs between profiles (analysis.plan_changes):
/// each profile's plan shape and the p50 latency of its cells that ran the statement; a
/// plan that changed within a profile's own cells is said to be the data's doing.
std::vector<std::string> plan_change_lines(const ReportModel& model) {
  std::vector<std::string> lines;
  const nlohmann::json* changes =
      model.analysis == nullptr ? nullptr : find_path(*model.analysis, {"plan_changes"});
  if (changes == nullptr || !changes->is_array()) return lines;
  for (const auto& change : *changes) {
    const auto& profiles = change.value("profiles", nlohmann::json::array());
    const auto& shapes = change.value("shapes", nlohmann::json::array());
    const auto& p50s = change.value("latency_p50_ms", nlohmann::json::array());
    std::vector<std::string> parts;
    for (std::size_t i = 0; i < profiles.size() && i < shapes.size(); ++i) {
      const bool timed = i < p50s.size() && p50s[i].is_number();
      parts.push_back(
          fmt::format("{}: {}{}", profiles[i].get<std::string>(), shapes[i].get<std::string>(),
                      timed ? fmt::format(" (p50 {} ms)", format_ms(p50s[i].get<double>())) : ""));
    }
    std::vector<std::string> within;
    for (const auto& profile : change.value("varies_within", nlohmann::json::array())) {
      if (profile.is_string()) within.push_back(profile.get<std::string>());
    }
    const std::string caveat =
        within.empty() ? std::string()
                       : fmt::format(
                             " The plan also changed between cells of the same profile ({}): "
                             "the data or its statistics changed as the cells ran, so the "
                             "difference is not only the profiles' doing",
                             fmt::join(within, ", "));
    lines.push_back(fmt::format("Plan {}: {} -- {}.{}", within.empty() ? "change" : "varies",
                                change.value("statement", std::string("a statement")),
                                fmt::join(parts, "; "), caveat.empty() ? "" : caveat + "."));
  }
  return lines;
}

std::string server_lag_note(const ReportModel& model) {
  double shortest = std::nan("");
  for (const auto& row : model.cells) {
    const json& cell = *row.cell;
    if (!cell.contains("server_stats") || !cell["server_stats"].is_object()) continue;
    const double window = at(cell, {"summary", "duration_s"});
    if (!std::isnan(window) && window > 0 && !(window >= shortest)) shortest = window;
  }
  // A backend reports these counters at most once a second: up to a second of the warmup's
  // work is counted with the window's.
  if (std::isnan(shortest) || 100.0 / shortest < k_lag_note_from_percent) return {};
  return fmt::format(
      "The WAL and temp figures (pg_stat_wal, pg_stat_database) also count up to about a second "
      "of the warmup's work, which the server reports late: with this run's shortest window "
      "({} s) they may read up to {:.0f}% high. Profiles compared with the same window are "
      "alike; the CPU figures and the statements' do not lag.",
      format_number(shortest), 100.0 / shortest);
}

std::vector<ServerRow> server_rows(const ReportModel& model) {
  std::vector<ServerRow> out;
  for (const auto& row : model.cells) {
    const json& cell = *row.cell;
    if (!cell.contains("server_stats") || !cell["server_stats"].is_object()) continue;
    ServerRow item;
    item.cell = row.label;
    // Two decimals: the seeds' rule is about 99% (format_percent would print 99.87% as 100%).
    const double hit = at(cell, {"summary", "cache_hit_ratio"});
    item.cache_hit = std::isnan(hit) ? format_number(hit) : fmt::format("{:.2f}%", 100 * hit);
    item.wal = bytes_text(at(cell, {"summary", "wal_bytes_per_transaction"}));
    item.checkpoints = checkpoints_text(cell);
    item.temp = bytes_text(at(cell, {"summary", "temp_bytes_per_request"}));
    item.server_cpu = format_ms(at(cell, {"summary", "server_cpu_ms_per_request"}));
    item.client_cpu = format_ms(at(cell, {"summary", "client_cpu_ms_per_request"}));
    item.waits = waits_text(cell);
    out.push_back(std::move(item));
  }
  return out;
}

}  // namespace poolbench::report
