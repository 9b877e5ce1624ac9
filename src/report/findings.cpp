// The top findings of a report (report_model.hpp, findings()): computed from the rows when
// the analysis gives none.

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <map>
#include <optional>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "report/model_text.hpp"
#include "report/report_model.hpp"

namespace poolbench::report {
namespace {

bool met(const CellRow& row) {
  return row.verdict.kind == VerdictKind::slo_met || row.verdict.kind == VerdictKind::adequate ||
         row.verdict.kind == VerdictKind::oversized;
}

bool missed(const CellRow& row) {
  return row.verdict.kind == VerdictKind::slo_missed || row.verdict.kind == VerdictKind::undersized;
}

/// The varying params other than pool_size and max_overflow: "profile=ssd mix=read_heavy".
std::string group_of(const ReportModel& model, const CellRow& row) {
  std::vector<std::string> parts;
  for (const auto& name : model.varying) {
    if (name != "pool_size" && name != "max_overflow")
      parts.push_back(param_value(model, row, name));
  }
  return fmt::format("{}", fmt::join(parts, " "));
}

std::string pool_text(const ReportModel& model, const CellRow& row) {
  return param_value(model, row, "pool_size") + "+" + param_value(model, row, "max_overflow");
}

/// Whether a cell ran with pool_pre_ping: its matrix axis, else the scenario's setting.
std::optional<bool> pre_ping_of(const ReportModel& model, const CellRow& row) {
  if (const auto* axis = find_path(*row.cell, {"params", "pool.pool_pre_ping"})) {
    if (axis->is_boolean()) return axis->get<bool>();
    if (axis->is_string()) return axis->get<std::string>() == "true";
  }
  if (const auto* base = find_path(*model.results, {"scenario", "pool", "pool_pre_ping"});
      base && base->is_boolean()) {
    return base->get<bool>();
  }
  return std::nullopt;
}

/// The seeds' pool_pre_ping under faults: errors per fault kind with it and without it, and
/// what it costs when nothing fails (median p50 latency). Empty unless cells with faults ran
/// both ways.
std::string pre_ping_finding(const ReportModel& model) {
  struct Side {
    std::map<std::string, double> errors;  ///< by fault kind, summed over cells
    std::vector<double> p50;
    int cells = 0;
  };
  Side sides[2];  // [0] without, [1] with
  std::vector<std::string> kinds;
  for (const auto& row : model.cells) {
    const auto* faults = find_path(*row.cell, {"faults"});
    const auto pre_ping = pre_ping_of(model, row);
    if (faults == nullptr || !faults->is_array() || faults->empty() || !pre_ping) continue;
    Side& side = sides[*pre_ping ? 1 : 0];
    ++side.cells;
    side.p50.push_back(row.latency_p50_ms);
    for (const auto& fault : *faults) {
      const std::string kind = fault.value("kind", "?");
      if (std::find(kinds.begin(), kinds.end(), kind) == kinds.end()) kinds.push_back(kind);
      const double errors = number_at(fault, "errors");
      side.errors[kind] += std::isnan(errors) ? 0 : errors;
    }
  }
  if (sides[0].cells == 0 || sides[1].cells == 0) return {};
  std::vector<std::string> parts;
  for (const auto& kind : kinds) {
    parts.push_back(fmt::format("{} {} vs {}", kind, format_number(sides[1].errors[kind]),
                                format_number(sides[0].errors[kind])));
  }
  return fmt::format(
      "pool_pre_ping under faults, errors with it vs without ({} vs {} cells): {}; its cost, "
      "median request p50 {} ms with it vs {} ms without.",
      sides[1].cells, sides[0].cells, fmt::join(parts, ", "), format_ms(median(sides[1].p50)),
      format_ms(median(sides[0].p50)));
}

/// Cells that dropped open-loop arrivals (over workload.max_in_flight): the worst one.
std::string drops_finding(const ReportModel& model) {
  const CellRow* worst = nullptr;
  int cells = 0;
  for (const auto& row : model.cells) {
    if (!(row.dropped > 0)) continue;
    ++cells;
    if (worst == nullptr || row.drop_rate > worst->drop_rate) worst = &row;
  }
  if (worst == nullptr) return {};
  return fmt::format(
      "{} of {} cells dropped arrivals (workload.max_in_flight requests already running: "
      "requests never served); worst {}: {} of {} arrivals dropped ({}).",
      cells, model.cells.size(), worst->label, format_number(worst->dropped),
      format_number(worst->requests), format_percent(worst->drop_rate));
}

bool has_pool_pair(const ReportModel& model) {
  const auto has = [&](const char* name) {
    return std::find(model.param_names.begin(), model.param_names.end(), name) !=
           model.param_names.end();
  };
  return has("max_overflow") && has("pool_size");
}

/// 1. How many cells missed (or, with analysis, the verdict counts); empty without verdicts.
std::string verdicts_finding(const ReportModel& model) {
  const auto count = [&](auto predicate) {
    return std::count_if(model.cells.begin(), model.cells.end(), predicate);
  };
  const auto kind_is = [](VerdictKind kind) {
    return [kind](const CellRow& r) { return r.verdict.kind == kind; };
  };
  const auto invalid = count(kind_is(VerdictKind::invalid));
  const std::string invalid_text =
      invalid > 0 ? fmt::format(", {} invalid (the load generator fell behind)", invalid) : "";
  if (model.verdict_source == "analysis") {
    return fmt::format("Verdicts: {} undersized, {} adequate, {} oversized{} (of {} cells).",
                       count(kind_is(VerdictKind::undersized)),
                       count(kind_is(VerdictKind::adequate)),
                       count(kind_is(VerdictKind::oversized)), invalid_text, model.cells.size());
  }
  if (model.verdict_source != "slo") return {};
  const auto misses = count(missed);
  if (misses == 0 && invalid == 0) {
    return fmt::format("All {} cells met the SLO ({}).", model.cells.size(), model.slo_text);
  }
  return fmt::format("{} of {} cells missed the SLO ({}){}.", misses, model.cells.size(),
                     model.slo_text, invalid_text);
}

/// 2. The worst cell, when it is bad; else empty.
std::string worst_cell_finding(const ReportModel& model) {
  const int w = worst_cell(model);
  if (w < 0) return {};
  const CellRow& row = model.cells[static_cast<std::size_t>(w)];
  if (!(row.timeout_rate > 0 || missed(row))) return {};
  const std::string what = row.verdict.kind == VerdictKind::undersized ||
                                   (model.verdict_source != "analysis" && missed(row))
                               ? " undersized"
                               : "";
  const std::string at_load = std::isnan(model.offered_rps)
                                  ? ""
                                  : fmt::format(" at {} rps", format_number(model.offered_rps));
  return fmt::format("{}{}{}: {} timeouts{}, p99 {} ms, {} rps served.",
                     has_pool_pair(model) ? "pool " : "", row.label, what,
                     format_percent(row.timeout_rate), at_load, format_ms(row.latency_p99_ms),
                     format_rps(row.throughput_rps));
}

/// 3. The smallest pool that met the SLO (or was adequate), per group of other params.
std::string smallest_pool_finding(const ReportModel& model) {
  if (!has_pool_pair(model) || model.verdict_source == "none") return {};
  std::map<std::string, const CellRow*> smallest;
  std::vector<std::string> groups;
  for (const auto& row : model.cells) {
    const std::string group = group_of(model, row);
    if (!smallest.count(group)) {
      smallest[group] = nullptr;
      groups.push_back(group);
    }
    if (!met(row)) continue;
    const CellRow*& best = smallest[group];
    const auto size = [](const CellRow* r) {
      return std::pair{r->pool_size + r->max_overflow, r->pool_size};
    };
    if (best == nullptr || size(&row) < size(best)) best = &row;
  }
  std::vector<std::string> parts;
  for (const auto& group : groups) {
    const CellRow* best = smallest[group];
    const std::string prefix = group.empty() ? "" : group + ": ";
    parts.push_back(best == nullptr
                        ? prefix + "none"
                        : fmt::format("{}{} (p99 {} ms, {} timeouts)", prefix,
                                      pool_text(model, *best), format_ms(best->latency_p99_ms),
                                      format_percent(best->timeout_rate)));
  }
  return fmt::format("Smallest pool meeting the SLO: {}.", fmt::join(parts, "; "));
}

/// 4. What max_overflow does at the smallest pool_size; empty when it does not vary.
std::string overflow_finding(const ReportModel& model) {
  if (std::find(model.varying.begin(), model.varying.end(), "max_overflow") ==
      model.varying.end()) {
    return {};
  }
  double smallest_pool = k_nan;
  double low = k_nan;
  double high = k_nan;
  for (const auto& row : model.cells) {
    if (std::isnan(smallest_pool) || row.pool_size < smallest_pool) smallest_pool = row.pool_size;
    if (std::isnan(low) || row.max_overflow < low) low = row.max_overflow;
    if (std::isnan(high) || row.max_overflow > high) high = row.max_overflow;
  }
  std::vector<double> at_low;
  std::vector<double> at_high;
  for (const auto& row : model.cells) {
    if (row.pool_size != smallest_pool) continue;
    if (row.max_overflow == low) at_low.push_back(row.timeout_rate);
    if (row.max_overflow == high) at_high.push_back(row.timeout_rate);
  }
  if (at_low.empty() || at_high.empty()) return {};
  return fmt::format(
      "At pool_size {}, max_overflow {} instead of {} takes the median timeout rate from {} "
      "to {}.",
      format_number(smallest_pool), format_number(high), format_number(low),
      format_percent(median(at_low)), format_percent(median(at_high)));
}

/// A claim's evidence on one cell, naming the cells it compared by their report labels.
std::string claim_evidence(const ReportModel& model, const nlohmann::json& cell) {
  std::string evidence = cell.value("evidence", "");
  std::vector<std::string> labels;
  if (const auto* compared = find_path(cell, {"compared_cells"});
      compared && compared->is_array()) {
    for (const auto& id : *compared) {
      if (id.is_string()) labels.push_back(cell_label(model, id.get<std::string>()));
    }
  } else if (const auto* id = find_path(cell, {"id"}); id && id->is_string()) {
    labels.push_back(cell_label(model, id->get<std::string>()));
  }
  if (evidence.empty() || labels.empty()) return evidence;
  return fmt::format("{} ({})", evidence, fmt::join(labels, " vs "));
}

/// 5b. Seed 001's performance claims (behaviour table, session checkout latency): one line
/// each.
std::vector<std::string> seed_claim_lines(const ReportModel& model) {
  std::vector<std::string> lines;
  if (model.analysis == nullptr) return lines;
  const auto* claims = find_path(*model.analysis, {"seed_claims"});
  if (claims == nullptr || !claims->is_array()) return lines;
  for (const auto& claim : *claims) {
    if (!claim.is_object() || !claim.contains("cells") || !claim["cells"].is_array()) continue;
    int holds = 0;
    int differs = 0;
    std::string other_evidence;
    for (const auto& cell : claim["cells"]) {
      const std::string verdict = cell.value("verdict", "");
      if (verdict == "holds") {
        ++holds;
      } else {
        differs += verdict == "differs";
        if (other_evidence.empty()) other_evidence = claim_evidence(model, cell);
      }
    }
    const int total = static_cast<int>(claim["cells"].size());
    const int inconclusive = total - holds - differs;
    lines.push_back(
        fmt::format("Seed {} \"{}\" ({}): holds in {} of {} cells{}{}.", claim.value("seed", "?"),
                    claim.value("row", "?"), claim.value("claim", "?"), holds, total,
                    inconclusive > 0 ? fmt::format(", inconclusive in {}", inconclusive) : "",
                    other_evidence.empty() ? "" : "; " + other_evidence));
  }
  return lines;
}

/// 6. Profiles side by side; empty when the profile does not vary.
std::string profiles_finding(const ReportModel& model) {
  if (std::find(model.varying.begin(), model.varying.end(), "profile") == model.varying.end()) {
    return {};
  }
  std::vector<std::string> profiles;
  std::map<std::string, std::vector<double>> p99s;
  for (const auto& row : model.cells) {
    if (!p99s.count(row.profile)) profiles.push_back(row.profile);
    p99s[row.profile].push_back(row.latency_p99_ms);
  }
  std::vector<std::string> parts;
  for (const auto& profile : profiles) {
    parts.push_back(fmt::format("{} {} ms", profile, format_ms(median(p99s[profile]))));
  }
  return fmt::format("Median p99 latency by profile: {}.", fmt::join(parts, ", "));
}

/// A replay matrix (a replay.speed axis, docs/capture.md): per pool (and other varying
/// params), the highest speed whose cells all met the SLO and the lowest that missed.
/// Empty without that axis or without verdicts.
std::string replay_speed_finding(const ReportModel& model) {
  const std::string axis = "replay.speed";
  if (std::find(model.varying.begin(), model.varying.end(), axis) == model.varying.end() ||
      model.verdict_source == "none") {
    return {};
  }
  struct Speeds {
    std::map<double, bool> all_met;  ///< speed -> every cell (repetition) at it met the SLO
  };
  std::map<std::string, Speeds> by_group;
  std::vector<std::string> groups;
  for (const auto& row : model.cells) {
    if (!met(row) && !missed(row)) continue;
    std::string group = pool_text(model, row);
    for (const auto& name : model.varying) {
      if (name != "pool_size" && name != "max_overflow" && name != axis)
        group += " " + param_value(model, row, name);
    }
    if (!by_group.count(group)) groups.push_back(group);
    const double speed = std::strtod(param_value(model, row, axis).c_str(), nullptr);
    auto [it, added] = by_group[group].all_met.try_emplace(speed, true);
    it->second = it->second && met(row);
  }
  std::vector<std::string> parts;
  for (const auto& group : groups) {
    std::optional<double> held;
    std::optional<double> missed_at;
    for (const auto& [speed, ok] : by_group[group].all_met) {
      if (!ok) {
        missed_at = speed;
        break;
      }
      held = speed;
    }
    const std::string from = held ? fmt::format("holds up to {}x", format_number(*held))
                                  : std::string("holds at no speed judged");
    parts.push_back(
        missed_at ? fmt::format("{} {}, misses from {}x", group, from, format_number(*missed_at))
                  : fmt::format("{} {} (every speed tried)", group, from));
  }
  if (parts.empty()) return {};
  return fmt::format("Replay speed each pool meets the SLO at: {}.", fmt::join(parts, "; "));
}

/// How many statements' plans differ between profiles (analysis.plan_changes), pointing to
/// the Server section's list; empty without any.
std::string plan_changes_finding(const ReportModel& model) {
  const auto lines = plan_change_lines(model);
  if (lines.empty()) return {};
  return fmt::format(
      "The plan of {} statement{} is not the same in every cell: see Plan changes under "
      "Server, with each profile's plan shape and latency.",
      lines.size(), lines.size() == 1 ? "" : "s");
}

}  // namespace

std::vector<std::string> findings(const ReportModel& model) {
  std::vector<std::string> out;
  if (model.analysis != nullptr) {
    if (const auto* given = find_path(*model.analysis, {"findings"});
        given != nullptr && given->is_array() && !given->empty()) {
      for (const auto& item : *given) {
        if (item.is_string()) out.push_back(item.get<std::string>());
      }
      if (!out.empty()) return out;
    }
  }
  if (model.cells.empty()) return {"No finished cells: nothing to compare."};
  // Up to five general findings, in this order; then the ones never cut.
  for (const std::string& line :
       {verdicts_finding(model), drops_finding(model), worst_cell_finding(model),
        smallest_pool_finding(model), overflow_finding(model), seed_rows_finding(model),
        profiles_finding(model)}) {
    if (!line.empty()) out.push_back(line);
  }
  if (out.size() > 5) out.resize(5);
  // 7. Faults: what pre-ping bought, a replay's speeds, plan changes between profiles, the
  // models, fairness and the seeds' claims (never cut).
  if (const std::string line = pre_ping_finding(model); !line.empty()) out.push_back(line);
  if (const std::string line = replay_speed_finding(model); !line.empty()) out.push_back(line);
  if (const std::string line = plan_changes_finding(model); !line.empty()) out.push_back(line);
  const auto models = model_findings(model);
  out.insert(out.end(), models.begin(), models.end());
  const auto claims = seed_claim_lines(model);
  out.insert(out.end(), claims.begin(), claims.end());
  return out;
}

}  // namespace poolbench::report
