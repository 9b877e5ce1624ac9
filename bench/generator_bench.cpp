// The load generator's own overhead: run_load() in closed loop against the in-process fake
// server. BM_ClosedLoopSelectOnly: statements complete at once through an eventfd written at
// send time, so the time is the generator's (event loop, pool, script engine, recorder) plus
// the two syscalls per statement any real answer costs. BM_GeneratorSelfOverhead: the fake
// answers inside the send (synchronous), so only the generator's own work is measured.
// Target (issue 5): generator self-overhead >= 1M requests/s per core.
//   build/bench/bench_generator
// Counters: requests_per_s (wall clock), requests_per_cpu_s (per second of process CPU
// time, user + system: the per-core rate whatever the thread count, and what a loaded
// machine's wall clock hides), system_cpu_pct (the kernel's share of that CPU time).

#include <chrono>
#include <string>

#include <benchmark/benchmark.h>
#include <sys/resource.h>

#include "support/load_harness.hpp"

namespace poolbench::workload {
namespace {

using scenario::Scenario;
using testing::FakeServer;
using testing::FakeServerOptions;

/// CPU time of the whole process so far, in seconds.
struct CpuTime {
  double user_s = 0;
  double system_s = 0;
  static CpuTime now() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    auto seconds = [](const timeval& t) {
      return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
    };
    return CpuTime{seconds(usage.ru_utime), seconds(usage.ru_stime)};
  }
};

/// pgbench -S: one point read with a random key per request.
Scenario select_only(int clients, int transactions_per_client) {
  return testing::scenario_from("workload: { mode: closed, clients: " + std::to_string(clients) +
                                ", transactions: " + std::to_string(transactions_per_client) +
                                ", warmup: 0s }\n"
                                "pool: { pool_size: " +
                                std::to_string(clients) +
                                ", max_overflow: 0, pool_timeout: 30s }\n"
                                "transactions:\n"
                                "  - name: select_only\n"
                                "    script: |\n"
                                "      \\set aid random(1, 100000 * :scale)\n"
                                "      SELECT abalance FROM pgbench_accounts WHERE aid = :aid;\n");
}

/// One iteration = one run_load() of 128000 requests shared by `clients` clients on
/// `threads` worker threads, pool_size = clients (as scripts/compare-pgbench.sh runs
/// poolbench). Pool creation and connects are inside the measurement (64 at most).
void run_closed_loop(benchmark::State& state, FakeServerOptions options) {
  const int clients = static_cast<int>(state.range(0));
  const int threads = static_cast<int>(state.range(1));
  const int per_client = 128'000 / clients;
  const Scenario scenario = select_only(clients, per_client);
  FakeServer server(options);
  std::int64_t requests = 0;
  std::int64_t failed = 0;
  CpuTime cpu;
  for (auto _ : state) {
    const CpuTime before = CpuTime::now();
    const testing::FakeLoadRun run = testing::run_fake_load(scenario, server, threads);
    const CpuTime after = CpuTime::now();
    cpu.user_s += after.user_s - before.user_s;
    cpu.system_s += after.system_s - before.system_s;
    requests += run.result.counters.requests();
    failed += run.result.counters.requests() - run.result.counters.completed();
  }
  state.SetItemsProcessed(requests);
  state.counters["requests_per_s"] =
      benchmark::Counter(static_cast<double>(requests), benchmark::Counter::kIsRate);
  state.counters["requests_per_cpu_s"] =
      static_cast<double>(requests) / (cpu.user_s + cpu.system_s);
  // The kernel's share: the fake's eventfd write and read per statement, and epoll_wait.
  state.counters["system_cpu_pct"] = 100 * cpu.system_s / (cpu.user_s + cpu.system_s);
  state.counters["failed"] = static_cast<double>(failed);
}
void BM_ClosedLoopSelectOnly(benchmark::State& state) {
  run_closed_loop(state, {});
}
BENCHMARK(BM_ClosedLoopSelectOnly)
    ->ArgNames({"clients", "threads"})
    ->Args({1, 1})
    ->Args({8, 1})
    ->Args({64, 1})
    ->Args({64, 2})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->MinTime(2.0);

void BM_GeneratorSelfOverhead(benchmark::State& state) {
  FakeServerOptions options;
  options.synchronous = true;
  run_closed_loop(state, options);
}
BENCHMARK(BM_GeneratorSelfOverhead)
    ->ArgNames({"clients", "threads"})
    ->Args({1, 1})
    ->Args({64, 1})
    ->Args({64, 2})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->MinTime(2.0);

}  // namespace
}  // namespace poolbench::workload

BENCHMARK_MAIN();
