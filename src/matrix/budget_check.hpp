#pragma once

#include <functional>
#include <string>
#include <vector>

#include "cluster/budget.hpp"
#include "cluster/profile.hpp"
#include "matrix/expand.hpp"

// The max_connections budget of every cell, checked before a matrix runs: each application
// instance has its own pool (seed 003, docs/seeds.md), so instances x (pool_size +
// max_overflow) must stay below max_connections.

namespace poolbench::matrix {

/// Connections a cell opens outside its pools: the monitoring and dataset connections.
inline constexpr int k_harness_connections = 2;

/// The limits an embedded server will have under `profile`: its max_connections and
/// superuser_reserved_connections when it sets them, else PostgreSQL's defaults (100, 3).
cluster::ConnectionBudget embedded_limits(const cluster::Profile& profile);

struct CellBudget {
  const Cell* cell = nullptr;
  cluster::BudgetVerdict verdict;
};

/// Every cell's budget against the limits `limits_for(profile name)` gives.
std::vector<CellBudget> check_cell_budgets(
    const std::vector<Cell>& cells,
    const std::function<cluster::ConnectionBudget(const std::string& profile)>& limits_for);

}  // namespace poolbench::matrix
