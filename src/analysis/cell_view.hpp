#pragma once

// Internal to src/analysis/: the numbers analyze() reads from one results.json cell, with
// the scenario's values where the cell has no matrix axis for them. Not part of the API.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "analysis/slo.hpp"

namespace poolbench::analysis::detail {

/// A JSON number, or a string holding one (matrix axis values are strings); else nullopt.
std::optional<double> number(const nlohmann::json& value);
/// A JSON number (seconds) or a duration string ("250ms"), in seconds; else nullopt.
std::optional<double> seconds(const nlohmann::json& value);
/// The value at a dotted key path ("workload.rate") inside an object, or null.
const nlohmann::json& at_path(const nlohmann::json& object, std::string_view path);

/// A cell's matrix axes other than the profile, readable: "pool.pool_size=2 workload.mix=a"
/// (its params' dotted keys but server.profile). Cells with the same key differ only in
/// their server profile.
std::string without_profile(const nlohmann::json& params);

/// results["cells"], or an empty array when the document has none.
const nlohmann::json& cells_of(const nlohmann::json& results);

/// The server's blocks read per request: summary.blks_read_per_request, or for a cell
/// recorded before it, server_stats.database.blks_read over the requests between the
/// readings (server_stats.window.requests, else summary.completed); else nullopt.
std::optional<double> blks_read_per_request(const nlohmann::json& cell);

/// One row of analysis.seed_claims: {seed, table, row, claim, cells}.
nlohmann::json claim_row(const char* seed, const char* table, const char* row, const char* claim,
                         nlohmann::json cells);

/// The scenario's SLO: limits that are set (slo.hpp).
using Slo = SloLimits;

struct CellView {
  const nlohmann::json* cell = nullptr;
  std::string id;  ///< the cell's `id`, else its index as text
  int index = 0;
  std::string status;
  /// Measured and usable: status "ok", a summary, not invalid (validity.hpp). Only such
  /// cells enter models and verdicts.
  bool ok = false;
  std::string invalid_reason;  ///< why the cell is marked invalid, else empty

  int pool_size = 0;
  int max_overflow = 0;
  double pool_timeout_s = 0;
  int instances = 1;
  std::optional<int> total;  ///< per instance; none when unbounded
  std::string profile;

  /// Arrivals independent of completions: workload.mode open or replay (coordinated-
  /// omission free, latency from the intended start). Closed loop when false.
  bool open_loop = false;
  /// workload.mode replay: the arrivals are a captured trace's, at replay.speed. There is no
  /// configured rate (rate_rps is empty): what the models need is the measured
  /// arrival_rate_measured_rps, exact up to the window's edges since the trace is not random.
  bool replay = false;
  std::optional<double> replay_speed;  ///< replay: replay.speed
  std::optional<double> rate_rps;      ///< mode open: offered workload.rate, all instances
  std::optional<double> clients;       ///< closed loop
  double think_time_s = 0;             ///< closed loop: workload.think_time
  bool per_statement = false;          ///< request.checkout per_statement: a checkout per statement
  /// workload.environment: the seed 003 environments the scenario models ("production"),
  /// empty when it does not say.
  std::vector<std::string> environments;

  std::string group_key;        ///< readable: "server.profile=ssd"
  std::string group_identity;   ///< exact: the non-pool params, dumped
  nlohmann::json group_params;  ///< the non-pool params

  long long timeouts = 0;
  long long refused_connections = 0;  ///< errors_by_sqlstate 53300 (too_many_connections)
  long long completed = 0;
  long long requests = 0;
  long long errors = 0;   ///< not pool timeouts
  long long dropped = 0;  ///< open-loop arrivals beyond max_in_flight: never served
  double throughput_rps = 0;
  double duration_s = 0;                 ///< the measurement window
  double arrival_rate_measured_rps = 0;  ///< requests / duration_s (all instances)
  double timeout_rate = 0;
  double latency_mean_ms = 0;
  double latency_p99_ms = 0;
  double hold_mean_ms = 0;
  /// The histogram the measured waits below (and measured_p_wait) come from: "queue_wait"
  /// (acquire to the pool's grant: the queueing the models describe), or "checkout_wait"
  /// (with the connect and pre-ping after the grant) for results written before
  /// queue_wait was measured.
  std::string wait_source = "checkout_wait";
  double wait_mean_ms = 0;
  double wait_p99_ms = 0;
  double checkout_wait_mean_ms = 0;  ///< the application's view, whatever wait_source is
  double mean_checked_out = 0;
};

/// Reads cell `index` of `results` (scenario values fill what the cell's params lack).
CellView read_cell(const nlohmann::json& results, const nlohmann::json& cell, int index);

/// The arrival rate of an open-loop cell, all instances: workload.rate (mode open), the
/// measured requests / duration (replay, which has no configured rate); else nullopt.
std::optional<double> arrival_rate_rps(const CellView& cell);

/// Concurrent requests: open loop (and replay) λ × mean latency (Little), closed loop the
/// clients.
double concurrency_of(const CellView& cell);

/// Whether the cell's throughput measured a capacity (what the pool and server could serve)
/// rather than the offered load: a closed loop always does; an open loop only when it
/// completed fewer requests than the offered rate brings, beyond Poisson noise (fewer than
/// λ·T - z·sqrt(λ·T), z = 3.72: a pool that serves every arrival falls that short with
/// probability 1e-4). Replay: the offered count is the trace's arrivals in the window
/// (summary.requests, known exactly); the same margin keeps a few stray failures from
/// counting as a capacity.
bool measured_capacity(const CellView& cell);

/// Whether a measured cell met: no refused connections, no timeouts, no dropped arrivals,
/// no errors beyond slo.error_rate (none without an slo) and every other SLO limit; the
/// reasons it did not.
bool cell_met(const CellView& cell, const Slo& slo, std::vector<std::string>* reasons);

}  // namespace poolbench::analysis::detail
