#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

// `poolbench merge`: the results.json files of the shards of one distributed run
// (`--shard I/N`) combined exactly into one results.json, as if one process had generated
// the whole load:
// - histograms: HdrHistogram merge (bucket counts added), summaries (mean, percentiles,
//   max) recomputed from the merged histograms;
// - counters summed (requests, completed, timeouts, errors by SQLSTATE, dropped, retries,
//   pool connects, ...); throughput_rps and timeout_rate recomputed from the sums over the
//   longest shard measurement (the shards measure the same slot);
// - pool gauges summed (shards are separate pools): mean_checked_out, max_checked_out
//   (an upper bound of the simultaneous maximum), max_overflow_used; pool.warmup summed;
// - summary.generator: every shard's worker threads; the merged cell is `invalid` when the
//   merged summary shows the generator fell behind or any shard's cell was invalid;
// - time series: rows matched on the shared grid (the second of unix_s after the cell's
//   scheduled measurement start), per-second latency_hist merged and p50/p99 recomputed,
//   counters and gauges summed (server_* states too: each shard counts its own backends;
//   the server-wide server_blks_read, server_wal_bytes, server_checkpoints: the largest);
// - summary.instances concatenated, each entry naming its shard; server_statements (one
//   server-wide reading, reset by shard 0) taken from the shard that read the most calls;
// - cells[].server_stats (merge_server_stats): every shard read the same server's counters
//   over nearly the same window, so the server-wide ones are not summed: database,
//   bgwriter, wal, tables, os.disk take the largest reading of each counter,
//   os.server_cpu_s and os.peak_server_rss_bytes the largest; statements the reading with
//   the most calls; wait_events and os.poolbench_cpu_s (each shard's own backends and
//   process) summed; a key no shard read is null with the first shard's reason; summary's
//   cache_hit_ratio, wal_bytes_per_transaction, ... recomputed over the merged figures;
// - cells[].plans (merge_plans): the first shard's (every shard explained the same
//   statements with the same seed); an entry whose fingerprint another shard saw differ
//   lists those shards in "shards_differ".
// Refused (InputError naming the file): a file that is not a shard's results, shards of
// different scenarios, poolbench versions, shard counts, start times or cell lists, a
// duplicate or missing shard index.

namespace poolbench::matrix {

struct ShardResults {
  std::string name;        ///< how messages name it (the file path)
  nlohmann::json results;  ///< the shard's results.json
};

/// The merged results document (no "analysis": derived data, recomputed by the caller).
nlohmann::json merge_shards(const std::vector<ShardResults>& shards);

/// One shard's copy of a cell.
struct ShardCell {
  const std::string* name = nullptr;  ///< the file, for messages
  const nlohmann::json* cell = nullptr;
};

/// The merged cell of one cell id (in shard order). Throws InputError.
nlohmann::json merge_cell(const std::vector<ShardCell>& cells);

/// The merged time series of one cell id: rows matched by their second after
/// cell["shard"]["measure_start_unix_s"]. Throws InputError.
nlohmann::json merge_timeseries(const std::vector<ShardCell>& cells);

/// The merged cells[].server_stats of one cell id; null when no shard has one.
nlohmann::json merge_server_stats(const std::vector<ShardCell>& cells);

/// The merged cells[].plans of one cell id; null when no shard has any.
nlohmann::json merge_plans(const std::vector<ShardCell>& cells);

}  // namespace poolbench::matrix
