#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "matrix/servers.hpp"
#include "scenario/scenario.hpp"
#include "workload/dataset.hpp"
#include "workload/generator.hpp"

// One cell, shared by `poolbench run` (its one cell) and `poolbench matrix` (each cell):
// fresh pools against a server target, the generator's warmup and measurement, and the
// results.json cell. Never prints; progress goes to callbacks.

namespace poolbench::matrix {

/// Whether prepare_dataset() may drop tables of another scale (workload::Reinit).
using workload::Reinit;

/// The cell's dataset: pgbench tables at dataset.scale (reused when there) or the scenario's
/// dataset.setup SQL. Reinit::allow: tables of another scale may be dropped (embedded
/// server, or --reinit). Runs under a server-wide advisory lock, so processes sharing a
/// server (shards) prepare it one after the other: the first creates, the others reuse.
/// A replay (workload.mode: replay) without dataset: keys prepares nothing. Throws InputError
/// / RuntimeFailure (masked).
workload::DatasetReport prepare_dataset(const scenario::Scenario& scenario,
                                        const ServerTarget& server, Reinit reinit);

struct CellOptions {
  int threads = 1;
  std::uint64_t seed = 1;
  std::string run_id;  ///< application_name is poolbench/<run_id>
  int repetition = 0;
  nlohmann::json extra_params = nlohmann::json::object();  ///< matrix axes by key path
  std::function<bool()> interrupted;
  std::function<void(const workload::ProgressSample&)> on_progress;
  /// Called once if the monitoring connection cannot be opened.
  std::function<void(const std::string&)> note;
  /// When set, the load starts at this wall-clock time (a shard's slot, matrix/shard.hpp):
  /// the pools and the monitoring connection are made first, then the cell waits.
  std::optional<std::chrono::system_clock::time_point> start_at;
  /// Reset pg_stat_statements when the measurement starts. Shards on one server leave it to
  /// shard 0: a reset by one shard would erase what the others counted.
  bool reset_statements = true;
  /// Inject the scenario's faults (shards on one server leave it to shard 0).
  bool inject_faults = true;
  /// The embedded server, for the restart fault; nullptr with --dsn.
  cluster::Cluster* cluster = nullptr;
  /// The /proc that server_stats.os reads (a test points it at a directory without one).
  std::filesystem::path proc_root = "/proc";
  /// Tests: the server's start reading waits this long first, as on a loaded machine where
  /// the sampling thread reaches it late.
  std::chrono::milliseconds start_reading_delay{0};
};

struct CellOutcome {
  nlohmann::json cell;  ///< one entry of results.json "cells"
  bool interrupted = false;
  double late_s = 0;  ///< how long after `start_at` the load started (0 when on time)
};

/// Runs one cell: one fresh QueuePool per instance (closed at the end), the monitoring
/// connection for pg_stat_activity, the generator. Request-level failures are counted, not
/// thrown.
CellOutcome run_cell(const scenario::Scenario& scenario, const ServerTarget& server,
                     const CellOptions& options);

/// Marks a finished cell `invalid` ({"reason": ...}) when its summary shows that the load
/// generator fell behind (analysis/validity.hpp); removes the mark otherwise.
void mark_validity(nlohmann::json& cell);

/// The scenario's slo: limits the cell missed, one line each ("slo.timeout_rate: limit 0,
/// measured 0.0312"; analysis/slo.hpp: timeout_rate, p99_latency, drop_rate, error_rate);
/// empty when all were met or none is set.
std::vector<std::string> slo_misses(const scenario::Scenario& scenario, const nlohmann::json& cell);

}  // namespace poolbench::matrix
