#include "matrix/budget_check.hpp"

#include <charconv>

namespace poolbench::matrix {
namespace {

int setting_or(const cluster::Profile& profile, std::string_view name, int fallback) {
  const auto* setting = profile.find(name);
  if (setting == nullptr) return fallback;
  int value = fallback;
  const auto& text = setting->value;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  return ec == std::errc() && ptr == text.data() + text.size() ? value : fallback;
}

}  // namespace

cluster::ConnectionBudget embedded_limits(const cluster::Profile& profile) {
  cluster::ConnectionBudget limits;
  // What the profile does not set is PostgreSQL's default (ConnectionBudget's).
  limits.max_connections = setting_or(profile, "max_connections", limits.max_connections);
  limits.superuser_reserved_connections =
      setting_or(profile, "superuser_reserved_connections", limits.superuser_reserved_connections);
  return limits;
}

std::vector<CellBudget> check_cell_budgets(
    const std::vector<Cell>& cells,
    const std::function<cluster::ConnectionBudget(const std::string& profile)>& limits_for) {
  std::vector<CellBudget> out;
  for (const auto& cell : cells) {
    cluster::ConnectionBudget budget = limits_for(cell.scenario.server.profile);
    budget.instances = cell.scenario.pool.instances;
    budget.pool_size = cell.scenario.pool.settings.pool_size;
    budget.max_overflow = cell.scenario.pool.settings.max_overflow;
    budget.other_connections = k_harness_connections;
    if (!cell.scenario.pool.fleet.empty()) {
      for (const auto& instance : scenario::resolve_instances(cell.scenario)) {
        budget.fleet.push_back(
            {instance.name, instance.settings.pool_size, instance.settings.max_overflow});
      }
    }
    out.push_back({&cell, cluster::check_connection_budget(budget)});
  }
  return out;
}

}  // namespace poolbench::matrix
