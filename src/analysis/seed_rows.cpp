// The seeds' tuning-table rows judged against a group's settings, only where a row applies
// (groups.hpp, group_seed_rows).

#include <algorithm>

#include <fmt/format.h>

#include "analysis/groups.hpp"
#include "analysis/mix.hpp"
#include "analysis/sizing.hpp"

namespace poolbench::analysis::detail {
namespace {

using nlohmann::json;

constexpr double k_percent = 100;

const char* verdict_of(const Setting& setting, const Setting* smallest_met) {
  // Refused connections are not a pool that is too small: the pools are too big for the
  // server's max_connections (seed 004's budget).
  if (setting.over_budget) return "over_budget";
  if (!setting.met) return "undersized";
  if (smallest_met && smallest_met->total_key() < setting.total_key()) return "oversized";
  return "adequate";
}

/// A row's place in the output and why it applies to the group.
struct RowUse {
  const char* table;
  std::string applies;
};

/// A setting with the row's pool_size and max_overflow (its timeout preferred), or nullptr.
const Setting* measured_setting(const PoolRow& row, const Group& group) {
  const Setting* measured = nullptr;
  for (const auto& setting : group.settings) {
    if (setting.pool_size != row.pool_size || setting.max_overflow != row.max_overflow) continue;
    if (!measured || setting.pool_timeout_s == row.pool_timeout_s) measured = &setting;
  }
  return measured;
}

/// No setting with the row's sizes: judged by its total against the settings that were
/// (a total above the smallest that met is oversized; one at or below a total that missed
/// is undersized; this assumes more connections never hurt).
void infer_verdict(json& out, int total, const Group& group, const Setting* smallest_met,
                   const std::vector<CellView>& cells) {
  const auto judged = [&](const char* verdict, const Setting& evidence) {
    out["verdict"] = verdict;
    out["basis"] = "inferred";
    out["evidence_cell"] = cells[evidence.cells.front()].id;
  };
  if (smallest_met && total > smallest_met->total_key()) return judged("oversized", *smallest_met);
  for (const auto& setting : group.settings) {
    if (!setting.met && setting.total_key() >= total) return judged("undersized", setting);
  }
  if (smallest_met && total == smallest_met->total_key()) judged("adequate", *smallest_met);
}

json seed_row_json(const RowUse& use, const PoolRow& row, const Group& group,
                   const Setting* smallest_met, const std::vector<CellView>& cells) {
  const int total = row.pool_size + row.max_overflow;
  json out = {{"table", use.table},
              {"name", row.name},
              {"label", row.label},
              {"source", row.source},
              {"applies", use.applies},
              {"pool_size", row.pool_size},
              {"max_overflow", row.max_overflow},
              {"pool_timeout_s", row.pool_timeout_s},
              {"total", total},
              {"verdict", "not_covered"},
              {"basis", json()},
              {"evidence_cell", json()}};
  if (const Setting* measured = measured_setting(row, group)) {
    out["verdict"] = verdict_of(*measured, smallest_met);
    out["basis"] = "measured";
    const bool oversized = out["verdict"] == "oversized";
    out["evidence_cell"] = cells[(oversized ? smallest_met : measured)->cells.front()].id;
    return out;
  }
  infer_verdict(out, total, group, smallest_met, cells);
  return out;
}

/// The arrival rate per app instance that picks the group's traffic tier, and how it was
/// found. Open loop: the offered workload.rate (the generator's Poisson arrivals measure it
/// only up to noise, which at a tier's edge would pick a tier at random), with the measured
/// rate beside it. Closed loop: the measured rate, requests / duration pooled over the
/// group's measured cells (an undersized pool lowers it). Replay: the measured rate too, but
/// it is the trace's at replay.speed whatever the pool (a trace has no noise to
/// average out, and the group's cells share one speed).
struct TierRate {
  double rps = 0;
  std::string applies;
};

std::optional<TierRate> tier_rate(const Group& group, const std::vector<CellView>& cells) {
  double requests = 0;
  double seconds = 0;
  std::optional<double> offered;
  bool replay = false;
  for (std::size_t i : group.cells) {
    const CellView& cell = cells[i];
    if (!cell.ok || cell.duration_s <= 0) continue;
    requests += static_cast<double>(cell.requests) / cell.instances;
    seconds += cell.duration_s;
    replay = replay || cell.replay;
    if (cell.open_loop && cell.rate_rps) offered = *cell.rate_rps / cell.instances;
  }
  if (seconds <= 0) return std::nullopt;
  const double measured = requests / seconds;
  if (offered) {
    return TierRate{*offered, fmt::format("offered arrival rate {:.1f} requests/s per app "
                                          "instance (measured {:.1f})",
                                          *offered, measured)};
  }
  return TierRate{
      measured, fmt::format("measured arrival rate {:.1f} requests/s per app instance{}", measured,
                            replay ? " (the trace's, at replay.speed)" : "")};
}

/// The workload row (read- or write-heavy) the group's mix is an instance of, if any.
std::optional<RowUse> workload_use(const json& results, const CellView& cell, std::string* name) {
  const MixShare mix = classify_mix(results, *cell.cell);
  if (!mix.write_share || mix.kind == MixKind::mixed || mix.kind == MixKind::unknown) {
    return std::nullopt;
  }
  const bool read = mix.kind == MixKind::read_heavy;
  *name = read ? "read_heavy" : "write_heavy";
  return RowUse{
      "workload",
      fmt::format(
          "{:.0f}% of the requests write ({}: {} {:.0f}%)", *mix.write_share * k_percent,
          read ? "read-heavy" : "write-heavy", read ? "at most" : "at least",
          (read ? k_read_heavy_max_write_share : k_write_heavy_min_write_share) * k_percent)};
}

}  // namespace

json group_seed_rows(const json& results, const Group& group, const Setting* smallest_met,
                     const std::vector<CellView>& cells) {
  json rows = json::array();
  const CellView& first = cells[group.cells.front()];
  if (const auto rate = tier_rate(group, cells)) {
    const RowUse use{"traffic_tier", rate->applies};
    rows.push_back(seed_row_json(use, seed_tier_row(rate->rps), group, smallest_met, cells));
  }
  for (const std::string& environment : first.environments) {
    for (const auto& row : seed_environment_rows()) {
      if (row.name != environment) continue;
      const RowUse use{"environment",
                       fmt::format("the scenario models {} (workload.environment)", environment)};
      rows.push_back(seed_row_json(use, row, group, smallest_met, cells));
    }
  }
  std::string name;
  if (const auto use = workload_use(results, first, &name)) {
    for (const auto& row : seed_workload_rows()) {
      if (row.name == name) rows.push_back(seed_row_json(*use, row, group, smallest_met, cells));
    }
  }
  return rows;
}

}  // namespace poolbench::analysis::detail
