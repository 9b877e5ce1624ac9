#pragma once

// cells[].server_stats (docs/results.md): what the server and the OS counted over a cell's
// measurement window, as differences of two readings of cumulative counters, and the
// figures summary derives from them. Plain data in, JSON out: the readings are taken in
// matrix/server_stats_collector.hpp.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace poolbench::results {

/// Cumulative counters of one statistics view by column name (pg_stat_database's
/// "blks_read"...); times in ms with names ending in _ms.
using Counters = std::map<std::string, double>;

/// One view's counters at one instant, or why there are none.
struct CounterReading {
  std::optional<Counters> values;
  std::string reason;  ///< empty when `values` is set
};

/// One statement of pg_stat_statements (queryid summed over users): its text and counters
/// ("calls", "total_exec_ms", "shared_blks_hit", ...).
struct StatementReading {
  std::string query;
  Counters values;
};

/// The server's cumulative statistics at one instant.
struct ServerSnapshot {
  CounterReading database;  ///< pg_stat_database of the target database
  CounterReading bgwriter;  ///< pg_stat_bgwriter
  CounterReading wal;       ///< pg_stat_wal
  CounterReading tables;    ///< pg_statio_user_tables summed
  /// pg_stat_statements by queryid; nullopt with statements_reason when unreadable.
  std::optional<std::map<std::string, StatementReading>> statements;
  std::string statements_reason;
};

/// end - start for every counter of `end`. None (with the reason) when either reading has
/// none, or when a counter went down: its statistics were reset inside the window (a
/// server restart, pg_stat_reset).
CounterReading counter_delta(const CounterReading& start, const CounterReading& end);

/// Each statement's counters over the window (a statement absent from `start` started from
/// 0; one whose calls did not grow, or whose counters went down, is left out), most total
/// execution time first. "mean_exec_ms" is added: total_exec_ms / calls.
std::vector<StatementReading> statement_deltas(const std::map<std::string, StatementReading>& start,
                                               const std::map<std::string, StatementReading>& end);

/// Counts of (wait_event_type, wait_event) over the 1 s samples of this run's backends.
struct WaitEventCounts {
  std::int64_t samples = 0;  ///< samples taken (each counts every waiting backend once)
  std::map<std::pair<std::string, std::string>, std::int64_t> counts;
};

/// What the OS counted over the window (already differences), each with why it is missing.
struct OsWindow {
  std::optional<double> server_cpu_s;
  std::string server_cpu_reason;
  std::optional<double> poolbench_cpu_s;
  std::string poolbench_cpu_reason;
  std::optional<Counters> disk;  ///< reads, writes, read_bytes, write_bytes, busy_ms
  std::string disk_device;
  std::string disk_reason;
  std::optional<double> peak_server_rss_bytes;
  std::string peak_server_rss_reason;
};

/// How many statements server_stats.statements lists (the most execution time first).
inline constexpr std::size_t k_max_listed_statements = 50;

/// cells[].server_stats from the readings at the window's start and end, the wait events
/// sampled (nullopt: not sampled, with `waits_reason`) and the OS window. Every key is
/// present; a null one has its reason in "missing" under its path ("wal", "os.disk").
nlohmann::json server_stats_json(const ServerSnapshot& start, const ServerSnapshot& end,
                                 const std::optional<WaitEventCounts>& waits,
                                 const std::string& waits_reason, const OsWindow& os);

/// The requests between the server's two readings. The start reading is taken when the
/// measurement window opens, on the sampling thread and over several queries; a loaded
/// machine takes it late while the clients go on completing requests. Dividing what the
/// server counted by the client's window (summary.completed) would then read low, so the
/// per-request figures divide by the requests completed between the readings instead.
struct ReadingWindow {
  /// Completed from pg_stat_statements' start (its reset, or else its first reading) until
  /// the end reading, warmup and drain included: the per-request figures' denominator.
  std::int64_t requests = 0;
  /// Completed while the start reading ran (its queries are not one instant): the
  /// denominator's uncertainty.
  std::int64_t requests_in_start_reading = 0;
  double start_reading_ms = 0;  ///< how long the start reading took
  double start_lag_ms = 0;      ///< from the client's window opening to the start reading
};

/// server_stats.window.
nlohmann::json window_json(const ReadingWindow& window);

/// summary.server_statements (calls, total/mean execution time, per request between the
/// readings) from every statement's delta; null when pg_stat_statements was not read at
/// both ends.
nlohmann::json statements_summary(const ServerSnapshot& start, const ServerSnapshot& end,
                                  std::int64_t requests);

/// The requests the server's readings bracket: server_stats.window.requests, or
/// summary.completed for a cell recorded without it.
double server_requests(const nlohmann::json& summary, const nlohmann::json& server_stats);

/// Adds to `summary` what server_stats gives per request (server_requests()):
/// cache_hit_ratio, wal_bytes_per_transaction, blks_read_per_request,
/// server_cpu_ms_per_request, client_cpu_ms_per_request, checkpoints,
/// temp_bytes_per_request; each null when its inputs are.
void add_server_summary(nlohmann::json& summary, const nlohmann::json& server_stats);

}  // namespace poolbench::results
