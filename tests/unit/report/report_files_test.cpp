// cells.csv, summary.md (golden), the HTML page's escaping, and write_report's all-or-nothing
// contract on bad input.
//
// Golden file: fixtures/erlang_small.summary.md. After an intended change to summary.md,
// regenerate it and review the diff:
//   POOLBENCH_UPDATE_GOLDEN=1 build/tests/unit/report/unit_report --gtest_filter='*Golden*'
//   git diff tests/unit/report/fixtures/

#include <cstdlib>
#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "report/csv_report.hpp"
#include "report/html_report.hpp"
#include "report/markdown_report.hpp"
#include "report/report.hpp"
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
            "timeouts,errors,throughput_rps,timeout_rate,latency_p50_ms,latency_p99_ms,"
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
  EXPECT_THAT(html, Not(HasSubstr("<script>")));
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
    load_results(dir / "nope.json");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_THAT(e.what(), HasSubstr("nope.json: no such results file"));
  }
  std::ofstream(dir / "results.json") << "{not json";
  try {
    load_results(dir);  // a directory means DIR/results.json
    FAIL();
  } catch (const InputError& e) {
    EXPECT_THAT(e.what(), HasSubstr("results.json: not JSON"));
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace poolbench::report
