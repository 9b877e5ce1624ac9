#include "analysis/plan_changes.hpp"

#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>

#include <fmt/format.h>

#include "analysis/mix.hpp"

namespace poolbench::analysis::detail {

using nlohmann::json;

namespace {

/// What one profile shows for one statement.
struct ProfilePlan {
  std::string profile;
  std::string fingerprint;
  std::string shape;
  std::set<std::string> seen;  ///< every fingerprint its cells recorded
  double latency_p50_sum_ms = 0;
  int cells = 0;
};

/// One statement across the profiles, in their order of appearance.
struct StatementPlans {
  std::string transaction;
  int line = 0;
  std::string text;
  std::vector<ProfilePlan> profiles;

  ProfilePlan& of(const std::string& profile) {
    for (auto& plan : profiles) {
      if (plan.profile == profile) return plan;
    }
    ProfilePlan& added = profiles.emplace_back();
    added.profile = profile;
    return added;
  }
};

/// The names of the transactions `cell` runs (weight > 0 in its mix).
std::set<std::string> running(const json& results, const json& cell) {
  std::set<std::string> names;
  for (const auto& [transaction, weight] : weighted_transactions(results, cell)) {
    names.insert(transaction.value("name", std::string()));
  }
  return names;
}

void add_cell(const json& results, const CellView& cell, std::vector<StatementPlans>& statements,
              std::map<std::pair<std::string, int>, std::size_t>& index) {
  const json& plans = at_path(*cell.cell, "plans");
  if (!plans.is_array()) return;
  // The cell's latency speaks for a statement only when its mix runs the statement.
  const auto p50 = cell.ok ? number(at_path(*cell.cell, "summary.latency_ms.p50")) : std::nullopt;
  const std::set<std::string> runs = running(results, *cell.cell);
  for (const auto& entry : plans) {
    if (!entry.is_object() || !entry.value("fingerprint", json()).is_string()) continue;
    const auto key =
        std::make_pair(entry.value("transaction", std::string()), entry.value("line", 0));
    auto [at, inserted] = index.try_emplace(key, statements.size());
    if (inserted) {
      StatementPlans& added = statements.emplace_back();
      added.transaction = key.first;
      added.line = key.second;
      added.text = entry.value("statement", std::string());
    }
    ProfilePlan& plan = statements[at->second].of(cell.profile);
    if (plan.fingerprint.empty()) {
      plan.fingerprint = entry["fingerprint"].get<std::string>();
      plan.shape = entry.value("shape", std::string());
    }
    plan.seen.insert(entry["fingerprint"].get<std::string>());
    if (p50 && runs.count(key.first) > 0) {
      plan.latency_p50_sum_ms += *p50;
      ++plan.cells;
    }
  }
}

json change_json(const StatementPlans& statement) {
  json out = {{"statement", fmt::format("{} line {}: {}", statement.transaction, statement.line,
                                        statement.text)},
              {"transaction", statement.transaction},
              {"line", statement.line},
              {"profiles", json::array()},
              {"fingerprints", json::array()},
              {"shapes", json::array()},
              {"latency_p50_ms", json::array()},
              {"varies_within", json::array()}};
  for (const auto& plan : statement.profiles) {
    if (plan.seen.size() > 1) out["varies_within"].push_back(plan.profile);
    out["profiles"].push_back(plan.profile);
    out["fingerprints"].push_back(plan.fingerprint);
    out["shapes"].push_back(plan.shape);
    out["latency_p50_ms"].push_back(plan.cells > 0 ? json(plan.latency_p50_sum_ms / plan.cells)
                                                   : json());
  }
  return out;
}

}  // namespace

json plan_changes(const json& results, const std::vector<CellView>& cells) {
  std::vector<StatementPlans> statements;
  std::map<std::pair<std::string, int>, std::size_t> index;
  // Plans are recorded before the load: an invalid cell's (the generator fell behind) are
  // as good as any. Failed cells may have none.
  for (const auto& cell : cells) {
    if (cell.cell != nullptr && cell.status == "ok") add_cell(results, cell, statements, index);
  }
  json changes = json::array();
  for (const auto& statement : statements) {
    bool differs = false;
    for (const auto& plan : statement.profiles) {
      differs = differs || plan.fingerprint != statement.profiles.front().fingerprint ||
                plan.seen.size() > 1;
    }
    if (differs) changes.push_back(change_json(statement));
  }
  return changes;
}

}  // namespace poolbench::analysis::detail
