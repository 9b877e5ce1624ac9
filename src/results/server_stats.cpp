#include "results/server_stats.hpp"

#include <algorithm>

namespace poolbench::results {
namespace {

constexpr double k_ms_per_s = 1000;

nlohmann::json counters_json(const Counters& counters) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [name, value] : counters) out[name] = value;
  return out;
}

/// The reading as JSON, or null with its reason recorded in `missing` under `path`.
nlohmann::json reading_json(const CounterReading& reading, const std::string& path,
                            nlohmann::json& missing) {
  if (reading.values) return counters_json(*reading.values);
  missing[path] = reading.reason;
  return nullptr;
}

/// The statements' deltas, or nullopt with the reason when either end was not read.
std::optional<std::vector<StatementReading>> deltas_of(const ServerSnapshot& start,
                                                       const ServerSnapshot& end,
                                                       std::string& reason) {
  if (!start.statements || !end.statements) {
    reason = !start.statements ? start.statements_reason : end.statements_reason;
    return std::nullopt;
  }
  return statement_deltas(*start.statements, *end.statements);
}

nlohmann::json statements_json(const std::vector<StatementReading>& deltas) {
  nlohmann::json out = nlohmann::json::array();
  for (std::size_t i = 0; i < deltas.size() && i < k_max_listed_statements; ++i) {
    nlohmann::json item = counters_json(deltas[i].values);
    item["query"] = deltas[i].query;
    out.push_back(std::move(item));
  }
  return out;
}

nlohmann::json waits_json(const WaitEventCounts& waits) {
  std::vector<std::pair<std::pair<std::string, std::string>, std::int64_t>> sorted(
      waits.counts.begin(), waits.counts.end());
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  nlohmann::json events = nlohmann::json::array();
  for (const auto& [event, count] : sorted) {
    events.push_back(
        {{"wait_event_type", event.first}, {"wait_event", event.second}, {"count", count}});
  }
  return {{"samples", waits.samples}, {"events", std::move(events)}};
}

nlohmann::json optional_json(const std::optional<double>& value, const std::string& path,
                             const std::string& reason, nlohmann::json& missing) {
  if (value) return *value;
  missing[path] = reason;
  return nullptr;
}

nlohmann::json os_json(const OsWindow& os, nlohmann::json& missing) {
  nlohmann::json disk = nullptr;
  if (os.disk) {
    disk = counters_json(*os.disk);
    disk["device"] = os.disk_device;
  } else {
    missing["os.disk"] = os.disk_reason;
  }
  return {
      {"server_cpu_s",
       optional_json(os.server_cpu_s, "os.server_cpu_s", os.server_cpu_reason, missing)},
      {"poolbench_cpu_s",
       optional_json(os.poolbench_cpu_s, "os.poolbench_cpu_s", os.poolbench_cpu_reason, missing)},
      {"disk", std::move(disk)},
      {"peak_server_rss_bytes", optional_json(os.peak_server_rss_bytes, "os.peak_server_rss_bytes",
                                              os.peak_server_rss_reason, missing)},
  };
}

/// `object`.`key` as a number, or nullopt when either is null or absent.
std::optional<double> number_at(const nlohmann::json& object, const char* key) {
  if (!object.is_object() || !object.contains(key) || !object[key].is_number()) return std::nullopt;
  return object[key].get<double>();
}

nlohmann::json per(const std::optional<double>& value, double divisor, double scale = 1) {
  if (!value || divisor <= 0) return nullptr;
  return *value * scale / divisor;
}

}  // namespace

CounterReading counter_delta(const CounterReading& start, const CounterReading& end) {
  if (!start.values) return {std::nullopt, start.reason};
  if (!end.values) return {std::nullopt, end.reason};
  Counters delta;
  for (const auto& [name, value] : *end.values) {
    const auto it = start.values->find(name);
    const double before = it == start.values->end() ? 0.0 : it->second;
    if (value < before) {
      return {std::nullopt,
              "the server's statistics were reset inside the measurement window ("
              "a restart or pg_stat_reset): " +
                  name + " went down"};
    }
    delta[name] = value - before;
  }
  return {std::move(delta), {}};
}

std::vector<StatementReading> statement_deltas(const std::map<std::string, StatementReading>& start,
                                               const std::map<std::string, StatementReading>& end) {
  std::vector<StatementReading> out;
  for (const auto& [id, reading] : end) {
    const auto it = start.find(id);
    const CounterReading before{it == start.end() ? Counters{} : it->second.values, {}};
    const CounterReading delta = counter_delta(before, {reading.values, {}});
    if (!delta.values || delta.values->count("calls") == 0 || delta.values->at("calls") <= 0)
      continue;
    StatementReading item{reading.query, *delta.values};
    item.values["mean_exec_ms"] = item.values["total_exec_ms"] / item.values.at("calls");
    out.push_back(std::move(item));
  }
  std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return a.values.at("total_exec_ms") > b.values.at("total_exec_ms");
  });
  return out;
}

nlohmann::json server_stats_json(const ServerSnapshot& start, const ServerSnapshot& end,
                                 const std::optional<WaitEventCounts>& waits,
                                 const std::string& waits_reason, const OsWindow& os) {
  nlohmann::json missing = nlohmann::json::object();
  nlohmann::json out;
  out["database"] = reading_json(counter_delta(start.database, end.database), "database", missing);
  out["bgwriter"] = reading_json(counter_delta(start.bgwriter, end.bgwriter), "bgwriter", missing);
  out["wal"] = reading_json(counter_delta(start.wal, end.wal), "wal", missing);
  out["tables"] = reading_json(counter_delta(start.tables, end.tables), "tables", missing);
  std::string reason;
  if (const auto deltas = deltas_of(start, end, reason)) {
    out["statements"] = statements_json(*deltas);
    out["statements_left_out"] =
        deltas->size() > k_max_listed_statements ? deltas->size() - k_max_listed_statements : 0;
  } else {
    out["statements"] = nullptr;
    missing["statements"] = reason;
  }
  if (waits) {
    out["wait_events"] = waits_json(*waits);
  } else {
    out["wait_events"] = nullptr;
    missing["wait_events"] = waits_reason;
  }
  out["os"] = os_json(os, missing);
  out["missing"] = std::move(missing);
  return out;
}

nlohmann::json window_json(const ReadingWindow& window) {
  return {{"requests", window.requests},
          {"requests_in_start_reading", window.requests_in_start_reading},
          {"start_reading_ms", window.start_reading_ms},
          {"start_lag_ms", window.start_lag_ms}};
}

nlohmann::json statements_summary(const ServerSnapshot& start, const ServerSnapshot& end,
                                  std::int64_t requests) {
  std::string reason;
  const auto deltas = deltas_of(start, end, reason);
  if (!deltas) return nullptr;
  double calls = 0;
  double total_ms = 0;
  for (const auto& statement : *deltas) {
    calls += statement.values.at("calls");
    total_ms += statement.values.at("total_exec_ms");
  }
  return {{"calls", calls},
          {"total_exec_ms", total_ms},
          {"mean_exec_ms", calls > 0 ? total_ms / calls : 0.0},
          {"requests", requests},
          {"exec_ms_per_request", requests > 0 ? total_ms / static_cast<double>(requests) : 0.0},
          {"source",
           "pg_stat_statements: the difference of two readings, at the measurement's "
           "start and end; per request completed between them"}};
}

double server_requests(const nlohmann::json& summary, const nlohmann::json& server_stats) {
  const nlohmann::json null;
  if (const auto requests = number_at(server_stats.value("window", null), "requests")) {
    return *requests;
  }
  return summary.value("completed", 0.0);
}

void add_server_summary(nlohmann::json& summary, const nlohmann::json& server_stats) {
  const double requests = server_requests(summary, server_stats);
  const nlohmann::json null;
  const nlohmann::json& database = server_stats.value("database", null);
  const auto hit = number_at(database, "blks_hit");
  const auto read = number_at(database, "blks_read");
  summary["cache_hit_ratio"] =
      hit && read && *hit + *read > 0 ? nlohmann::json(*hit / (*hit + *read)) : nlohmann::json();
  summary["wal_bytes_per_transaction"] =
      per(number_at(server_stats.value("wal", null), "wal_bytes"), requests);
  const nlohmann::json& os = server_stats.value("os", null);
  summary["server_cpu_ms_per_request"] = per(number_at(os, "server_cpu_s"), requests, k_ms_per_s);
  summary["client_cpu_ms_per_request"] =
      per(number_at(os, "poolbench_cpu_s"), requests, k_ms_per_s);
  const nlohmann::json& bgwriter = server_stats.value("bgwriter", null);
  const auto timed = number_at(bgwriter, "checkpoints_timed");
  const auto requested = number_at(bgwriter, "checkpoints_req");
  summary["checkpoints"] = timed && requested ? nlohmann::json(*timed + *requested) : nullptr;
  summary["temp_bytes_per_request"] = per(number_at(database, "temp_bytes"), requests);
  summary["blks_read_per_request"] = per(read, requests);
}

}  // namespace poolbench::results
