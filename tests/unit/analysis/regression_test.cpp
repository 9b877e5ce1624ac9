// Regression verdicts: thresholds (parsing and meaning), one metric's verdict from two
// samples, the false-positive rate on pure noise over many seeded trials, the power on a
// known shift, and matching two results files (compare_results).

#include "analysis/regression.hpp"

#include <algorithm>
#include <cmath>
#include <iostream>
#include <map>
#include <random>
#include <set>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "analysis/compare.hpp"
#include "analysis/mann_whitney.hpp"
#include "unit/analysis/synthetic_results.hpp"
#include "util/error.hpp"

namespace poolbench::analysis {
namespace {

using poolbench::testing::synthetic_results;
using poolbench::testing::SyntheticCell;
using ::testing::HasSubstr;

const MetricDef& metric(const char* key) {
  const MetricDef* found = find_metric(key);
  EXPECT_NE(found, nullptr) << key;
  return *found;
}

std::string input_error_of(const std::function<void()>& action) {
  try {
    action();
  } catch (const InputError& e) {
    return e.what();
  }
  return "(no InputError)";
}

// --- thresholds -------------------------------------------------------------------------

TEST(Threshold, ParsesRelativeAbsoluteAndBoth) {
  const auto [p99, relative] = parse_threshold("latency_ms.p99=10%");
  EXPECT_EQ(p99, "latency_ms.p99");
  EXPECT_DOUBLE_EQ(*relative.relative, 0.10);
  EXPECT_FALSE(relative.absolute);

  const auto [timeouts, absolute] = parse_threshold("timeout_rate=+0.01");
  EXPECT_EQ(timeouts, "timeout_rate");
  EXPECT_DOUBLE_EQ(*absolute.absolute, 0.01);
  EXPECT_FALSE(absolute.relative);

  const auto [wait, both] = parse_threshold("checkout_wait_ms.p99=20%,+0.5");
  EXPECT_EQ(wait, "checkout_wait_ms.p99");
  EXPECT_DOUBLE_EQ(*both.relative, 0.20);
  EXPECT_DOUBLE_EQ(*both.absolute, 0.5);
  EXPECT_EQ(both.to_string(), "20% and +0.5");

  EXPECT_EQ(parse_threshold("errors=+0.002").first, "error_rate");
}

TEST(Threshold, RejectsMalformedValuesAndUnknownMetricsWithTheExpectedForm) {
  for (const char* bad : {"latency_ms.p99", "latency_ms.p99=10", "latency_ms.p99=-5%",
                          "latency_ms.p99=abc%", "latency_ms.p99=", "latency_ms.p99=10%,20%",
                          "timeout_rate=+", "timeout_rate=+-1", "latency_ms.p99=10%%"}) {
    const std::string message = input_error_of([&] { parse_threshold(bad); });
    EXPECT_THAT(message, HasSubstr("--threshold")) << bad;
    EXPECT_THAT(message, HasSubstr("latency_ms.p99=10%")) << bad << ": " << message;
  }
  const std::string unknown = input_error_of([] { parse_threshold("latency_ms.p95=10%"); });
  EXPECT_THAT(unknown, HasSubstr("unknown metric 'latency_ms.p95'"));
  EXPECT_THAT(unknown, HasSubstr("did you mean latency_ms.p99"));
}

TEST(Threshold, ARelativeThresholdAgainstAZeroBaselineIsExceededByAnyChange) {
  const Threshold ten_percent{0.10, std::nullopt};
  EXPECT_FALSE(ten_percent.exceeded_by(100, 10));
  EXPECT_TRUE(ten_percent.exceeded_by(100, -10.5));
  EXPECT_TRUE(ten_percent.exceeded_by(0, 0.001));
  EXPECT_FALSE(ten_percent.exceeded_by(0, 0));
  const Threshold with_floor{0.20, 0.1};  // 20% of 0.003 ms is nothing: the floor decides
  EXPECT_FALSE(with_floor.exceeded_by(0.003, 0.05));
  EXPECT_TRUE(with_floor.exceeded_by(0.003, 0.2));
  EXPECT_FALSE(with_floor.exceeded_by(10, 1.5));
}

// --- one metric ---------------------------------------------------------------------------

TEST(CompareMetric, AClearLatencyIncreaseIsARegressionAndAThroughputIncreaseAnImprovement) {
  const std::vector<double> before = {10.1, 9.9, 10.0, 10.2, 9.8};
  const std::vector<double> after = {13.0, 12.8, 13.1, 12.9, 13.3};
  const auto latency =
      compare_metric(metric("latency_ms.p99"), Threshold{0.15, {}}, before, after, 0.05);
  EXPECT_EQ(latency.verdict, Verdict::regressed);
  EXPECT_EQ(latency.basis, Basis::test);
  EXPECT_NEAR(*latency.p_value, 2.0 / 252, 1e-12);
  EXPECT_DOUBLE_EQ(latency.baseline_value, 10.0);
  EXPECT_DOUBLE_EQ(latency.current_value, 13.0);
  EXPECT_NEAR(*latency.relative_change, 0.30, 1e-12);

  const auto throughput =
      compare_metric(metric("throughput_rps"), Threshold{0.05, {}}, before, after, 0.05);
  EXPECT_EQ(throughput.verdict, Verdict::improved);
  const auto slower =
      compare_metric(metric("throughput_rps"), Threshold{0.05, {}}, after, before, 0.05);
  EXPECT_EQ(slower.verdict, Verdict::regressed);
}

TEST(CompareMetric, ASignificantChangeWithinTheThresholdIsUnchangedAndSaysSo) {
  const std::vector<double> before = {10.0, 10.01, 10.02, 10.03, 10.04};
  const std::vector<double> after = {10.5, 10.51, 10.52, 10.53, 10.54};  // +5%, p = 0.008
  const auto result =
      compare_metric(metric("latency_ms.p50"), Threshold{0.10, {}}, before, after, 0.05);
  EXPECT_TRUE(result.significant);
  EXPECT_FALSE(result.beyond_threshold);
  EXPECT_EQ(result.verdict, Verdict::unchanged);
  EXPECT_THAT(result.note, HasSubstr("within the 10% threshold"));
}

TEST(CompareMetric, OneRepetitionJudgesByTheThresholdAloneAndSaysSo) {
  const std::vector<double> before = {10.0};
  const std::vector<double> after = {12.0};
  const auto result =
      compare_metric(metric("latency_ms.p99"), Threshold{0.15, {}}, before, after, 0.05);
  EXPECT_EQ(result.basis, Basis::thresholds_only);
  EXPECT_FALSE(result.p_value);
  EXPECT_EQ(result.verdict, Verdict::regressed);
  EXPECT_EQ(result.repetitions_needed, 4);
  EXPECT_THAT(result.note, HasSubstr("threshold alone"));
  const auto small =
      compare_metric(metric("latency_ms.p99"), Threshold{0.25, {}}, before, after, 0.05);
  EXPECT_EQ(small.verdict, Verdict::unchanged);
}

TEST(CompareMetric, TwoAgainstTwoRepetitionsCannotReachAlphaSoTheThresholdDecides) {
  const std::vector<double> before = {10.0, 10.2};
  const std::vector<double> after = {14.0, 14.1};
  const auto result =
      compare_metric(metric("latency_ms.p99"), Threshold{0.15, {}}, before, after, 0.05);
  EXPECT_EQ(result.basis, Basis::thresholds_only);
  EXPECT_EQ(result.verdict, Verdict::regressed);
  EXPECT_THAT(result.note, HasSubstr("2+2 repetitions: the test cannot reach alpha 0.05"));
  EXPECT_THAT(result.note, HasSubstr("needs >= 4 per side"));
  // At alpha 0.4 two against two can reach it (min p = 1/3): the test decides.
  const auto loose =
      compare_metric(metric("latency_ms.p99"), Threshold{0.15, {}}, before, after, 0.4);
  EXPECT_EQ(loose.basis, Basis::test);
}

TEST(CompareMetric, ANoisyChangeBeyondTheThresholdIsNotARegressionAndNamesTheRepetitionsNeeded) {
  const std::vector<double> before = {10, 14, 8, 12, 9};
  const std::vector<double> after = {13, 9, 16, 11, 15};  // median +30%, heavy overlap
  const auto result =
      compare_metric(metric("latency_ms.p99"), Threshold{0.15, {}}, before, after, 0.05);
  EXPECT_TRUE(result.beyond_threshold);
  EXPECT_FALSE(result.significant);
  EXPECT_EQ(result.verdict, Verdict::unchanged);
  EXPECT_GT(result.repetitions_needed, 5);
  EXPECT_THAT(result.note, HasSubstr("not significant"));
  EXPECT_THAT(result.note, HasSubstr("too noisy for 5+5 repetitions"));
  EXPECT_THAT(result.note, HasSubstr(std::to_string(result.repetitions_needed) + " per side"));
}

TEST(CompareMetric, RatesWithAZeroBaselineUseTheAbsoluteThreshold) {
  const std::vector<double> before = {0, 0, 0, 0, 0};
  const std::vector<double> after = {0.02, 0.03, 0.025, 0.04, 0.02};
  const auto result =
      compare_metric(metric("timeout_rate"), Threshold{{}, 0.01}, before, after, 0.05);
  EXPECT_FALSE(result.relative_change);
  EXPECT_EQ(result.verdict, Verdict::regressed);
  const auto tolerated =
      compare_metric(metric("timeout_rate"), Threshold{{}, 0.05}, before, after, 0.05);
  EXPECT_EQ(tolerated.verdict, Verdict::unchanged);
}

// --- noise and shifts over many seeded trials ---------------------------------------------

std::vector<double> lognormal_sample(std::mt19937_64& rng, int size, double mean, double cv) {
  std::normal_distribution<double> noise(0, 1);
  const double sigma = std::sqrt(std::log(1 + cv * cv));
  std::vector<double> values;
  for (int i = 0; i < size; ++i) values.push_back(mean * std::exp(sigma * noise(rng)));
  return values;
}

/// Three standard deviations of a binomial proportion: the tolerance of a measured rate.
double binomial_tolerance(double rate, int trials) {
  return 3 * std::sqrt(rate * (1 - rate) / trials);
}

struct NoiseCase {
  int repetitions;
  double alpha;
};

class PureNoise : public ::testing::TestWithParam<NoiseCase> {};

TEST_P(PureNoise, IsFlaggedAtMostAtAlphaOverAThousandSeededTrials) {
  // The threshold is made negligible (+1e-9 ms), so only the test's calibration stands
  // between noise and a verdict.
  const auto [repetitions, alpha] = GetParam();
  constexpr int k_trials = 1000;
  std::mt19937_64 rng(20240501 + static_cast<unsigned>(repetitions));
  int changed = 0;
  int regressed = 0;
  for (int trial = 0; trial < k_trials; ++trial) {
    const auto before = lognormal_sample(rng, repetitions, 10, 0.2);
    const auto after = lognormal_sample(rng, repetitions, 10, 0.2);
    const auto result =
        compare_metric(metric("latency_ms.p99"), Threshold{{}, 1e-9}, before, after, alpha);
    changed += result.verdict != Verdict::unchanged ? 1 : 0;
    regressed += result.verdict == Verdict::regressed ? 1 : 0;
  }
  const double rate = static_cast<double>(changed) / k_trials;
  const double regressed_rate = static_cast<double>(regressed) / k_trials;
  std::cout << "[ measured ] " << repetitions << "+" << repetitions << " repetitions, alpha "
            << alpha << ": false positives (either direction) " << rate << ", regressions "
            << regressed_rate << " over " << k_trials << " trials\n";
  EXPECT_LE(rate, alpha + binomial_tolerance(alpha, k_trials));
  EXPECT_LE(regressed_rate, alpha / 2 + binomial_tolerance(alpha / 2, k_trials));
  // And the test is alive: an exact test attains a level close to alpha from below.
  EXPECT_GE(rate, alpha / 4);
}

INSTANTIATE_TEST_SUITE_P(RepetitionsAndAlphas, PureNoise,
                         ::testing::Values(NoiseCase{5, 0.05}, NoiseCase{8, 0.05},
                                           NoiseCase{10, 0.10}, NoiseCase{31, 0.05}));

/// In how many of `trials` seeded trials 5 + 5 repetitions of `key` around `before` and
/// `after` (log-normal, coefficient of variation `cv`) are judged a regression at the
/// metric's default threshold and alpha 0.05.
int regressions_in(int trials, std::uint64_t seed, const char* key, double before, double after,
                   double cv) {
  std::mt19937_64 rng(seed);
  int flagged = 0;
  for (int trial = 0; trial < trials; ++trial) {
    const auto base = lognormal_sample(rng, 5, before, cv);
    const auto current = lognormal_sample(rng, 5, after, cv);
    const auto result =
        compare_metric(metric(key), metric(key).default_threshold, base, current, 0.05);
    flagged += result.verdict == Verdict::regressed ? 1 : 0;
  }
  return flagged;
}

TEST(KnownShift, ThirtyPercentOnFivePercentNoiseIsFlaggedInNearlyEveryTrial) {
  constexpr int k_trials = 500;
  const int flagged = regressions_in(k_trials, 7, "latency_ms.p99", 10, 13, 0.05);
  std::cout << "[ measured ] +30% latency shift, 5% noise, 5+5 repetitions: flagged in " << flagged
            << " of " << k_trials << " trials\n";
  EXPECT_GE(flagged, k_trials * 95 / 100);
}

TEST(KnownShift, AShiftBelowTheThresholdIsNotARegressionEvenWhenSignificant) {
  // +5% on 1% noise, threshold 10%.
  EXPECT_EQ(regressions_in(500, 8, "latency_ms.p50", 10, 10.5, 0.01), 0);
}

// --- two results files ---------------------------------------------------------------------

const std::vector<SyntheticCell> k_cells = {
    {5, 1000, 2, 0.5, 0, 0}, {10, 1800, 2.2, 0.05, 0, 0}, {20, 2000, 2.6, 0.01, 0, 0}};

TEST(CompareResults, WholeRunsOfPureNoiseFailAtMostAtAlphaWithDefaultThresholds) {
  // 3 cells x 10 metrics, 5+5 repetitions, 5% run-to-run noise on every metric: how often
  // would a CI job fail on a change that does nothing?
  constexpr int k_trials = 1000;
  std::mt19937_64 rng(42);
  int failed_runs = 0;
  int regressed_metrics = 0;
  std::map<std::string, int> by_metric;
  for (int trial = 0; trial < k_trials; ++trial) {
    const auto baseline = synthetic_results("ci", k_cells, 5, 0.05, rng);
    const auto current = synthetic_results("ci", k_cells, 5, 0.05, rng);
    const auto comparison = compare_results(baseline, "base.json", current, "cur.json", {});
    failed_runs += comparison.any_regression() ? 1 : 0;
    regressed_metrics += comparison.count(Verdict::regressed);
    for (const auto& cell : comparison.cells) {
      for (const auto& m : cell.metrics) by_metric[m.metric] += m.verdict == Verdict::regressed;
    }
  }
  for (const auto& [key, count] : by_metric) {
    std::cout << "[ measured ]   " << key << ": " << count << " regressions in " << k_trials * 3
              << " cell comparisons\n";
  }
  const double rate = static_cast<double>(failed_runs) / k_trials;
  std::cout << "[ measured ] pure noise (5% cv), 3 cells x 10 metrics, 5+5 repetitions, "
               "default thresholds: "
            << failed_runs << " of " << k_trials << " runs would fail (" << regressed_metrics
            << " metric regressions)\n";
  EXPECT_LE(rate, 0.05 + binomial_tolerance(0.05, k_trials));
}

TEST(CompareResults, AKnownShiftInOneCellIsFlaggedThereAndNowhereElse) {
  std::mt19937_64 rng(3);
  auto shifted = k_cells;
  shifted[1].latency_p50_ms *= 1.4;  // every latency percentile of pool_size=10: +40%
  const auto baseline = synthetic_results("ci", k_cells, 5, 0.03, rng);
  const auto current = synthetic_results("ci", shifted, 5, 0.03, rng);
  const auto comparison = compare_results(baseline, "base.json", current, "cur.json", {});
  ASSERT_EQ(comparison.cells.size(), 3u);
  EXPECT_TRUE(comparison.any_regression());
  for (const auto& cell : comparison.cells) {
    for (const auto& m : cell.metrics) {
      const bool latency = m.metric.starts_with("latency_ms.");
      const bool expect_regression = cell.label == "pool.pool_size=10" && latency;
      EXPECT_EQ(m.verdict == Verdict::regressed, expect_regression)
          << cell.label << " " << m.metric << ": " << m.note;
    }
  }
}

TEST(CompareResults, MatchesCellsByParamsWhateverTheirOrderAndRepetitionCounts) {
  std::mt19937_64 rng(4);
  const auto baseline = synthetic_results("ci", k_cells, 5, 0.03, rng);
  auto current = synthetic_results("ci", {k_cells[2], k_cells[0], k_cells[1]}, 3, 0.03, rng);
  const auto comparison = compare_results(baseline, "base.json", current, "cur.json", {});
  ASSERT_EQ(comparison.cells.size(), 3u);
  EXPECT_EQ(comparison.cells[0].label, "pool.pool_size=5");
  EXPECT_EQ(comparison.cells[0].baseline_repetitions, 5);
  EXPECT_EQ(comparison.cells[0].current_repetitions, 3);
  // Every required metric; the server-side ones need server_stats, which these lack.
  const auto required = std::count_if(compared_metrics().begin(), compared_metrics().end(),
                                      [](const MetricDef& m) { return !m.server_side; });
  EXPECT_EQ(comparison.cells[0].metrics.size(), static_cast<std::size_t>(required));
  EXPECT_FALSE(comparison.thresholds_only());
}

/// Adds server evidence to every cell: `wal` bytes per request, `hit` cache hit ratio,
/// `read` blocks read per request (1000 requests), `cpu` server CPU ms per request, each
/// with +-2% noise.
void add_server_side(nlohmann::json& results, double wal, double hit, double read,
                     std::mt19937_64& rng, double cpu = 0.5) {
  std::uniform_real_distribution<double> noise(0.98, 1.02);
  for (auto& cell : results["cells"]) {
    cell["summary"]["completed"] = 1000;
    cell["summary"]["wal_bytes_per_transaction"] = wal * noise(rng);
    cell["summary"]["cache_hit_ratio"] = std::min(1.0, hit * noise(rng));
    cell["summary"]["server_cpu_ms_per_request"] = cpu * noise(rng);
    cell["server_stats"]["database"]["blks_read"] = 1000 * read * noise(rng);
  }
}

/// The metrics of `cell` whose verdict is regressed.
std::set<std::string> regressed_metrics(const CellComparison& cell) {
  std::set<std::string> regressed;
  for (const auto& m : cell.metrics) {
    if (m.verdict == Verdict::regressed) regressed.insert(m.metric);
  }
  return regressed;
}

TEST(CompareResults, ServerSideShiftsAreMetricsOfTheirOwn) {
  std::mt19937_64 rng(11);
  auto baseline = synthetic_results("ci", k_cells, 5, 0.01, rng);
  auto current = synthetic_results("ci", k_cells, 5, 0.01, rng);
  add_server_side(baseline, 800, 0.999, 40, rng);
  add_server_side(current, 1200, 0.95, 120, rng);  // +50% WAL, -5 points hits, 3x reads
  const auto comparison = compare_results(baseline, "base.json", current, "cur.json", {});
  for (const auto& cell : comparison.cells) {
    EXPECT_EQ(regressed_metrics(cell),
              (std::set<std::string>{"wal_bytes_per_transaction", "cache_hit_ratio",
                                     "blks_read_per_transaction"}))
        << cell.label;
  }
  EXPECT_TRUE(comparison.notes.empty());
  // Server CPU per request has its own threshold (+20%): +10% passes, +60% regresses.
  for (const double cpu : {0.55, 0.8}) {
    auto busier = synthetic_results("ci", k_cells, 5, 0.01, rng);
    add_server_side(busier, 800, 0.999, 40, rng, cpu);
    const auto shifted = compare_results(baseline, "base.json", busier, "cur.json", {});
    for (const auto& cell : shifted.cells) {
      const std::set<std::string> regressed = regressed_metrics(cell);
      EXPECT_EQ(regressed.count("server_cpu_ms_per_request"), cpu > 0.7 ? 1u : 0u)
          << cell.label << " at " << cpu;
      EXPECT_EQ(regressed.size(), regressed.count("server_cpu_ms_per_request")) << cell.label;
    }
  }
}

TEST(CompareResults, ServerSideMetricsAreLeftOutWithANoteWhenADocumentHasNone) {
  std::mt19937_64 rng(12);
  auto baseline = synthetic_results("ci", k_cells, 5, 0.01, rng);
  const auto current = synthetic_results("ci", k_cells, 5, 0.01, rng);
  add_server_side(baseline, 800, 0.999, 40, rng);
  const auto comparison = compare_results(baseline, "base.json", current, "cur.json", {});
  for (const auto& m : comparison.cells[0].metrics)
    EXPECT_FALSE(find_metric(m.metric)->server_side);
  ASSERT_FALSE(comparison.notes.empty());
  bool noted = false;
  for (const auto& note : comparison.notes) {
    noted = noted || note.starts_with("wal_bytes_per_transaction not compared in 3 of 3 cells");
  }
  EXPECT_TRUE(noted) << comparison.notes[0];
}

TEST(CompareResults, ThresholdOverridesReplaceTheDefaults) {
  std::mt19937_64 rng(5);
  const auto baseline = synthetic_results("ci", k_cells, 5, 0.01, rng);
  auto shifted = k_cells;
  for (auto& cell : shifted) cell.throughput_rps *= 0.85;  // -15%: beyond the default 10%
  const auto current = synthetic_results("ci", shifted, 5, 0.01, rng);
  EXPECT_TRUE(compare_results(baseline, "b", current, "c", {}).any_regression());
  CompareOptions options;
  options.thresholds["throughput_rps"] = Threshold{0.20, {}};
  EXPECT_FALSE(compare_results(baseline, "b", current, "c", options).any_regression());
}

TEST(CompareResults, ErrorRateIsErrorsPerRequest) {
  std::mt19937_64 rng(6);
  auto baseline = synthetic_results("ci", {k_cells[0]}, 1, 0, rng);
  auto current = baseline;
  current["cells"][0]["summary"]["errors"] = 250;  // of 10000 requests
  const auto comparison = compare_results(baseline, "b", current, "c", {});
  const auto& error_rate = comparison.cells[0].metrics.back();
  EXPECT_EQ(error_rate.metric, "error_rate");
  EXPECT_DOUBLE_EQ(error_rate.current_value, 0.025);
  EXPECT_EQ(error_rate.verdict, Verdict::regressed);
  EXPECT_TRUE(comparison.thresholds_only());
  ASSERT_FALSE(comparison.notes.empty());
  EXPECT_THAT(comparison.notes.back(), HasSubstr("verdicts come from the thresholds alone"));
}

TEST(CompareResults, DropRateIsDroppedArrivalsPerRequestAndAMetricOfItsOwn) {
  std::mt19937_64 rng(6);
  auto baseline = synthetic_results("ci", {k_cells[0]}, 1, 0, rng);
  auto current = baseline;
  current["cells"][0]["summary"]["dropped"] = 40;  // of 10000 requests
  const auto comparison = compare_results(baseline, "b", current, "c", {});
  const auto& metrics = comparison.cells[0].metrics;
  const auto drop = std::find_if(metrics.begin(), metrics.end(),
                                 [](const auto& m) { return m.metric == "drop_rate"; });
  ASSERT_NE(drop, metrics.end());
  EXPECT_DOUBLE_EQ(drop->current_value, 0.004);
  EXPECT_EQ(drop->verdict, Verdict::regressed);  // beyond the default +0.001
  EXPECT_EQ(parse_threshold("dropped=+0.01").first, "drop_rate");
}

TEST(CompareResults, InvalidRepetitionsAreLeftOutOfTheSample) {
  std::mt19937_64 rng(6);
  auto baseline = synthetic_results("ci", {k_cells[0]}, 2, 0, rng);
  auto current = baseline;
  current["cells"][1]["summary"]["throughput_rps"] =
      1.0;  // the generator's limit, not the system's
  current["cells"][1]["invalid"] = {{"reason", "the load generator fell behind"}};
  const auto comparison = compare_results(baseline, "b", current, "c", {});
  EXPECT_EQ(comparison.cells[0].metrics.front().current.size(), 1u);
  EXPECT_EQ(comparison.cells[0].metrics.front().verdict, Verdict::unchanged);
  current["cells"][0]["invalid"] = {{"reason", "the load generator fell behind"}};
  EXPECT_THAT(input_error_of([&] { compare_results(baseline, "b", current, "c", {}); }),
              HasSubstr("not ok or invalid"));
}

TEST(CompareResults, ABaselineWrittenBeforeDropAndErrorRateSloKeysStillCompares) {
  std::mt19937_64 rng(7);
  auto baseline = synthetic_results("ci", k_cells, 1, 0, rng);
  auto current = baseline;
  baseline["scenario"]["slo"] = {{"timeout_rate", 0}};
  current["scenario"]["slo"] = {{"timeout_rate", 0}, {"drop_rate", 0.0}, {"error_rate", 0.0}};
  EXPECT_NO_THROW(compare_results(baseline, "b", current, "c", {}));
  current["scenario"]["slo"]["drop_rate"] = 0.01;  // a real change of the SLO
  EXPECT_THAT(input_error_of([&] { compare_results(baseline, "b", current, "c", {}); }),
              HasSubstr("slo"));
}

TEST(CompareResults, DifferentScenariosCannotBeCompared) {
  std::mt19937_64 rng(9);
  const auto baseline = synthetic_results("ci", k_cells, 2, 0.03, rng);
  const auto other = synthetic_results("nightly", k_cells, 2, 0.03, rng);
  EXPECT_THAT(input_error_of([&] { compare_results(baseline, "b.json", other, "c.json", {}); }),
              HasSubstr("c.json: scenario 'nightly' cannot be compared with the baseline's 'ci'"));

  auto changed = baseline;
  changed["scenario"]["pool"]["max_overflow"] = 4;
  changed["scenario"]["workload"]["clients"] = 16;
  const std::string message =
      input_error_of([&] { compare_results(baseline, "b.json", changed, "c.json", {}); });
  EXPECT_THAT(message, HasSubstr("c.json: the resolved scenario 'ci' differs"));
  EXPECT_THAT(message, HasSubstr("pool.max_overflow"));
  EXPECT_THAT(message, HasSubstr("workload.clients"));

  // The file path, description and repetitions may differ.
  changed = baseline;
  changed["scenario"]["file"] = "elsewhere/ci.yaml";
  changed["scenario"]["matrix"]["repetitions"] = 7;
  EXPECT_NO_THROW(compare_results(baseline, "b.json", changed, "c.json", {}));
}

TEST(CompareResults, MissingCellsOnEitherSideCannotBeCompared) {
  std::mt19937_64 rng(10);
  const auto baseline = synthetic_results("ci", k_cells, 2, 0.03, rng);
  const auto fewer = synthetic_results("ci", {k_cells[0], k_cells[2]}, 2, 0.03, rng);
  EXPECT_THAT(input_error_of([&] { compare_results(baseline, "b.json", fewer, "c.json", {}); }),
              HasSubstr("c.json: lacks 1 cell that b.json has: pool.pool_size=10"));
  EXPECT_THAT(input_error_of([&] { compare_results(fewer, "b.json", baseline, "c.json", {}); }),
              HasSubstr("b.json: lacks 1 cell that c.json has: pool.pool_size=10"));
}

TEST(CompareResults, RepetitionsThatDidNotFinishAreLeftOutAndSaidSo) {
  std::mt19937_64 rng(11);
  const auto baseline = synthetic_results("ci", {k_cells[0]}, 5, 0.03, rng);
  auto current = synthetic_results("ci", {k_cells[0]}, 5, 0.03, rng);
  current["cells"][4]["status"] = "interrupted";
  const auto comparison = compare_results(baseline, "b.json", current, "c.json", {});
  EXPECT_EQ(comparison.cells[0].current_repetitions, 4);
  ASSERT_FALSE(comparison.notes.empty());
  EXPECT_THAT(comparison.notes[0], HasSubstr("c.json: 1 cell not ok"));

  for (auto& cell : current["cells"]) cell["status"] = "failed";
  EXPECT_THAT(input_error_of([&] { compare_results(baseline, "b.json", current, "c.json", {}); }),
              HasSubstr("c.json: cell pool.pool_size=5 has no finished repetition"));
}

TEST(CompareResults, AFinishedCellWithoutASummaryValueIsBadInput) {
  std::mt19937_64 rng(12);
  const auto baseline = synthetic_results("ci", {k_cells[0]}, 2, 0.03, rng);
  auto current = baseline;
  current["cells"][1]["summary"]["latency_ms"].erase("p99");
  EXPECT_THAT(input_error_of([&] { compare_results(baseline, "b.json", current, "c.json", {}); }),
              HasSubstr("c.json: cell pool.pool_size=5 (repetition 1): summary.latency_ms.p99 is "
                        "missing or not a number"));
}

}  // namespace
}  // namespace poolbench::analysis
