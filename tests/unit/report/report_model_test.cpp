// The report model, verdicts, findings and chart plans on the committed fixture.

#include "report/report_model.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "report/charts.hpp"
#include "unit/report/fixture.hpp"
#include "util/error.hpp"

namespace poolbench::report {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

const Chart& chart_named(const std::vector<Chart>& charts, const std::string& name) {
  for (const auto& chart : charts) {
    if (chart.name == name) return chart;
  }
  throw std::runtime_error("no chart " + name);
}

/// The fixture with an analysis block as src/analysis/ is expected to write it.
nlohmann::json with_analysis(nlohmann::json results) {
  nlohmann::json cells = nlohmann::json::array();
  for (const auto& cell : results["cells"]) {
    const bool small = cell["params"]["pool_size"] == 2 && cell["params"]["max_overflow"] == 0;
    cells.push_back({{"id", cell["id"]},
                     {"verdict", small ? "undersized" : "adequate"},
                     {"reason", small ? "timeouts" : ""},
                     {"models",
                      {{"erlang_c", {{"timeout_rate", small ? 0.5 : 0.0}, {"p99_wait_ms", 150}}},
                       {"seeds_formula", {{"connections_needed", 4.4}}}}}});
  }
  results["analysis"] = {
      {"cells", cells},
      {"usl", {{"ssd", {{"lambda", 60.0}, {"sigma", 0.05}, {"kappa", 0.001}, {"n_star", 30.8}}}}},
      {"findings", {"analysis says: 2+0 is undersized"}}};
  return results;
}

TEST(ReportModel, FoldsAxisKeysIntoDesignParamNamesAndFindsTheVaryingOnes) {
  const auto results = testing::erlang_small();
  const ReportModel model = build_model(results, nullptr, "fixture.json");
  EXPECT_EQ(model.scenario_name, "erlang_sample");
  EXPECT_THAT(model.param_names,
              ElementsAre("pool_size", "max_overflow", "profile", "pool_timeout_s", "fairness"));
  EXPECT_THAT(model.varying, ElementsAre("pool_size", "max_overflow", "profile"));
  ASSERT_EQ(model.cells.size(), 8u);
  EXPECT_EQ(model.cells[0].label, "2+0 ssd");
  EXPECT_EQ(model.cells[0].series, "max_overflow=0 profile=ssd");
  EXPECT_EQ(model.cells[7].label, "6+4 hdd");
  EXPECT_EQ(model.load_text, "open loop, 200 rps (poisson), 6s");
  EXPECT_EQ(model.slo_text, "timeout rate <= 1%, p99 <= 250 ms");
}

TEST(ReportModel, WithoutAnalysisVerdictsComeFromTheSlo) {
  const auto results = testing::erlang_small();
  const ReportModel model = build_model(results, nullptr, "fixture.json");
  EXPECT_EQ(model.verdict_source, "slo");
  EXPECT_EQ(model.cells[0].verdict.kind, VerdictKind::slo_missed);
  EXPECT_THAT(model.cells[0].verdict.reason, HasSubstr("timeouts 54% > 1%"));
  EXPECT_THAT(model.cells[0].verdict.reason, HasSubstr("p99 288 ms > 250 ms"));
  EXPECT_EQ(model.cells[1].verdict.kind, VerdictKind::slo_met);
}

TEST(ReportModel, AnalysisVerdictsAndFindingsWinOverTheSlo) {
  const auto results = with_analysis(testing::erlang_small());
  const ReportModel model = build_model(results, &results["analysis"], "fixture.json");
  EXPECT_EQ(model.verdict_source, "analysis");
  EXPECT_EQ(model.cells[0].verdict.kind, VerdictKind::undersized);
  EXPECT_EQ(model.cells[1].verdict.text, "adequate");
  EXPECT_THAT(findings(model), ElementsAre("analysis says: 2+0 is undersized"));
}

TEST(ReportModel, TheWorstCellHasTheHighestTimeoutRate) {
  const auto results = testing::erlang_small();
  const ReportModel model = build_model(results, nullptr, "fixture.json");
  EXPECT_EQ(model.cells[static_cast<std::size_t>(worst_cell(model))].label, "2+0 ssd");
}

TEST(ReportModel, FindingsNameTheMissesTheWorstCellAndTheSmallestAdequatePool) {
  const auto results = testing::erlang_small();
  const auto found = findings(build_model(results, nullptr, "fixture.json"));
  ASSERT_GE(found.size(), 3u);
  ASSERT_LE(found.size(), 5u);
  EXPECT_EQ(found[0], "2 of 8 cells missed the SLO (timeout rate <= 1%, p99 <= 250 ms).");
  EXPECT_THAT(found[1], HasSubstr("pool 2+0 ssd undersized: 54% timeouts at 200 rps"));
  EXPECT_THAT(
      found[2],
      HasSubstr("Smallest pool meeting the SLO: ssd: 2+4 (p99 100 ms, 0% timeouts); hdd: 2+4"));
}

TEST(ReportModel, RejectsAnotherSchemaNamingTheSource) {
  auto results = testing::erlang_small();
  results["schema"] = "something/2";
  try {
    build_model(results, nullptr, "x/results.json");
    FAIL() << "no InputError";
  } catch (const InputError& e) {
    EXPECT_THAT(e.what(), HasSubstr("x/results.json: schema is \"something/2\""));
  }
  EXPECT_THROW(check_results(nlohmann::json::array(), "a.json"), InputError);
  EXPECT_THROW(check_results({{"schema", k_results_schema}, {"cells", 3}}, "a.json"), InputError);
}

TEST(ChartPlans, AFullMatrixGetsEveryChart) {
  const auto results = testing::erlang_small();
  const auto charts = plan_charts(build_model(results, nullptr, "f.json"), {});
  ASSERT_EQ(charts.size(), 6u);
  for (const auto& chart : charts) {
    EXPECT_TRUE(chart.skipped.empty()) << chart.name << ": " << chart.skipped;
    EXPECT_FALSE(chart.data.empty()) << chart.name;
    EXPECT_THAT(chart.plot, HasSubstr("plot '")) << chart.name;
  }
  EXPECT_THAT(chart_named(charts, "timeseries").title, HasSubstr("2+0 ssd (the worst cell)"));
  // Two profiles: the heat maps and percentile curves get a panel each.
  EXPECT_THAT(chart_named(charts, "heatmap_p99").plot, HasSubstr("layout 1,2"));
  EXPECT_THAT(chart_named(charts, "latency_percentiles").plot, HasSubstr("layout 1,2"));
  EXPECT_THAT(chart_named(charts, "latency_percentiles").plot, HasSubstr("'99%%' 100"));
  // No analysis: no model overlays.
  EXPECT_THAT(chart_named(charts, "pool_sizing").plot, ::testing::Not(HasSubstr("Erlang C")));
}

TEST(ChartPlans, AnalysisAddsErlangCTheSeedsFormulaAndTheUslFit) {
  const auto results = with_analysis(testing::erlang_small());
  const auto charts = plan_charts(build_model(results, &results["analysis"], "f.json"), {});
  const Chart& sizing = chart_named(charts, "pool_sizing");
  EXPECT_THAT(sizing.plot, HasSubstr("Erlang C (dashed)"));
  EXPECT_THAT(sizing.plot, HasSubstr("'seeds'' formula: 4.4'"));
  EXPECT_THAT(sizing.data.front().content, HasSubstr("\n2 54.27603725656224 206.207 50 150\n"));
  const Chart& throughput = chart_named(charts, "throughput");
  EXPECT_THAT(throughput.plot, HasSubstr("usl0(n) = 60 * n / (1 + 0.05 * (n - 1) + 0.001"));
  EXPECT_THAT(throughput.plot, HasSubstr("N* = 30.8"));
  EXPECT_THAT(throughput.plot, ::testing::Not(HasSubstr("usl1")));  // no fit for hdd
}

TEST(ChartPlans, ChartsThatDoNotApplyAreSkippedWithAReason) {
  auto results = testing::erlang_small();
  nlohmann::json kept = nlohmann::json::array();
  for (const auto& cell : results["cells"]) {
    if (cell["params"]["max_overflow"] == 0) kept.push_back(cell);
  }
  results["cells"] = kept;
  auto charts = plan_charts(build_model(results, nullptr, "f.json"), {});
  EXPECT_THAT(chart_named(charts, "heatmap_p99").skipped, HasSubstr("max_overflow axis"));
  EXPECT_TRUE(chart_named(charts, "pool_sizing").skipped.empty());

  results["cells"] = nlohmann::json::array({kept[0]});
  charts = plan_charts(build_model(results, nullptr, "f.json"), {});
  EXPECT_THAT(chart_named(charts, "pool_sizing").skipped, HasSubstr("single value"));
  EXPECT_THAT(chart_named(charts, "throughput").skipped, HasSubstr("single value"));
  EXPECT_TRUE(chart_named(charts, "latency_percentiles").skipped.empty());
  EXPECT_TRUE(chart_named(charts, "timeseries").skipped.empty());

  results["cells"] = nlohmann::json::array();
  for (const auto& chart : plan_charts(build_model(results, nullptr, "f.json"), {})) {
    EXPECT_THAT(chart.skipped, HasSubstr("no cells")) << chart.name;
  }
}

TEST(ChartPlans, TheTimeSeriesCellCanBeChosen) {
  const auto results = testing::erlang_small();
  ChartOptions options;
  options.timeseries_cell = 3;
  const auto charts = plan_charts(build_model(results, nullptr, "f.json"), options);
  EXPECT_EQ(chart_named(charts, "timeseries").title, "Per-second time series of 6+4 ssd");
}

TEST(ChartPlans, GnuplotStringsDoubleTheirQuotes) {
  EXPECT_EQ(gnuplot_quote("it's"), "'it''s'");
}

}  // namespace
}  // namespace poolbench::report
