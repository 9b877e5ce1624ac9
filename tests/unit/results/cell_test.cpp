// A results.json cell's pool counters and generator block (results/cell.hpp): counters of
// the measurement window only, the warmup's kept apart.

#include "results/cell.hpp"

#include <gtest/gtest.h>

namespace poolbench::results {
namespace {

pool::PoolCounters counters(std::uint64_t connects, int max_overflow, int max_checked_out) {
  pool::PoolCounters c;
  c.connects = connects;
  c.recycles = connects / 2;
  c.invalidations = 1;
  c.preping_failures = 1;
  c.max_overflow_used = max_overflow;
  c.max_checked_out = max_checked_out;
  return c;
}

TEST(PoolWindow, CountsAreTheMeasurementWindowsAndTheWarmupIsKeptApart) {
  const PoolWindow w = pool_window(counters(12, 3, 8), counters(20, 3, 8), {6, 1});
  EXPECT_EQ(w.measured.connects, 8u);
  EXPECT_EQ(w.measured.recycles, 4u);
  EXPECT_EQ(w.measured.invalidations, 0u);
  EXPECT_EQ(w.measured.preping_failures, 0u);
  EXPECT_EQ(w.warmup.connects, 12u);
  EXPECT_EQ(w.warmup.max_overflow_used, 3);
  EXPECT_EQ(w.warmup.max_checked_out, 8);
}

TEST(PoolWindow, APeakThatRoseInsideTheWindowIsExactElseTheSampledOne) {
  // The warmup's burst reached 3 overflow connections, the measurement only 1 (sampled).
  const PoolWindow lower = pool_window(counters(5, 3, 8), counters(9, 3, 8), {6, 1});
  EXPECT_EQ(lower.measured.max_overflow_used, 1);
  EXPECT_EQ(lower.measured.max_checked_out, 6);
  // The pool's own maximum rose after the measurement started: it was reached there.
  const PoolWindow rose = pool_window(counters(5, 1, 6), counters(9, 4, 9), {8, 3});
  EXPECT_EQ(rose.measured.max_overflow_used, 4);
  EXPECT_EQ(rose.measured.max_checked_out, 9);
}

TEST(PoolWindow, CellJsonWritesTheWindowAndTheWarmupAndEachWorkersCpu) {
  scenario::Scenario scenario;
  workload::GeneratorResult measured;
  measured.measured_s = 2.0;
  measured.max_checked_out = 5;
  measured.pool_peaks = {{5, 1}};
  measured.worker_cpu_s = {0.5, 1.9};
  measured.worker_cpu_busy = {0.25, 0.95};
  const PoolWindow window = pool_window(counters(10, 2, 4), counters(15, 2, 7), {5, 1});
  const auto cell = cell_json(scenario, measured, window,
                              metrics::HdrHistogram(metrics::k_latency_config), {}, 0);
  const auto& pool = cell["summary"]["pool"];
  EXPECT_EQ(pool["connects"], 5);
  EXPECT_EQ(pool["max_checked_out"], 7);  // one pool: its own peak, reached in the window
  EXPECT_EQ(pool["max_overflow_used"], 1);
  EXPECT_EQ(pool["warmup"]["connects"], 10);
  EXPECT_EQ(pool["warmup"]["max_overflow_used"], 2);
  const auto& generator = cell["summary"]["generator"];
  EXPECT_EQ(generator["threads"], 2);
  EXPECT_DOUBLE_EQ(generator["worker_cpu_busy"][0].get<double>(), 0.25);
  EXPECT_DOUBLE_EQ(generator["worker_cpu_busy"][1].get<double>(), 0.95);
}

}  // namespace
}  // namespace poolbench::results
