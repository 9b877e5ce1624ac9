// The report model, verdicts, findings and chart plans on the committed fixture.

#include "report/report_model.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "report/charts.hpp"
#include "report/model_text.hpp"
#include "results/document.hpp"
#include "results/file.hpp"
#include "unit/report/fixture.hpp"
#include "util/error.hpp"

namespace poolbench::report {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

using testing::chart_named;

/// The fixture with the analysis block src/analysis/'s analyze() wrote for it
/// (fixtures/erlang_small.analysis.json; regenerate it when that layout changes).
nlohmann::json with_analysis(nlohmann::json results) {
  results["analysis"] = nlohmann::json::parse(
      testing::read_file(testing::report_fixture("erlang_small.analysis.json")));
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
  EXPECT_EQ(model.slo_text, "timeout rate <= 1%, p99 <= 250 ms, no drops, no errors");
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

TEST(ReportModel, AnalysisVerdictsWinOverTheSlo) {
  const auto results = with_analysis(testing::erlang_small());
  const ReportModel model = build_model(results, &results["analysis"], "fixture.json");
  EXPECT_EQ(model.verdict_source, "analysis");
  EXPECT_EQ(model.cells[0].verdict.kind, VerdictKind::undersized);
  EXPECT_THAT(model.cells[0].verdict.reason, HasSubstr("641 pool timeouts"));
  EXPECT_EQ(model.cells[1].verdict.text, "adequate");
  EXPECT_EQ(model.cells[3].verdict.kind, VerdictKind::oversized);
  EXPECT_THAT(model.cells[3].verdict.reason, HasSubstr("a smaller pool also met"));
  const auto found = findings(model);
  ASSERT_FALSE(found.empty());
  EXPECT_EQ(found[0], "Verdicts: 2 undersized, 4 adequate, 2 oversized (of 8 cells).");
  EXPECT_THAT(found, ::testing::Contains(HasSubstr("The seeds' tuning-table rows")));
  EXPECT_EQ(analysis_group(model, model.cells[0])->value("key", ""), "server.profile=ssd");
  EXPECT_NEAR(erlang_c_timeout_rate(model.cells[0]), 0.5486, 1e-4);
}

TEST(ReportModel, FindingsNameSeedRowsAndCellsByTheirLabelsNeverByInternalIds) {
  const auto results = with_analysis(testing::erlang_small());
  const ReportModel model = build_model(results, &results["analysis"], "fixture.json");
  const auto found = findings(model);
  EXPECT_THAT(found, ::testing::Contains(HasSubstr(
                         "\"High traffic (50-200 RPS)\" 20+10 for offered arrival rate 200.0")));
  EXPECT_THAT(found, ::testing::Contains(HasSubstr("oversized (inferred from 2+4 ssd)")));
  EXPECT_THAT(found, ::testing::Contains(HasSubstr("Queueing models next to the measurements")));
  EXPECT_THAT(found, ::testing::Contains(HasSubstr("HikariCP's cores x 2 + spindles")));
  for (const auto& line : found) {
    EXPECT_THAT(line, Not(HasSubstr("#0"))) << line;  // ids look like "pool.pool_size=2,...#0"
    EXPECT_THAT(line, Not(HasSubstr("pool.pool_size="))) << line;
  }
  EXPECT_THAT(model_text(model.cells[0]), HasSubstr("Erlang C: P(wait) 100%"));
}

TEST(ReportModel, FairnessPerClientIsShownAndBargingExplained) {
  auto results = with_analysis(testing::erlang_small());
  auto& cell = results["cells"][0];
  cell["summary"]["fairness"] = {{"clients", 5},         {"jain_index", 0.6395},
                                 {"completions_min", 1}, {"completions_max", 20},
                                 {"timeouts", 26},       {"timeouts_worst_fifth_share", 0.5}};
  const ReportModel model = build_model(results, &results["analysis"], "fixture.json");
  EXPECT_EQ(fairness_text(model.cells[0]),
            "Jain 0.64; 1-20 completed per client; worst fifth bore 50% of 26 timeouts");
  EXPECT_EQ(fairness_text(model.cells[1]), "—");  // open loop: no clients to compare
  const auto found = findings(model);
  EXPECT_THAT(found, ::testing::Contains(HasSubstr("the least even cell is 2+0 ssd")));
  EXPECT_THAT(found, ::testing::Contains(HasSubstr("(barging)")));
}

TEST(ReportModel, AnalysisFindingsReplaceComputedOnes) {
  auto results = with_analysis(testing::erlang_small());
  results["analysis"]["findings"] = {"analysis says: 2+0 is undersized"};
  const ReportModel model = build_model(results, &results["analysis"], "fixture.json");
  EXPECT_THAT(findings(model), ElementsAre("analysis says: 2+0 is undersized"));
}

TEST(ReportModel, NotMeasuredCellsSaySo) {
  auto results = with_analysis(testing::erlang_small());
  results["analysis"]["cells"][2]["verdict"] = "not_measured";
  const ReportModel model = build_model(results, &results["analysis"], "fixture.json");
  EXPECT_EQ(model.cells[2].verdict.kind, VerdictKind::failed);
  EXPECT_EQ(model.cells[2].verdict.text, "not measured");
}

TEST(ReportModel, DroppedArrivalsAndErrorsMissTheSloAndAreFindings) {
  auto results = testing::erlang_small();
  auto& summary = results["cells"][1]["summary"];  // 2+4 ssd: met the SLO
  summary["dropped"] = 300;
  summary["requests"] = summary["requests"].get<double>() + 300;
  results["cells"][2]["summary"]["errors"] = 5;  // 6+0 ssd
  const ReportModel model = build_model(results, nullptr, "fixture.json");
  EXPECT_EQ(model.cells[1].verdict.kind, VerdictKind::slo_missed);
  EXPECT_THAT(model.cells[1].verdict.reason, HasSubstr("dropped "));
  EXPECT_THAT(model.cells[1].verdict.reason, HasSubstr("> 0%"));
  EXPECT_GT(model.cells[1].drop_rate, 0.2);
  EXPECT_EQ(model.cells[2].verdict.kind, VerdictKind::slo_missed);
  EXPECT_THAT(model.cells[2].verdict.reason, HasSubstr("errors "));
  EXPECT_THAT(findings(model),
              ::testing::Contains(HasSubstr("1 of 8 cells dropped arrivals (workload.max_in_flight "
                                            "requests already running: requests never served); "
                                            "worst 2+4 ssd: 300 of")));
  results["scenario"]["slo"]["drop_rate"] = 0.5;  // allowed now
  EXPECT_EQ(build_model(results, nullptr, "f.json").cells[1].verdict.kind, VerdictKind::slo_met);
}

TEST(ReportModel, InvalidCellsGetNoVerdictAndComeFirstWithTheirReason) {
  auto results = with_analysis(testing::erlang_small());
  const std::string reason = "the load generator fell behind: schedule lag p99 23 ms (limit 10 ms)";
  results["cells"][5]["invalid"] = {{"reason", reason}};
  const ReportModel model = build_model(results, &results["analysis"], "fixture.json");
  EXPECT_EQ(model.cells[5].verdict.kind, VerdictKind::invalid);  // whatever the analysis said
  EXPECT_EQ(model.cells[5].verdict.reason, reason);
  const auto rows = rows_invalid_first(model);
  ASSERT_EQ(rows.size(), 8u);
  EXPECT_EQ(rows[0], &model.cells[5]);
  EXPECT_EQ(rows[1], &model.cells[0]);
  EXPECT_EQ(rows[7], &model.cells[7]);
  EXPECT_THAT(invalid_note(model), HasSubstr("1 of 8 cells are invalid"));
  EXPECT_THAT(invalid_note(model), HasSubstr("2+4 hdd (" + reason + ")"));
  EXPECT_EQ(invalid_note(build_model(testing::erlang_small(), nullptr, "f.json")), "");
  EXPECT_THAT(findings(model)[0], HasSubstr(", 1 invalid (the load generator fell behind)"));
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
  EXPECT_EQ(found[0],
            "2 of 8 cells missed the SLO (timeout rate <= 1%, p99 <= 250 ms, no drops, no "
            "errors).");
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
  EXPECT_THROW(results::check_results(nlohmann::json::array(), "a.json"), InputError);
  EXPECT_THROW(results::check_results({{"schema", results::k_schema}, {"cells", 3}}, "a.json"),
               InputError);
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

TEST(ChartPlans, AnalysisAddsTheModelsAndTheSeedsFormulaButNoUslOnUnsaturatedCells) {
  const auto results = with_analysis(testing::erlang_small());
  const auto charts = plan_charts(build_model(results, &results["analysis"], "f.json"), {});
  const Chart& sizing = chart_named(charts, "pool_sizing");
  EXPECT_THAT(sizing.plot, HasSubstr("model (dashed)"));
  EXPECT_THAT(sizing.plot, HasSubstr("'seeds'' formula"));
  EXPECT_THAT(sizing.plot, HasSubstr("'Erlang C: 5'"));  // both groups agree: one marker
  // pool_size 2, measured 54.3% timeouts, Erlang C 54.9% (unstable: 1 - c/A).
  EXPECT_THAT(sizing.data.front().content, HasSubstr("\n2 54.27603725656224 206.207 54.855"));
  EXPECT_THAT(sizing.caption, HasSubstr("Erlang C for an open loop"));
  // Open loop at 200 rps: only the undersized 2+0 cells served less than offered, so each
  // group has one concurrency that measured capacity: no USL curve, and the caption says why.
  const Chart& throughput = chart_named(charts, "throughput");
  EXPECT_THAT(throughput.plot, Not(HasSubstr("usl0(n) = ")));
  EXPECT_THAT(throughput.plot, Not(HasSubstr("N* =")));
  EXPECT_THAT(throughput.plot, HasSubstr("connections (pool_size + max_overflow)"));
  EXPECT_THAT(throughput.caption,
              HasSubstr("No USL fit for profile=ssd: 1 distinct concurrencies"));
  EXPECT_THAT(throughput.caption, HasSubstr("served the whole offered rate"));
}

TEST(ChartPlans, AGoodUslFitIsDrawnWithItsPeakAndABadOneIsNot) {
  auto results = with_analysis(testing::erlang_small());
  auto& usl = results["analysis"]["groups"][0]["usl"];
  usl = {{"status", "ok"}, {"good_fit", true},  {"lambda", 50.0},         {"sigma", 0.05},
         {"kappa", 0.01},  {"r_squared", 0.97}, {"peak_concurrency", 9.7}};
  auto charts = plan_charts(build_model(results, &results["analysis"], "f.json"), {});
  const Chart& good = chart_named(charts, "throughput");
  EXPECT_THAT(good.plot, HasSubstr("usl0(n) = 50 * n"));
  EXPECT_THAT(good.plot, HasSubstr("N* = 9.7"));
  EXPECT_THAT(good.plot, HasSubstr("R² 0.97"));
  EXPECT_THAT(good.plot, HasSubstr("connections in use (mean checked_out)"));
  usl["good_fit"] = false;
  usl["r_squared"] = 0.42;
  usl["reason"] = "R² 0.42 < 0.9: the USL does not describe these points";
  charts = plan_charts(build_model(results, &results["analysis"], "f.json"), {});
  const Chart& bad = chart_named(charts, "throughput");
  EXPECT_THAT(bad.plot, Not(HasSubstr("usl0(n)")));
  EXPECT_THAT(bad.caption, HasSubstr("No USL fit for profile=ssd: R² 0.42 < 0.9"));
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

  // Failed cells have no summary: nothing to draw, and gnuplot must not be asked to.
  results = testing::erlang_small();
  for (auto& cell : results["cells"]) {
    cell["status"] = "failed";
    cell.erase("summary");
  }
  charts = plan_charts(build_model(results, nullptr, "f.json"), {});
  for (const char* name : {"pool_sizing", "heatmap_p99", "heatmap_timeouts", "throughput"}) {
    EXPECT_THAT(chart_named(charts, name).skipped, HasSubstr("no cell has a measured summary"))
        << name;
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
