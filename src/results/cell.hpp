#pragma once

#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "metrics/client_stats.hpp"
#include "metrics/hdr_histogram.hpp"
#include "pool/queue_pool.hpp"
#include "scenario/scenario.hpp"
#include "workload/generator.hpp"

namespace poolbench::results {

/// Pool counters of a cell (one pool, or summed over its instances' pools).
struct PoolTotals {
  std::uint64_t connects = 0;
  std::uint64_t recycles = 0;
  std::uint64_t invalidations = 0;
  std::uint64_t preping_failures = 0;
  int max_overflow_used = 0;
  int max_checked_out = 0;
};

/// A cell's pool counters split at the measurement start: `measured` covers the
/// measurement window only (summary.pool), `warmup` what came before it
/// (summary.pool.warmup).
struct PoolWindow {
  PoolTotals measured;
  PoolTotals warmup;
};

/// One pool's window from its counters at the measurement start and at the end. Counts are
/// end - start. Peaks: the pool's own maximum when it rose inside the window (it was reached
/// there), else the highest value `sampled` inside the window (every 5 ms, a lower bound).
PoolWindow pool_window(const pool::PoolCounters& at_start, const pool::PoolCounters& at_end,
                       const workload::GeneratorResult::PoolPeak& sampled);

/// The sum over pools (peaks too: each pool's own peak, an upper bound of their sum's).
PoolWindow sum_windows(const std::vector<PoolWindow>& windows);

/// One entry of results.json "cells" (docs/results.md), from what the generator measured.
/// `params` gets the pool parameters (docs/results.md) plus `extra_params` (matrix axes by key
/// path).
nlohmann::json cell_json(const scenario::Scenario& scenario,
                         const workload::GeneratorResult& measured, const PoolWindow& pool,
                         const metrics::HdrHistogram& connect,
                         const std::map<std::string, std::string>& server_settings, int repetition,
                         const nlohmann::json& extra_params = nlohmann::json::object());

/// summary.fairness (and summary.instances[].fairness): metrics::Fairness as JSON.
nlohmann::json fairness_json(const metrics::Fairness& fairness);

/// A cell's "clients": per closed-loop client, columns of equal length (id, instance,
/// completed, timeouts, errors, checkout_wait_p99_ms), ~40 bytes of JSON a client.
nlohmann::json clients_json(const std::vector<metrics::ClientStats>& clients);

/// One row of a cell's "timeseries" (docs/results.md, What is measured); `poolbench merge` writes
/// its merged rows with it too.
nlohmann::json timeseries_row_json(const workload::TimeseriesRow& row);

/// summary.instances: per app instance (pool) of a multi-instance cell, its name, share,
/// pool settings, outcomes, latency and checkout wait, and pool gauges/counters (of the
/// measurement window; `pools` in instance order).
nlohmann::json instances_json(const std::vector<scenario::ResolvedInstance>& instances,
                              const workload::GeneratorResult& measured,
                              const std::vector<PoolWindow>& pools);

}  // namespace poolbench::results
