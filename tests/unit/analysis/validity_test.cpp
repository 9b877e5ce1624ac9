// Whether a cell measured the system or the load generator (analysis/validity.hpp): the
// decision on a summary's schedule lag and worker CPU, and the slo: over every arrival
// (analysis/slo.hpp).

#include "analysis/validity.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "analysis/slo.hpp"

namespace poolbench::analysis {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

json summary_with(double lag_p99_ms, json busy = json::array({0.2, 0.3})) {
  return {{"schedule_lag_ms", {{"p99", lag_p99_ms}}},
          {"generator", {{"threads", busy.size()}, {"worker_cpu_busy", std::move(busy)}}}};
}

TEST(GeneratorFellBehind, ScheduleLagP99AboveTheLimitNamesTheLagAndTheLimit) {
  const auto reason = generator_fell_behind(summary_with(23));
  ASSERT_TRUE(reason.has_value());
  EXPECT_EQ(*reason, "the load generator fell behind: schedule lag p99 23 ms (limit 10 ms)");
}

TEST(GeneratorFellBehind, ScheduleLagAtOrBelowTheLimitKeptUp) {
  EXPECT_FALSE(generator_fell_behind(summary_with(0)).has_value());
  EXPECT_FALSE(generator_fell_behind(summary_with(k_max_schedule_lag_p99_ms)).has_value());
}

TEST(GeneratorFellBehind, AWorkerThreadOnACpuAlmostAllTheTimeSaturatedTheClient) {
  const auto reason = generator_fell_behind(summary_with(0.5, json::array({0.4, 0.97})));
  ASSERT_TRUE(reason.has_value());
  EXPECT_THAT(*reason, HasSubstr("a worker thread was on a CPU 97% of the time (limit 90%)"));
  EXPECT_FALSE(generator_fell_behind(summary_with(0.5, json::array({0.9, 0.1}))).has_value());
}

TEST(GeneratorFellBehind, BothReasonsAreNamedAndMissingKeysCountAsKeepingUp) {
  const auto both = generator_fell_behind(summary_with(40, json::array({0.99})));
  ASSERT_TRUE(both.has_value());
  EXPECT_THAT(*both, HasSubstr("schedule lag p99 40 ms"));
  EXPECT_THAT(*both, HasSubstr("; a worker thread"));
  EXPECT_FALSE(generator_fell_behind(json::object()).has_value());
}

TEST(IsMeasured, OnlyOkCellsWithASummaryThatAreNotInvalid) {
  json cell = {{"status", "ok"}, {"summary", json::object()}};
  EXPECT_TRUE(is_measured(cell));
  EXPECT_EQ(invalid_reason(cell), "");
  cell["invalid"] = {{"reason", "the load generator fell behind: x"}};
  EXPECT_FALSE(is_measured(cell));
  EXPECT_EQ(invalid_reason(cell), "the load generator fell behind: x");
  EXPECT_FALSE(is_measured({{"status", "interrupted"}, {"summary", json::object()}}));
}

TEST(SloMisses, DropAndErrorRatesDefaultToZeroWheneverTheSloHasAKey) {
  const SloLimits limits = read_slo({{"slo", {{"timeout_rate", 0.01}}}});
  EXPECT_EQ(limits.drop_rate, 0.0);
  EXPECT_EQ(limits.error_rate, 0.0);
  EXPECT_FALSE(read_slo({{"slo", json::object()}}).any());
  EXPECT_FALSE(read_slo(json::object()).any());
  const SloLimits given = read_slo({{"slo", {{"drop_rate", 0.5}, {"p99_latency", "50ms"}}}});
  EXPECT_EQ(given.drop_rate, 0.5);
  EXPECT_EQ(given.p99_latency_ms, 50.0);
  EXPECT_FALSE(given.timeout_rate.has_value());
}

TEST(SloMisses, EveryArrivalCountsDroppedAndErroredOnesIncluded) {
  const json summary = {{"requests", 6001},
                        {"completed", 1703},
                        {"timeouts", 0},
                        {"errors", 3},
                        {"dropped", 4295},
                        {"timeout_rate", 0.0},
                        {"latency_ms", {{"p99", 6.1}}}};
  const auto misses = slo_misses(read_slo({{"slo", {{"timeout_rate", 0}}}}), summary);
  ASSERT_EQ(misses.size(), 2u);
  EXPECT_EQ(misses[0].key, "drop_rate");
  EXPECT_NEAR(misses[0].measured, 4295.0 / 6001, 1e-12);
  EXPECT_THAT(misses[0].text, HasSubstr("slo.drop_rate: limit 0, measured 0.7157 (4295 of 6001 "
                                        "arrivals dropped"));
  EXPECT_EQ(misses[1].key, "error_rate");
  EXPECT_THAT(misses[1].text, HasSubstr("slo.error_rate: limit 0, measured 0.0005"));
  const auto lenient =
      slo_misses(read_slo({{"slo", {{"drop_rate", 0.8}, {"error_rate", 0.001}}}}), summary);
  EXPECT_TRUE(lenient.empty());
}

}  // namespace
}  // namespace poolbench::analysis
