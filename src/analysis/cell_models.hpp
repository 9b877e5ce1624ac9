#pragma once

// Internal to src/analysis/: each sizing model of one measured cell next to what the cell
// measured, as the JSON objects of analysis.cells[] (analyze.hpp documents the keys).

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "analysis/cell_view.hpp"

namespace poolbench::analysis::detail {

/// The share of checkouts that waited longer than this counts as "waited" in the
/// measurement (the pool's own microseconds are not waiting).
inline constexpr double k_wait_threshold_ms = 1.0;

/// The wait quantiles every queueing model reports.
inline constexpr double k_p90 = 0.90;
inline constexpr double k_p99 = 0.99;

/// Fraction of checkouts that waited more than k_wait_threshold_ms, from the cell's
/// histogram named by cell.wait_source (queue_wait; checkout_wait in older results); none
/// without one (or with no checkouts). Throws InputError when the histogram cannot be
/// decoded.
std::optional<double> measured_p_wait(const CellView& cell);

nlohmann::json little_json(const CellView& cell);
nlohmann::json seeds_formula_json(const CellView& cell);
nlohmann::json sum_rule_json(const CellView& cell);
/// Erlang C (M/M/c): open loop only; "not_applicable" with the reason otherwise.
nlohmann::json erlang_json(const CellView& cell, std::optional<double> p_wait_measured);
/// The finite-source model (M/M/c//N, finite_source.hpp): closed loop only.
nlohmann::json finite_source_json(const CellView& cell, std::optional<double> p_wait_measured);

/// The server's cores for HikariCP's rule: the scenario's server.cores, else this host's when
/// poolbench ran the server itself (embedded), else unknown.
struct ServerCores {
  std::optional<int> cores;
  std::string source;  ///< where the number came from, or why there is none
};
ServerCores server_cores(const nlohmann::json& results);

/// HikariCP's connections = cores × 2 + effective_spindles for the server's cores:
/// {"status": "ok"|"not_computed", "cores", "cores_source", "effective_spindles",
///  "connections" (null when not computed), "reason"?}.
nlohmann::json hikari_json(const ServerCores& cores, const std::string& profile);

}  // namespace poolbench::analysis::detail
