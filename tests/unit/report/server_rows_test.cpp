// The report's Server table: per cell, the server's counters over the window as text, in
// summary.md and index.html alike, and no table for results without server_stats.

#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "report/html_report.hpp"
#include "report/markdown_report.hpp"
#include "report/report_model.hpp"
#include "unit/report/fixture.hpp"

namespace poolbench::report {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;

/// The fixture with server evidence on its first cell only.
json with_server_stats() {
  json results = testing::erlang_small();
  json& cell = results["cells"][0];
  cell["server_stats"] = {
      {"bgwriter", {{"checkpoints_timed", 1}, {"checkpoints_req", 1}}},
      {"wait_events",
       {{"samples", 5},
        {"events",
         {{{"wait_event_type", "Lock"}, {"wait_event", "transactionid"}, {"count", 3}},
          {{"wait_event_type", "IO"}, {"wait_event", "DataFileRead"}, {"count", 7}},
          {{"wait_event_type", "LWLock"}, {"wait_event", "WALWrite"}, {"count", 1}},
          {{"wait_event_type", "Client"}, {"wait_event", "ClientRead"}, {"count", 2}}}}}}};
  json& summary = cell["summary"];
  summary["cache_hit_ratio"] = 0.99874;
  summary["wal_bytes_per_transaction"] = 1536;
  summary["checkpoints"] = 2;
  summary["temp_bytes_per_request"] = 0;
  summary["server_cpu_ms_per_request"] = 0.412;
  summary["client_cpu_ms_per_request"] = nullptr;  // not measured: a dash
  return results;
}

TEST(ServerRows, OneRowPerCellWithServerStatsInItsOwnWords) {
  const json results = with_server_stats();
  const ReportModel model = build_model(results, nullptr, "fixture.json");
  const auto rows = server_rows(model);
  ASSERT_EQ(rows.size(), 1u);
  const ServerRow& row = rows[0];
  EXPECT_EQ(row.cell, model.cells[0].label);
  EXPECT_EQ(row.cache_hit, "99.87%");  // two decimals: 99% is the seeds' line
  EXPECT_EQ(row.wal, "1.5kB");
  EXPECT_EQ(row.checkpoints, "2 (1 requested)");
  EXPECT_EQ(row.temp, "0B");
  EXPECT_EQ(row.server_cpu, "0.412");
  EXPECT_EQ(row.client_cpu, "—");
  // The three most sampled, most first.
  EXPECT_EQ(row.waits, "IO:DataFileRead 7, Lock:transactionid 3, Client:ClientRead 2");
}

TEST(ServerRows, SummaryMdHasAServerSectionOnlyWhenACellHasServerStats) {
  const json results = with_server_stats();
  const std::string md = render_summary_md(build_model(results, nullptr, "fixture.json"));
  EXPECT_THAT(md, HasSubstr("\n## Server\n"));
  EXPECT_THAT(md, HasSubstr("| 99.87% | 1.5kB | 2 (1 requested) | 0B | 0.412 | — | "
                            "IO:DataFileRead 7, Lock:transactionid 3, Client:ClientRead 2 |"));
  const json plain = testing::erlang_small();
  EXPECT_THAT(render_summary_md(build_model(plain, nullptr, "fixture.json")),
              Not(HasSubstr("## Server")));
}

TEST(ServerRows, ACellWhoseSamplesSawNoWaitSaysNone) {
  json results = with_server_stats();
  results["cells"][0]["server_stats"]["wait_events"]["events"] = json::array();
  const auto rows = server_rows(build_model(results, nullptr, "fixture.json"));
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].waits, "none");
}

TEST(ServerRows, SummaryMdAndIndexHtmlListTheLargestServerSideDifferencesBetweenProfiles) {
  const json results = with_server_stats();
  const json analysis = {{"server_differences",
                          {{{"metric", "checkpoints"},
                            {"group", "pool.pool_size=2"},
                            {"profiles", {"wal-read-heavy", "wal-write-heavy"}},
                            {"means", {4.0, 0.0}},
                            {"cells", {2, 2}},
                            {"ratio", nullptr}},
                           {{"metric", "cache_hit_ratio"},
                            {"group", ""},
                            {"profiles", {"ssd", "hdd"}},
                            {"means", {0.9987, 0.95}},
                            {"cells", {1, 3}},
                            {"ratio", 1.0513}}}}};
  const ReportModel model = build_model(results, &analysis, "fixture.json");
  const std::string md = render_summary_md(model);
  EXPECT_THAT(md, HasSubstr("\n## Largest server-side differences between profiles\n"));
  // index.html lists the same lines under its Server table.
  const std::string html = render_html(html_view(model, {}));
  EXPECT_THAT(html, HasSubstr("<h3 id=\"server-differences\">"));
  EXPECT_THAT(html, HasSubstr("<li>cache_hit_ratio: ssd 99.87% vs hdd 95.00% (1.05x; 1 and 3 "
                              "cells)</li>"));
  EXPECT_THAT(md, HasSubstr("- checkpoints: wal-read-heavy 4 vs wal-write-heavy 0 (none in "
                            "wal-write-heavy; pool.pool_size=2; 2 and 2 cells)\n"));
  EXPECT_THAT(md,
              HasSubstr("- cache_hit_ratio: ssd 99.87% vs hdd 95.00% (1.05x; 1 and 3 cells)\n"));
  // Without differences there is no heading.
  const json none = {{"server_differences", json::array()}};
  const ReportModel without = build_model(results, &none, "fixture.json");
  EXPECT_THAT(render_summary_md(without), Not(HasSubstr("server-side differences")));
  EXPECT_THAT(render_html(html_view(without, {})), Not(HasSubstr("server-differences")));
}

TEST(ServerRows, AShortWindowSaysHowHighTheLateReportedFiguresMayRead) {
  // Backends report pg_stat_wal / pg_stat_database at most once a second: a 4 s window may
  // count a quarter more; a 60 s one under 2%, not worth a note.
  json results = with_server_stats();
  results["cells"][0]["summary"]["duration_s"] = 4.0;
  const ReportModel model = build_model(results, nullptr, "fixture.json");
  EXPECT_THAT(server_lag_note(model), HasSubstr("shortest window (4 s) they may read up to 25%"));
  EXPECT_THAT(render_summary_md(model), HasSubstr("up to 25% high"));
  EXPECT_THAT(render_html(html_view(model, {})), HasSubstr("up to 25% high"));
  results["cells"][0]["summary"]["duration_s"] = 60.0;
  const ReportModel long_window = build_model(results, nullptr, "fixture.json");
  EXPECT_EQ(server_lag_note(long_window), "");
  EXPECT_THAT(render_html(html_view(long_window, {})), Not(HasSubstr("may read up to")));
  EXPECT_THAT(render_summary_md(long_window), HasSubstr("server_stats.window.requests"));
}

TEST(ServerRows, PlanChangesAreListedUnderServerWithEachProfilesShapeAndLatency) {
  const json results = with_server_stats();
  const json analysis = {
      {"plan_changes",
       {{{"statement", "range_report line 1"},
         {"profiles", {"ssd", "hdd"}},
         {"fingerprints", {"00000000000000aa", "00000000000000bb"}},
         {"shapes",
          {"Index Scan using pgbench_accounts_pkey on pgbench_accounts",
           "Seq Scan on pgbench_accounts"}},
         {"latency_p50_ms", {0.8, nullptr}},
         {"varies_within", json::array()}},
        {{"statement", "tellers line 3"},
         {"profiles", {"wal-write-heavy", "wal-read-heavy"}},
         {"fingerprints", {"00000000000000cc", "00000000000000cc"}},
         {"shapes", {"Seq Scan on pgbench_tellers", "Seq Scan on pgbench_tellers"}},
         {"latency_p50_ms", {2.5, 2.25}},
         {"varies_within", {"wal-write-heavy"}}}}}};
  const ReportModel model = build_model(results, &analysis, "fixture.json");
  const auto lines = plan_change_lines(model);
  ASSERT_EQ(lines.size(), 2u);
  // A profile whose cells recorded no latency shows its shape alone.
  EXPECT_EQ(lines[0],
            "Plan change: range_report line 1 -- ssd: Index Scan using pgbench_accounts_pkey on "
            "pgbench_accounts (p50 0.800 ms); hdd: Seq Scan on pgbench_accounts.");
  EXPECT_THAT(lines[1], HasSubstr("Plan varies: tellers line 3 -- "));
  EXPECT_THAT(lines[1], HasSubstr("same profile (wal-write-heavy)"));
  const std::string md = render_summary_md(model);
  EXPECT_THAT(md, HasSubstr("\n## Plan changes\n"));
  EXPECT_THAT(md, HasSubstr("\n- " + lines[0] + "\n"));
  // Findings point to the list instead of repeating it.
  EXPECT_THAT(md, HasSubstr("The plan of 2 statements is not the same in every cell"));
  EXPECT_EQ(md.find("Plan change: "), md.rfind("Plan change: "));
  const std::string html = render_html(html_view(model, {}));
  const auto server = html.find("<h2 id=\"server\">");
  const auto listed = html.find("<h3 id=\"plan-changes\">");
  ASSERT_NE(server, std::string::npos);
  ASSERT_NE(listed, std::string::npos);
  EXPECT_LT(server, listed);
  EXPECT_THAT(html.substr(listed), HasSubstr("<li>Plan change: range_report line 1 -- ssd: Index "
                                             "Scan using pgbench_accounts_pkey"));
  // Without plan changes: no heading, no finding.
  const json none = {{"plan_changes", json::array()}};
  const ReportModel without = build_model(results, &none, "fixture.json");
  EXPECT_THAT(render_summary_md(without), Not(HasSubstr("Plan change")));
  EXPECT_THAT(render_html(html_view(without, {})), Not(HasSubstr("plan-changes")));
}

}  // namespace
}  // namespace poolbench::report
