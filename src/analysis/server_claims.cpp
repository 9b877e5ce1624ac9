#include "analysis/server_claims.hpp"

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "analysis/cell_view.hpp"
#include "analysis/validity.hpp"
#include "cluster/budget.hpp"

namespace poolbench::analysis {
namespace {

using nlohmann::json;

/// The number at a dotted path inside `object` (null, absent or not a number: nullopt).
std::optional<double> number_at(const json& object, std::string_view path) {
  return detail::number(detail::at_path(object, path));
}

/// A setting the cell's server recorded (`cell.server.<path>`, as SHOW prints it), or "".
std::string setting(const json& cell, std::string_view path) {
  const json& value = detail::at_path(cell, "server." + std::string(path));
  return value.is_string() ? value.get<std::string>() : std::string();
}

/// " with work_mem = 4MB", or "" when the cell did not record the setting.
std::string with_setting(const json& cell, std::string_view path, std::string_view name) {
  const std::string value = setting(cell, path);
  return value.empty() ? std::string() : fmt::format(" with {} = {}", name, value);
}

json claim_cell(const json& cell, const char* verdict, std::string evidence) {
  return {{"id", cell.value("id", std::string("?"))},
          {"verdict", verdict},
          {"evidence", std::move(evidence)}};
}

/// Seed 002: "Cache hit ratios (should be > 99%)".
std::optional<json> cache_cell(const json& cell) {
  const auto ratio = number_at(cell, "summary.cache_hit_ratio");
  if (!ratio) return std::nullopt;  // null: no block accesses, or no pg_stat_database
  const double hit = number_at(cell, "server_stats.database.blks_hit").value_or(0);
  const double read = number_at(cell, "server_stats.database.blks_read").value_or(0);
  return claim_cell(cell, *ratio > k_cache_hit_ratio ? "holds" : "differs",
                    fmt::format("cache hit ratio {:.3f}% (pg_stat_database: blks_hit {:.0f}, "
                                "blks_read {:.0f}){}",
                                100 * *ratio, hit, read,
                                with_setting(cell, "memory.shared_buffers", "shared_buffers")));
}

/// Seed 000's work_mem row: operations do not spill to temporary files.
std::optional<json> work_mem_cell(const json& cell) {
  const auto files = number_at(cell, "server_stats.database.temp_files");
  if (!files) return std::nullopt;
  const double bytes = number_at(cell, "server_stats.database.temp_bytes").value_or(0);
  const auto per_request = number_at(cell, "summary.temp_bytes_per_request");
  return claim_cell(
      cell, *files == 0 ? "holds" : "differs",
      fmt::format("{:.0f} temporary files, {} in all, {} per request{}", *files,
                  cluster::format_bytes(bytes),
                  per_request ? cluster::format_bytes(*per_request) : std::string("unknown"),
                  with_setting(cell, "memory.work_mem", "work_mem")));
}

/// Seed 000's WAL and Checkpoints rows: checkpoints are timed, not requested by WAL volume.
std::optional<json> checkpoint_cell(const json& cell) {
  const auto requested = number_at(cell, "server_stats.bgwriter.checkpoints_req");
  if (!requested) return std::nullopt;
  const double timed = number_at(cell, "server_stats.bgwriter.checkpoints_timed").value_or(0);
  const auto wal = number_at(cell, "server_stats.wal.wal_bytes");
  const std::string timeout = setting(cell, "wal.checkpoint_timeout");
  std::string evidence = fmt::format(
      "{} of WAL written in the window, {:.0f} checkpoints timed, {:.0f} requested{}{}",
      wal ? cluster::format_bytes(*wal) : std::string("an unknown amount"), timed, *requested,
      with_setting(cell, "wal.max_wal_size", "max_wal_size"),
      timeout.empty() ? std::string() : fmt::format(", checkpoint_timeout = {}", timeout));
  if (*requested > 0) {
    evidence +=
        "; a requested checkpoint is WAL volume reaching max_wal_size or an explicit "
        "CHECKPOINT (pg_stat_bgwriter counts both)";
  } else if (timed == 0) {
    evidence += "; no checkpoint completed in the window (server-wide count)";
  }
  return claim_cell(cell, *requested > 0 ? "differs" : "holds", std::move(evidence));
}

/// Backends of the run that were not idle, summed over the 1 s samples: the time series'
/// active and idle-in-transaction states (the same samples as the wait events), or nullopt.
std::optional<double> sampled_busy_backends(const json& cell) {
  const json& rows = detail::at_path(cell, "timeseries");
  if (!rows.is_array()) return std::nullopt;
  double busy = 0;
  bool any = false;
  for (const auto& row : rows) {
    for (const char* key : {"server_active", "server_idle_in_tx"}) {
      if (const auto value = number_at(row, key)) {
        busy += *value;
        any = true;
      }
    }
  }
  return any ? std::optional<double>(busy) : std::nullopt;
}

/// Seeds 002 / 003 "Lock contention": the share of sampled non-idle backends waiting on a
/// heavyweight lock.
std::optional<json> lock_cell(const json& cell) {
  const json& waits = detail::at_path(cell, "server_stats.wait_events");
  if (!waits.is_object() || !waits.value("events", json()).is_array()) return std::nullopt;
  double waiting = 0;
  double lock = 0;
  std::vector<std::string> top;
  for (const auto& event : waits["events"]) {  // most counted first (docs/results.md)
    const double count = detail::number(event.value("count", json())).value_or(0);
    waiting += count;
    if (event.value("wait_event_type", std::string()) != "Lock") continue;
    lock += count;
    if (top.size() < 3)
      top.push_back(
          fmt::format("Lock:{} {:.0f}", event.value("wait_event", std::string("?")), count));
  }
  // Backends running on a CPU have no wait event: the time series counts them; without it
  // the waiting backends are all there is (an upper bound of the share).
  const double busy = std::max(sampled_busy_backends(cell).value_or(0), waiting);
  if (busy <= 0) return std::nullopt;  // no backend was ever caught busy
  const double share = lock / busy;
  return claim_cell(
      cell, share < k_lock_wait_share ? "holds" : "differs",
      fmt::format("{:.0f} of {:.0f} sampled non-idle backends waited on a lock ({:.1f}%, over {} "
                  "samples; the rule allows under {:.0f}%){}",
                  lock, busy, 100 * share, waits.value("samples", 0), 100 * k_lock_wait_share,
                  top.empty() ? std::string() : fmt::format(": {}", fmt::join(top, ", "))));
}

}  // namespace

json server_claims(const json& results) {
  const json& cells = detail::cells_of(results);
  json cache = json::array();
  json work_mem = json::array();
  json checkpoints = json::array();
  json locks = json::array();
  for (const auto& cell : cells) {
    // ok, not invalid (validity.hpp), and with the server's evidence.
    if (!is_measured(cell) || !cell.value("server_stats", json()).is_object()) continue;
    if (auto item = cache_cell(cell)) cache.push_back(std::move(*item));
    if (auto item = work_mem_cell(cell)) work_mem.push_back(std::move(*item));
    if (auto item = checkpoint_cell(cell)) checkpoints.push_back(std::move(*item));
    if (auto item = lock_cell(cell)) locks.push_back(std::move(*item));
  }
  json out = json::array();
  if (!cache.empty()) {
    out.push_back(
        detail::claim_row("002", "Monitoring queries", "Cache hit ratios (should be > 99%)",
                          "more than 99% of the target database's block reads hit "
                          "shared_buffers (pg_stat_database blks_hit / (blks_hit + blks_read))",
                          std::move(cache)));
  }
  if (!work_mem.empty()) {
    out.push_back(
        detail::claim_row("000", "Memory Settings (adjust based on available RAM)",
                          "work_mem: Per-operation memory (work_mem = 8MB # RAM / max_connections)",
                          "work_mem large enough that operations do not spill to temporary files",
                          std::move(work_mem)));
  }
  if (!checkpoints.empty()) {
    out.push_back(detail::claim_row("000", "WAL and Checkpoints",
                                    "max_wal_size = 2GB (write-heavy) / 1GB (read-heavy)",
                                    "checkpoints come from checkpoint_timeout, not from WAL volume "
                                    "reaching max_wal_size",
                                    std::move(checkpoints)));
  }
  if (!locks.empty()) {
    out.push_back(
        detail::claim_row("002", "Performance troubleshooting",
                          "Lock contention (seed 003 too: Monitor database performance: Lock "
                          "contention)",
                          "requests do not wait on each other's locks (wait_event_type Lock in "
                          "the pg_stat_activity samples)",
                          std::move(locks)));
  }
  return out;
}

}  // namespace poolbench::analysis
