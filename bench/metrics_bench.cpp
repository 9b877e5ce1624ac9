// Speed of the metrics hot path and of the end-of-run operations. Target (issue 5):
// HdrHistogram::record <= 10 ns. Run: build-*/bench/bench_metrics.
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include <benchmark/benchmark.h>

#include "metrics/hdr_codec.hpp"
#include "metrics/hdr_histogram.hpp"

namespace {

using poolbench::metrics::HdrHistogram;

// Latency-like values (lognormal around 2 ms, up to minutes), precomputed so the benchmark
// measures record, not the random generator. The size is a power of two for cheap cycling.
std::vector<std::int64_t> latencies_us(std::size_t n) {
  std::mt19937_64 rng(1);
  std::lognormal_distribution<double> dist(std::log(2000.0), 1.5);
  std::vector<std::int64_t> values(n);
  for (auto& v : values) {
    v = static_cast<std::int64_t>(dist(rng));
  }
  return values;
}

HdrHistogram filled(std::size_t n) {
  HdrHistogram h;
  for (const std::int64_t v : latencies_us(n)) {
    h.record(v);
  }
  return h;
}

void BM_Record(benchmark::State& state) {
  const std::vector<std::int64_t> values = latencies_us(4096);
  HdrHistogram h;
  std::size_t i = 0;
  for (auto _ : state) {
    h.record(values[i++ & 4095]);
  }
  benchmark::DoNotOptimize(h.total_count());
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Record);

// Open-loop shape with an arrival interval of state.range(0) µs: at 1 ms most of these
// latencies (median 2 ms) are corrected, at 100 ms only the tail is.
void BM_RecordCorrected(benchmark::State& state) {
  const std::vector<std::int64_t> values = latencies_us(4096);
  const std::int64_t interval_us = state.range(0);
  HdrHistogram h;
  std::size_t i = 0;
  for (auto _ : state) {
    h.record_corrected(values[i++ & 4095], interval_us);
  }
  benchmark::DoNotOptimize(h.total_count());
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RecordCorrected)->Arg(1000)->Arg(100'000);

void BM_Merge(benchmark::State& state) {
  const HdrHistogram other = filled(100'000);
  HdrHistogram h;
  for (auto _ : state) {
    h.merge(other);
  }
  benchmark::DoNotOptimize(h.total_count());
}
BENCHMARK(BM_Merge);

void BM_ValueAtPercentile(benchmark::State& state) {
  const HdrHistogram h = filled(1'000'000);
  for (auto _ : state) {
    benchmark::DoNotOptimize(h.value_at_percentile_us(99.0));
  }
}
BENCHMARK(BM_ValueAtPercentile);

void BM_EncodeBase64(benchmark::State& state) {
  const HdrHistogram h = filled(1'000'000);
  std::size_t bytes = 0;
  for (auto _ : state) {
    const std::string text = poolbench::metrics::encode_hdr_v2_base64(h);
    bytes = text.size();
    benchmark::DoNotOptimize(text.data());
  }
  state.counters["base64_bytes"] = static_cast<double>(bytes);
}
BENCHMARK(BM_EncodeBase64);

void BM_DecodeBase64(benchmark::State& state) {
  const std::string text = poolbench::metrics::encode_hdr_v2_base64(filled(1'000'000));
  for (auto _ : state) {
    const HdrHistogram h = poolbench::metrics::decode_hdr_v2_base64(text);
    benchmark::DoNotOptimize(h.total_count());
  }
}
BENCHMARK(BM_DecodeBase64);

void BM_Reset(benchmark::State& state) {
  HdrHistogram h = filled(1000);
  for (auto _ : state) {
    h.reset();
    benchmark::ClobberMemory();
  }
}
BENCHMARK(BM_Reset);

}  // namespace

BENCHMARK_MAIN();
