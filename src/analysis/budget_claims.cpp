#include "analysis/budget_claims.hpp"

#include <optional>
#include <string>

#include <fmt/format.h>

#include "analysis/cell_view.hpp"
#include "analysis/validity.hpp"
#include "cluster/budget.hpp"

namespace poolbench::analysis {
namespace {

using nlohmann::json;

/// One cell as the budget statements see it: the budget's arithmetic and what happened.
struct BudgetCell {
  std::string id;
  bool multi_service = false;  ///< several app instances, each with its own pool
  int max_connections = 0;
  cluster::BudgetVerdict budget;
  long long refused = 0;  ///< connects refused with 53300 too_many_connections
  long long peak = 0;     ///< connections checked out at the peak (summed over instances)
};

int int_at(const json& object, const char* key, int fallback) {
  const auto value = detail::number(object.value(key, json()));
  return value ? static_cast<int>(*value) : fallback;
}

/// The server the cell ran on: its own `server` (matrix), else the run's.
const json* server_of(const json& results, const json& cell) {
  if (cell.contains("server") && cell["server"].is_object()) return &cell["server"];
  if (results.contains("server") && results["server"].is_object()) return &results["server"];
  return nullptr;
}

std::optional<BudgetCell> read_budget_cell(const json& results, const json& cell, int index) {
  const json* server = server_of(results, cell);
  if (server == nullptr || !detail::number(server->value("max_connections", json()))) {
    return std::nullopt;
  }
  const detail::CellView view = detail::read_cell(results, cell, index);
  BudgetCell out;
  out.id = view.id;
  out.refused = view.refused_connections;
  out.max_connections = int_at(*server, "max_connections", 0);
  cluster::ConnectionBudget budget;
  budget.max_connections = out.max_connections;
  budget.superuser_reserved_connections = int_at(*server, "superuser_reserved_connections", 3);
  budget.reserved_connections = int_at(*server, "reserved_connections", 0);
  budget.other_connections = int_at(*server, "harness_connections", 0);
  budget.instances = view.instances;
  budget.pool_size = view.pool_size;
  budget.max_overflow = view.max_overflow;
  const json instances = cell.value(json::json_pointer("/summary/instances"), json(json::array()));
  if (instances.is_array() && !instances.empty()) {
    for (const auto& instance : instances) {
      budget.fleet.push_back({instance.value("name", "?"), int_at(instance, "pool_size", 0),
                              int_at(instance, "max_overflow", 0)});
      out.peak += int_at(instance.value("pool", json::object()), "max_checked_out", 0);
    }
  } else {
    out.peak = int_at(cell.value(json::json_pointer("/summary/pool"), json::object()),
                      "max_checked_out", 0);
  }
  out.multi_service = budget.fleet.size() > 1 || view.instances > 1;
  out.budget = cluster::check_connection_budget(budget);
  return out;
}

json claim_cell(const BudgetCell& cell, const char* verdict, std::string evidence) {
  return {{"id", cell.id},
          {"max_connections", cell.max_connections},
          {"verdict", verdict},
          {"evidence", std::move(evidence)}};
}

std::string refused_text(const BudgetCell& cell) {
  return fmt::format(
      "{} connects refused (53300 too_many_connections), {} connections checked "
      "out at the peak",
      cell.refused, cell.peak);
}

/// Seed 003: the budget's arithmetic predicts the refusals.
json budget_rule_cell(const BudgetCell& cell) {
  const bool fits = cell.budget.fits;
  const char* verdict = "inconclusive";
  std::string why;
  if (fits && cell.refused == 0) {
    verdict = "holds";
  } else if (!fits && cell.refused > 0) {
    verdict = "holds";
  } else if (fits) {
    verdict = "differs";
    why = ": the budget fits, yet the server refused connections (something else holds them)";
  } else {
    why = ": the load never drove the pools to their limits, so the budget was not tested";
  }
  return claim_cell(cell, verdict,
                    fmt::format("{} Measured: {}{}", cell.budget.message, refused_text(cell), why));
}

/// The max_connections of seed 004's two rows: PostgreSQL's default, and its production value.
constexpr int k_default_max_connections = 100;
constexpr int k_production_max_connections = 200;

/// What a seed 004 row claims of a multi-service fleet at its max_connections.
enum class FleetClaim {
  too_few,  ///< the fleet does not fit: connects are refused
  enough,   ///< the fleet fits: no connect is refused
};

/// Seed 004's rows speak of a multi-service fleet at one max_connections.
json fleet_row_cell(const BudgetCell& cell, FleetClaim claim) {
  const char* verdict = "inconclusive";
  std::string why;
  if (claim == FleetClaim::too_few) {
    if (cell.refused > 0) {
      verdict = "holds";
    } else if (cell.budget.fits) {
      verdict = "differs";
      why = ": this fleet fits";
    } else {
      why = ": the pools did not reach their limits";
    }
  } else if (cell.refused > 0) {
    verdict = "differs";
  } else if (cell.budget.fits) {
    verdict = "holds";
  } else {
    why = ": the pools did not reach their limits";
  }
  return claim_cell(
      cell, verdict,
      fmt::format("max_connections = {}: {}{}", cell.max_connections, refused_text(cell), why));
}

}  // namespace

json budget_claims(const json& results) {
  const json& cells = detail::cells_of(results);
  json rule = json::array();
  json default_100 = json::array();
  json prod_200 = json::array();
  for (std::size_t i = 0; i < cells.size(); ++i) {
    const json& cell = cells[i];
    if (!is_measured(cell)) continue;  // ok, and not invalid (validity.hpp)
    const auto budget_cell = read_budget_cell(results, cell, static_cast<int>(i));
    if (!budget_cell) continue;
    // One pool that fits and was never refused says nothing about the budget.
    if (budget_cell->multi_service || !budget_cell->budget.fits || budget_cell->refused > 0) {
      rule.push_back(budget_rule_cell(*budget_cell));
    }
    if (!budget_cell->multi_service) continue;
    if (budget_cell->max_connections == k_default_max_connections)
      default_100.push_back(fleet_row_cell(*budget_cell, FleetClaim::too_few));
    if (budget_cell->max_connections == k_production_max_connections)
      prod_200.push_back(fleet_row_cell(*budget_cell, FleetClaim::enough));
  }
  json out = json::array();
  if (!rule.empty()) {
    out.push_back({{"seed", "003"},
                   {"table", "Pool Sizing Guidelines: Important Notes"},
                   {"row",
                    "PostgreSQL default max_connections is 100; reserve connections for admin "
                    "tasks; each application instance needs its own pool"},
                   {"claim",
                    "the instances' pool_size + max_overflow, summed with other connections, "
                    "must fit max_connections minus the reserved ones, or connects are refused"},
                   {"cells", std::move(rule)}});
  }
  if (!default_100.empty()) {
    out.push_back({{"seed", "004"},
                   {"table", "Configuration (PostgreSQL tuning parameters)"},
                   {"row", "max_connections: PostgreSQL's default 100"},
                   {"claim", "Default of 100 is too low for multi-service"},
                   {"cells", std::move(default_100)}});
  }
  if (!prod_200.empty()) {
    out.push_back({{"seed", "004"},
                   {"table", "Configuration (PostgreSQL tuning parameters)"},
                   {"row", "max_connections = 200"},
                   {"claim",
                    "Keycloak (up to ~50 connections at load) + Django services + connection "
                    "overhead fit in 200"},
                   {"cells", std::move(prod_200)}});
  }
  return out;
}

}  // namespace poolbench::analysis
