// cells.csv, summary.md (golden), the HTML page's escaping, and write_report's all-or-nothing
// contract on bad input.
//
// Golden file: fixtures/erlang_small.summary.md. After an intended change to summary.md,
// regenerate it and review the diff:
//   POOLBENCH_UPDATE_GOLDEN=1 build/tests/unit/report/unit_report --gtest_filter='*Golden*'
//   git diff tests/unit/report/fixtures/

#include <cmath>
#include <cstdlib>
#include <fstream>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "report/calculator.hpp"
#include "report/charts.hpp"
#include "report/csv_report.hpp"
#include "report/html_report.hpp"
#include "report/markdown_report.hpp"
#include "report/report.hpp"
#include "results/file.hpp"
#include "unit/report/fixture.hpp"
#include "util/error.hpp"

namespace poolbench::report {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

TEST(CellsCsv, HasAHeaderAndOneRowPerCellWithIdsQuoted) {
  const auto results = testing::erlang_small();
  const auto lines = lines_of(render_cells_csv(build_model(results, nullptr, "f.json")));
  ASSERT_EQ(lines.size(), 9u);
  EXPECT_EQ(lines[0],
            "id,repetition,status,pool_size,max_overflow,profile,pool_timeout_s,fairness,requests,"
            "timeouts,errors,dropped,throughput_rps,timeout_rate,drop_rate,error_rate,"
            "latency_p50_ms,latency_p99_ms,"
            "latency_max_ms,checkout_wait_p99_ms,hold_mean_ms,mean_checked_out,max_checked_out,"
            "verdict,verdict_reason");
  EXPECT_EQ(lines[1].substr(0, 96),
            "\"pool.pool_size=2,pool.max_overflow=0,server.profile=ssd#0\",0,ok,2,0,ssd,0.2,"
            "sqlalchemy,1181,641");
  EXPECT_THAT(lines[1], HasSubstr(",0.5427603725656224,"));
  EXPECT_THAT(lines[1], HasSubstr(",SLO missed,timeouts 54% > 1%; p99 288 ms > 250 ms"));
}

TEST(CellsCsv, QuotesFieldsWithQuotesAndCommas) {
  auto results = testing::erlang_small();
  results["cells"] = nlohmann::json::array({results["cells"][0]});
  results["cells"][0]["id"] = "a \"b\", c";
  const auto lines = lines_of(render_cells_csv(build_model(results, nullptr, "f.json")));
  EXPECT_TRUE(lines[1].starts_with("\"a \"\"b\"\", c\",0,ok,")) << lines[1];
}

TEST(SummaryMd, MatchesTheGoldenFile) {
  const auto results = testing::erlang_small();
  const std::string actual = render_summary_md(build_model(results, nullptr, "results.json"));
  const auto golden = testing::report_fixture("erlang_small.summary.md");
  if (std::getenv("POOLBENCH_UPDATE_GOLDEN") != nullptr) {
    std::ofstream(golden, std::ios::binary) << actual;
  }
  EXPECT_EQ(actual, testing::read_file(golden))
      << "regenerate: POOLBENCH_UPDATE_GOLDEN=1 build/tests/unit/report/unit_report";
}

TEST(SummaryMd, EscapesPipesInTableCells) {
  auto results = testing::erlang_small();
  for (auto& cell : results["cells"]) cell["params"]["server.profile"] = "a|b";
  for (auto& cell : results["cells"]) cell["params"]["profile"] = "a|b";
  const std::string md = render_summary_md(build_model(results, nullptr, "f.json"));
  EXPECT_THAT(md, Not(HasSubstr("| a|b |")));
}

/// The fixture with two injected faults in each of two cells, pre-ping on in one, off in the
/// other.
nlohmann::json with_faults() {
  auto results = testing::erlang_small();
  results["cells"] = nlohmann::json::array({results["cells"][1], results["cells"][2]});
  for (int i = 0; i < 2; ++i) {
    auto& cell = results["cells"][static_cast<std::size_t>(i)];
    cell["params"]["pool.pool_pre_ping"] = i == 0 ? "true" : "false";
    cell["faults"] = nlohmann::json::array(
        {{{"kind", "terminate_backends"},
          {"at_s", 2.0},
          {"end_s", 2.01},
          {"detail", "terminated 3 backends of this run"},
          {"errors", i == 0 ? 0 : 4},
          {"errors_by_sqlstate", i == 0 ? nlohmann::json::object() : nlohmann::json{{"57P01", 4}}},
          {"timeouts", 0},
          {"recovery_s", 0.0},
          {"recovered", true},
          {"baseline_rps", 200.0},
          {"lowest_rps", 190},
          {"invalidations", 3},
          {"preping_failures", i == 0 ? 3 : 0},
          {"connects", 3}},
         {{"kind", "restart"},
          {"mode", "fast"},
          {"at_s", 4.0},
          {"end_s", 4.3},
          {"detail", "fast shutdown, then start"},
          {"errors", 20},
          {"errors_by_sqlstate", {{"57P03", 20}}},
          {"timeouts", 1},
          {"recovery_s", nullptr},
          {"recovered", false},
          {"baseline_rps", 200.0},
          {"recovery_threshold_rps", 175.0},
          {"lowest_rps", 0},
          {"invalidations", 8},
          {"preping_failures", 0},
          {"connects", 9}}});
  }
  return results;
}

TEST(Faults, SummaryMdListsEachFaultAndWhatPrePingBought) {
  const std::string md = render_summary_md(build_model(with_faults(), nullptr, "f.json"));
  EXPECT_THAT(md, HasSubstr("## Faults"));
  EXPECT_THAT(
      md, HasSubstr("| terminate_backends at 2.0 s | 4 (57P01 4) | 0 | 0.0 s (lowest 190.0 rps, "
                    "before 200.0 rps) | 3 invalidated, 0 failed pre-pings, 3 connects |"));
  EXPECT_THAT(md, HasSubstr("| restart (fast) at 4.0 s | 20 (57P03 20) | 1 | not back to 175.0 rps "
                            "before the next fault or the end (lowest 0.0 rps, before 200.0 rps)"));
  EXPECT_THAT(md, HasSubstr("pool_pre_ping under faults, errors with it vs without (1 vs 1 cells): "
                            "terminate_backends 0 vs 4, restart 20 vs 20"));
  // Without faults neither appears.
  const std::string plain =
      render_summary_md(build_model(testing::erlang_small(), nullptr, "f.json"));
  EXPECT_THAT(plain, Not(HasSubstr("Faults")));
  EXPECT_THAT(plain, Not(HasSubstr("pool_pre_ping under faults")));
}

TEST(Faults, TheTimeSeriesChartShadesEachFaultWindowAndTheHtmlHasTheTable) {
  const auto results = with_faults();
  const ReportModel model = build_model(results, nullptr, "f.json");
  ChartOptions options;
  options.timeseries_cell = 0;
  const std::string plot = testing::chart_named(plan_charts(model, options), "timeseries").plot;
  EXPECT_THAT(plot,
              HasSubstr("set object 1 rect from 2, graph 0 to 2.3, graph 1"));  // >= 0.3 s wide
  EXPECT_THAT(plot, HasSubstr("set object 2 rect from 4, graph 0 to 4.3, graph 1"));
  EXPECT_THAT(plot, HasSubstr("'restart' at 4, graph 0.93"));
  const std::string html = render_html(html_view(model, {}));
  EXPECT_THAT(html, HasSubstr("<h2 id=\"faults\">Faults</h2>"));
  EXPECT_THAT(html, HasSubstr("<td>fast shutdown, then start</td>"));
}

TEST(TimeSeries, ASecondWithACheckpointIsMarkedOnEveryPanelAndNamedInTheLatencyPanel) {
  auto results = testing::erlang_small();
  auto& series = results["cells"][0]["timeseries"];
  ASSERT_GE(series.size(), 3u);
  for (auto& row : series) row["server_checkpoints"] = 0;
  series[1]["server_checkpoints"] = 1;
  series[2]["server_checkpoints"] = 2;
  const double first = series[1]["t_s"].get<double>();
  ChartOptions options;
  options.timeseries_cell = 0;
  const auto chart_of = [&](const nlohmann::json& r) {
    return testing::chart_named(plan_charts(build_model(r, nullptr, "f.json"), options),
                                "timeseries");
  };
  const Chart chart = chart_of(results);
  EXPECT_THAT(chart.plot, HasSubstr(fmt::format("set arrow 200 from {0}, graph 0 to {0}, graph 1 "
                                                "nohead",
                                                first)));
  EXPECT_THAT(chart.plot, HasSubstr("set arrow 201 from "));
  EXPECT_THAT(chart.plot, HasSubstr("'2 checkpoints' at "));
  // Set before the latency panel's plot and unset after it: named there only.
  const auto label = chart.plot.find("set label 200 'checkpoint'");
  const auto latency = chart.plot.find("set title 'latency'");
  ASSERT_NE(label, std::string::npos);
  EXPECT_LT(chart.plot.find("set title 'requests per second'"), label);
  EXPECT_LT(label, latency);
  EXPECT_NE(chart.plot.find("unset label", latency), std::string::npos);
  EXPECT_THAT(chart.caption, HasSubstr("Grey dashed"));
  // No checkpoint (or no server_stats): no marks.
  for (auto& row : series) row["server_checkpoints"] = nullptr;
  const Chart none = chart_of(results);
  EXPECT_THAT(none.plot, Not(HasSubstr("set arrow")));
  EXPECT_THAT(none.caption, Not(HasSubstr("Grey dashed")));
}

TEST(IndexHtml, EscapesEveryValueAndShowsSkippedChartsWithTheirReason) {
  auto results = testing::erlang_small();
  results["scenario"]["name"] = "<script>alert('x')</script> & co";
  const ReportModel model = build_model(results, nullptr, "f.json");
  Chart skipped;
  skipped.name = "heatmap_p99";
  skipped.title = "p99 heat map";
  skipped.skipped = "needs <both> axes.";
  Chart drawn;
  drawn.name = "pool_sizing";
  drawn.title = "Timeouts";
  drawn.caption = "look & see";
  const std::string html =
      render_html(html_view(model, {RenderedChart{&drawn, "<svg viewBox=\"0 0 1 1\"></svg>"},
                                    RenderedChart{&skipped, ""}}));
  EXPECT_THAT(html, Not(HasSubstr("<script>alert(")));
  EXPECT_THAT(html, HasSubstr("&lt;script&gt;alert("));
  EXPECT_THAT(html, HasSubstr("<svg viewBox=\"0 0 1 1\"></svg>"));  // charts are inlined raw
  EXPECT_THAT(html, HasSubstr("look &amp; see"));
  EXPECT_THAT(html, HasSubstr("not drawn: needs &lt;both&gt; axes."));
  EXPECT_THAT(html, HasSubstr("<table class=\"verdicts\">"));
  EXPECT_THAT(html, HasSubstr("<details id=\"cell-7\">"));
  // The verdicts table comes before the charts, the charts before the cell details.
  EXPECT_LT(html.find("class=\"verdicts\""), html.find("id=\"chart-pool_sizing\""));
  EXPECT_LT(html.find("id=\"chart-pool_sizing\""), html.find("<details"));
}

TEST(IndexHtml, TheCalculatorGetsEachCellsMeanHoldInMicrosecondsAndTheScenariosSlo) {
  const auto results = testing::erlang_small();
  const ReportModel model = build_model(results, nullptr, "f.json");
  const nlohmann::json data = calculator_data(model);
  ASSERT_EQ(data["cells"].size(), results["cells"].size());
  for (std::size_t i = 0; i < model.cells.size(); ++i) {
    const double mean_ms = results["cells"][i]["summary"]["hold_ms"]["mean"].get<double>();
    EXPECT_EQ(data["cells"][i]["label"], model.cells[i].label);
    EXPECT_EQ(data["cells"][i]["hold_us"].get<double>(), std::round(mean_ms * 1000));
  }
  EXPECT_EQ(data["cells"][0]["hold_us"].get<double>(), 22151);  // 22.151181 ms
  EXPECT_EQ(data["defaults"]["rps"].get<double>(), 200);        // the scenario's open loop
  EXPECT_EQ(data["defaults"]["timeout_rate"].get<double>(), 0.01);
  EXPECT_EQ(data["defaults"]["p99_ms"].get<double>(), 250);
  EXPECT_EQ(data["tiers"].size(), 4U);
  EXPECT_EQ(data["tiers"][3]["pool_timeout_s"].get<double>(), 60);
}

TEST(IndexHtml, TheCalculatorsDataIsAnEscapedAttributeAndItsScriptIsInline) {
  auto results = testing::erlang_small();
  results["cells"][0]["summary"]["hold_ms"]["mean"] = 0.0004;  // under 1 us: left out
  const ReportModel model = build_model(results, nullptr, "f.json");
  EXPECT_EQ(calculator_data(model)["cells"].size(), results["cells"].size() - 1);
  const std::string html = render_html(html_view(model, {}));
  EXPECT_THAT(html, HasSubstr("data-calc=\"{&quot;cells&quot;:"));
  EXPECT_THAT(html, HasSubstr("<div id=\"js-errors\" class=\"js-errors\" hidden></div>"));
  EXPECT_THAT(html, HasSubstr("function makePlan(inp)"));
  EXPECT_THAT(html, Not(HasSubstr(" src=")));
}

TEST(WriteReport, BadInputWritesNothing) {
  const auto out = std::filesystem::temp_directory_path() / "poolbench-unit-report-bad";
  std::filesystem::remove_all(out);
  auto results = testing::erlang_small();
  results["schema"] = "poolbench.results/999";
  EXPECT_THROW(write_report(results, out, {}), InputError);
  EXPECT_FALSE(std::filesystem::exists(out));

  ReportOptions options;
  options.timeseries_cell = "no-such-cell";
  EXPECT_THROW(write_report(testing::erlang_small(), out, options), InputError);
  EXPECT_FALSE(std::filesystem::exists(out));
}

TEST(LoadResults, NamesTheFileWhenItIsMissingOrNotJson) {
  const auto dir = std::filesystem::temp_directory_path() / "poolbench-unit-report-load";
  std::filesystem::create_directories(dir);
  try {
    results::load_results(dir / "nope.json");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_THAT(e.what(), HasSubstr("nope.json: no such results file"));
  }
  std::ofstream(dir / "results.json") << "{not json";
  try {
    results::load_results(dir);  // a directory means DIR/results.json
    FAIL();
  } catch (const InputError& e) {
    EXPECT_THAT(e.what(), HasSubstr("results.json: not JSON"));
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace poolbench::report
