// merge_cell and merge_timeseries (matrix/merge.hpp): one cell of every shard into one.

#include <algorithm>
#include <array>
#include <cmath>
#include <map>
#include <optional>
#include <string_view>

#include <fmt/format.h>

#include "matrix/cell_runner.hpp"
#include "matrix/merge.hpp"
#include "metrics/hdr_codec.hpp"
#include "metrics/summary.hpp"
#include "results/cell.hpp"
#include "results/server_stats.hpp"
#include "util/error.hpp"

namespace poolbench::matrix {
namespace {

using nlohmann::json;

/// Histogram names and the summary key each one is summarised under. queue_wait is absent
/// from shards written before it was measured: merged only when every shard has it.
constexpr std::pair<const char*, const char*> k_histograms[] = {
    {"latency", "latency_ms"},       {"checkout_wait", "checkout_wait_ms"},
    {"queue_wait", "queue_wait_ms"}, {"hold", "hold_ms"},
    {"connect", "connect_ms"},       {"schedule_lag", "schedule_lag_ms"}};

std::string cell_name(const json& cell) {
  return cell.contains("id") ? cell["id"].get<std::string>() : std::string("of the run");
}

[[noreturn]] void refuse(const ShardCell& where, const std::string& what) {
  throw InputError(fmt::format("{}: cell {}: {}", *where.name, cell_name(*where.cell), what));
}

const json& require(const ShardCell& where, const json& object, const char* key) {
  if (!object.is_object() || !object.contains(key)) {
    refuse(where, fmt::format("no \"{}\" (not a poolbench shard's results?)", key));
  }
  return object[key];
}

double number(const ShardCell& where, const json& object, const char* key) {
  const json& value = require(where, object, key);
  if (!value.is_number()) refuse(where, fmt::format("\"{}\" is not a number", key));
  return value.get<double>();
}

/// A shard's decoded histogram; a corrupt one names the file.
metrics::HdrHistogram decode(const ShardCell& where, const json& text, const std::string& what) {
  if (!text.is_string()) refuse(where, what + " is not an HdrHistogram V2 string");
  try {
    return metrics::decode_hdr_v2_base64(text.get<std::string>());
  } catch (const InputError& e) {
    refuse(where, fmt::format("{}: {}", what, e.what()));
  }
}

json stats_json(const metrics::HdrHistogram& histogram) {
  json out;
  metrics::to_json(out, metrics::summarize_ms(histogram));
  return out;
}

std::string worst_status(const std::vector<ShardCell>& cells) {
  std::string status = "ok";
  for (const auto& c : cells) {
    const std::string s = c.cell->value("status", std::string("ok"));
    if (s == "failed" || (s == "interrupted" && status == "ok")) status = s;
  }
  return status;
}

/// Sums, over shards, an integer-valued key of an object (absent counts 0).
std::int64_t sum_int(const std::vector<const json*>& objects, const char* key) {
  std::int64_t total = 0;
  for (const json* o : objects) {
    if (o->contains(key) && (*o)[key].is_number()) total += (*o)[key].get<std::int64_t>();
  }
  return total;
}

/// The pool counters of summary.pool (or of its "warmup"), summed over shards.
json summed_pool_counters(const std::vector<const json*>& pools) {
  json out = json::object();
  for (const char* key : {"max_checked_out", "max_overflow_used", "connects", "recycles",
                          "invalidations", "preping_failures"}) {
    out[key] = sum_int(pools, key);
  }
  return out;
}

json merged_pool(const std::vector<ShardCell>& cells) {
  std::vector<const json*> pools;
  std::vector<const json*> warmups;
  double mean_checked_out = 0;
  for (const auto& c : cells) {
    const json& pool = require(c, require(c, *c.cell, "summary"), "pool");
    pools.push_back(&pool);
    if (pool.contains("warmup") && pool["warmup"].is_object()) warmups.push_back(&pool["warmup"]);
    mean_checked_out += number(c, pool, "mean_checked_out");
  }
  json out = summed_pool_counters(pools);
  out["mean_checked_out"] = mean_checked_out;
  if (!warmups.empty()) out["warmup"] = summed_pool_counters(warmups);
  return out;
}

/// summary.generator over shards: every shard's worker threads.
json merged_generator(const std::vector<const json*>& summaries) {
  json out = {{"worker_cpu_s", json::array()}, {"worker_cpu_busy", json::array()}};
  for (const json* s : summaries) {
    const json generator = s->value("generator", json::object());
    for (const char* key : {"worker_cpu_s", "worker_cpu_busy"}) {
      const json values = generator.is_object() ? generator.value(key, json::array()) : json();
      if (!values.is_array()) continue;
      for (const auto& value : values) out[key].push_back(value);
    }
  }
  out["threads"] = out["worker_cpu_busy"].size();
  return out;
}

/// Marks the merged cell invalid when the merged numbers show the generator fell behind,
/// or when any shard's did (its share of the load was then not the scenario's).
void merge_validity(json& merged, const std::vector<ShardCell>& cells) {
  merged.erase("invalid");
  mark_validity(merged);
  for (std::size_t i = 0; i < cells.size() && !merged.contains("invalid"); ++i) {
    const json& shard = *cells[i].cell;
    if (!shard.contains("invalid")) continue;
    const json& reason = shard["invalid"].value("reason", json());
    merged["invalid"] = {
        {"reason", fmt::format("shard {}: {}", i,
                               reason.is_string() ? reason.get<std::string>() : "invalid")}};
  }
}

/// The server-wide pg_stat_statements reading with the most calls (the last shard to read
/// saw every shard's statements since shard 0's reset), per request of every shard between
/// its readings (each shard's `requests`; the merged completed when a shard lacks them).
json merged_statements(const std::vector<ShardCell>& cells, std::int64_t completed) {
  const json* best = nullptr;
  std::int64_t requests = 0;
  bool every_shard_counted = true;
  for (const auto& c : cells) {
    const json& s = (*c.cell)["summary"];
    if (!s.contains("server_statements") || !s["server_statements"].is_object()) {
      every_shard_counted = false;  // its requests ran on the server all the same
      continue;
    }
    const json& reading = s["server_statements"];
    if (best == nullptr || reading.value("calls", 0.0) > best->value("calls", 0.0)) {
      best = &reading;
    }
    if (reading.contains("requests") && reading["requests"].is_number_integer()) {
      requests += reading["requests"].get<std::int64_t>();
    } else {
      every_shard_counted = false;
    }
  }
  if (best == nullptr) return nullptr;
  json out = *best;
  const double total_ms = best->value("total_exec_ms", 0.0);
  const std::int64_t divisor = every_shard_counted ? requests : completed;
  out["requests"] = divisor;
  out["exec_ms_per_request"] = divisor > 0 ? total_ms / static_cast<double>(divisor) : 0.0;
  out["source"] =
      "pg_stat_statements, server-wide over all shards (reset by shard 0 when its measurement "
      "started; the reading with the most calls)";
  return out;
}

json merged_summary(const std::vector<ShardCell>& cells,
                    const std::map<std::string, metrics::HdrHistogram>& histograms) {
  metrics::Counters counters;
  double duration_s = 0;
  std::string timeout_message;
  std::vector<const json*> summaries;
  json instances = json::array();
  for (std::size_t i = 0; i < cells.size(); ++i) {
    const ShardCell& c = cells[i];
    const json& s = require(c, *c.cell, "summary");
    summaries.push_back(&s);
    metrics::Counters shard;
    try {
      metrics::from_json(s, shard);
    } catch (const InputError& e) {
      refuse(c, fmt::format("summary: {}", e.what()));
    }
    counters.merge(shard);
    duration_s = std::max(duration_s, number(c, s, "duration_s"));
    if (timeout_message.empty()) timeout_message = s.value("timeout_message", std::string());
    if (s.contains("instances") && s["instances"].is_array()) {
      for (json instance : s["instances"]) {
        instance["shard"] = static_cast<int>(i);
        instances.push_back(std::move(instance));
      }
    }
  }
  json summary;
  metrics::to_json(summary, counters);
  summary["duration_s"] = duration_s;
  summary["throughput_rps"] =
      duration_s > 0 ? static_cast<double>(counters.completed()) / duration_s : 0.0;
  summary["timeout_rate"] = counters.timeout_rate();
  if (!timeout_message.empty()) summary["timeout_message"] = timeout_message;
  summary["retries"] = sum_int(summaries, "retries");
  summary["unfinished"] = sum_int(summaries, "unfinished");
  for (const auto& [name, key] : k_histograms) {
    if (const auto it = histograms.find(name); it != histograms.end()) {
      summary[key] = stats_json(it->second);
    }
  }
  summary["pool"] = merged_pool(cells);
  summary["generator"] = merged_generator(summaries);
  if (json statements = merged_statements(cells, counters.completed()); !statements.is_null()) {
    summary["server_statements"] = std::move(statements);
  }
  if (!instances.empty()) summary["instances"] = std::move(instances);
  return summary;
}

/// One merged second.
struct Second {
  std::int64_t completed = 0, timeouts = 0, errors = 0, invalid = 0;
  double checked_out = 0, checked_in = 0, overflow = 0, waiting = 0;
  std::optional<std::int64_t> server_active, server_idle, server_idle_in_tx;
  /// Server-wide counters of the second: every shard read the same server, so the largest
  /// reading (not a sum).
  std::map<std::string, double> server_counters;
  std::map<std::string, std::int64_t> errors_by_sqlstate;
  metrics::HdrHistogram latency;
  int shards = 0;
};

constexpr std::array<const char*, 3> k_server_counters = {"server_blks_read", "server_wal_bytes",
                                                          "server_checkpoints"};

void add_nullable(std::optional<std::int64_t>& sum, const json& row, const char* key) {
  if (row.contains(key) && row[key].is_number())
    sum = sum.value_or(0) + row[key].get<std::int64_t>();
}

json nullable(const std::optional<std::int64_t>& value) {
  return value ? json(*value) : json(nullptr);
}

}  // namespace

json merge_timeseries(const std::vector<ShardCell>& cells) {
  std::map<std::int64_t, Second> seconds;
  std::optional<double> grid_start;
  for (const auto& c : cells) {
    const double start = number(c, require(c, *c.cell, "shard"), "measure_start_unix_s");
    if (!grid_start) {
      grid_start = start;
    } else if (std::abs(start - *grid_start) > 1e-3) {
      refuse(c, fmt::format("its measurement was scheduled at Unix {:.3f}, the first shard's at "
                            "{:.3f}: the shards ran with different --start-at, --settle or cells",
                            start, *grid_start));
    }
    const json& rows = require(c, *c.cell, "timeseries");
    if (!rows.is_array()) refuse(c, "\"timeseries\" is not an array");
    for (const json& row : rows) {
      const auto key = static_cast<std::int64_t>(std::llround(number(c, row, "unix_s") - start));
      Second& s = seconds[key];
      ++s.shards;
      s.completed += row.value("throughput_rps", std::int64_t{0});
      s.timeouts += row.value("timeouts", std::int64_t{0});
      s.errors += row.value("errors", std::int64_t{0});
      if (row.contains("errors_by_sqlstate") && row["errors_by_sqlstate"].is_object()) {
        for (const auto& [sqlstate, count] : row["errors_by_sqlstate"].items()) {
          if (count.is_number_integer())
            s.errors_by_sqlstate[sqlstate] += count.get<std::int64_t>();
        }
      }
      s.invalid += row.value("invalid", std::int64_t{0});
      s.checked_out += row.value("checked_out", 0.0);
      s.checked_in += row.value("checked_in", 0.0);
      s.overflow += row.value("overflow", 0.0);
      s.waiting += row.value("waiting", 0.0);
      add_nullable(s.server_active, row, "server_active");
      add_nullable(s.server_idle, row, "server_idle");
      add_nullable(s.server_idle_in_tx, row, "server_idle_in_tx");
      for (const char* counter : k_server_counters) {
        if (row.contains(counter) && row[counter].is_number())
          s.server_counters[counter] =
              std::max(s.server_counters[counter], row[counter].get<double>());
      }
      if (row.contains("latency_hist") &&
          !(row["latency_hist"].is_string() && row["latency_hist"].get<std::string>().empty())) {
        s.latency.merge(decode(c, row["latency_hist"], fmt::format("timeseries[{}]", key)));
      }
    }
  }
  json out = json::array();
  for (const auto& [key, s] : seconds) {
    workload::TimeseriesRow row;
    row.t_s = static_cast<double>(key);
    row.unix_s = grid_start.value_or(0) + static_cast<double>(key);
    row.completed = s.completed;
    row.timeouts = s.timeouts;
    row.errors = s.errors;
    row.errors_by_sqlstate = s.errors_by_sqlstate;
    row.checked_out = s.checked_out;
    row.checked_in = s.checked_in;
    row.overflow = s.overflow;
    row.waiting = s.waiting;
    row.invalid = static_cast<std::uint64_t>(s.invalid);
    if (s.latency.total_count() > 0) {
      row.p50_ms = static_cast<double>(s.latency.value_at_percentile_us(50)) / 1000.0;
      row.p99_ms = static_cast<double>(s.latency.value_at_percentile_us(99)) / 1000.0;
    }
    row.latency_hist = metrics::encode_hdr_v2_base64(s.latency);
    json item = results::timeseries_row_json(row);
    // A server state is summed over the shards that sampled it, null when none did.
    item["server_active"] = nullable(s.server_active);
    item["server_idle"] = nullable(s.server_idle);
    item["server_idle_in_tx"] = nullable(s.server_idle_in_tx);
    for (const auto& [counter, value] : s.server_counters) item[counter] = value;
    item["shards"] = s.shards;
    out.push_back(std::move(item));
  }
  return out;
}

/// The shards' `clients` columns one after the other (a "shard" column says whose: client ids
/// repeat across shards), and the fairness over all of them; nothing when no shard has any.
void merge_clients(json& out, const std::vector<ShardCell>& cells) {
  json merged = json::object();
  for (std::size_t i = 0; i < cells.size(); ++i) {
    const json* clients =
        cells[i].cell->contains("clients") ? &(*cells[i].cell)["clients"] : nullptr;
    if (clients == nullptr || !clients->is_object()) continue;
    for (const auto& [column, values] : clients->items()) {
      if (!values.is_array()) refuse(cells[i], fmt::format("clients.{} is not an array", column));
      for (const auto& value : values) merged[column].push_back(value);
    }
    for (std::size_t n = 0; n < clients->value("id", json::array()).size(); ++n) {
      merged["shard"].push_back(static_cast<int>(i));
    }
  }
  out.erase("clients");
  if (merged.empty()) return;
  std::vector<std::int64_t> completed;
  std::vector<std::int64_t> timeouts;
  for (const auto& value : merged.value("completed", json::array())) completed.push_back(value);
  for (const auto& value : merged.value("timeouts", json::array())) timeouts.push_back(value);
  if (completed.size() == timeouts.size() && !completed.empty()) {
    out["summary"]["fairness"] = results::fairness_json(metrics::fairness_of(completed, timeouts));
  }
  out["clients"] = std::move(merged);
}

json merge_cell(const std::vector<ShardCell>& cells) {
  if (cells.empty()) throw InputError("merge: no cells");
  const ShardCell& first = cells.front();
  for (const auto& c : cells) {
    if (require(c, *c.cell, "params") != require(first, *first.cell, "params")) {
      refuse(c, fmt::format("its params {} differ from {}'s {}", (*c.cell)["params"].dump(),
                            *first.name, (*first.cell)["params"].dump()));
    }
  }
  std::map<std::string, metrics::HdrHistogram> histograms;
  json encoded = json::object();
  for (const auto& [name, key] : k_histograms) {
    if (std::string_view(name) == "queue_wait" &&
        !std::all_of(cells.begin(), cells.end(), [&](const ShardCell& c) {
          return require(c, *c.cell, "histograms").contains(name);
        })) {
      continue;
    }
    metrics::HdrHistogram merged;
    for (const auto& c : cells) {
      merged.merge(decode(c, require(c, require(c, *c.cell, "histograms"), name),
                          fmt::format("histograms.{}", name)));
    }
    encoded[name] = metrics::encode_hdr_v2_base64(merged);
    histograms.emplace(name, std::move(merged));
  }
  json out = *first.cell;  // params, repetition, id, index, server, server_settings
  out.erase("shard");
  // Shard 0 alone injects the scenario's faults (they act on the shared server): its records
  // stand, with errors and recovery as its own share of the load saw them.
  if (out.contains("faults") && out["faults"].is_array()) {
    for (auto& fault : out["faults"]) fault["measured_by"] = "shard 0 (its share of the load)";
  }
  out["status"] = worst_status(cells);
  out["summary"] = merged_summary(cells, histograms);
  out.erase("server_stats");
  const bool recorded_plans = out.contains("plans");  // server.stats on (null: none recorded)
  out.erase("plans");
  out.erase("plans_reason");
  if (json stats = merge_server_stats(cells); !stats.is_null()) {
    results::add_server_summary(out["summary"], stats);  // over the merged counts
    out["server_stats"] = std::move(stats);
  }
  if (json plans = merge_plans(cells); !plans.is_null()) {
    out["plans"] = std::move(plans);
  } else if (recorded_plans) {
    out["plans"] = nullptr;  // no shard recorded any: the first shard's reason
    out["plans_reason"] = first.cell->value("plans_reason", std::string("no shard recorded plans"));
  }
  out["histograms"] = std::move(encoded);
  out["timeseries"] = merge_timeseries(cells);
  merge_clients(out, cells);
  json shards = json::array();
  for (std::size_t i = 0; i < cells.size(); ++i) {
    const ShardCell& c = cells[i];
    json entry = (*c.cell)["shard"];
    entry["index"] = static_cast<int>(i);
    entry["file"] = *c.name;
    shards.push_back(std::move(entry));
  }
  out["shards"] = std::move(shards);
  merge_validity(out, cells);
  return out;
}

}  // namespace poolbench::matrix
