#include "matrix/server_stats_collector.hpp"

#include <algorithm>
#include <chrono>
#include <thread>

#include <fmt/format.h>

#include "util/strings.hpp"

namespace poolbench::matrix {
namespace {

constexpr const char* k_states_sql =
    "SELECT count(*) FILTER (WHERE state = 'active'), count(*) FILTER (WHERE state = 'idle'), "
    "count(*) FILTER (WHERE state LIKE 'idle in transaction%') FROM pg_stat_activity "
    "WHERE application_name = $1";

/// States and wait events in one query: a row per (state, wait event) of this run's backends.
constexpr const char* k_states_waits_sql =
    "SELECT coalesce(state, ''), coalesce(wait_event_type, ''), coalesce(wait_event, ''), "
    "count(*) FROM pg_stat_activity WHERE application_name = $1 GROUP BY 1, 2, 3";

constexpr const char* k_database_sql =
    "SELECT xact_commit, xact_rollback, blks_read, blks_hit, tup_returned, tup_fetched, "
    "tup_inserted, tup_updated, tup_deleted, temp_files, temp_bytes, deadlocks, "
    "blk_read_time AS blk_read_time_ms, blk_write_time AS blk_write_time_ms "
    "FROM pg_stat_database WHERE datname = current_database()";
constexpr const char* k_bgwriter_sql =
    "SELECT checkpoints_timed, checkpoints_req, checkpoint_write_time AS "
    "checkpoint_write_time_ms, checkpoint_sync_time AS checkpoint_sync_time_ms, "
    "buffers_checkpoint, buffers_clean, buffers_backend, buffers_backend_fsync, buffers_alloc "
    "FROM pg_stat_bgwriter";
constexpr const char* k_wal_sql =
    "SELECT wal_records, wal_fpi, wal_bytes, wal_buffers_full, wal_write, wal_sync, "
    "wal_write_time AS wal_write_time_ms, wal_sync_time AS wal_sync_time_ms FROM pg_stat_wal";
constexpr const char* k_tables_sql =
    "SELECT coalesce(sum(heap_blks_read), 0) AS heap_blks_read, coalesce(sum(heap_blks_hit), 0) "
    "AS heap_blks_hit, coalesce(sum(idx_blks_read), 0) AS idx_blks_read, "
    "coalesce(sum(idx_blks_hit), 0) AS idx_blks_hit FROM pg_statio_user_tables";
/// Per statement of the target database (summed over users and nesting levels). poolbench's
/// own monitoring (pg_stat_*) is left out, and so is any text naming a password (utility
/// statements are kept verbatim by pg_stat_statements).
std::string statements_sql() {
  return fmt::format(
      "SELECT queryid::text, left(min(query), {}) AS query, sum(calls) AS calls, "
      "sum(total_exec_time) AS total_exec_ms, sum(shared_blks_hit) AS shared_blks_hit, "
      "sum(shared_blks_read) AS shared_blks_read, sum(shared_blks_dirtied) AS shared_blks_dirtied, "
      "sum(shared_blks_written) AS shared_blks_written, sum(temp_blks_written) AS "
      "temp_blks_written, sum(wal_bytes) AS wal_bytes FROM pg_stat_statements WHERE dbid = "
      "(SELECT oid FROM pg_database WHERE datname = current_database()) AND queryid IS NOT NULL "
      "AND query NOT ILIKE '%pg_stat%' AND query NOT ILIKE '%password%' GROUP BY queryid",
      k_statement_query_chars);
}

/// How long finish() waits for the run's backends to exit.
constexpr auto k_backend_exit_limit = std::chrono::seconds(5);
constexpr auto k_backend_exit_poll = std::chrono::milliseconds(20);

double number(const std::optional<std::string>& field) {
  return field ? std::stod(*field) : 0.0;
}

/// One row of counters named by the columns, or the server's reason.
results::CounterReading read_counters(pg::Session& monitor, const char* view, const char* sql) {
  try {
    const pg::Rows rows = monitor.query(sql);
    if (rows.rows.empty()) return {std::nullopt, fmt::format("{}: no row", view)};
    results::Counters counters;
    for (std::size_t c = 0; c < rows.columns.size(); ++c)
      counters[rows.columns[c]] = number(rows.rows[0][c]);
    return {std::move(counters), {}};
  } catch (const pg::PgError& e) {
    return {std::nullopt, fmt::format("{}: {}", view, e.what())};
  }
}

void read_statements(pg::Session& monitor, results::ServerSnapshot& snapshot) {
  try {
    const pg::Rows rows = monitor.query(statements_sql());
    std::map<std::string, results::StatementReading> statements;
    for (const auto& row : rows.rows) {
      results::StatementReading reading{row[1].value_or(""), {}};
      for (std::size_t c = 2; c < rows.columns.size(); ++c)
        reading.values[rows.columns[c]] = number(row[c]);
      statements[row[0].value_or("")] = std::move(reading);
    }
    snapshot.statements = std::move(statements);
  } catch (const pg::PgError& e) {
    snapshot.statements_reason = fmt::format("pg_stat_statements: {}", e.what());
  }
}

bool is_local_host(std::string_view host) {
  return host.empty() || host.front() == '/' || host.front() == '@' || host == "localhost" ||
         host == "::1" || host.rfind("127.", 0) == 0;
}

results::Counters disk_counters(const cluster::DiskCounters& d) {
  return {{"reads", static_cast<double>(d.reads)},
          {"writes", static_cast<double>(d.writes)},
          {"read_bytes", static_cast<double>(d.read_bytes)},
          {"write_bytes", static_cast<double>(d.write_bytes)},
          {"busy_ms", static_cast<double>(d.busy_ms)}};
}

/// The per-second counters query over the views that answered at the start (NULL for the
/// others).
std::string counters_sql(const results::ServerSnapshot& start) {
  return fmt::format(
      "SELECT {}, {}, {}",
      start.database.values
          ? "(SELECT blks_read FROM pg_stat_database WHERE datname = current_database())"
          : "NULL",
      start.wal.values ? "(SELECT wal_bytes FROM pg_stat_wal)" : "NULL",
      start.bgwriter.values ? "(SELECT checkpoints_timed + checkpoints_req FROM pg_stat_bgwriter)"
                            : "NULL");
}

}  // namespace

std::string remote_reason(const pg::ConnectionTarget& target, bool embedded) {
  if (embedded) return {};
  const std::string hosts = target.get("hostaddr").value_or(target.get("host").value_or(""));
  std::string_view rest = hosts;
  while (true) {
    const auto comma = rest.find(',');
    const std::string_view host = util::trim(rest.substr(0, comma));
    if (!is_local_host(host)) {
      return fmt::format(
          "the server at {} is not on this machine: its processes and disks are not in this "
          "machine's /proc",
          host);
    }
    if (comma == std::string_view::npos) return {};
    rest.remove_prefix(comma + 1);
  }
}

ServerStatsCollector::ServerStatsCollector(StatsOptions options)
    : m_options(std::move(options)), m_proc(m_options.proc_root) {}

results::ServerSnapshot ServerStatsCollector::read_snapshot(pg::Session& monitor,
                                                            bool statements_reset) const {
  // pg_stat_statements first: it counts each execution at once, so its reading is the one
  // the requests counted from just before it (cell_runner's window) match exactly; the other
  // views lag by up to a second anyway (a backend reports them at most once a second).
  results::ServerSnapshot snapshot;
  if (statements_reset) {
    snapshot.statements.emplace();  // nothing since the reset: counted from zero
  } else {
    read_statements(monitor, snapshot);
  }
  snapshot.database = read_counters(monitor, "pg_stat_database", k_database_sql);
  snapshot.bgwriter = read_counters(monitor, "pg_stat_bgwriter", k_bgwriter_sql);
  snapshot.wal = read_counters(monitor, "pg_stat_wal", k_wal_sql);
  snapshot.tables = read_counters(monitor, "pg_statio_user_tables", k_tables_sql);
  return snapshot;
}

void ServerStatsCollector::start(pg::Session* monitor, bool statements_reset) {
  m_started = true;
  if (monitor == nullptr) {
    m_no_monitor_reason = "no monitoring connection to the server";
    m_start.database = m_start.bgwriter = m_start.wal = m_start.tables = {{}, m_no_monitor_reason};
    m_start.statements_reason = m_no_monitor_reason;
    return;
  }
  if (!m_options.enabled) {
    // summary.server_statements is always kept.
    if (statements_reset) {
      m_start.statements.emplace();
    } else {
      read_statements(*monitor, m_start);
    }
    return;
  }
  prepare(monitor);  // found before the window when the caller prepared (no queries now)
  m_start = read_snapshot(*monitor, statements_reset);
  m_counters_sql = counters_sql(m_start);
  m_last_counters = read_counters_row(*monitor);
  read_os_start();
}

void ServerStatsCollector::prepare(pg::Session* monitor) {
  if (m_prepared || monitor == nullptr || !m_options.enabled) return;
  m_prepared = true;
  try {
    find_server(*monitor);
  } catch (const pg::PgError& e) {
    m_postmaster_reason = e.what();
  }
}

void ServerStatsCollector::find_server(pg::Session& monitor) {
  if (!m_options.remote_reason.empty()) {
    m_postmaster_reason = m_options.remote_reason;
    return;
  }
  // The monitoring backend's parent is the postmaster; its command name says that the pid
  // is the server's and not an unrelated process of this machine.
  const pid_t backend = static_cast<pid_t>(
      std::stol(monitor.query("SELECT pg_backend_pid()").rows.at(0).at(0).value_or("0")));
  const auto command = m_proc.command_of(backend);
  const auto parent = m_proc.parent_of(backend);
  if (!command.value || !parent.value) {
    m_postmaster_reason = !command.value ? command.reason : parent.reason;
    return;
  }
  if (command.value->rfind("postgres", 0) != 0) {
    m_postmaster_reason = fmt::format(
        "process {} of this machine is not the server's backend (\"{}\"): the server runs "
        "elsewhere (another machine or PID namespace)",
        backend, *command.value);
    return;
  }
  m_postmaster = *parent.value;
  try {
    m_data_dir = monitor.query("SHOW data_directory").rows.at(0).at(0).value_or("");
  } catch (const pg::PgError&) {
    m_data_dir = m_proc.cwd_of(*m_postmaster).value;  // a postmaster runs in its data directory
  }
}

void ServerStatsCollector::read_os_start() {
  m_self_cpu_start = m_proc.self_cpu_s();
  if (!m_postmaster) return;
  m_server_cpu_start = m_proc.tree_cpu_s(*m_postmaster);
  m_children_at_start = m_proc.children_count(*m_postmaster);
  if (m_data_dir) m_disk_start = m_proc.disk_of(*m_data_dir);
  sample_rss();
}

void ServerStatsCollector::sample_rss() {
  if (!m_postmaster) return;
  const auto rss = m_proc.tree_rss_bytes(*m_postmaster);
  if (!rss.value) {
    if (!m_os.peak_server_rss_bytes) m_os.peak_server_rss_reason = rss.reason;
    return;
  }
  m_os.peak_server_rss_bytes =
      std::max(m_os.peak_server_rss_bytes.value_or(0.0), static_cast<double>(*rss.value));
}

workload::ServerStates ServerStatsCollector::sample(pg::Session& monitor) {
  workload::ServerStates states;
  if (!m_options.enabled) {
    const auto row = monitor.query(k_states_sql, {m_options.application_name}).rows.at(0);
    return {std::stoi(row[0].value_or("0")),
            std::stoi(row[1].value_or("0")),
            std::stoi(row[2].value_or("0")),
            {},
            {},
            {}};
  }
  const pg::Rows rows = monitor.query(k_states_waits_sql, {m_options.application_name});
  ++m_waits.samples;
  for (const auto& row : rows.rows) {
    const std::string state = row[0].value_or("");
    const int count = std::stoi(row[3].value_or("0"));
    if (state == "active") states.active += count;
    if (state == "idle") states.idle += count;
    if (state.rfind("idle in transaction", 0) == 0) states.idle_in_transaction += count;
    // An idle backend waits for its next statement (Client: ClientRead): not a wait of
    // the server's.
    if (state != "idle" && !row[2].value_or("").empty())
      m_waits.counts[{row[1].value_or(""), row[2].value_or("")}] += count;
  }
  sample_counters(monitor, states);
  sample_rss();
  return states;
}

std::optional<std::array<std::optional<double>, 3>> ServerStatsCollector::read_counters_row(
    pg::Session& monitor) const {
  if (m_counters_sql.empty()) return std::nullopt;
  std::array<std::optional<double>, 3> now;
  try {
    const auto row = monitor.query(m_counters_sql).rows.at(0);
    for (std::size_t i = 0; i < now.size(); ++i)
      if (row[i]) now[i] = std::stod(*row[i]);
  } catch (const pg::PgError&) {
    return std::nullopt;  // this second's counters are unknown; the states are not
  }
  return now;
}

void ServerStatsCollector::sample_counters(pg::Session& monitor, workload::ServerStates& states) {
  const auto now = read_counters_row(monitor);
  if (!now) return;
  if (m_last_counters) {
    const auto delta = [&](std::size_t i) -> std::optional<double> {
      const auto& before = (*m_last_counters)[i];
      if (!(*now)[i] || !before || *(*now)[i] < *before) return std::nullopt;
      return *(*now)[i] - *before;
    };
    states.blks_read = delta(0);
    states.wal_bytes = delta(1);
    states.checkpoints = delta(2);
  }
  m_last_counters = now;
}

void ServerStatsCollector::finish(pg::Session* monitor) {
  if (!m_started) return;  // interrupted before the measurement
  if (monitor == nullptr) {
    const std::string reason =
        m_no_monitor_reason.empty() ? "the monitoring connection was lost" : m_no_monitor_reason;
    m_end.database = m_end.bgwriter = m_end.wal = m_end.tables = {{}, reason};
    m_end.statements_reason = reason;
    if (m_options.enabled) read_os_end();
    return;
  }
  // A backend reports its counters at most once a second while it runs, and all of them
  // when it exits (before it leaves pg_stat_activity); pg_stat_statements counts a
  // statement when its portal closes, which may be at the next message.
  const auto deadline = std::chrono::steady_clock::now() + k_backend_exit_limit;
  try {
    while (std::chrono::steady_clock::now() < deadline &&
           monitor->query(k_states_sql, {m_options.application_name}).rows.at(0) !=
               std::vector<std::optional<std::string>>{"0", "0", "0"}) {
      std::this_thread::sleep_for(k_backend_exit_poll);
    }
    if (!m_options.enabled) {
      read_statements(*monitor, m_end);
      return;
    }
    m_end = read_snapshot(*monitor, false);
  } catch (const pg::PgError& e) {
    m_end.database = m_end.bgwriter = m_end.wal = m_end.tables = {{}, e.what()};
    m_end.statements_reason = e.what();
  }
  if (!m_options.enabled) return;
  read_os_end();
}

void ServerStatsCollector::read_os_end() {
  const auto self = m_proc.self_cpu_s();
  if (m_self_cpu_start.value && self.value) {
    m_os.poolbench_cpu_s = *self.value - *m_self_cpu_start.value;
  } else {
    m_os.poolbench_cpu_reason = !self.value ? self.reason : m_self_cpu_start.reason;
  }
  if (!m_postmaster) {
    const std::string reason =
        m_postmaster_reason.empty() ? m_no_monitor_reason : m_postmaster_reason;
    m_os.server_cpu_reason = m_os.disk_reason = m_os.peak_server_rss_reason = reason;
    return;
  }
  sample_rss();
  const auto cpu = m_proc.tree_cpu_s(*m_postmaster);
  if (!cpu.value || !m_server_cpu_start.value) {
    m_os.server_cpu_reason = !cpu.value ? cpu.reason : m_server_cpu_start.reason;
  } else {
    // The kernel keeps CPU times in clock ticks and rescales a process's when its parent
    // reaps it, so each child living at the start may come back a tick or two lower.
    const double delta = *cpu.value - *m_server_cpu_start.value;
    const double rounding =
        2 * cluster::clock_tick_s() * static_cast<double>(m_children_at_start + 1);
    if (delta >= -rounding) {
      m_os.server_cpu_s = std::max(delta, 0.0);
    } else {
      m_os.server_cpu_reason = fmt::format(
          "the server's CPU time went down by {:.2f} s: it restarted inside the window", -delta);
    }
  }
  if (!m_data_dir) {
    m_os.disk_reason =
        "the server's data directory is unknown (SHOW data_directory and "
        "/proc/<postmaster>/cwd both refused)";
    return;
  }
  const auto disk = m_proc.disk_of(*m_data_dir);
  const auto as_reading = [](const cluster::Reading<cluster::DiskCounters>& r) {
    return results::CounterReading{
        r.value ? std::optional<results::Counters>(disk_counters(*r.value)) : std::nullopt,
        r.reason};
  };
  const results::CounterReading disk_delta =
      results::counter_delta(as_reading(m_disk_start), as_reading(disk));
  m_os.disk = disk_delta.values;
  m_os.disk_reason = disk_delta.reason;
  if (disk.value) m_os.disk_device = disk.value->device;
}

nlohmann::json ServerStatsCollector::server_stats() const {
  if (!m_options.enabled || !m_started) return nullptr;
  const std::string waits_reason =
      m_waits.samples == 0
          ? (m_no_monitor_reason.empty() ? "no 1 s sample was taken" : m_no_monitor_reason)
          : std::string();
  return results::server_stats_json(
      m_start, m_end,
      m_waits.samples > 0 ? std::optional<results::WaitEventCounts>(m_waits) : std::nullopt,
      waits_reason, m_os);
}

nlohmann::json ServerStatsCollector::statements_summary(std::int64_t completed) const {
  if (!m_started) return nullptr;
  return results::statements_summary(m_start, m_end, completed);
}

}  // namespace poolbench::matrix
