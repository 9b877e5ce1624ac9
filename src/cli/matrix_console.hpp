#pragma once

#include <chrono>
#include <iosfwd>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cluster/profile.hpp"
#include "matrix/budget_check.hpp"
#include "matrix/expand.hpp"
#include "matrix/orchestrator.hpp"
#include "scenario/scenario.hpp"

// What `poolbench matrix` prints: the plan (--dry-run), budget findings, one line per
// finished cell with an ETA, and the final table of every cell with its SLO verdict.

namespace poolbench::cli {

/// The cells in run order with their parameters, and the estimated total time.
void print_plan(const std::vector<matrix::Cell>& cells, std::chrono::microseconds settle,
                std::ostream& out);

/// Budget lines for every distinct pool shape; cells over budget are listed.
void print_budgets(const std::vector<matrix::CellBudget>& budgets, std::ostream& out);

/// Refuses (InputError listing them, in the seeds' terms) cells whose pools cannot fit
/// max_connections, unless `allow` (then a warning each).
void enforce_budgets(const std::vector<matrix::CellBudget>& budgets, bool allow, std::ostream& err);

/// "[ 3/12] pool_size=2 profile=ssd   412.0 rps  p99 25.10 ms ... ETA 1m52s"
void print_cell_line(const matrix::CellReport& report, std::ostream& out);

/// Every stored cell: parameters, throughput, latency p50/p99, checkout wait p99, timeout
/// rate, errors, SLO verdict.
void print_matrix_table(const nlohmann::json& document, const std::vector<matrix::Cell>& cells,
                        std::ostream& out);

/// "1m52s", "45s", "1h02m".
std::string format_eta(double seconds);

}  // namespace poolbench::cli
