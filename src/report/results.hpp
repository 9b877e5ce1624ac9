#pragma once

#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "metrics/hdr_histogram.hpp"
#include "pool/queue_pool.hpp"
#include "workload/generator.hpp"
#include "workload/scenario.hpp"

namespace poolbench::report {

/// Pool counters of a cell, summed over its instances' pools.
struct PoolTotals {
  std::uint64_t connects = 0;
  std::uint64_t recycles = 0;
  std::uint64_t invalidations = 0;
  std::uint64_t preping_failures = 0;
  int max_overflow_used = 0;
};

PoolTotals sum_pool_counters(const std::vector<pool::QueuePool*>& pools);

/// One entry of results.json "cells" (DESIGN.md, Results), from what the generator measured.
/// `params` gets DESIGN.md's pool parameters plus `extra_params` (matrix axes by key path).
nlohmann::json cell_json(const workload::Scenario& scenario,
                         const workload::GeneratorResult& measured, const PoolTotals& pool,
                         const metrics::HdrHistogram& connect,
                         const std::map<std::string, std::string>& server_settings, int repetition,
                         const nlohmann::json& extra_params = nlohmann::json::object());

/// One row of a cell's "timeseries" (DESIGN.md, Measurements); `poolbench merge` writes its
/// merged rows with it too.
nlohmann::json timeseries_row_json(const workload::TimeseriesRow& row);

/// summary.instances: per app instance (pool) of a multi-instance cell, its name, share,
/// pool settings, outcomes, latency and checkout wait, and pool gauges/counters.
nlohmann::json instances_json(const std::vector<workload::ResolvedInstance>& instances,
                              const workload::GeneratorResult& measured,
                              const std::vector<pool::QueuePool*>& pools);

/// The "tool" object: name, version, git commit, build type.
nlohmann::json tool_json();
/// The "host" object: hostname, cores, memory, kernel.
nlohmann::json host_json();

}  // namespace poolbench::report
