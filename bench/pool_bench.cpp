// QueuePool checkout + check-in with fake connections: the pool's own overhead.
// Targets (issue 3): uncontended cycle <= 50 ns; 2 threads contended <= 1 us per cycle.
//   build/bench/bench_pool --benchmark_filter=Cycle

#include <memory>

#include <benchmark/benchmark.h>

#include "pool/queue_pool.hpp"
#include "support/pool_fakes.hpp"

namespace {

using poolbench::pool::AcquireResult;
using poolbench::pool::PoolSettings;
using poolbench::pool::QueuePool;
using poolbench::testing::FakeFactory;

PoolSettings settings_for(int pool_size) {
  PoolSettings settings;
  settings.pool_size = pool_size;
  settings.max_overflow = 0;
  settings.pool_timeout = std::chrono::seconds(30);
  return settings;
}

// One pool shared by all threads of a run: thread 0 (re)creates it before the loop; Google
// Benchmark puts a barrier before the first iteration, so the others see it.
struct Shared {
  FakeFactory factory;
  std::unique_ptr<QueuePool> pool;
};
Shared& shared() {
  static Shared instance;  // benchmark fixture state; not used outside this file
  return instance;
}

void BM_CheckoutCheckinCycle(benchmark::State& state) {
  const int pool_size = static_cast<int>(state.range(0));
  if (state.thread_index() == 0) {
    shared().pool = std::make_unique<QueuePool>(settings_for(pool_size), shared().factory);
  }
  std::uint64_t failures = 0;
  for (auto _ : state) {
    AcquireResult result = shared().pool->acquire();
    if (!result.ok()) ++failures;
    benchmark::DoNotOptimize(result.lease);
    result.lease.release();
  }
  state.counters["failures"] = static_cast<double>(failures);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_CheckoutCheckinCycle)
    ->ArgName("pool_size")
    ->Arg(1)
    ->Arg(10)
    ->Arg(100)
    ->Threads(1)
    ->Threads(2)
    ->Threads(4)
    ->Threads(8)
    ->UseRealTime();

void BM_AsyncCheckoutCheckinCycle(benchmark::State& state) {
  FakeFactory factory;
  QueuePool pool(settings_for(static_cast<int>(state.range(0))), factory);
  for (auto _ : state) {
    auto async = pool.acquire_async([] {});
    benchmark::DoNotOptimize(async.result);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_AsyncCheckoutCheckinCycle)->ArgName("pool_size")->Arg(10);

void BM_Status(benchmark::State& state) {
  FakeFactory factory;
  QueuePool pool(settings_for(10), factory);
  for (auto _ : state) benchmark::DoNotOptimize(pool.status());
}
BENCHMARK(BM_Status);

}  // namespace

BENCHMARK_MAIN();
