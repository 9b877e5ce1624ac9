#pragma once

// Runs the load generator against the in-process fake server: for the generator's unit
// tests and benchmark (no database).

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "pool/queue_pool.hpp"
#include "scenario/scenario.hpp"
#include "script/script.hpp"
#include "support/fake_server.hpp"
#include "workload/generator.hpp"
#include "workload/transactions.hpp"

namespace poolbench::testing {

/// What one run measured, with the pools' and the fake server's own counts.
struct FakeLoadRun {
  workload::GeneratorResult result;
  std::vector<pool::PoolCounters> pools;  ///< one per instance
  testing::FakeServerStats server;
};

/// A scenario named "test" from YAML text (as a scenario file; throws InputError when
/// invalid).
inline scenario::Scenario scenario_from(std::string_view yaml) {
  return scenario::parse_scenario("name: test\n" + std::string(yaml), "test.yaml");
}

/// Runs `scenario` with `threads` workers and one pool per app instance (with the
/// instance's settings and share), all connected to `server`; `configure` may set more
/// options. The pools are closed before returning.
inline FakeLoadRun run_fake_load(
    const scenario::Scenario& scenario, testing::FakeServer& server, int threads = 1,
    const std::function<void(workload::GeneratorOptions&)>& configure = nullptr) {
  std::vector<std::unique_ptr<pool::QueuePool>> pools;
  workload::GeneratorOptions options;
  options.transactions = workload::compile_transactions(scenario);
  options.threads = threads;
  for (const auto& instance : scenario::resolve_instances(scenario)) {
    pools.push_back(std::make_unique<pool::QueuePool>(instance.settings, server));
    options.pools.push_back(pools.back().get());
    options.pool_shares.push_back(instance.share);
  }
  if (configure) configure(options);
  FakeLoadRun run;
  run.result = workload::run_load(scenario, std::move(options));
  for (const auto& pool : pools) run.pools.push_back(pool->counters());
  pools.clear();
  run.server = server.stats();
  return run;
}

}  // namespace poolbench::testing
