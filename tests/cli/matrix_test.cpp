// `poolbench matrix` end to end against an embedded PostgreSQL: cells, profiles, resume,
// interruption, bad input.

#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include <fcntl.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/background_server.hpp"
#include "cli/run_binary.hpp"
#include "cli/run_fixture.hpp"

using poolbench::testing::run_process;
namespace fs = std::filesystem;

namespace {

using poolbench::testing::k_binary;
using poolbench::testing::k_source;
const std::string k_grid = k_source + "/tests/cli/scenarios/grid.yaml";

class MatrixCommand : public poolbench::testing::RunFixture {
 protected:
  /// `poolbench matrix args... --out <m_out> --settle 0s`, POOLBENCH_DSN unset.
  poolbench::testing::ProcessResult matrix(std::vector<std::string> args) {
    args.insert(args.begin(), "matrix");
    for (const char* extra : {"--out", m_out.c_str(), "--settle", "0s"}) args.push_back(extra);
    return run_process(k_binary, args, {{"POOLBENCH_DSN", ""}}, k_source);
  }

  /// Starts `poolbench matrix ...` without waiting; returns its pid.
  pid_t spawn(const std::vector<std::string>& args) const {
    std::vector<std::string> argv = {k_binary, "matrix"};
    argv.insert(argv.end(), args.begin(), args.end());
    for (const char* extra : {"--out", m_out.c_str(), "--settle", "0s"}) argv.push_back(extra);
    const pid_t pid = fork();
    if (pid == 0) {
      const int null_fd = ::open("/dev/null", O_RDWR);
      dup2(null_fd, STDIN_FILENO);
      dup2(null_fd, STDOUT_FILENO);
      dup2(null_fd, STDERR_FILENO);
      unsetenv("POOLBENCH_DSN");
      std::vector<char*> raw;
      for (auto& arg : argv) raw.push_back(arg.data());
      raw.push_back(nullptr);
      execv(k_binary.c_str(), raw.data());
      _exit(127);
    }
    return pid;
  }

  /// Cells in <out>/results.json now (0 while there is none).
  std::size_t stored_cells() const {
    std::ifstream in(m_out / "results.json");
    if (!in) return 0;
    try {
      return nlohmann::json::parse(in)["cells"].size();
    } catch (const std::exception&) {
      return 0;  // never happens with atomic writes; be safe anyway
    }
  }
};

std::string param(const nlohmann::json& cell, const std::string& key) {
  return cell["params"][key].get<std::string>();
}

TEST_F(MatrixCommand, RunsEveryCellOfA2x2x2ProfileMatrixWithVerifiedSettings) {
  const auto result = matrix({k_grid});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto json = results();
  const auto& cells = json["cells"];
  ASSERT_EQ(cells.size(), 8u);
  std::set<std::string> points;
  for (const auto& cell : cells) {
    EXPECT_EQ(cell["status"], "ok");
    const std::string profile = param(cell, "server.profile");
    points.insert(param(cell, "pool.pool_size") + "/" + param(cell, "pool.max_overflow") + "/" +
                  profile);
    EXPECT_EQ(std::to_string(cell["params"]["pool_size"].get<int>()),
              param(cell, "pool.pool_size"));
    EXPECT_EQ(cell["params"]["profile"], profile);
    // Each profile was applied and verified: its planner costs are what the server had.
    EXPECT_EQ(cell["server_settings"]["random_page_cost"], profile == "ssd" ? "1.1" : "4");
    // The server's limits and memory settings, as the budget and memory claims read them.
    EXPECT_EQ(cell["server"]["max_connections"], 100);
    EXPECT_EQ(cell["server"]["harness_connections"], 2);
    EXPECT_EQ(cell["server"]["memory"]["shared_buffers"], "128MB");
    EXPECT_EQ(cell["server"]["memory"]["work_mem"], "4MB");
    // ssd and hdd leave the WAL settings at PostgreSQL's defaults (the checkpoint claims').
    EXPECT_EQ(cell["server"]["wal"]["max_wal_size"], "1GB");
    EXPECT_EQ(cell["server"]["wal"]["checkpoint_timeout"], "5min");
    const auto& s = cell["summary"];
    EXPECT_GT(s["completed"].get<long>(), 0);
    // The embedded server preloads pg_stat_statements: the server's own execution time.
    ASSERT_TRUE(s.contains("server_statements")) << cell["id"];
    // One statement per request: the calls are the requests between the two readings (the
    // start reading comes late on a loaded machine: summary.completed may count more).
    const double requests = cell["server_stats"]["window"]["requests"].get<double>();
    EXPECT_EQ(s["server_statements"]["requests"].get<double>(), requests);
    EXPECT_GE(s["server_statements"]["calls"].get<double>(), 0.95 * requests);
    EXPECT_GT(s["server_statements"]["exec_ms_per_request"].get<double>(), 0.0);
    EXPECT_LE(
        s["pool"]["max_checked_out"].get<int>(),
        std::stoi(param(cell, "pool.pool_size")) + std::stoi(param(cell, "pool.max_overflow")));
  }
  EXPECT_EQ(points.size(), 8u);
  EXPECT_EQ(json["matrix"]["complete"], true);
  EXPECT_EQ(json["matrix"]["cells_planned"], 8);
  EXPECT_NE(result.err.find("[  8/8]"), std::string::npos) << result.err;
  EXPECT_NE(result.out.find("slo ok"), std::string::npos) << result.out;
  const auto validate = poolbench::testing::validate_results_schema(m_out / "results.json");
  EXPECT_EQ(validate.exit_code, 0) << validate.err;
  // The analysis and the report come with the results.
  ASSERT_TRUE(json.contains("analysis"));
  EXPECT_EQ(json["analysis"]["cells"].size(), 8u);
  for (const char* file : {"index.html", "summary.md", "cells.csv"}) {
    EXPECT_TRUE(fs::exists(m_out / file)) << file;
  }
  EXPECT_NE(result.out.find("index.html"), std::string::npos) << result.out;
  // `poolbench report` rebuilds it from a relative path too (gnuplot runs elsewhere).
  fs::remove(m_out / "index.html");
  const auto rebuilt = run_process(k_binary, {"report", "results.json"}, {}, m_out.string());
  EXPECT_EQ(rebuilt.exit_code, 0) << rebuilt.err;
  EXPECT_TRUE(fs::exists(m_out / "index.html"));
}

TEST_F(MatrixCommand, SigintAfterTheFirstCellThenResumeYieldsTheFullSetWithoutDuplicates) {
  const std::vector<std::string> args = {k_grid, "--profile", "ssd", "--set",
                                         "workload.duration=2s"};
  const pid_t pid = spawn(args);
  ASSERT_GT(pid, 0);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (stored_cells() < 1 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_GE(stored_cells(), 1u) << "no cell finished within 60 s";
  kill(pid, SIGINT);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 130);
  const auto partial = results();
  EXPECT_LT(partial["cells"].size(), 4u);
  EXPECT_EQ(partial["matrix"]["complete"], false);

  // Without --resume the results are not overwritten.
  auto again = matrix(args);
  EXPECT_EQ(again.exit_code, 2) << again.err;
  EXPECT_NE(again.err.find("--resume"), std::string::npos) << again.err;

  auto resumed = matrix([&] {
    auto a = args;
    a.push_back("--resume");
    return a;
  }());
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  const auto json = results();
  ASSERT_EQ(json["cells"].size(), 4u);
  std::set<std::string> ids;
  for (const auto& cell : json["cells"]) {
    ids.insert(cell["id"].get<std::string>());
    EXPECT_EQ(cell["status"], "ok");
  }
  EXPECT_EQ(ids.size(), 4u);
  EXPECT_EQ(json["matrix"]["complete"], true);

  // Resuming with another resolved scenario is refused, naming why.
  auto changed = matrix({k_grid, "--profile", "ssd", "--set", "workload.duration=3s", "--resume"});
  EXPECT_EQ(changed.exit_code, 2) << changed.err;
  EXPECT_NE(changed.err.find("the resolved scenario changed"), std::string::npos) << changed.err;
}

TEST_F(MatrixCommand, DryRunListsTheCellsAndTheEstimateAndRunsNothing) {
  const auto result = matrix({k_grid, "--dry-run", "--matrix", "pool.pool_size=[1,2,3]"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.out.find("12 cells"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("Estimated time"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("fits"), std::string::npos) << result.out;
  EXPECT_FALSE(fs::exists(m_out));
}

TEST_F(MatrixCommand, BadMatrixKeysAndOverBudgetCellsExit2AndWriteNothing) {
  auto result = matrix({k_grid, "--matrix", "pool.pool_sise=[1,2]"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.err.find("pool.pool_sise"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("did you mean pool.pool_size"), std::string::npos) << result.err;

  const fs::path bad = fs::temp_directory_path() / "poolbench-matrix-bad.yaml";
  std::ofstream(bad) << "name: bad\ntransactions:\n  - name: r\n    script: SELECT 1;\n"
                        "matrix:\n  pool.max_overflw: [0, 1]\n";
  result = matrix({bad.string()});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.err.find("poolbench-matrix-bad.yaml:6"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("pool.max_overflw"), std::string::npos) << result.err;
  fs::remove(bad);

  // 40 instances x (2 + 1) + 2 = 122 > 97 connections the default profile leaves.
  result = matrix({k_grid, "--profile", "ssd", "--matrix", "pool.instances=[1,40]"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.err.find("--allow-over-budget"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("max_connections"), std::string::npos) << result.err;
  EXPECT_FALSE(fs::exists(m_out));
}

// --dsn servers: a profile is put in force per connection where a session may set it, one
// server per profile can be named with POOLBENCH_DSN_<PROFILE>, and a setting that needs a
// server change is refused before anything runs.
TEST_F(MatrixCommand, OnADsnServerSessionSettingsApplyPerProfileAndOthersAreRefused) {
  poolbench::testing::BackgroundServer server(k_binary);
  const std::vector<std::string> common = {"--settle", "0s", "--out", m_out.string()};
  auto run = [&](std::vector<std::string> args, std::map<std::string, std::string> env) {
    args.insert(args.begin(), "matrix");
    args.insert(args.end(), common.begin(), common.end());
    env.emplace("POOLBENCH_DSN", "");
    return run_process(k_binary, args, env, k_source);
  };
  // ssd and hdd differ only in planner costs (user context): both run on the one server.
  auto result = run({k_grid, "--dsn", server.dsn(), "--set", "pool.max_overflow=0"}, {});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto json = results();
  ASSERT_EQ(json["cells"].size(), 4u);
  for (const auto& cell : json["cells"]) {
    const std::string profile = param(cell, "server.profile");
    EXPECT_EQ(cell["server_settings"]["random_page_cost"], profile == "ssd" ? "1.1" : "4");
    EXPECT_EQ(cell["server"]["embedded"], false);
  }
  EXPECT_NE(result.err.find("set per connection"), std::string::npos) << result.err;
  EXPECT_EQ(json["dsn"].get<std::string>().find(server.password()), std::string::npos);

  // A server named for one profile only: the other profile has none.
  fs::remove_all(m_out);
  result = run({k_grid}, {{"POOLBENCH_DSN_SSD", server.dsn()}});
  EXPECT_EQ(result.exit_code, 2) << result.err;
  EXPECT_NE(result.err.find("POOLBENCH_DSN_HDD"), std::string::npos) << result.err;
  EXPECT_FALSE(fs::exists(m_out / "results.json"));

  // prod needs shared_buffers and max_connections: a restart poolbench may not do.
  result = run({k_grid, "--profile", "prod"}, {{"POOLBENCH_DSN_PROD", server.dsn()}});
  EXPECT_EQ(result.exit_code, 2) << result.err;
  EXPECT_NE(result.err.find("shared_buffers"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("POOLBENCH_DSN_PROD"), std::string::npos) << result.err;
  EXPECT_FALSE(fs::exists(m_out / "results.json"));
}

TEST_F(MatrixCommand, AProfileThatChangesAPlanIsReportedAsAPlanChange) {
  // The shipped SSD vs HDD comparison (random_page_cost 1.1 vs 4.0 on queries whose plans
  // flip between them), once per cell and briefly: each profile's server plans the
  // statements before its cells run, and the analysis names what changed.
  std::string text = poolbench::testing::read_file(k_source + "/scenarios/ssd_vs_hdd.yaml");
  const auto at = text.find("repetitions: 3");
  ASSERT_NE(at, std::string::npos);
  text.replace(at, 14, "repetitions: 1");
  const std::string scenario = write("ssd_vs_hdd.yaml", text);
  const auto result =
      matrix({scenario, "--set", "workload.duration=1s", "--set", "workload.warmup=0s", "--quiet"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto json = results();
  ASSERT_EQ(json["cells"].size(), 4u);
  for (const auto& cell : json["cells"]) {
    ASSERT_EQ(cell["plans"].size(), 2u) << cell["id"];  // both statements, whatever the mix
    for (const auto& plan : cell["plans"]) EXPECT_TRUE(plan["fingerprint"].is_string());
  }
  const auto& changes = json["analysis"]["plan_changes"];
  ASSERT_EQ(changes.size(), 2u) << changes.dump(2);
  for (const auto& change : changes) {
    EXPECT_EQ(change["profiles"], nlohmann::json::array({"ssd", "hdd"}));
    EXPECT_NE(change["fingerprints"][0], change["fingerprints"][1]);
    EXPECT_EQ(change["varies_within"], nlohmann::json::array());  // read-only: stable plans
    // random_page_cost 1.1 walks the primary key: a range scan, or a nested loop of lookups.
    EXPECT_NE(change["shapes"][0].get<std::string>().find("Index Scan using pgbench_accounts_pkey"),
              std::string::npos)
        << change.dump(2);
    // 4.0 reads the table for the range, and merges the lookups with one pass over the key.
    const bool range = change["transaction"] == "range_report";
    EXPECT_NE(change["shapes"][1].get<std::string>().find(range ? "Seq Scan on pgbench_accounts"
                                                                : "Merge Join"),
              std::string::npos)
        << change.dump(2);
  }
  EXPECT_NE(poolbench::testing::read_file(m_out / "summary.md")
                .find("Plan change: range_report line 1: "),
            std::string::npos);
  const auto validate = poolbench::testing::validate_results_schema(m_out / "results.json");
  EXPECT_EQ(validate.exit_code, 0) << validate.err;
}

TEST_F(MatrixCommand, SloMissesAreFindingsUnlessFailOnSlo) {
  // A p99 limit of 1 us cannot be met: the cell is a finding, exit 0; --fail-on-slo: exit 1.
  const std::vector<std::string> args = {k_grid,
                                         "--profile",
                                         "ssd",
                                         "--set",
                                         "pool.pool_size=2",
                                         "--set",
                                         "pool.max_overflow=0",
                                         "--set",
                                         "slo.p99_latency=1us"};
  auto result = matrix(args);
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.out.find("SLO MISS: p99_latency"), std::string::npos) << result.out;
  auto strict = args;
  strict.push_back("--fail-on-slo");
  strict.push_back("--fresh");
  result = matrix(strict);
  EXPECT_EQ(result.exit_code, 1) << result.err;
  EXPECT_NE(result.err.find("--fail-on-slo"), std::string::npos) << result.err;
}

TEST_F(MatrixCommand, SigkillLosesAtMostTheRunningCell) {
  const pid_t pid = spawn({k_grid, "--profile", "ssd", "--set", "workload.duration=2s"});
  ASSERT_GT(pid, 0);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (stored_cells() < 1 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_GE(stored_cells(), 1u) << "no cell finished within 60 s";
  kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  // Every cell that finished before the kill is there, complete and valid.
  const auto json = results();
  ASSERT_GE(json["cells"].size(), 1u);
  for (const auto& cell : json["cells"]) {
    EXPECT_EQ(cell["status"], "ok");
    EXPECT_GT(cell["summary"]["completed"].get<long>(), 0);
  }
  EXPECT_EQ(json["matrix"]["complete"], false);
  // --resume completes the matrix from there.
  const auto resumed =
      matrix({k_grid, "--profile", "ssd", "--set", "workload.duration=2s", "--resume"});
  EXPECT_EQ(resumed.exit_code, 0) << resumed.err;
  EXPECT_EQ(results()["cells"].size(), 4u);
}

}  // namespace
