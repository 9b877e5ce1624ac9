// analyze(): per-cell models (this file) and per-group verdicts (groups.cpp).

#include "analysis/analyze.hpp"

#include <cmath>
#include <vector>

#include <fmt/format.h>

#include "analysis/cell_models.hpp"
#include "analysis/cell_view.hpp"
#include "analysis/groups.hpp"
#include "analysis/plan_changes.hpp"
#include "analysis/queueing.hpp"
#include "analysis/seed_claims.hpp"
#include "analysis/server_differences.hpp"
#include "analysis/sizing.hpp"
#include "util/error.hpp"

namespace poolbench::analysis {
namespace {

using detail::CellView;
using nlohmann::json;

/// A fraction of the seeds' monitoring rule "checked_out > 90% of pool_size".
constexpr double k_busy_fraction = 0.9;
/// "Consistently": the rule matches in more than this share of the seconds.
constexpr double k_majority = 0.5;

json row_json(const PoolRow& row) {
  return {{"name", row.name},
          {"label", row.label},
          {"pool_size", row.pool_size},
          {"max_overflow", row.max_overflow},
          {"pool_timeout_s", row.pool_timeout_s}};
}

json cell_json(const CellView& cell, const detail::ServerCores& cores) {
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
  // The tier follows the arrivals where they do not depend on the pool (open: the offered
  // rate; replay: the trace's, measured), else the closed loop's measured throughput.
  const std::optional<double> arrivals = detail::arrival_rate_rps(cell);
  const double tier_rps = cell.open_loop ? arrivals.value_or(0) : cell.throughput_rps;
  const char* mode = cell.replay ? "replay" : cell.open_loop ? "open" : "closed";
  const char* source = cell.replay ? "trace" : cell.open_loop ? "workload.rate" : nullptr;
  out["workload"] = {{"mode", mode},
                     {"arrival_source", source ? json(source) : json()},
                     {"arrival_rate_rps", arrivals ? json(*arrivals) : json()},
                     {"replay_speed", cell.replay_speed ? json(*cell.replay_speed) : json()},
                     {"clients", cell.clients ? json(*cell.clients) : json()},
                     {"tier", std::string(traffic_tier(tier_rps))},
                     {"tier_rps", tier_rps}};
  out["hikaricp"] = detail::hikari_json(cores, cell.profile);
  out["seed_tier_row"] = row_json(seed_tier_row(tier_rps));
  if (!cell.ok) return out;
  out["little"] = detail::little_json(cell);
  out["seeds_formula"] = detail::seeds_formula_json(cell);
  out["sum_rule"] = detail::sum_rule_json(cell);
  const std::optional<double> p_wait = detail::measured_p_wait(cell);
  out["erlang_c"] = detail::erlang_json(cell, p_wait);
  out["finite_source"] = detail::finite_source_json(cell, p_wait);
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
    const double busy_limit = k_busy_fraction * pool_size * std::max(instances, 1);
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
    const bool fired = rule->majority ? fraction > k_majority : rule->matching > 0;
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
  const detail::Slo slo = read_slo(scenario);
  std::vector<CellView> cells;
  int index = 0;
  for (const auto& cell : results["cells"]) {
    if (!cell.is_object()) {
      throw InputError(fmt::format("cells[{}] is not an object", index));
    }
    cells.push_back(detail::read_cell(results, cell, index++));
  }
  const detail::ServerCores cores = detail::server_cores(results);
  json cells_json = json::array();
  for (const auto& cell : cells) cells_json.push_back(cell_json(cell, cores));
  json groups = detail::judge_groups(results, cells, slo, cores, cells_json);
  return {{"schema", "poolbench.analysis/1"},
          {"slo",
           {{"timeout_rate", slo.timeout_rate ? json(*slo.timeout_rate) : json()},
            {"p99_latency_ms", slo.p99_latency_ms ? json(*slo.p99_latency_ms) : json()},
            {"drop_rate", slo.drop_rate ? json(*slo.drop_rate) : json()},
            {"error_rate", slo.error_rate ? json(*slo.error_rate) : json()}}},
          {"measured_p_wait_threshold_ms", detail::k_wait_threshold_ms},
          {"cells", std::move(cells_json)},
          {"groups", std::move(groups)},
          {"seed_claims", seed_claims(results)},
          {"plan_changes", detail::plan_changes(results, cells)},
          {"server_differences", detail::server_differences(results)}};
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
