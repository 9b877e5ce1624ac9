#pragma once

#include <nlohmann/json.hpp>

// The seeds' max_connections budget statements checked against measured cells, in the
// shape of analysis.seed_claims (see seed_claims.hpp):
//   seed 003 "Important Notes": PostgreSQL's default max_connections is 100, reserve
//     connections for admin tasks, each application instance needs its own pool; i.e. every
//     instance's pool_size + max_overflow, summed, plus other connections, must fit
//     max_connections minus the reserved connections, or the server refuses connections.
//     Judged on cells with several app instances or a budget that does not fit: the budget's
//     arithmetic against the 53300 (too_many_connections) errors the cell counted.
//   seed 004 "Configuration": max_connections = 200 fits a multi-service fleet, and "Default
//     of 100 is too low for multi-service": judged on cells with several app instances, by
//     the max_connections the cell's server had.
// The server's limits come from the cell's `server` (matrix cells), else the results' top
// level `server` (run). Cells without max_connections are skipped.

namespace poolbench::analysis {

nlohmann::json budget_claims(const nlohmann::json& results);

}  // namespace poolbench::analysis
