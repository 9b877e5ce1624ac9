#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cluster/profile.hpp"
#include "matrix/expand.hpp"
#include "matrix/result_store.hpp"
#include "matrix/servers.hpp"
#include "matrix/shard.hpp"

// Runs a matrix's cells in order against their servers, storing each as it finishes.
// Never prints: the CLI hears about each cell through callbacks.

namespace poolbench::matrix {

struct MatrixSettings {
  int threads = 1;
  std::uint64_t seed = 1;  ///< cell i runs with seed + i
  std::chrono::microseconds settle = std::chrono::seconds(1);
  bool reinit = false;  ///< --dsn servers: recreate pgbench tables of another scale
  std::string run_id;   ///< cells use application_name poolbench/<run_id>-c<index>
  /// A shard of a distributed run: each cell runs this shard's part of the load in its
  /// slot of the shared schedule (matrix/shard.hpp; the slot replaces the settle pause),
  /// the stored cell gets a "shard" entry, and no analysis is added (it belongs to the
  /// merged results).
  std::optional<ShardPlan> shard;
};

/// What the CLI hears when a cell finished.
struct CellReport {
  const Cell& cell;
  const nlohmann::json& result;  ///< the stored cell
  std::vector<std::string> slo_misses;
  int position = 0;  ///< 1-based among the cells run in this invocation
  int to_run = 0;    ///< cells this invocation runs (resume skips finished ones)
  double eta_s = 0;  ///< estimated seconds left
};

struct MatrixCallbacks {
  std::function<bool()> interrupted;
  std::function<void(const CellReport&)> on_cell;
  std::function<void(const std::string&)> note;
};

struct MatrixOutcome {
  bool interrupted = false;
  int ran = 0;
  int slo_misses = 0;  ///< cells (run now or earlier) that missed an slo: limit
};

/// Planned seconds of a cell: warmup + duration + settle (transactions-bound cells: warmup +
/// settle; the ETA corrects itself from measured cells).
double planned_seconds(const Cell& cell, std::chrono::microseconds settle);

/// The top-level keys of a matrix results.json (all but "cells").
nlohmann::json matrix_document(const scenario::Scenario& base, const std::vector<Cell>& cells,
                               const ServerTarget& first_server, std::uint64_t seed,
                               const std::string& order, const std::string& run_id);

/// Runs every cell the store does not have yet. Throws RuntimeFailure when a server fails
/// between cells (cells finished before are stored).
MatrixOutcome run_matrix(const std::vector<Cell>& cells,
                         const std::map<std::string, cluster::Profile>& profiles, Servers& servers,
                         ResultStore& store, const MatrixSettings& settings,
                         const MatrixCallbacks& callbacks);

}  // namespace poolbench::matrix
