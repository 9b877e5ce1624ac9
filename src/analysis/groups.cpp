#include "analysis/groups.hpp"

#include <algorithm>
#include <climits>
#include <map>
#include <optional>
#include <string>
#include <tuple>

#include <fmt/format.h>

#include "analysis/cell_models.hpp"
#include "analysis/queueing.hpp"
#include "analysis/sizing.hpp"
#include "analysis/usl.hpp"

namespace poolbench::analysis::detail {
namespace {

using nlohmann::json;

/// The USL has three parameters: a fit through fewer distinct concurrencies than this says
/// nothing a straight line would not.
constexpr int k_usl_min_distinct = 4;
/// A fit whose R² reaches this describes its points well enough to read N* from it.
constexpr double k_usl_good_r_squared = 0.9;
/// The least P(wait > pool_timeout) the group's Erlang C size targets when the slo allows
/// no timeouts (a target of 0 needs infinitely many connections).
constexpr double k_min_timeout_rate_target = 0.001;

std::vector<Group> make_groups(const std::vector<CellView>& cells) {
  std::vector<Group> groups;
  std::map<std::string, std::size_t> by_identity;
  for (std::size_t i = 0; i < cells.size(); ++i) {
    const CellView& cell = cells[i];
    auto [it, inserted] = by_identity.emplace(cell.group_identity, groups.size());
    if (inserted)
      groups.push_back(
          {.key = cell.group_key, .params = cell.group_params, .cells = {}, .settings = {}});
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

/// The cells of a group whose throughput measured capacity (measured_capacity()), as USL
/// points, and how many measured cells did not.
struct UslInput {
  std::vector<UslPoint> points;
  json observations = json::array();
  /// Open-loop cells (replay's too: "open-loop" in the reason below covers them) that
  /// served the whole offered rate.
  int unsaturated = 0;
};

UslInput usl_input(const Group& group, const std::vector<CellView>& cells) {
  UslInput in;
  for (std::size_t i : group.cells) {
    const CellView& cell = cells[i];
    if (!cell.ok || cell.mean_checked_out <= 0 || cell.throughput_rps <= 0) continue;
    if (!measured_capacity(cell)) {
      ++in.unsaturated;
      continue;
    }
    in.points.push_back({cell.mean_checked_out, cell.throughput_rps});
    in.observations.push_back({{"cell", cell.id},
                               {"concurrency", cell.mean_checked_out},
                               {"throughput_rps", cell.throughput_rps}});
  }
  return in;
}

/// Why a group gets no USL fit: too few distinct concurrencies among the cells that
/// measured capacity (and how many did not).
std::string usl_no_fit_reason(const UslInput& in, int distinct) {
  std::string reason = fmt::format(
      "{} distinct concurrencies among the cells that measured capacity; the USL needs {}",
      distinct, k_usl_min_distinct);
  if (in.unsaturated > 0) {
    reason += fmt::format(
        " ({} open-loop cells served the whole offered rate: their throughput is the load, "
        "not a capacity)",
        in.unsaturated);
  }
  return reason;
}

json usl_json(const Group& group, const std::vector<CellView>& cells) {
  UslInput in = usl_input(group, cells);
  const UslFit fit = fit_usl(in.points);
  json out = {{"status", fit.status},
              {"concurrency_source", "pool.mean_checked_out"},
              {"points", fit.points},
              {"distinct_concurrency", fit.distinct_concurrency},
              {"unsaturated_cells", in.unsaturated},
              {"good_fit", false},
              {"observations", std::move(in.observations)}};
  if (fit.status == "not_enough_points" || fit.distinct_concurrency < k_usl_min_distinct) {
    out["status"] = "not_enough_points";
    out["reason"] = usl_no_fit_reason(in, fit.distinct_concurrency);
    return out;
  }
  const auto optional = [](const std::optional<double>& v) { return v ? json(*v) : json(); };
  out["sigma"] = fit.params.sigma;
  out["kappa"] = fit.params.kappa;
  out["lambda"] = fit.params.lambda;
  out["r_squared"] = fit.r_squared;
  out["peak_concurrency"] = optional(fit.peak_concurrency);
  out["peak_throughput_rps"] = optional(fit.peak_throughput);
  out["throughput_limit_rps"] = optional(fit.throughput_limit);
  out["good_fit"] = fit.status == "ok" && fit.r_squared >= k_usl_good_r_squared;
  if (!out["good_fit"].get<bool>()) {
    out["reason"] =
        fmt::format("R² {:.2f} < {}: the USL does not describe these points{}", fit.r_squared,
                    k_usl_good_r_squared, fit.status == "ok" ? "" : " (the fit did not converge)");
  }
  return out;
}

/// Smallest c with P(wait > pool_timeout) <= max(slo.timeout_rate, 0.001) for the group's
/// offered load (open loop; mean hold weighted by completed requests; the shortest
/// pool_timeout of the group). Replay: every cell of a group replays the same trace at the
/// same speed, so the rate is the group's measured arrivals, requests / duration pooled.
json erlang_smallest_json(const Group& group, const std::vector<CellView>& cells, const Slo& slo) {
  double hold_sum_ms = 0;
  double weight = 0;
  double timeout_s = 0;
  std::optional<double> rate;
  double replay_requests = 0;
  double replay_seconds = 0;
  int instances = 1;
  for (std::size_t i : group.cells) {
    const CellView& cell = cells[i];
    const std::optional<double> arrivals = arrival_rate_rps(cell);
    if (!cell.ok || !arrivals || cell.completed <= 0) continue;
    hold_sum_ms += cell.hold_mean_ms * static_cast<double>(cell.completed);
    weight += static_cast<double>(cell.completed);
    timeout_s = rate ? std::min(timeout_s, cell.pool_timeout_s) : cell.pool_timeout_s;
    rate = *arrivals;
    if (cell.replay) {
      replay_requests += static_cast<double>(cell.requests);
      replay_seconds += cell.duration_s;
      rate = replay_requests / replay_seconds;
    }
    instances = cell.instances;
  }
  if (!rate || *rate <= 0 || weight <= 0 || hold_sum_ms <= 0) return json();
  WaitTarget target;
  target.max_p_wait_longer = std::max(slo.timeout_rate.value_or(0), k_min_timeout_rate_target);
  target.wait_limit_s = timeout_s;
  const auto servers =
      erlang_c_smallest_servers(*rate / instances, hold_sum_ms / weight / 1000, target);
  return servers ? json(*servers) : json();
}

/// Each cell's `met` and `reasons`; cells that were not measured (or are invalid) get their
/// final verdict here. Returns whether each cell met.
std::vector<bool> judge_cells(const std::vector<CellView>& cells, const Slo& slo,
                              json& cells_json) {
  std::vector<bool> met(cells.size(), false);
  for (std::size_t i = 0; i < cells.size(); ++i) {
    json& out = cells_json[i];
    if (!cells[i].ok) {
      const bool invalid = !cells[i].invalid_reason.empty();
      out["verdict"] = invalid ? "invalid" : "not_measured";
      out["met"] = json();
      out["reasons"] =
          json::array({invalid ? cells[i].invalid_reason : "status " + cells[i].status});
      out["evidence_cell"] = json();
      continue;
    }
    std::vector<std::string> reasons;
    met[i] = cell_met(cells[i], slo, &reasons);
    out["met"] = met[i];
    out["reasons"] = reasons;
  }
  return met;
}

/// The verdict of each measured cell of `group`, given the smallest setting that met.
void judge_group_cells(const Group& group, const Setting* smallest_met,
                       const std::vector<CellView>& cells, const std::vector<bool>& met,
                       json& cells_json) {
  for (std::size_t i : group.cells) {
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
      out["reasons"].push_back(fmt::format("a smaller pool also met: pool_size {}, max_overflow {}",
                                           evidence.pool_size, evidence.max_overflow));
    } else {
      out["verdict"] = "adequate";
      out["evidence_cell"] = smallest_met ? cells[smallest_met->cells.front()].id : cell.id;
    }
  }
}

json smallest_json(const Setting* smallest_met, const std::vector<CellView>& cells) {
  if (smallest_met == nullptr) return json();
  return {{"pool_size", smallest_met->pool_size},
          {"max_overflow", smallest_met->max_overflow},
          {"pool_timeout_s", smallest_met->pool_timeout_s},
          {"total", smallest_met->total ? json(*smallest_met->total) : json()},
          {"cell", cells[smallest_met->cells.front()].id}};
}

/// Marks each setting met / over budget; returns the smallest that met, or nullptr.
const Setting* judge_settings(Group& group, const std::vector<CellView>& cells,
                              const std::vector<bool>& met) {
  const Setting* smallest_met = nullptr;
  for (auto& setting : group.settings) {
    setting.met = !setting.cells.empty() && std::all_of(setting.cells.begin(), setting.cells.end(),
                                                        [&](std::size_t i) { return met[i]; });
    setting.over_budget =
        std::any_of(setting.cells.begin(), setting.cells.end(),
                    [&](std::size_t i) { return cells[i].refused_connections > 0; });
    if (setting.met && (!smallest_met || setting.smaller_than(*smallest_met))) {
      smallest_met = &setting;
    }
  }
  return smallest_met;
}

}  // namespace

json judge_groups(const json& results, const std::vector<CellView>& cells, const Slo& slo,
                  const ServerCores& cores, json& cells_json) {
  const std::vector<bool> met = judge_cells(cells, slo, cells_json);
  json groups_json = json::array();
  for (Group& group : make_groups(cells)) {
    const Setting* smallest_met = judge_settings(group, cells, met);
    judge_group_cells(group, smallest_met, cells, met, cells_json);
    json ids = json::array();
    for (std::size_t i : group.cells) ids.push_back(cells[i].id);
    groups_json.push_back({{"key", group.key},
                           {"params", group.params},
                           {"cells", std::move(ids)},
                           {"smallest_met", smallest_json(smallest_met, cells)},
                           {"erlang_c_smallest_servers", erlang_smallest_json(group, cells, slo)},
                           {"usl", usl_json(group, cells)},
                           {"hikaricp", hikari_json(cores, cells[group.cells.front()].profile)},
                           {"seed_rows", group_seed_rows(results, group, smallest_met, cells)}});
  }
  return groups_json;
}

}  // namespace poolbench::analysis::detail
