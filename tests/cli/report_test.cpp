// `poolbench report` end to end on the committed fixture (no database): the files it writes,
// a well-formed self-contained index.html (checked by check_report_html.py with Debian's
// python3), the summary.md golden file, and bad input (exit 2, nothing written).

#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "cli/run_fixture.hpp"

using poolbench::testing::run_process;
namespace fs = std::filesystem;

namespace {

using poolbench::testing::k_binary;
using poolbench::testing::k_source;
const std::string k_fixture = k_source + "/tests/unit/report/fixtures/erlang_small.json";
// `poolbench report` recomputes the analysis, so its summary.md has the analysis verdicts and
// findings (the unit test's golden file has the SLO-only form). Regenerate after a deliberate
// change: build/poolbench report tests/unit/report/fixtures/erlang_small.json --out /tmp/r &&
// cp /tmp/r/summary.md tests/unit/report/fixtures/erlang_small.analyzed.summary.md
const std::string k_golden =
    k_source + "/tests/unit/report/fixtures/erlang_small.analyzed.summary.md";
const std::string k_checker = k_source + "/tests/cli/check_report_html.py";
const std::vector<std::string> k_charts = {"pool_sizing", "heatmap_p99",         "heatmap_timeouts",
                                           "throughput",  "latency_percentiles", "timeseries"};

std::string read(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

class ReportCommand : public poolbench::testing::TestDirFixture {
 protected:
};

TEST_F(ReportCommand, WritesTheFullReportIntoOut) {
  const fs::path out = m_dir / "out";
  const auto result = run_process(k_binary, {"report", k_fixture, "--out", out.string()});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.out.find("(6 charts)"), std::string::npos) << result.out;
  for (const char* file : {"index.html", "summary.md", "cells.csv"}) {
    EXPECT_TRUE(fs::is_regular_file(out / file)) << file;
  }
  for (const auto& chart : k_charts) {
    for (const char* ext : {".svg", ".png", ".gp", ".plot.gp", ".dat"}) {
      EXPECT_GT(fs::file_size(out / "charts" / (chart + ext)), 0u) << chart << ext;
    }
  }
  // Nothing else: no staging directory left behind.
  std::size_t entries = 0;
  for ([[maybe_unused]] const auto& entry : fs::directory_iterator(out)) ++entries;
  EXPECT_EQ(entries, 4u);

  std::vector<std::string> check = {k_checker, (out / "index.html").string()};
  check.insert(check.end(), k_charts.begin(), k_charts.end());
  const auto html = run_process("/usr/bin/python3", check);
  EXPECT_EQ(html.exit_code, 0) << html.out << html.err;

  EXPECT_EQ(read(out / "summary.md"), read(k_golden));
  const std::string png = read(out / "charts" / "pool_sizing.png");
  EXPECT_EQ(png.substr(1, 3), "PNG");
}

TEST_F(ReportCommand, DefaultsToTheResultsDirectoryAndReplacesAnOlderReport) {
  fs::copy_file(k_fixture, m_dir / "results.json");
  fs::create_directories(m_dir / "charts");
  std::ofstream(m_dir / "charts" / "stale.svg") << "old";
  const auto result = run_process(k_binary, {"report", m_dir.string(), "--cell", "3"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_TRUE(fs::is_regular_file(m_dir / "index.html"));
  EXPECT_TRUE(fs::is_regular_file(m_dir / "charts" / "timeseries.svg"));
  EXPECT_FALSE(fs::exists(m_dir / "charts" / "stale.svg"));
  EXPECT_NE(read(m_dir / "index.html").find("Per-second time series of 6+4 ssd"),
            std::string::npos);
}

TEST_F(ReportCommand, ChartsThatDoNotApplySayWhyOnThePage) {
  // The first cell only: no axis left to draw sizing, heat maps or throughput over.
  const fs::path single = m_dir / "single.json";
  {
    const auto trim =
        run_process("/usr/bin/python3",
                    {"-c",
                     "import json,sys; d=json.load(open(sys.argv[1])); d['cells']=d['cells'][:1]; "
                     "json.dump(d, open(sys.argv[2], 'w'))",
                     k_fixture, single.string()});
    ASSERT_EQ(trim.exit_code, 0) << trim.err;
  }
  const auto result = run_process(k_binary, {"report", single.string()});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const std::string html = read(m_dir / "index.html");
  EXPECT_NE(html.find("not drawn: needs both a pool_size and a max_overflow axis"),
            std::string::npos);
  EXPECT_NE(html.find("not drawn: pool_size has a single value"), std::string::npos);
  const auto check = run_process("/usr/bin/python3", {k_checker, (m_dir / "index.html").string(),
                                                      "latency_percentiles", "timeseries"});
  EXPECT_EQ(check.exit_code, 0) << check.out;
}

TEST_F(ReportCommand, AnAnalysisBlockGivesVerdictsAndModelOverlays) {
  const fs::path analyzed = m_dir / "results.json";
  const auto merge =
      run_process("/usr/bin/python3",
                  {"-c",
                   "import json,sys; d=json.load(open(sys.argv[1])); "
                   "d['analysis']=json.load(open(sys.argv[2])); "
                   "json.dump(d, open(sys.argv[3], 'w'))",
                   k_fixture, k_source + "/tests/unit/report/fixtures/erlang_small.analysis.json",
                   analyzed.string()});
  ASSERT_EQ(merge.exit_code, 0) << merge.err;
  const auto result = run_process(k_binary, {"report", analyzed.string()});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const std::string html = read(m_dir / "index.html");
  EXPECT_NE(html.find("Verdicts from the sizing analysis"), std::string::npos);
  EXPECT_NE(html.find(">undersized</span>"), std::string::npos);
  EXPECT_NE(html.find(">oversized</span>"), std::string::npos);
  EXPECT_NE(read(m_dir / "charts" / "pool_sizing.plot.gp").find("Erlang C"), std::string::npos);
  // Open loop at the offered rate: no USL on cells that measured no capacity, and the page
  // says why.
  EXPECT_EQ(read(m_dir / "charts" / "throughput.plot.gp").find("usl0(n)"), std::string::npos);
  EXPECT_NE(html.find("No USL fit for profile=ssd"), std::string::npos);
  EXPECT_NE(html.find("Erlang C: P(wait) 100%"), std::string::npos);  // the model column
  std::vector<std::string> check = {k_checker, (m_dir / "index.html").string()};
  check.insert(check.end(), k_charts.begin(), k_charts.end());
  const auto html_check = run_process("/usr/bin/python3", check);
  EXPECT_EQ(html_check.exit_code, 0) << html_check.out;
}

TEST_F(ReportCommand, BadInputExitsTwoNamingTheFileAndWritesNothing) {
  const fs::path out = m_dir / "out";
  const auto missing =
      run_process(k_binary, {"report", (m_dir / "nope.json").string(), "--out", out.string()});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("nope.json: no such results file"), std::string::npos) << missing.err;

  std::ofstream(m_dir / "bad.json") << "{\"schema\": ";
  const auto not_json =
      run_process(k_binary, {"report", (m_dir / "bad.json").string(), "--out", out.string()});
  EXPECT_EQ(not_json.exit_code, 2);
  EXPECT_NE(not_json.err.find("bad.json: not JSON"), std::string::npos) << not_json.err;

  std::ofstream(m_dir / "other.json") << R"({"schema": "other/1", "cells": []})";
  const auto schema =
      run_process(k_binary, {"report", (m_dir / "other.json").string(), "--out", out.string()});
  EXPECT_EQ(schema.exit_code, 2);
  EXPECT_NE(schema.err.find("other.json: schema is \"other/1\""), std::string::npos) << schema.err;

  const auto cell =
      run_process(k_binary, {"report", k_fixture, "--out", out.string(), "--cell", "99"});
  EXPECT_EQ(cell.exit_code, 2);
  EXPECT_NE(cell.err.find("--cell 99: no such cell"), std::string::npos) << cell.err;

  EXPECT_FALSE(fs::exists(out));
  EXPECT_FALSE(fs::exists(m_dir / "index.html"));
}

TEST_F(ReportCommand, HelpShowsUsageAndExitCodes) {
  const auto result = run_process(k_binary, {"report", "--help"});
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_NE(result.out.find("poolbench report RESULTS.json|DIR"), std::string::npos);
  EXPECT_NE(result.out.find("Exit codes"), std::string::npos);
}

}  // namespace
