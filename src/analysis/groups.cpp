#include "analysis/groups.hpp"

#include <algorithm>
#include <climits>
#include <map>
#include <optional>
#include <string>
#include <tuple>

#include "analysis/queueing.hpp"
#include "analysis/sizing.hpp"
#include "analysis/usl.hpp"

namespace poolbench::analysis::detail {
namespace {

using nlohmann::json;

/// One pool setting inside a group, with its ok cells (repetitions).
struct Setting {
  int pool_size = 0;
  int max_overflow = 0;
  double pool_timeout_s = 0;
  std::optional<int> total;
  std::vector<std::size_t> cells;  ///< indices into the analysed cells, ok cells only
  bool met = false;                ///< every ok cell met (and there is one)
  bool over_budget = false;        ///< the server refused connections (53300) in a cell

  long long total_key() const { return total ? *total : LLONG_MAX; }
  /// Smaller total first, then the smaller pool_size, then the shorter timeout.
  bool smaller_than(const Setting& other) const {
    return std::make_tuple(total_key(), pool_size, pool_timeout_s) <
           std::make_tuple(other.total_key(), other.pool_size, other.pool_timeout_s);
  }
};

struct Group {
  std::string key;
  json params;
  std::vector<std::size_t> cells;  ///< all cells, any status
  std::vector<Setting> settings;
};

std::vector<Group> make_groups(const std::vector<CellView>& cells) {
  std::vector<Group> groups;
  std::map<std::string, std::size_t> by_identity;
  for (std::size_t i = 0; i < cells.size(); ++i) {
    const CellView& cell = cells[i];
    auto [it, inserted] = by_identity.emplace(cell.group_identity, groups.size());
    if (inserted) groups.push_back({cell.group_key, cell.group_params, {}, {}});
    Group& group = groups[it->second];
    group.cells.push_back(i);
    if (!cell.ok) continue;
    auto setting = std::find_if(group.settings.begin(), group.settings.end(), [&](auto& s) {
      return s.pool_size == cell.pool_size && s.max_overflow == cell.max_overflow &&
             s.pool_timeout_s == cell.pool_timeout_s;
    });
    if (setting == group.settings.end()) {
      group.settings.push_back(
          {cell.pool_size, cell.max_overflow, cell.pool_timeout_s, cell.total, {}, false});
      setting = group.settings.end() - 1;
    }
    setting->cells.push_back(i);
  }
  return groups;
}

json usl_json(const Group& group, const std::vector<CellView>& cells) {
  std::vector<UslPoint> points;
  json observations = json::array();
  for (std::size_t i : group.cells) {
    const CellView& cell = cells[i];
    if (!cell.ok || cell.mean_checked_out <= 0 || cell.throughput_rps <= 0) continue;
    points.push_back({cell.mean_checked_out, cell.throughput_rps});
    observations.push_back({{"cell", cell.id},
                            {"concurrency", cell.mean_checked_out},
                            {"throughput_rps", cell.throughput_rps}});
  }
  const UslFit fit = fit_usl(points);
  auto optional = [](const std::optional<double>& v) { return v ? json(*v) : json(); };
  json out = {{"status", fit.status},
              {"concurrency_source", "pool.mean_checked_out"},
              {"points", fit.points},
              {"distinct_concurrency", fit.distinct_concurrency},
              {"observations", std::move(observations)}};
  if (cells[group.cells.front()].open_loop) {
    out["note"] =
        "open loop: an unsaturated cell's throughput is the offered rate, not the capacity at "
        "its concurrency; only cells that saturated the pool measure capacity";
  }
  if (fit.status == "not_enough_points") return out;
  out["sigma"] = fit.params.sigma;
  out["kappa"] = fit.params.kappa;
  out["lambda"] = fit.params.lambda;
  out["r_squared"] = fit.r_squared;
  out["peak_concurrency"] = optional(fit.peak_concurrency);
  out["peak_throughput_rps"] = optional(fit.peak_throughput);
  out["throughput_limit_rps"] = optional(fit.throughput_limit);
  return out;
}

/// Smallest c with P(wait > pool_timeout) <= max(slo.timeout_rate, 0.001) for the group's
/// offered load (open loop; mean hold weighted by completed requests; the shortest
/// pool_timeout of the group).
json erlang_smallest_json(const Group& group, const std::vector<CellView>& cells, const Slo& slo) {
  double hold_sum_ms = 0;
  double weight = 0;
  double timeout_s = 0;
  std::optional<double> rate;
  int instances = 1;
  for (std::size_t i : group.cells) {
    const CellView& cell = cells[i];
    if (!cell.ok || !cell.open_loop || !cell.rate_rps || cell.completed <= 0) continue;
    hold_sum_ms += cell.hold_mean_ms * static_cast<double>(cell.completed);
    weight += static_cast<double>(cell.completed);
    timeout_s = rate ? std::min(timeout_s, cell.pool_timeout_s) : cell.pool_timeout_s;
    rate = *cell.rate_rps;
    instances = cell.instances;
  }
  if (!rate || weight <= 0 || hold_sum_ms <= 0) return json();
  WaitTarget target;
  target.max_p_wait_longer = std::max(slo.timeout_rate.value_or(0), 0.001);
  target.wait_limit_s = timeout_s;
  const auto servers =
      erlang_c_smallest_servers(*rate / instances, hold_sum_ms / weight / 1000, target);
  return servers ? json(*servers) : json();
}

const char* verdict_of(const Setting& setting, const Setting* smallest_met) {
  // Refused connections are not a pool that is too small: the pools are too big for the
  // server's max_connections (seed 004's budget).
  if (setting.over_budget) return "over_budget";
  if (!setting.met) return "undersized";
  if (smallest_met && smallest_met->total_key() < setting.total_key()) return "oversized";
  return "adequate";
}

json seed_row_json(const char* table, const PoolRow& row, const Group& group,
                   const Setting* smallest_met, const std::vector<CellView>& cells) {
  const int total = row.pool_size + row.max_overflow;
  json out = {{"table", table},
              {"name", row.name},
              {"label", row.label},
              {"pool_size", row.pool_size},
              {"max_overflow", row.max_overflow},
              {"pool_timeout_s", row.pool_timeout_s},
              {"total", total},
              {"verdict", "not_covered"},
              {"basis", json()},
              {"evidence_cell", json()}};
  // Measured: a setting with the row's pool_size and max_overflow (its timeout preferred).
  const Setting* measured = nullptr;
  for (const auto& setting : group.settings) {
    if (setting.pool_size != row.pool_size || setting.max_overflow != row.max_overflow) continue;
    if (!measured || setting.pool_timeout_s == row.pool_timeout_s) measured = &setting;
  }
  if (measured) {
    out["verdict"] = verdict_of(*measured, smallest_met);
    out["basis"] = "measured";
    const bool oversized = out["verdict"] == "oversized";
    out["evidence_cell"] = cells[(oversized ? smallest_met : measured)->cells.front()].id;
    return out;
  }
  if (smallest_met && total > smallest_met->total_key()) {
    out["verdict"] = "oversized";
    out["basis"] = "inferred";
    out["evidence_cell"] = cells[smallest_met->cells.front()].id;
    return out;
  }
  for (const auto& setting : group.settings) {
    if (!setting.met && setting.total_key() >= total) {
      out["verdict"] = "undersized";
      out["basis"] = "inferred";
      out["evidence_cell"] = cells[setting.cells.front()].id;
      return out;
    }
  }
  if (smallest_met && total == smallest_met->total_key()) {
    out["verdict"] = "adequate";
    out["basis"] = "inferred";
    out["evidence_cell"] = cells[smallest_met->cells.front()].id;
  }
  return out;
}

}  // namespace

json judge_groups(const std::vector<CellView>& cells, const Slo& slo, int cores, json& cells_json) {
  std::vector<bool> met(cells.size(), false);
  for (std::size_t i = 0; i < cells.size(); ++i) {
    json& out = cells_json[i];
    if (!cells[i].ok) {
      out["verdict"] = "not_measured";
      out["met"] = json();
      out["reasons"] = json::array({"status " + cells[i].status});
      out["evidence_cell"] = json();
      continue;
    }
    std::vector<std::string> reasons;
    met[i] = cell_met(cells[i], slo, &reasons);
    out["met"] = met[i];
    out["reasons"] = reasons;
  }

  json groups_json = json::array();
  for (Group& group : make_groups(cells)) {
    const Setting* smallest_met = nullptr;
    for (auto& setting : group.settings) {
      setting.met =
          !setting.cells.empty() && std::all_of(setting.cells.begin(), setting.cells.end(),
                                                [&](std::size_t i) { return met[i]; });
      setting.over_budget =
          std::any_of(setting.cells.begin(), setting.cells.end(),
                      [&](std::size_t i) { return cells[i].refused_connections > 0; });
      if (setting.met && (!smallest_met || setting.smaller_than(*smallest_met))) {
        smallest_met = &setting;
      }
    }
    json ids = json::array();
    for (std::size_t i : group.cells) {
      ids.push_back(cells[i].id);
      if (!cells[i].ok) continue;
      json& out = cells_json[i];
      const CellView& cell = cells[i];
      if (!met[i]) {
        out["verdict"] = cell.refused_connections > 0 ? "over_budget" : "undersized";
        out["evidence_cell"] = cell.id;
        continue;
      }
      const long long own = cell.total ? *cell.total : LLONG_MAX;
      if (smallest_met && smallest_met->total_key() < own) {
        out["verdict"] = "oversized";
        const CellView& evidence = cells[smallest_met->cells.front()];
        out["evidence_cell"] = evidence.id;
        out["reasons"].push_back("a smaller pool also met: pool_size " +
                                 std::to_string(evidence.pool_size) + ", max_overflow " +
                                 std::to_string(evidence.max_overflow) + " (" + evidence.id + ")");
      } else {
        out["verdict"] = "adequate";
        out["evidence_cell"] = smallest_met ? cells[smallest_met->cells.front()].id : cell.id;
      }
    }

    json smallest = json();
    if (smallest_met) {
      smallest = {{"pool_size", smallest_met->pool_size},
                  {"max_overflow", smallest_met->max_overflow},
                  {"pool_timeout_s", smallest_met->pool_timeout_s},
                  {"total", smallest_met->total ? json(*smallest_met->total) : json()},
                  {"cell", cells[smallest_met->cells.front()].id}};
    }
    const CellView& first = cells[group.cells.front()];
    const HikariCp hikari = hikaricp_connections(cores, first.profile);

    // The tier row of the group's load: the offered rate (open loop) or the best measured
    // throughput (closed loop).
    double tier_rps = first.open_loop ? first.rate_rps.value_or(0) : 0;
    if (!first.open_loop) {
      for (std::size_t i : group.cells) tier_rps = std::max(tier_rps, cells[i].throughput_rps);
    }
    json seed_rows = json::array();
    seed_rows.push_back(
        seed_row_json("traffic_tier", seed_tier_row(tier_rps), group, smallest_met, cells));
    for (const auto& row : seed_environment_rows()) {
      seed_rows.push_back(seed_row_json("environment", row, group, smallest_met, cells));
    }
    for (const auto& row : seed_workload_rows()) {
      seed_rows.push_back(seed_row_json("workload", row, group, smallest_met, cells));
    }

    groups_json.push_back({{"key", group.key},
                           {"params", group.params},
                           {"cells", std::move(ids)},
                           {"smallest_met", std::move(smallest)},
                           {"erlang_c_smallest_servers", erlang_smallest_json(group, cells, slo)},
                           {"usl", usl_json(group, cells)},
                           {"hikaricp",
                            {{"cores", hikari.cores},
                             {"effective_spindles", hikari.effective_spindles},
                             {"connections", hikari.connections}}},
                           {"seed_rows", std::move(seed_rows)}});
  }
  return groups_json;
}

}  // namespace poolbench::analysis::detail
