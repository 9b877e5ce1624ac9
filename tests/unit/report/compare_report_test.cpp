// The renderers of `poolbench compare` on a synthetic comparison with one known regression:
// console table, Markdown, JSON, JUnit XML (structure and escaping; the CLI test validates
// the whole document with python3's XML parser) and github-action-benchmark entries.

#include "report/compare_report.hpp"

#include <random>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "analysis/compare.hpp"
#include "unit/analysis/synthetic_results.hpp"

namespace poolbench::report {
namespace {

using poolbench::testing::synthetic_results;
using poolbench::testing::SyntheticCell;
using ::testing::ContainsRegex;
using ::testing::HasSubstr;
using ::testing::Not;

std::size_t occurrences(const std::string& text, const std::string& what) {
  std::size_t count = 0;
  for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) {
    ++count;
  }
  return count;
}

class CompareReport : public ::testing::Test {
 protected:
  void SetUp() override {
    std::mt19937_64 rng(1);
    const std::vector<SyntheticCell> cells = {{5, 1000, 2, 0.5, 0, 0}, {10, 1800, 2.2, 0.05, 0, 0}};
    auto slower = cells;
    slower[0].throughput_rps = 700;  // -30% in pool_size=5
    const auto baseline = synthetic_results("ci", cells, 5, 0.01, rng);
    const auto current = synthetic_results("ci", slower, 5, 0.01, rng);
    m_comparison =
        analysis::compare_results(baseline, "base/results.json", current, "cur/results.json", {});
  }
  analysis::Comparison m_comparison;
};

TEST_F(CompareReport, ConsoleTableShowsEveryMetricOfEveryCellAndTheTotals) {
  const std::string text = render_compare_console(m_comparison);
  EXPECT_THAT(text, HasSubstr("poolbench compare: scenario 'ci'"));
  EXPECT_THAT(text, HasSubstr("baseline  base/results.json"));
  EXPECT_THAT(text, HasSubstr("pool.pool_size=5  (5 vs 5 repetitions)"));
  EXPECT_EQ(occurrences(text, "latency_ms.p999"), 2u);
  EXPECT_THAT(text,
              ContainsRegex("throughput_rps +[0-9.]+ +[0-9.]+ +-(29|30)\\.[0-9]% +0\\.008 +10% "
                            "+regressed"));
  EXPECT_THAT(text, HasSubstr("regressed"));
  EXPECT_THAT(text, HasSubstr("1 regressed, 0 improved, 19 unchanged (2 cells x 10 metrics)"));
}

TEST_F(CompareReport, MarkdownLeadsWithTheOutcomeAndTheChangedMetrics) {
  const std::string text = render_compare_markdown(m_comparison);
  EXPECT_THAT(text, HasSubstr("### poolbench compare: `ci` — :x: 1 regression"));
  const auto changed_table = text.substr(0, text.find("<details>"));
  EXPECT_THAT(changed_table,
              ContainsRegex("\\| pool.pool_size=5 \\| `throughput_rps` \\| [0-9.]+ \\| "
                            "[0-9.]+ \\| -(29|30)\\.[0-9]% \\|"));
  EXPECT_THAT(changed_table, HasSubstr("**regressed**"));
  EXPECT_THAT(changed_table, Not(HasSubstr("latency_ms.p50")));
  EXPECT_EQ(occurrences(text, "| `"), 1u + 20u);  // changed rows + every row in <details>
}

TEST_F(CompareReport, JsonCarriesVerdictsSamplesAndTheOutcome) {
  const auto json = compare_json(m_comparison);
  EXPECT_EQ(json["schema"], "poolbench.compare/1");
  EXPECT_EQ(json["outcome"], "regressed");
  EXPECT_EQ(json["counts"]["regressed"], 1);
  EXPECT_EQ(json["cells"].size(), 2u);
  const auto& throughput = json["cells"][0]["metrics"][0];
  EXPECT_EQ(throughput["metric"], "throughput_rps");
  EXPECT_EQ(throughput["verdict"], "regressed");
  EXPECT_EQ(throughput["better"], "bigger");
  EXPECT_EQ(throughput["basis"], "test");
  EXPECT_EQ(throughput["baseline_samples"].size(), 5u);
  EXPECT_NEAR(throughput["p_value"].get<double>(), 2.0 / 252, 1e-12);
  EXPECT_EQ(throughput["threshold"]["text"], "10%");
  const auto& timeouts = json["cells"][0]["metrics"][7];
  EXPECT_EQ(timeouts["metric"], "timeout_rate");
  EXPECT_TRUE(timeouts["relative_change"].is_null());
}

TEST_F(CompareReport, JunitHasOneTestCasePerCellAndMetricAndFailsTheRegression) {
  const std::string xml = render_compare_junit(m_comparison, "2024-05-01T12:00:00", "ci-host");
  EXPECT_TRUE(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"));
  EXPECT_THAT(xml, HasSubstr("<testsuites name=\"poolbench compare ci\" tests=\"20\" "
                             "failures=\"1\""));
  EXPECT_EQ(occurrences(xml, "<testsuite "), 2u);
  EXPECT_EQ(occurrences(xml, "<testcase "), 20u);
  EXPECT_EQ(occurrences(xml, "<failure "), 1u);
  EXPECT_THAT(xml, HasSubstr("<testcase name=\"throughput_rps\" "
                             "classname=\"poolbench.compare.ci.pool.pool_size=5\" time=\"0\">"));
  EXPECT_THAT(xml, HasSubstr("type=\"regression\""));
  EXPECT_THAT(xml, HasSubstr("timestamp=\"2024-05-01T12:00:00\" hostname=\"ci-host\""));
}

TEST_F(CompareReport, JunitEscapesMarkupAndDropsCharactersXmlForbids) {
  m_comparison.cells[0].label = "a<b>&\"c'\x01";
  const std::string xml = render_compare_junit(m_comparison, "2024-05-01T12:00:00", "h");
  EXPECT_THAT(xml, HasSubstr("a&lt;b&gt;&amp;&quot;c&apos;"));
  EXPECT_EQ(xml.find('\x01'), std::string::npos);
}

TEST_F(CompareReport, BenchmarkActionSplitsSmallerAndBiggerIsBetter) {
  const auto smaller = benchmark_action_json(m_comparison, poolbench::analysis::Better::smaller);
  const auto bigger = benchmark_action_json(m_comparison, poolbench::analysis::Better::bigger);
  EXPECT_EQ(bigger.size(), 2u);
  EXPECT_EQ(smaller.size(), 18u);
  EXPECT_EQ(bigger[0]["name"], "pool.pool_size=5 throughput_rps");
  EXPECT_EQ(bigger[0]["unit"], "req/s");
  EXPECT_DOUBLE_EQ(bigger[0]["value"].get<double>(),
                   m_comparison.cells[0].metrics[0].current_value);
  for (const auto& entry : smaller) {
    EXPECT_TRUE(entry["name"].is_string());
    EXPECT_TRUE(entry["unit"].is_string());
    EXPECT_TRUE(entry["value"].is_number());
    EXPECT_TRUE(entry["extra"].is_string());
    EXPECT_THAT(entry["name"].get<std::string>(), Not(HasSubstr("throughput")));
  }
}

}  // namespace
}  // namespace poolbench::report
