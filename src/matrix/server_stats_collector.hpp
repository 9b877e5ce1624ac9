#pragma once

// Takes the readings of cells[].server_stats (results/server_stats.hpp) through the cell's
// one monitoring connection: the statistics views at the measurement's start and end, the
// backends' states and wait events once a second (with the server-wide blocks read, WAL
// bytes and checkpoints of that second), and, for a server on this machine, /proc.

#include <array>
#include <filesystem>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>
#include <sys/types.h>

#include "cluster/proc_stats.hpp"
#include "pg/dsn.hpp"
#include "pg/session.hpp"
#include "results/server_stats.hpp"
#include "workload/generator.hpp"

namespace poolbench::matrix {

/// Whether a server's processes can be on this machine: embedded, or a --dsn whose every
/// host is a Unix socket or a loopback address. Empty: they can; else why not.
std::string remote_reason(const pg::ConnectionTarget& target, bool embedded);

/// How many characters of a statement's text server_stats.statements[].query keeps.
inline constexpr std::size_t k_statement_query_chars = 300;

struct StatsOptions {
  bool enabled = true;           ///< server.stats: false collects only the backends' states
  std::string application_name;  ///< this run's backends (poolbench/<run id>)
  std::string remote_reason;     ///< remote_reason() of the server; empty when local
  std::filesystem::path proc_root = "/proc";
};

/// Not thread-safe: the cell's calling thread uses it (start, sample, finish in order).
class ServerStatsCollector {
 public:
  explicit ServerStatsCollector(StatsOptions options);

  /// Before the load: finds the server's processes and data directory on this machine (two
  /// queries and /proc), so that start() reads only counters. start() does it when the
  /// caller did not.
  void prepare(pg::Session* monitor);

  /// At the measurement's start: the first reading (`monitor` nullptr: none).
  /// `statements_reset`: pg_stat_statements was reset just before, so its reading starts
  /// from zero without a query (the window then starts at the reset, to the millisecond).
  void start(pg::Session* monitor, bool statements_reset = false);

  /// Once a second: this run's backends by state and, when enabled, their wait events and
  /// the server's counters since the previous sample. Throws pg::PgError when the session
  /// fails (the caller drops it).
  workload::ServerStates sample(pg::Session& monitor);

  /// At the end, once the run's pools are closed: waits (a few seconds at most) until their
  /// backends have exited, so their last statistics are reported, then the last reading.
  void finish(pg::Session* monitor);

  /// cells[].server_stats; null when disabled.
  nlohmann::json server_stats() const;

  /// summary.server_statements over the window; null when pg_stat_statements was not read.
  nlohmann::json statements_summary(std::int64_t completed) const;

 private:
  results::ServerSnapshot read_snapshot(pg::Session& monitor, bool statements_reset) const;
  void find_server(pg::Session& monitor);
  void read_os_start();
  void read_os_end();
  std::optional<std::array<std::optional<double>, 3>> read_counters_row(pg::Session& monitor) const;
  void sample_counters(pg::Session& monitor, workload::ServerStates& states);
  void sample_rss();

  StatsOptions m_options;
  cluster::ProcFs m_proc;
  results::ServerSnapshot m_start;
  results::ServerSnapshot m_end;
  bool m_started = false;
  bool m_prepared = false;
  std::string m_no_monitor_reason;
  results::WaitEventCounts m_waits;
  std::string m_counters_sql;  ///< the per-second counters of the views read at the start
  std::optional<std::array<std::optional<double>, 3>> m_last_counters;
  // OS: the postmaster, and each reading at the start.
  std::optional<pid_t> m_postmaster;
  std::string m_postmaster_reason;
  cluster::Reading<double> m_server_cpu_start;
  std::size_t m_children_at_start = 0;
  cluster::Reading<double> m_self_cpu_start;
  cluster::Reading<cluster::DiskCounters> m_disk_start;
  std::optional<std::filesystem::path> m_data_dir;
  results::OsWindow m_os;
};

}  // namespace poolbench::matrix
