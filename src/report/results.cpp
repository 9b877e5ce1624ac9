#include "report/results.hpp"

#include <thread>

#include <sys/utsname.h>
#include <unistd.h>

#include "metrics/hdr_codec.hpp"
#include "metrics/summary.hpp"
#include "util/duration.hpp"
#include "version.hpp"

namespace poolbench::report {

PoolTotals sum_pool_counters(const std::vector<pool::QueuePool*>& pools) {
  PoolTotals totals;
  for (const pool::QueuePool* pool : pools) {
    const pool::PoolCounters counters = pool->counters();
    totals.connects += counters.connects;
    totals.recycles += counters.recycles;
    totals.invalidations += counters.invalidations;
    totals.preping_failures += counters.preping_failures;
    totals.max_overflow_used += counters.max_overflow_used;
  }
  return totals;
}

namespace {

nlohmann::json stats_json(const metrics::HdrHistogram& histogram) {
  nlohmann::json json;
  metrics::to_json(json, metrics::summarize_ms(histogram));
  return json;
}

nlohmann::json optional_number(const std::optional<double>& value) {
  return value ? nlohmann::json(*value) : nlohmann::json(nullptr);
}

nlohmann::json timeseries_json(const std::vector<workload::TimeseriesRow>& rows) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& row : rows) out.push_back(timeseries_row_json(row));
  return out;
}

}  // namespace

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
      {"latency_hist", row.latency_hist},
  };
  if (!row.errors_by_sqlstate.empty()) item["errors_by_sqlstate"] = row.errors_by_sqlstate;
  return item;
}

nlohmann::json cell_json(const workload::Scenario& scenario,
                         const workload::GeneratorResult& measured, const PoolTotals& pool,
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
  summary["hold_ms"] = stats_json(measured.hold);
  summary["connect_ms"] = stats_json(connect);
  summary["schedule_lag_ms"] = stats_json(measured.schedule_lag);
  summary["pool"] = {
      {"max_checked_out", measured.max_checked_out},
      {"max_overflow_used", pool.max_overflow_used},
      {"mean_checked_out", measured.mean_checked_out},
      {"connects", pool.connects},
      {"recycles", pool.recycles},
      {"invalidations", pool.invalidations},
      {"preping_failures", pool.preping_failures},
  };
  nlohmann::json settings_json = nlohmann::json::object();
  for (const auto& [name, value] : server_settings) settings_json[name] = value;
  return {
      {"params", params},
      {"repetition", repetition},
      {"status", measured.interrupted ? "interrupted" : "ok"},
      {"summary", summary},
      {"server_settings", settings_json},
      {"histograms",
       {{"latency", metrics::encode_hdr_v2_base64(measured.latency)},
        {"checkout_wait", metrics::encode_hdr_v2_base64(measured.checkout_wait)},
        {"hold", metrics::encode_hdr_v2_base64(measured.hold)},
        {"connect", metrics::encode_hdr_v2_base64(connect)},
        {"schedule_lag", metrics::encode_hdr_v2_base64(measured.schedule_lag)}}},
      {"timeseries", timeseries_json(measured.timeseries)},
  };
}

nlohmann::json instances_json(const std::vector<workload::ResolvedInstance>& instances,
                              const workload::GeneratorResult& measured,
                              const std::vector<pool::QueuePool*>& pools) {
  nlohmann::json out = nlohmann::json::array();
  for (std::size_t i = 0; i < instances.size() && i < measured.instances.size(); ++i) {
    const auto& instance = instances[i];
    const auto& stats = measured.instances[i].stats;
    const PoolTotals totals = sum_pool_counters({pools[i]});
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
    out.push_back(std::move(item));
  }
  return out;
}

nlohmann::json tool_json() {
  return {{"name", "poolbench"},
          {"version", k_version},
          {"git", k_git_commit},
          {"build_type", k_build_type}};
}

nlohmann::json host_json() {
  utsname uts{};
  uname(&uts);
  const long pages = sysconf(_SC_PHYS_PAGES);
  const long page_size = sysconf(_SC_PAGE_SIZE);
  return {{"hostname", uts.nodename},
          {"kernel", std::string(uts.sysname) + " " + uts.release},
          {"cores", std::thread::hardware_concurrency()},
          {"memory_bytes", static_cast<double>(pages) * static_cast<double>(page_size)}};
}

}  // namespace poolbench::report
