#include "capture/log_capture.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <ostream>

#include <fmt/format.h>
#include <fmt/ostream.h>
#include <nlohmann/json.hpp>

#include "scenario/trace_format.hpp"
#include "util/atomic_file.hpp"
#include "util/error.hpp"
#include "util/gzip.hpp"

namespace poolbench::capture {
namespace {

/// Keeps the sessions the filters select; counts the others.
void filter_sessions(std::vector<Session>& sessions, const LogCaptureOptions& options,
                     SkipCounts& skipped) {
  if (options.database.empty() && options.user.empty()) return;
  for (auto& session : sessions) {
    if (session.statements.empty()) continue;
    std::string reason;
    if (!session.authorized && session.user.empty()) {
      reason =
          "sessions of unknown user and database (no 'connection authorized' line: "
          "log_connections off, or it began before the log)";
    } else if (!options.database.empty() && session.database != options.database) {
      reason = "sessions of other databases (--database)";
    } else if (!options.user.empty() && session.user != options.user) {
      reason = "sessions of other users (--user)";
    }
    if (!reason.empty()) {
      ++skipped[reason];
      session.statements.clear();
    }
  }
}

void redact_request(Request& request, const LogCaptureOptions& options) {
  for (auto& statement : request.statements) {
    for (std::size_t i = 0; i < statement.params.size(); ++i) {
      auto& param = statement.params[i];
      if (!param) continue;
      std::optional<std::string> drawn;
      if (options.values) drawn = options.values(statement.text, i);
      param = drawn ? *drawn : placeholder_for(*param);
    }
    statement.text = redact_sql_literals(statement.text);
  }
}

double percentile_ms(std::vector<std::int64_t>& sorted_us, double p) {
  if (sorted_us.empty()) return 0;
  const auto index =
      static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(sorted_us.size())) - 1);
  return static_cast<double>(sorted_us[std::min(index, sorted_us.size() - 1)]) / 1000.0;
}

/// The most connections held at once: the suggested pool size.
std::int64_t peak_concurrency(const std::vector<Request>& requests) {
  std::vector<std::pair<std::int64_t, int>> events;
  for (const auto& r : requests) {
    events.emplace_back(r.start_us, 1);
    events.emplace_back(r.end_us, -1);
  }
  std::sort(events.begin(), events.end());  // an end before a start at the same time
  std::int64_t now = 0;
  std::int64_t peak = 0;
  for (const auto& [at, delta] : events) peak = std::max(peak, now += delta);
  return peak;
}

struct TraceStats {
  std::vector<std::string> texts;  ///< statement dictionary, first-seen order
  std::vector<bool> simple;        ///< per text: first seen through the simple protocol
  std::vector<std::int64_t> counts;
  std::vector<std::int64_t> holds_us;
};

void write_trace(const std::filesystem::path& path, const std::vector<Request>& requests,
                 const LogCaptureOptions& options, std::int64_t sessions, TraceStats& stats) {
  std::map<std::string, std::size_t> index;
  std::vector<std::string> lines;
  lines.reserve(requests.size());
  const std::int64_t origin_us = requests.front().start_us;
  for (const auto& request : requests) {
    nlohmann::json statements = nlohmann::json::array();
    std::int64_t previous_end_us = request.start_us;
    for (const auto& statement : request.statements) {
      const auto [it, added] = index.try_emplace(statement.text, stats.texts.size());
      if (added) {
        stats.texts.push_back(statement.text);
        stats.simple.push_back(!statement.extended);
        stats.counts.push_back(0);
      }
      ++stats.counts[it->second];
      nlohmann::json params = nlohmann::json::array();
      for (const auto& param : statement.params)
        params.push_back(param ? nlohmann::json(*param) : nullptr);
      statements.push_back(
          {{"q", it->second},
           {"gap_us", std::max<std::int64_t>(0, statement.start_us - previous_end_us)},
           {"duration_us", statement.end_us - statement.start_us},
           {"params", std::move(params)}});
      previous_end_us = std::max(previous_end_us, statement.end_us);
    }
    stats.holds_us.push_back(request.end_us - request.start_us);
    lines.push_back(nlohmann::json{{"at_us", request.start_us - origin_us},
                                   {"session", request.session},
                                   {"hold_us", request.end_us - request.start_us},
                                   {"statements", std::move(statements)}}
                        .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  }
  nlohmann::json dictionary = nlohmann::json::array();
  for (std::size_t i = 0; i < stats.texts.size(); ++i) {
    dictionary.push_back(
        {{"sql", stats.texts[i]}, {"protocol", stats.simple[i] ? "simple" : "extended"}});
  }
  const nlohmann::json header = {
      {"format", scenario::k_trace_format},
      {"version", scenario::k_trace_version},
      {"source", "log"},
      {"requests", requests.size()},
      {"sessions", sessions},
      {"span_s", static_cast<double>(requests.back().start_us - origin_us) / 1e6},
      {"redacted", options.redact},
      {"statements", std::move(dictionary)}};
  util::GzWriter writer(path);
  writer.write_line(header.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  for (const auto& line : lines) writer.write_line(line);
  writer.finish();
}

std::string replay_scenario(const LogCaptureSummary& summary, std::int64_t peak,
                            const LogCaptureOptions& options) {
  return fmt::format(
      "# Written by poolbench capture --log from {} log file(s): {} requests of {} sessions\n"
      "# over {:.1f} s ({:.1f} requests/s){}. It replays trace.jsonl.gz, the captured\n"
      "# requests with their arrival times, statements, parameters and in-request gaps\n"
      "# (docs/capture.md). pool_size is the most connections the capture saw held at once.\n"
      "name: captured\n"
      "description: requests captured from PostgreSQL logs\n"
      "workload:\n"
      "  mode: replay\n"
      "  duration: {}s\n"
      "  warmup: 0s\n"
      "replay: {{trace: trace.jsonl.gz, speed: 1.0, loop: false}}\n"
      "pool: {{pool_size: {}, max_overflow: 0}}\n",
      options.files.size(), summary.requests, summary.sessions, summary.span_s,
      summary.span_s > 0 ? static_cast<double>(summary.requests) / summary.span_s : 0.0,
      options.redact ? ", literals redacted" : "",
      static_cast<std::int64_t>(std::floor(summary.span_s)) + 1, std::max<std::int64_t>(1, peak));
}

void print_summary(std::ostream& out, const LogCaptureSummary& summary, TraceStats& stats) {
  fmt::print(out, "sessions    {}\nrequests    {}\nspan        {:.3f} s\nrequests/s  {:.2f}\n",
             summary.sessions, summary.requests, summary.span_s,
             summary.span_s > 0 ? static_cast<double>(summary.requests) / summary.span_s : 0.0);
  std::sort(stats.holds_us.begin(), stats.holds_us.end());
  fmt::print(out, "hold_ms     p50 {:.3f}  p90 {:.3f}  p99 {:.3f}  max {:.3f}\n",
             percentile_ms(stats.holds_us, 50), percentile_ms(stats.holds_us, 90),
             percentile_ms(stats.holds_us, 99), percentile_ms(stats.holds_us, 100));
  std::vector<std::size_t> order(stats.texts.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return stats.counts[a] > stats.counts[b]; });
  std::int64_t total = 0;
  for (const auto count : stats.counts) total += count;
  fmt::print(out, "statement mix ({} statements, {} distinct):\n", total, stats.texts.size());
  for (std::size_t rank = 0; rank < order.size() && rank < 20; ++rank) {
    std::string text = stats.texts[order[rank]];
    std::replace(text.begin(), text.end(), '\n', ' ');
    if (text.size() > 70) text = text.substr(0, 67) + "...";
    fmt::print(out, "  {:>8} {:6.2f}%  {}\n", stats.counts[order[rank]],
               100.0 * static_cast<double>(stats.counts[order[rank]]) / static_cast<double>(total),
               text);
  }
  if (order.size() > 20) fmt::print(out, "  ... {} more distinct statements\n", order.size() - 20);
  fmt::print(out, "skipped:{}\n", summary.skipped.empty() ? " nothing" : "");
  for (const auto& [reason, count] : summary.skipped)
    fmt::print(out, "  {:>8}  {}\n", count, reason);
}

}  // namespace

LogCaptureSummary capture_from_logs(const LogCaptureOptions& options, std::ostream& out) {
  SessionBuilder builder;
  for (const auto& file : options.files) {
    read_log(file, [&](LogRecord&& record) { builder.add(std::move(record)); });
  }
  LogCaptureSummary summary;
  summary.skipped = builder.skipped();
  std::vector<Session> sessions = builder.take_sessions();
  filter_sessions(sessions, options, summary.skipped);
  for (const auto& session : sessions) summary.sessions += session.statements.empty() ? 0 : 1;
  std::vector<Request> requests = cut_requests(sessions, options.request_gap);
  if (requests.empty()) {
    throw InputError(fmt::format(
        "{}: no statements with durations found{} (set log_min_duration_statement = 0, or "
        "log_statement = all with log_duration = on; see poolbench capture --help)",
        options.files.front().string(),
        options.database.empty() && options.user.empty() ? "" : " for --database/--user"));
  }
  if (options.redact) {
    for (auto& request : requests) redact_request(request, options);
  }
  summary.requests = static_cast<std::int64_t>(requests.size());
  summary.span_s = static_cast<double>(requests.back().end_us - requests.front().start_us) / 1e6;
  std::filesystem::create_directories(options.out);
  TraceStats stats;
  write_trace(options.out / "trace.jsonl.gz", requests, options, summary.sessions, stats);
  util::write_file_atomically(options.out / "scenario.yaml",
                              replay_scenario(summary, peak_concurrency(requests), options));
  print_summary(out, summary, stats);
  fmt::print(out, "trace:      {}\nscenario:   {}\n", (options.out / "trace.jsonl.gz").string(),
             (options.out / "scenario.yaml").string());
  return summary;
}

}  // namespace poolbench::capture
