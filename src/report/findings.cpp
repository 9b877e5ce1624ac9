// The top findings of a report (report_model.hpp, findings()): computed from the rows when
// the analysis gives none.

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>

#include <fmt/format.h>
#include <fmt/ranges.h>

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
  const bool has_pool_pair = std::find(model.param_names.begin(), model.param_names.end(),
                                       "max_overflow") != model.param_names.end() &&
                             std::find(model.param_names.begin(), model.param_names.end(),
                                       "pool_size") != model.param_names.end();
  const std::string at_load = std::isnan(model.offered_rps)
                                  ? ""
                                  : fmt::format(" at {} rps", format_number(model.offered_rps));

  // 1. How many cells missed (or, with analysis, the verdict counts).
  const auto count = [&](auto predicate) {
    return std::count_if(model.cells.begin(), model.cells.end(), predicate);
  };
  if (model.verdict_source == "analysis") {
    out.push_back(fmt::format(
        "Verdicts: {} undersized, {} adequate, {} oversized (of {} cells).",
        count([](const CellRow& r) { return r.verdict.kind == VerdictKind::undersized; }),
        count([](const CellRow& r) { return r.verdict.kind == VerdictKind::adequate; }),
        count([](const CellRow& r) { return r.verdict.kind == VerdictKind::oversized; }),
        model.cells.size()));
  } else if (model.verdict_source == "slo") {
    const auto misses = count(missed);
    out.push_back(misses == 0 ? fmt::format("All {} cells met the SLO ({}).", model.cells.size(),
                                            model.slo_text)
                              : fmt::format("{} of {} cells missed the SLO ({}).", misses,
                                            model.cells.size(), model.slo_text));
  }

  // 2. The worst cell, when it is bad.
  if (const int w = worst_cell(model); w >= 0) {
    const CellRow& row = model.cells[static_cast<std::size_t>(w)];
    if (row.timeout_rate > 0 || missed(row)) {
      const std::string what = row.verdict.kind == VerdictKind::undersized ||
                                       (model.verdict_source != "analysis" && missed(row))
                                   ? " undersized"
                                   : "";
      out.push_back(fmt::format("{}{}{}: {} timeouts{}, p99 {} ms, {} rps served.",
                                has_pool_pair ? "pool " : "", row.label, what,
                                format_percent(row.timeout_rate), at_load,
                                format_ms(row.latency_p99_ms), format_rps(row.throughput_rps)));
    }
  }

  // 3. The smallest pool that met the SLO (or was adequate), per group of other params.
  if (has_pool_pair && model.verdict_source != "none") {
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
    out.push_back(fmt::format("Smallest pool meeting the SLO: {}.", fmt::join(parts, "; ")));
  }

  // 4. What max_overflow does at the smallest pool_size.
  const bool overflow_varies =
      std::find(model.varying.begin(), model.varying.end(), "max_overflow") != model.varying.end();
  if (overflow_varies) {
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
    if (!at_low.empty() && !at_high.empty()) {
      out.push_back(fmt::format(
          "At pool_size {}, max_overflow {} instead of {} takes the median timeout rate from {} "
          "to {}.",
          format_number(smallest_pool), format_number(high), format_number(low),
          format_percent(median(at_low)), format_percent(median(at_high))));
    }
  }

  // 5. The seeds' tuning-table rows, judged by the analysis.
  if (model.analysis != nullptr) {
    std::map<std::string, int> verdicts;
    int rows = 0;
    if (const auto* groups = find_path(*model.analysis, {"groups"}); groups && groups->is_array()) {
      for (const auto& group : *groups) {
        const auto* seed_rows = find_path(group, {"seed_rows"});
        if (seed_rows == nullptr || !seed_rows->is_array()) continue;
        for (const auto& row : *seed_rows) {
          if (!row.is_object() || !row.contains("verdict") || !row["verdict"].is_string()) continue;
          ++verdicts[row["verdict"].get<std::string>()];
          ++rows;
        }
      }
    }
    if (rows > 0) {
      std::vector<std::string> parts;
      for (const char* v : {"undersized", "adequate", "oversized", "not_covered"}) {
        if (verdicts[v] > 0) {
          parts.push_back(fmt::format("{} {}", verdicts[v],
                                      std::string(v) == "not_covered" ? "not covered" : v));
        }
      }
      out.push_back(fmt::format("The seeds' tuning-table rows, judged against these cells: {}.",
                                fmt::join(parts, ", ")));
    }
  }

  // 5b. Seed 001's performance claims (behaviour table, session checkout latency): one line
  // each, after the five general findings (never cut).
  std::vector<std::string> claim_lines;
  if (model.analysis != nullptr) {
    if (const auto* claims = find_path(*model.analysis, {"seed_claims"});
        claims != nullptr && claims->is_array()) {
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
            if (other_evidence.empty()) other_evidence = cell.value("evidence", "");
          }
        }
        const int total = static_cast<int>(claim["cells"].size());
        const int inconclusive = total - holds - differs;
        claim_lines.push_back(fmt::format(
            "Seed {} \"{}\" ({}): holds in {} of {} cells{}{}.", claim.value("seed", "?"),
            claim.value("row", "?"), claim.value("claim", "?"), holds, total,
            inconclusive > 0 ? fmt::format(", inconclusive in {}", inconclusive) : "",
            other_evidence.empty() ? "" : "; " + other_evidence));
      }
    }
  }

  // 6. Profiles side by side.
  if (std::find(model.varying.begin(), model.varying.end(), "profile") != model.varying.end()) {
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
    out.push_back(fmt::format("Median p99 latency by profile: {}.", fmt::join(parts, ", ")));
  }
  if (out.size() > 5) out.resize(5);
  // 7. Faults: what pre-ping bought (never cut, like the seeds' claims).
  if (const std::string line = pre_ping_finding(model); !line.empty()) out.push_back(line);
  out.insert(out.end(), claim_lines.begin(), claim_lines.end());
  return out;
}

}  // namespace poolbench::report
