// analyze(): per-cell models (this file) and per-group verdicts (groups.cpp).

#include "analysis/analyze.hpp"

#include <cmath>
#include <vector>

#include <fmt/format.h>

#include "analysis/cell_view.hpp"
#include "analysis/groups.hpp"
#include "analysis/queueing.hpp"
#include "analysis/seed_claims.hpp"
#include "analysis/sizing.hpp"
#include "metrics/hdr_codec.hpp"
#include "util/error.hpp"

namespace poolbench::analysis {
namespace {

using detail::CellView;
using detail::concurrency_of;
using nlohmann::json;

constexpr double k_wait_threshold_ms = 1.0;

/// JSON null for a non-finite number (JSON has no infinity).
json finite_or_null(double value) {
  return std::isfinite(value) ? json(value) : json();
}

/// Fraction of checkouts that waited more than k_wait_threshold_ms, from the cell's
/// checkout_wait histogram; none without one (or with no checkouts).
std::optional<double> measured_p_wait(const CellView& cell) {
  const json& histograms = cell.cell->value("histograms", json::object());
  if (!histograms.is_object() || !histograms.contains("checkout_wait") ||
      !histograms["checkout_wait"].is_string()) {
    return std::nullopt;
  }
  metrics::HdrHistogram histogram;
  try {
    histogram = metrics::decode_hdr_v2_base64(histograms["checkout_wait"].get<std::string>());
  } catch (const InputError& e) {
    throw InputError(fmt::format("cell {}: histograms.checkout_wait: {}", cell.id, e.what()));
  }
  if (histogram.total_count() == 0) return std::nullopt;
  const auto threshold_us = static_cast<std::int64_t>(k_wait_threshold_ms * 1000);
  std::int64_t waited = 0;
  histogram.for_each_recorded([&](const metrics::HdrBucket& bucket) {
    if (bucket.lowest_us > threshold_us) waited += bucket.count;
  });
  return static_cast<double>(waited) / static_cast<double>(histogram.total_count());
}

json little_json(const CellView& cell) {
  const LittleCheck check =
      little_check(cell.throughput_rps, cell.hold_mean_ms / 1000, cell.mean_checked_out);
  return {{"throughput_rps", check.throughput_rps},
          {"mean_hold_ms", cell.hold_mean_ms},
          {"predicted_in_use", check.predicted_in_use},
          {"measured_in_use", check.measured_in_use},
          {"relative_error", check.relative_error ? json(*check.relative_error) : json()}};
}

json seeds_formula_json(const CellView& cell) {
  const double concurrency = concurrency_of(cell);
  const double needed =
      cell.latency_mean_ms > 0
          ? seeds_connections_needed(concurrency, cell.hold_mean_ms, cell.latency_mean_ms)
          : 0;
  json out = {{"concurrent_requests", concurrency},
              {"avg_query_time_ms", cell.hold_mean_ms},
              {"request_duration_ms", cell.latency_mean_ms},
              {"connections_needed", needed}};
  // The server's own execution time per request (pg_stat_statements), next to the hold
  // the formula uses: the difference is time a connection is held but not executing.
  const json* statements = cell.cell != nullptr ? &(*cell.cell)["summary"] : nullptr;
  if (statements != nullptr && statements->contains("server_statements") &&
      (*statements)["server_statements"].is_object()) {
    const double exec_ms = (*statements)["server_statements"].value("exec_ms_per_request", 0.0);
    out["server_exec_ms_per_request"] = exec_ms;
    out["connections_needed_by_server_time"] =
        cell.latency_mean_ms > 0
            ? seeds_connections_needed(concurrency, exec_ms, cell.latency_mean_ms)
            : 0;
  }
  return out;
}

json sum_rule_json(const CellView& cell) {
  const double concurrency = concurrency_of(cell);
  json total = cell.total ? json(*cell.total * cell.instances) : json();
  return {{"pool_total", total},
          {"concurrent_requests", concurrency},
          {"holds", !cell.total || *cell.total * cell.instances >= concurrency}};
}

json erlang_json(const CellView& cell, std::optional<double> p_wait_measured) {
  json out = {{"measured_p_wait", p_wait_measured ? json(*p_wait_measured) : json()},
              {"measured_mean_wait_ms", cell.wait_mean_ms},
              {"measured_timeout_rate", cell.timeout_rate}};
  auto not_applicable = [&](const char* reason) {
    out["status"] = "not_applicable";
    out["reason"] = reason;
    return out;
  };
  if (!cell.open_loop) return not_applicable("closed loop: a finite population, not M/M/c");
  if (!cell.rate_rps || *cell.rate_rps <= 0) return not_applicable("no workload.rate");
  if (!cell.total) return not_applicable("unbounded pool");
  if (cell.hold_mean_ms <= 0) return not_applicable("no completed checkout (no mean hold)");
  const double rate = *cell.rate_rps / cell.instances;
  const ErlangC q = erlang_c(*cell.total, rate, cell.hold_mean_ms / 1000);
  out["status"] = q.stable ? "ok" : "unstable";
  out["arrival_rate_rps"] = rate;
  out["measured_arrival_rate_rps"] = cell.arrival_rate_measured_rps / cell.instances;
  out["mean_hold_ms"] = cell.hold_mean_ms;
  out["offered_load"] = q.offered_load;
  out["servers"] = q.servers;
  out["occupancy"] = q.occupancy;
  out["p_wait"] = q.p_wait;
  out["mean_wait_ms"] = finite_or_null(q.mean_wait_s * 1000);
  out["predicted_timeout_rate"] =
      q.stable ? q.p_wait_longer_than(cell.pool_timeout_s) : q.overload_loss_floor();
  out["timeout_rate_floor"] = q.overload_loss_floor();
  return out;
}

json row_json(const PoolRow& row) {
  return {{"name", row.name},
          {"label", row.label},
          {"pool_size", row.pool_size},
          {"max_overflow", row.max_overflow},
          {"pool_timeout_s", row.pool_timeout_s}};
}

json hikari_json(const HikariCp& h) {
  return {{"cores", h.cores},
          {"effective_spindles", h.effective_spindles},
          {"connections", h.connections}};
}

json cell_json(const json& results, const CellView& cell) {
  json out = {{"id", cell.id},
              {"index", cell.index},
              {"status", cell.status},
              {"group", cell.group_key},
              {"pool",
               {{"pool_size", cell.pool_size},
                {"max_overflow", cell.max_overflow},
                {"pool_timeout_s", cell.pool_timeout_s},
                {"instances", cell.instances},
                {"total", cell.total ? json(*cell.total) : json()}}}};
  const double tier_rps = cell.open_loop ? cell.rate_rps.value_or(0) : cell.throughput_rps;
  out["workload"] = {{"mode", cell.open_loop ? "open" : "closed"},
                     {"arrival_rate_rps", cell.rate_rps ? json(*cell.rate_rps) : json()},
                     {"clients", cell.clients ? json(*cell.clients) : json()},
                     {"tier", std::string(traffic_tier(tier_rps))},
                     {"tier_rps", tier_rps}};
  const int cores =
      static_cast<int>(detail::number(detail::at_path(results, "host.cores")).value_or(0));
  out["hikaricp"] = hikari_json(hikaricp_connections(cores, cell.profile));
  out["seed_tier_row"] = row_json(seed_tier_row(tier_rps));
  if (!cell.ok) return out;
  out["little"] = little_json(cell);
  out["seeds_formula"] = seeds_formula_json(cell);
  out["sum_rule"] = sum_rule_json(cell);
  out["erlang_c"] = erlang_json(cell, measured_p_wait(cell));
  const json& timeseries = cell.cell->value("timeseries", json::array());
  out["monitoring"] = evaluate_monitoring_rules(timeseries, cell.pool_size, cell.instances);
  return out;
}

}  // namespace

json evaluate_monitoring_rules(const json& timeseries, int pool_size, int instances) {
  struct Rule {
    const char* name;
    const char* description;
    int matching = 0;
    bool majority = false;  // fires when more than half the seconds match, else any
  };
  Rule busy{"checked_out_over_90pct_of_pool_size",
            "checked_out > 90% of pool_size: increase pool size (seed 001)"};
  Rule overflow{"overflow_consistently",
                "overflow > 0 consistently (more than half the seconds): increase base "
                "pool_size (seed 001)",
                0, true};
  Rule invalid{"invalid_connections", "invalid > 0: investigate connection failures (seed 001)"};
  int total = 0;
  if (timeseries.is_array()) {
    const double busy_limit = 0.9 * pool_size * std::max(instances, 1);
    for (const auto& row : timeseries) {
      if (!row.is_object()) continue;
      ++total;
      const auto value = [&](const char* key) {
        return detail::number(row.value(key, json())).value_or(0);
      };
      if (pool_size > 0 && value("checked_out") > busy_limit) ++busy.matching;
      if (value("overflow") > 0) ++overflow.matching;
      if (value("invalid") > 0) ++invalid.matching;
    }
  }
  json out = json::array();
  for (const Rule* rule : {&busy, &overflow, &invalid}) {
    const double fraction = total > 0 ? static_cast<double>(rule->matching) / total : 0;
    const bool fired = rule->majority ? fraction > 0.5 : rule->matching > 0;
    out.push_back({{"rule", rule->name},
                   {"description", rule->description},
                   {"seconds_matching", rule->matching},
                   {"seconds_total", total},
                   {"fraction", fraction},
                   {"fired", fired}});
  }
  return out;
}

namespace {

json analyze_checked(const json& results) {
  if (!results.is_object() || !results.contains("cells") || !results["cells"].is_array()) {
    throw InputError("expected an object with a \"cells\" array");
  }
  const json& scenario = results.value("scenario", json::object());
  const detail::Slo slo = detail::read_slo(scenario);
  std::vector<CellView> cells;
  int index = 0;
  for (const auto& cell : results["cells"]) {
    if (!cell.is_object()) {
      throw InputError(fmt::format("cells[{}] is not an object", index));
    }
    cells.push_back(detail::read_cell(results, cell, index++));
  }
  json cells_json = json::array();
  for (const auto& cell : cells) cells_json.push_back(cell_json(results, cell));

  const int cores =
      static_cast<int>(detail::number(detail::at_path(results, "host.cores")).value_or(0));
  json groups = detail::judge_groups(cells, slo, cores, cells_json);
  return {{"schema", "poolbench.analysis/1"},
          {"slo",
           {{"timeout_rate", slo.timeout_rate ? json(*slo.timeout_rate) : json()},
            {"p99_latency_ms", slo.p99_latency_ms ? json(*slo.p99_latency_ms) : json()}}},
          {"measured_p_wait_threshold_ms", k_wait_threshold_ms},
          {"cells", std::move(cells_json)},
          {"groups", std::move(groups)},
          {"seed_claims", seed_claims(results)}};
}

}  // namespace

json analyze(const json& results, std::string_view source) {
  try {
    return analyze_checked(results);
  } catch (const json::exception& e) {
    // A value of an unexpected type somewhere (e.g. a summary that is not an object).
    throw InputError(fmt::format("{}: unexpected structure: {}", source, e.what()));
  } catch (const InputError& e) {
    throw InputError(fmt::format("{}: {}", source, e.what()));
  }
}

}  // namespace poolbench::analysis
