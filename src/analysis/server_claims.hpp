#pragma once

#include <nlohmann/json.hpp>

// The seeds' server-side rules judged per cell with what the server counted over the cell's
// measurement window (cells[].server_stats, docs/results.md), in the shape of
// analysis.seed_claims (see seed_claims.hpp):
//   seed 002 monitoring query "Cache hit ratios (should be > 99%)": holds when
//     summary.cache_hit_ratio (pg_stat_database blks_hit / (blks_hit + blks_read)) > 0.99;
//     a cell without block accesses has no verdict.
//   seed 000 memory table, work_mem ("Per-operation memory", "RAM / max_connections"): holds
//     when no operation spilled to temporary files (server_stats.database.temp_files == 0).
//   seed 000 "WAL and Checkpoints" (max_wal_size 2GB write-heavy / 1GB read-heavy): holds when
//     no checkpoint was requested (bgwriter.checkpoints_req == 0): checkpoints came from
//     checkpoint_timeout. A requested checkpoint is WAL volume reaching max_wal_size or an
//     explicit CHECKPOINT; pg_stat_bgwriter does not tell them apart.
//   seeds 002 / 003 "Lock contention": holds when fewer than k_lock_wait_share of the sampled
//     non-idle backends of the run waited on a heavyweight lock (wait_event_type "Lock").
// Every row is listed only when some measured cell (validity.hpp) has its evidence
// (server_stats present and the key non-null); cells without it are left out of the row.

namespace poolbench::analysis {

/// The cache hit ratio seed 002 asks for ("should be > 99%"), as a fraction.
inline constexpr double k_cache_hit_ratio = 0.99;
/// Lock waits at or above this share of the sampled non-idle backends make "requests do not
/// wait on each other's locks" differ. Below it, a lock wait is the occasional collision.
inline constexpr double k_lock_wait_share = 0.05;

nlohmann::json server_claims(const nlohmann::json& results);

}  // namespace poolbench::analysis
