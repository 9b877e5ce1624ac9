#include "metrics/summary.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "util/error.hpp"

namespace poolbench::metrics {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

std::string counters_error(const json& j) {
  try {
    (void)j.get<Counters>();
  } catch (const InputError& e) {
    return e.what();
  }
  return "(no error)";
}

std::string summary_error(const json& j) {
  try {
    (void)j.get<HistogramSummaryMs>();
  } catch (const InputError& e) {
    return e.what();
  }
  return "(no error)";
}

Counters sample_counters() {
  Counters c;
  c.add_completed(90);
  c.add_timeout(5);
  c.add_dropped(1);
  c.add_error("57P01", 3);
  c.add_error("08006");
  return c;
}

TEST(Counters, RequestsAreTheSumOfTheOutcomes) {
  const Counters c = sample_counters();
  EXPECT_EQ(c.requests(), 90 + 5 + 1 + 4);
  EXPECT_EQ(c.errors(), 4);
  EXPECT_EQ(c.errors_by_sqlstate().at("57P01"), 3);
  EXPECT_EQ(c.errors_by_sqlstate().at("08006"), 1);
  EXPECT_DOUBLE_EQ(c.timeout_rate(), 5.0 / 100.0);
  EXPECT_EQ(Counters{}.timeout_rate(), 0.0);
}

TEST(Counters, MergeAddsEveryOutcomeAndSqlstate) {
  Counters a = sample_counters();
  Counters b;
  b.add_error("57P01");
  b.add_error("40001", 2);
  b.add_completed(10);
  a.merge(b);
  EXPECT_EQ(a.completed(), 100);
  EXPECT_EQ(a.errors(), 7);
  EXPECT_EQ(a.errors_by_sqlstate().at("57P01"), 4);
  EXPECT_EQ(a.errors_by_sqlstate().at("40001"), 2);
  EXPECT_EQ(a.requests(), 100 + 5 + 1 + 7);
}

TEST(Counters, JsonUsesTheDesignKeysAndRoundTrips) {
  const json j = sample_counters();
  EXPECT_EQ(j, json::parse(R"({"requests": 100, "completed": 90, "timeouts": 5, "errors": 4,
      "dropped": 1, "errors_by_sqlstate": {"57P01": 3, "08006": 1}})"));
  EXPECT_EQ(j.get<Counters>(), sample_counters());
  EXPECT_EQ(json(Counters{})["errors_by_sqlstate"], json::object());
}

TEST(Counters, InconsistentJsonIsRejectedWithTheReason) {
  json j = sample_counters();
  j["requests"] = 99;
  EXPECT_THAT(counters_error(j), HasSubstr("requests is 99 but completed + timeouts + errors"));
  j = sample_counters();
  j["errors"] = 5;
  EXPECT_THAT(counters_error(j), HasSubstr("errors is 5 but errors_by_sqlstate adds up to 4"));
  j = sample_counters();
  j.erase("dropped");
  EXPECT_THAT(counters_error(j), HasSubstr("missing key \"dropped\""));
  j = sample_counters();
  j["timeouts"] = -1;
  EXPECT_THAT(counters_error(j), HasSubstr("\"timeouts\" must be a non-negative integer"));
  j = sample_counters();
  j["timeouts"] = 1.5;
  EXPECT_THAT(counters_error(j), HasSubstr("\"timeouts\" must be a non-negative integer"));
  j = sample_counters();
  j["errors_by_sqlstate"]["lost"] = 1;
  EXPECT_THAT(counters_error(j), HasSubstr("\"lost\" is not a SQLSTATE"));
  j = sample_counters();
  j["errors_by_sqlstate"]["57P01"] = "3";
  EXPECT_THAT(counters_error(j), HasSubstr("errors_by_sqlstate.57P01 must be a positive integer"));
  EXPECT_THAT(counters_error(json::array()), HasSubstr("expected an object"));
}

TEST(HistogramSummaryMs, SummarisesMicrosecondsAsMilliseconds) {
  HdrHistogram h;
  for (std::int64_t v = 1; v <= 1000; ++v) {
    h.record(v);
  }
  const HistogramSummaryMs s = summarize_ms(h);
  EXPECT_DOUBLE_EQ(s.mean, 0.5005);  // buckets are 1 µs wide below 2048 µs: exact
  EXPECT_DOUBLE_EQ(s.p50, 0.5);
  EXPECT_DOUBLE_EQ(s.p90, 0.9);
  EXPECT_DOUBLE_EQ(s.p99, 0.99);
  EXPECT_DOUBLE_EQ(s.p999, 0.999);
  EXPECT_DOUBLE_EQ(s.max, 1.0);
  EXPECT_EQ(summarize_ms(HdrHistogram{}), HistogramSummaryMs{});
  HdrHistogram slow;
  slow.record(123'456);  // 3 significant digits: reported as its bucket's highest value
  EXPECT_DOUBLE_EQ(summarize_ms(slow).max, 123.519);
}

TEST(HistogramSummaryMs, JsonHasExactlyTheDesignKeysAndRoundTrips) {
  const HistogramSummaryMs s{1.5, 1.0, 2.0, 3.0, 4.0, 5.0};
  const json j = s;
  EXPECT_EQ(j, json::parse(R"({"mean": 1.5, "p50": 1.0, "p90": 2.0, "p99": 3.0, "p999": 4.0,
      "max": 5.0})"));
  EXPECT_EQ(j.get<HistogramSummaryMs>(), s);
}

TEST(HistogramSummaryMs, MalformedJsonIsRejectedWithTheReason) {
  json j = HistogramSummaryMs{};
  j.erase("p999");
  EXPECT_THAT(summary_error(j), HasSubstr("missing key \"p999\""));
  j = HistogramSummaryMs{};
  j["p99"] = "fast";
  EXPECT_THAT(summary_error(j), HasSubstr("\"p99\" must be a non-negative number"));
  j = HistogramSummaryMs{};
  j["max"] = -1;
  EXPECT_THAT(summary_error(j), HasSubstr("\"max\" must be a non-negative number"));
  j = HistogramSummaryMs{};
  j["p95"] = 1;
  EXPECT_THAT(summary_error(j), HasSubstr("unknown key \"p95\""));
  EXPECT_THAT(summary_error(json(3)), HasSubstr("expected an object"));
}

}  // namespace
}  // namespace poolbench::metrics
