#pragma once

// Internal to src/analysis/: what a cell's requests do, from the scenario's transactions and
// the cell's workload.mix (the effective weights), so that a seed row about read-heavy or
// write-heavy workloads is judged only on cells that run one.

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace poolbench::analysis::detail {

/// Mostly reads: at most this share of the requests run a writing transaction.
inline constexpr double k_read_heavy_max_write_share = 0.2;
/// Mostly writes: at least this share of the requests run one.
inline constexpr double k_write_heavy_min_write_share = 0.5;

enum class MixKind { read_heavy, write_heavy, mixed, unknown };

/// The transactions a cell runs with their effective weights > 0 (its workload.mix, else the
/// transactions' own weights), in scenario order. Copies: json::value() returns copies.
std::vector<std::pair<nlohmann::json, double>> weighted_transactions(const nlohmann::json& results,
                                                                     const nlohmann::json& cell);

/// Whether a pgbench-style script writes (a statement starting with INSERT, UPDATE, DELETE,
/// MERGE or COPY, any case).
bool script_writes(const std::string& script);

struct MixShare {
  std::optional<double> write_share;  ///< share of requests whose transaction writes
  MixKind kind = MixKind::unknown;
};
MixShare classify_mix(const nlohmann::json& results, const nlohmann::json& cell);

}  // namespace poolbench::analysis::detail
