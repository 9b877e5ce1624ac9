// merge_server_stats and merge_plans (matrix/merge.hpp): the shards' cells[].server_stats
// and cells[].plans of one cell combined into one.

#include <algorithm>
#include <map>
#include <utility>

#include <fmt/format.h>

#include "matrix/merge.hpp"

namespace poolbench::matrix {
namespace {

using nlohmann::json;

/// The shards' copies of one key of server_stats (null or absent: not read by that shard).
struct ShardValues {
  std::vector<std::pair<std::size_t, const json*>> present;  ///< (shard index, value)
  std::string first_reason;  ///< "shard I: why" of the first shard without the key
};

ShardValues values_at(const std::vector<const json*>& stats, const std::string& group,
                      const std::string& key) {
  ShardValues out;
  const std::string path = group.empty() ? key : group + "." + key;
  for (std::size_t i = 0; i < stats.size(); ++i) {
    const json* s = stats[i];
    if (s == nullptr) {
      if (out.first_reason.empty())
        out.first_reason = fmt::format("shard {}: its cell has no server_stats", i);
      continue;
    }
    const json* holder = group.empty() ? s : (s->contains(group) ? &(*s)[group] : nullptr);
    if (holder != nullptr && holder->is_object() && holder->contains(key) &&
        !(*holder)[key].is_null()) {
      out.present.emplace_back(i, &(*holder)[key]);
      continue;
    }
    if (!out.first_reason.empty()) continue;
    const json missing = s->value("missing", json::object());
    const json reason = missing.is_object() ? missing.value(path, json()) : json();
    out.first_reason =
        fmt::format("shard {}: {}", i, reason.is_string() ? reason.get<std::string>() : "not read");
  }
  return out;
}

/// The largest reading of each counter over the shards that have the object: each read
/// the same server-wide counters over (nearly) the same window.
json widest_counters(const ShardValues& values) {
  json out = json::object();
  for (const auto& [shard, object] : values.present) {
    if (!object->is_object()) continue;
    for (const auto& [name, value] : object->items()) {
      if (!value.is_number()) {
        if (!out.contains(name)) out[name] = value;  // os.disk.device
        continue;
      }
      if (!out.contains(name) || value.get<double>() > out[name].get<double>()) out[name] = value;
    }
  }
  return out;
}

/// The widest reading of a number (server_cpu_s, peak_server_rss_bytes).
json widest_number(const ShardValues& values) {
  json out;
  for (const auto& [shard, value] : values.present) {
    if (value->is_number() && (out.is_null() || value->get<double>() > out.get<double>()))
      out = *value;
  }
  return out;
}

double statement_calls(const json& statements) {
  double calls = 0;
  for (const auto& s : statements) calls += s.value("calls", 0.0);
  return calls;
}

/// Wait events: each shard sampled only its own backends (application_name poolbench/<run
/// id>, the run id naming the shard), so samples and counts add up.
json summed_wait_events(const ShardValues& values) {
  std::int64_t samples = 0;
  std::map<std::pair<std::string, std::string>, std::int64_t> counts;
  for (const auto& [shard, waits] : values.present) {
    samples += waits->value("samples", std::int64_t{0});
    for (const auto& event : waits->value("events", json::array())) {
      counts[{event.value("wait_event_type", std::string()),
              event.value("wait_event", std::string())}] += event.value("count", std::int64_t{0});
    }
  }
  std::vector<std::pair<std::pair<std::string, std::string>, std::int64_t>> sorted(counts.begin(),
                                                                                   counts.end());
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  json events = json::array();
  for (const auto& [event, count] : sorted) {
    events.push_back(
        {{"wait_event_type", event.first}, {"wait_event", event.second}, {"count", count}});
  }
  return {{"samples", samples}, {"events", std::move(events)}};
}

/// Sets `out`[key] to `value`, or to null with the reason in `missing` under `path`.
void put_or_missing(json& out, const char* key, json value, const std::string& path,
                    const ShardValues& values, json& missing) {
  if (value.is_null()) missing[path] = values.first_reason;
  out[key] = std::move(value);
}

/// The statements of the reading with the most calls (pg_stat_statements is server-wide:
/// the last shard to read saw every shard's statements), with its statements_left_out.
void merge_statements(const std::vector<const json*>& stats, json& out, json& missing) {
  const ShardValues values = values_at(stats, "", "statements");
  const std::pair<std::size_t, const json*>* best = nullptr;
  for (const auto& entry : values.present) {
    if (entry.second->is_array() &&
        (best == nullptr || statement_calls(*entry.second) > statement_calls(*best->second)))
      best = &entry;
  }
  if (best == nullptr) {
    put_or_missing(out, "statements", nullptr, "statements", values, missing);
    out["statements_left_out"] = 0;
    return;
  }
  out["statements"] = *best->second;
  out["statements_left_out"] = stats[best->first]->value("statements_left_out", json(0));
}

json merged_os(const std::vector<const json*>& stats, json& missing) {
  json os = json::object();
  const ShardValues cpu = values_at(stats, "os", "server_cpu_s");
  put_or_missing(os, "server_cpu_s", widest_number(cpu), "os.server_cpu_s", cpu, missing);
  // poolbench's own CPU is per process: the sum of every shard's, unknown when one lacks it.
  const ShardValues self = values_at(stats, "os", "poolbench_cpu_s");
  json self_total;
  if (!self.present.empty() && self.first_reason.empty()) {
    double total = 0;
    for (const auto& [shard, value] : self.present) total += value->get<double>();
    self_total = total;
  }
  put_or_missing(os, "poolbench_cpu_s", std::move(self_total), "os.poolbench_cpu_s", self, missing);
  const ShardValues disk = values_at(stats, "os", "disk");
  put_or_missing(os, "disk", disk.present.empty() ? json() : widest_counters(disk), "os.disk", disk,
                 missing);
  const ShardValues rss = values_at(stats, "os", "peak_server_rss_bytes");
  put_or_missing(os, "peak_server_rss_bytes", widest_number(rss), "os.peak_server_rss_bytes", rss,
                 missing);
  return os;
}

/// The readings' windows: each shard counted its own requests between its readings, and
/// the merged counters are server-wide (every shard's requests), so the requests add up;
/// the slowest start reading stands for all. Null when a shard lacks one (recorded before
/// the window was): the merged per-request figures then divide by summary.completed.
json merged_window(const std::vector<const json*>& stats) {
  json out = {{"requests", 0},
              {"requests_in_start_reading", 0},
              {"start_reading_ms", 0.0},
              {"start_lag_ms", 0.0}};
  for (const json* s : stats) {
    if (s == nullptr || !s->contains("window") || !(*s)["window"].is_object()) return nullptr;
    const json& window = (*s)["window"];
    for (const char* key : {"requests", "requests_in_start_reading"})
      out[key] = out[key].get<std::int64_t>() + window.value(key, std::int64_t{0});
    for (const char* key : {"start_reading_ms", "start_lag_ms"})
      out[key] = std::max(out[key].get<double>(), window.value(key, 0.0));
  }
  return out;
}

}  // namespace

json merge_server_stats(const std::vector<ShardCell>& cells) {
  std::vector<const json*> stats;
  bool any = false;
  for (const auto& c : cells) {
    const json* s = c.cell->contains("server_stats") ? &(*c.cell)["server_stats"] : nullptr;
    const bool read = s != nullptr && s->is_object();
    stats.push_back(read ? s : nullptr);
    any = any || read;
  }
  if (!any) return nullptr;
  json out = json::object();
  json missing = json::object();
  for (const char* view : {"database", "bgwriter", "wal", "tables"}) {
    const ShardValues values = values_at(stats, "", view);
    put_or_missing(out, view, values.present.empty() ? json() : widest_counters(values), view,
                   values, missing);
  }
  merge_statements(stats, out, missing);
  const ShardValues waits = values_at(stats, "", "wait_events");
  put_or_missing(out, "wait_events", waits.present.empty() ? json() : summed_wait_events(waits),
                 "wait_events", waits, missing);
  out["os"] = merged_os(stats, missing);
  if (json window = merged_window(stats); !window.is_null()) out["window"] = std::move(window);
  out["missing"] = std::move(missing);
  return out;
}

json merge_plans(const std::vector<ShardCell>& cells) {
  const auto has_plans = [](const ShardCell& c) {
    return c.cell->contains("plans") && (*c.cell)["plans"].is_array();
  };
  const auto kept = std::find_if(cells.begin(), cells.end(), has_plans);
  if (kept == cells.end()) return nullptr;
  json out = (*kept->cell)["plans"];
  // Every shard explained the same statements with the same seed: a different fingerprint
  // means the server's plan changed between the shards' readings (statistics, a profile).
  for (auto& entry : out) {
    json differing = json::array();
    for (std::size_t i = 0; i < cells.size(); ++i) {
      if (cells[i].cell == kept->cell || !has_plans(cells[i])) continue;
      for (const auto& other : (*cells[i].cell)["plans"]) {
        if (other.value("transaction", json()) != entry.value("transaction", json()) ||
            other.value("line", json()) != entry.value("line", json()))
          continue;
        if (other.value("fingerprint", json()) != entry.value("fingerprint", json()))
          differing.push_back({{"shard", i}, {"fingerprint", other.value("fingerprint", json())}});
      }
    }
    if (!differing.empty()) entry["shards_differ"] = std::move(differing);
  }
  return out;
}

}  // namespace poolbench::matrix
