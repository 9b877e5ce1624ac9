#include "results/cell.hpp"

#include "metrics/hdr_codec.hpp"
#include "metrics/summary.hpp"
#include "util/duration.hpp"

namespace poolbench::results {

PoolWindow pool_window(const pool::PoolCounters& at_start, const pool::PoolCounters& at_end,
                       const workload::GeneratorResult::PoolPeak& sampled) {
  PoolWindow window;
  window.warmup = {.connects = at_start.connects,
                   .recycles = at_start.recycles,
                   .invalidations = at_start.invalidations,
                   .preping_failures = at_start.preping_failures,
                   .max_overflow_used = at_start.max_overflow_used,
                   .max_checked_out = at_start.max_checked_out};
  PoolTotals& m = window.measured;
  m.connects = at_end.connects - at_start.connects;
  m.recycles = at_end.recycles - at_start.recycles;
  m.invalidations = at_end.invalidations - at_start.invalidations;
  m.preping_failures = at_end.preping_failures - at_start.preping_failures;
  m.max_overflow_used = at_end.max_overflow_used > at_start.max_overflow_used
                            ? at_end.max_overflow_used
                            : sampled.overflow;
  m.max_checked_out = at_end.max_checked_out > at_start.max_checked_out ? at_end.max_checked_out
                                                                        : sampled.checked_out;
  return window;
}

PoolWindow sum_windows(const std::vector<PoolWindow>& windows) {
  PoolWindow sum;
  for (const auto& window : windows) {
    for (auto [to, from] :
         {std::pair{&sum.measured, &window.measured}, std::pair{&sum.warmup, &window.warmup}}) {
      to->connects += from->connects;
      to->recycles += from->recycles;
      to->invalidations += from->invalidations;
      to->preping_failures += from->preping_failures;
      to->max_overflow_used += from->max_overflow_used;
      to->max_checked_out += from->max_checked_out;
    }
  }
  return sum;
}

namespace {

constexpr double k_p99 = 0.99;
constexpr double k_us_per_ms = 1000;

nlohmann::json stats_json(const metrics::HdrHistogram& histogram) {
  nlohmann::json json;
  metrics::to_json(json, metrics::summarize_ms(histogram));
  return json;
}

nlohmann::json optional_number(const std::optional<double>& value) {
  return value ? nlohmann::json(*value) : nlohmann::json(nullptr);
}

/// A server-wide counter of the row's second, null when it was not sampled.
nlohmann::json server_counter(const workload::TimeseriesRow& row,
                              std::optional<double> workload::ServerStates::*counter) {
  return row.server ? optional_number((*row.server).*counter) : nlohmann::json();
}

nlohmann::json timeseries_json(const std::vector<workload::TimeseriesRow>& rows) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& row : rows) out.push_back(timeseries_row_json(row));
  return out;
}

/// summary.pool: the measurement window's counters, the warmup's under "warmup".
nlohmann::json pool_json(const PoolWindow& pool, const workload::GeneratorResult& measured) {
  // Several pools: the sampled peak of their sum (the sum of their own peaks can exceed
  // what was ever checked out at once); one pool: its own peak, exact when it rose inside
  // the window.
  const int max_checked_out =
      measured.pool_peaks.size() == 1
          ? std::max(measured.max_checked_out, pool.measured.max_checked_out)
          : measured.max_checked_out;
  const PoolTotals& w = pool.warmup;
  return {
      {"max_checked_out", max_checked_out},
      {"max_overflow_used", pool.measured.max_overflow_used},
      {"mean_checked_out", measured.mean_checked_out},
      {"connects", pool.measured.connects},
      {"recycles", pool.measured.recycles},
      {"invalidations", pool.measured.invalidations},
      {"preping_failures", pool.measured.preping_failures},
      {"warmup",
       {{"max_checked_out", w.max_checked_out},
        {"max_overflow_used", w.max_overflow_used},
        {"connects", w.connects},
        {"recycles", w.recycles},
        {"invalidations", w.invalidations},
        {"preping_failures", w.preping_failures}}},
  };
}

/// summary.generator: the worker threads and how busy each was on a CPU over the window.
nlohmann::json generator_json(const workload::GeneratorResult& measured) {
  return {{"threads", measured.worker_cpu_s.size()},
          {"worker_cpu_s", measured.worker_cpu_s},
          {"worker_cpu_busy", measured.worker_cpu_busy}};
}

/// The clients of `instance` (or all, when nullopt), as fairness_of's inputs.
metrics::Fairness client_fairness(const std::vector<metrics::ClientStats>& clients,
                                  std::optional<std::uint32_t> instance) {
  std::vector<std::int64_t> completed;
  std::vector<std::int64_t> timeouts;
  for (const auto& client : clients) {
    if (instance && client.instance != *instance) continue;
    completed.push_back(client.completed);
    timeouts.push_back(client.timeouts);
  }
  return metrics::fairness_of(completed, timeouts);
}

}  // namespace

nlohmann::json fairness_json(const metrics::Fairness& fairness) {
  return {{"clients", fairness.clients},
          {"jain_index", optional_number(fairness.jain_index)},
          {"completions_min", fairness.completions_min},
          {"completions_max", fairness.completions_max},
          {"timeouts", fairness.timeouts},
          {"timeouts_worst_fifth_share", optional_number(fairness.timeouts_worst_fifth_share)}};
}

nlohmann::json clients_json(const std::vector<metrics::ClientStats>& clients) {
  nlohmann::json out = {
      {"id", nlohmann::json::array()},        {"instance", nlohmann::json::array()},
      {"completed", nlohmann::json::array()}, {"timeouts", nlohmann::json::array()},
      {"errors", nlohmann::json::array()},    {"checkout_wait_p99_ms", nlohmann::json::array()}};
  for (const auto& client : clients) {
    out["id"].push_back(client.id);
    out["instance"].push_back(client.instance);
    out["completed"].push_back(client.completed);
    out["timeouts"].push_back(client.timeouts);
    out["errors"].push_back(client.errors);
    out["checkout_wait_p99_ms"].push_back(static_cast<double>(client.waits.quantile_us(k_p99)) /
                                          k_us_per_ms);
  }
  return out;
}

nlohmann::json timeseries_row_json(const workload::TimeseriesRow& row) {
  nlohmann::json item = {
      {"t_s", row.t_s},
      {"unix_s", row.unix_s},
      {"throughput_rps", row.completed},  // completions in this one-second row
      {"timeouts", row.timeouts},
      {"errors", row.errors},
      {"checked_out", row.checked_out},
      {"checked_in", row.checked_in},
      {"overflow", row.overflow},
      {"waiting", row.waiting},
      {"invalid", row.invalid},
      {"p50_ms", optional_number(row.p50_ms)},
      {"p99_ms", optional_number(row.p99_ms)},
      {"server_active", row.server ? nlohmann::json(row.server->active) : nlohmann::json()},
      {"server_idle", row.server ? nlohmann::json(row.server->idle) : nlohmann::json()},
      {"server_idle_in_tx",
       row.server ? nlohmann::json(row.server->idle_in_transaction) : nlohmann::json()},
      {"server_blks_read", server_counter(row, &workload::ServerStates::blks_read)},
      {"server_wal_bytes", server_counter(row, &workload::ServerStates::wal_bytes)},
      {"server_checkpoints", server_counter(row, &workload::ServerStates::checkpoints)},
      {"latency_hist", row.latency_hist},
  };
  if (!row.errors_by_sqlstate.empty()) item["errors_by_sqlstate"] = row.errors_by_sqlstate;
  return item;
}

nlohmann::json cell_json(const scenario::Scenario& scenario,
                         const workload::GeneratorResult& measured, const PoolWindow& pool,
                         const metrics::HdrHistogram& connect,
                         const std::map<std::string, std::string>& server_settings, int repetition,
                         const nlohmann::json& extra_params) {
  const auto& settings = scenario.pool.settings;
  nlohmann::json params = {
      {"pool_size", settings.pool_size},
      {"max_overflow", settings.max_overflow},
      {"pool_timeout_s", util::to_seconds(settings.pool_timeout)},
      {"profile", scenario.server.profile},
      {"fairness", pool::to_string(settings.fairness)},
  };
  params.update(extra_params);
  const metrics::Counters& counters = measured.counters;
  nlohmann::json summary;
  metrics::to_json(summary, counters);
  summary["duration_s"] = measured.measured_s;
  summary["throughput_rps"] = measured.measured_s > 0
                                  ? static_cast<double>(counters.completed()) / measured.measured_s
                                  : 0.0;
  summary["timeout_rate"] = counters.timeout_rate();
  if (!measured.timeout_message.empty()) summary["timeout_message"] = measured.timeout_message;
  summary["retries"] = measured.retries;
  summary["unfinished"] = measured.unfinished;
  summary["latency_ms"] = stats_json(measured.latency);
  summary["checkout_wait_ms"] = stats_json(measured.checkout_wait);
  summary["queue_wait_ms"] = stats_json(measured.queue_wait);
  summary["hold_ms"] = stats_json(measured.hold);
  summary["connect_ms"] = stats_json(connect);
  summary["schedule_lag_ms"] = stats_json(measured.schedule_lag);
  summary["pool"] = pool_json(pool, measured);
  summary["generator"] = generator_json(measured);
  if (!measured.clients.empty()) {
    summary["fairness"] = fairness_json(client_fairness(measured.clients, std::nullopt));
  }
  nlohmann::json settings_json = nlohmann::json::object();
  for (const auto& [name, value] : server_settings) settings_json[name] = value;
  nlohmann::json cell = {
      {"params", params},
      {"repetition", repetition},
      {"status", measured.interrupted ? "interrupted" : "ok"},
      {"summary", summary},
      {"server_settings", settings_json},
      {"histograms",
       {{"latency", metrics::encode_hdr_v2_base64(measured.latency)},
        {"checkout_wait", metrics::encode_hdr_v2_base64(measured.checkout_wait)},
        {"queue_wait", metrics::encode_hdr_v2_base64(measured.queue_wait)},
        {"hold", metrics::encode_hdr_v2_base64(measured.hold)},
        {"connect", metrics::encode_hdr_v2_base64(connect)},
        {"schedule_lag", metrics::encode_hdr_v2_base64(measured.schedule_lag)}}},
      {"timeseries", timeseries_json(measured.timeseries)},
  };
  if (!measured.clients.empty()) cell["clients"] = clients_json(measured.clients);
  return cell;
}

nlohmann::json instances_json(const std::vector<scenario::ResolvedInstance>& instances,
                              const workload::GeneratorResult& measured,
                              const std::vector<PoolWindow>& pools) {
  nlohmann::json out = nlohmann::json::array();
  for (std::size_t i = 0; i < instances.size() && i < measured.instances.size(); ++i) {
    const auto& instance = instances[i];
    const auto& stats = measured.instances[i].stats;
    const PoolTotals& totals = pools[i].measured;
    nlohmann::json item;
    metrics::to_json(item, stats.counters);
    item["name"] = instance.name;
    item["share"] = instance.share;
    item["pool_size"] = instance.settings.pool_size;
    item["max_overflow"] = instance.settings.max_overflow;
    item["pool_timeout_s"] = util::to_seconds(instance.settings.pool_timeout);
    item["throughput_rps"] =
        measured.measured_s > 0
            ? static_cast<double>(stats.counters.completed()) / measured.measured_s
            : 0.0;
    item["timeout_rate"] = stats.counters.timeout_rate();
    item["latency_ms"] = stats_json(stats.latency);
    item["checkout_wait_ms"] = stats_json(stats.checkout_wait);
    item["pool"] = {{"max_checked_out", measured.instances[i].max_checked_out},
                    {"mean_checked_out", measured.instances[i].mean_checked_out},
                    {"max_overflow_used", totals.max_overflow_used},
                    {"connects", totals.connects},
                    {"invalidations", totals.invalidations}};
    if (!measured.clients.empty()) {
      item["fairness"] =
          fairness_json(client_fairness(measured.clients, static_cast<std::uint32_t>(i)));
    }
    out.push_back(std::move(item));
  }
  return out;
}

}  // namespace poolbench::results
