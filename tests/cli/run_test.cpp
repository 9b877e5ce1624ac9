// `poolbench run` end to end against an embedded PostgreSQL: files, exit codes, invariants.

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include <fcntl.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/run_fixture.hpp"

using poolbench::testing::run_process;
namespace fs = std::filesystem;

namespace {

using poolbench::testing::k_binary;
using poolbench::testing::k_source;
const std::string& k_scenarios = poolbench::testing::k_test_scenarios;

/// `run` with an --out directory of its own (RunFixture).
class RunCommand : public poolbench::testing::RunFixture {};

const nlohmann::json& summary_of(const nlohmann::json& results) {
  return results["cells"][0]["summary"];
}

TEST_F(RunCommand, WritesResultsThatValidateAgainstTheSchemaAndBalance) {
  const auto result = run({k_scenarios + "tiny.yaml"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.out.find("throughput"), std::string::npos);
  EXPECT_NE(result.err.find("progress:"), std::string::npos);
  const auto validate = poolbench::testing::validate_results_schema(m_out / "results.json");
  EXPECT_EQ(validate.exit_code, 0) << validate.err;
  const auto json = results();
  const auto& s = summary_of(json);
  EXPECT_EQ(s["requests"].get<long>(), s["completed"].get<long>() + s["timeouts"].get<long>() +
                                           s["errors"].get<long>() + s["dropped"].get<long>());
  EXPECT_GT(s["completed"].get<long>(), 0);
  EXPECT_EQ(json["dsn"], "embedded");
  EXPECT_EQ(json["cells"][0]["params"]["pool_size"], 2);
  EXPECT_LE(s["pool"]["max_checked_out"].get<int>(), 3);
  EXPECT_GE(json["cells"][0]["timeseries"].size(), 2u);
}

TEST_F(RunCommand, PoolOfOneUnderTwentyHoldingClientsTimesOutWithTheExactMessage) {
  const auto result = run({k_scenarios + "hold.yaml"});
  ASSERT_EQ(result.exit_code, 0) << result.err;  // no slo: timeouts are findings
  const auto json = results();
  const auto& s = summary_of(json);
  EXPECT_GT(s["timeouts"].get<long>(), 0);
  EXPECT_EQ(s["timeout_message"],
            "QueuePool limit of size 1 overflow 0 reached, connection timed out, timeout 0.05");
  // Timed-out waits are recorded at their timeout: the checkout wait reaches 50 ms.
  EXPECT_GE(s["checkout_wait_ms"]["max"].get<double>(), 50.0);
}

TEST_F(RunCommand, LittlesLawHoldsOnASteadyRun) {
  // 4 clients, pool 4: every request holds its connection for ~20 ms.
  const auto result = run({k_scenarios + "hold.yaml", "--set", "workload.clients=4", "--set",
                           "pool.pool_size=4", "--set", "pool.pool_timeout=5s"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto json = results();
  const auto& s = summary_of(json);
  const double seconds = s["duration_s"].get<double>();
  const double checkouts = static_cast<double>(s["completed"].get<long>());
  const double mean_hold_s = s["hold_ms"]["mean"].get<double>() / 1000.0;
  const double measured = s["pool"]["mean_checked_out"].get<double>();
  const double predicted = checkouts / seconds * mean_hold_s;
  // Tolerance from the counts. The gauge is sampled every 5 ms: n = duration / 5 ms samples
  // of a value between 0 and 4 have a standard error of at most 4 / (2 sqrt(n)); 4 of
  // those (two-sided normal tail: P(false failure) < 6.4e-5 per run). Requests straddling
  // the window's two edges add at most 4 connections x the longest hold at each edge.
  constexpr double k_connections = 4;
  const double samples = seconds / 0.005;
  const double sampling = 4.0 * k_connections / (2.0 * std::sqrt(samples));
  const double edges = 2.0 * k_connections * (s["hold_ms"]["max"].get<double>() / 1000.0) / seconds;
  const double tolerance = sampling + edges;
  EXPECT_NEAR(measured, predicted, tolerance)
      << "checkouts " << checkouts << " hold " << mean_hold_s << " s";
}

TEST_F(RunCommand, OpenLoopSchedulesArrivalsAtTheRate) {
  const auto result = run({k_scenarios + "open.yaml"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto json = results();
  const auto& s = summary_of(json);
  const double expected = 400.0 * 3.0;
  const double arrivals = static_cast<double>(s["requests"].get<long>());
  // Poisson count: standard deviation sqrt(expected); 4 sigma (two-sided: P(false failure)
  // < 6.4e-5 per run).
  EXPECT_NEAR(arrivals, expected, 4.0 * std::sqrt(expected));
  EXPECT_EQ(s["completed"].get<long>(), s["requests"].get<long>());  // every arrival served
  EXPECT_EQ(s["unfinished"].get<long>(), 0);
}

TEST_F(RunCommand, MissedSloExitsOneNamingTheMetricLimitAndValue) {
  const auto result = run({k_scenarios + "tiny.yaml", "--set", "slo.p99_latency=1us"});
  EXPECT_EQ(result.exit_code, 1) << result.err;
  EXPECT_NE(result.err.find("SLO missed: slo.p99_latency: limit 1us, measured"), std::string::npos)
      << result.err;
  EXPECT_TRUE(fs::exists(m_out / "results.json"));  // findings are still written
}

struct BadInput {
  const char* name;
  std::vector<std::string> args;
  const char* message;
};

class RunBadInput : public RunCommand, public ::testing::WithParamInterface<BadInput> {};

TEST_P(RunBadInput, ExitsTwoWithOneMessageAndWritesNothing) {
  std::vector<std::string> args;
  for (const auto& arg : GetParam().args) {
    args.push_back(arg == "TINY" ? k_scenarios + "tiny.yaml" : arg);
  }
  const auto result = run(args);
  EXPECT_EQ(result.exit_code, 2) << result.err;
  EXPECT_NE(result.err.find(GetParam().message), std::string::npos) << result.err;
  EXPECT_FALSE(fs::exists(m_out));
  EXPECT_EQ(result.err.find("Starting an embedded"), std::string::npos);  // nothing started
}

INSTANTIATE_TEST_SUITE_P(
    Cases, RunBadInput,
    ::testing::Values(BadInput{"unknown_key",
                               {"TINY", "--set", "pool.pool_sise=3"},
                               "pool.pool_sise: unknown key (did you mean 'pool.pool_size'?)"},
                      BadInput{"bad_value",
                               {"TINY", "--set", "workload.duration=soon"},
                               "workload.duration: 'soon' is not valid"},
                      BadInput{
                          "missing_file", {"/nonexistent.yaml"}, "/nonexistent.yaml: cannot read"},
                      BadInput{"bad_flag", {"TINY", "--thread", "2"}, "unknown option '--thread'"},
                      BadInput{"unknown_profile", {"TINY", "--profile", "nvme"}, "nvme"},
                      BadInput{"sqlite_dsn", {"TINY", "--dsn", "sqlite:///app.db"}, "PostgreSQL"}),
    [](const auto& param_info) { return std::string(param_info.param.name); });

TEST_F(RunCommand, UndefinedScriptVariableIsALoadTimeErrorNamingTheTransaction) {
  const fs::path scenario = fs::temp_directory_path() / "poolbench-undefined-var.yaml";
  std::ofstream(scenario) << "name: x\ntransactions:\n  - name: lookup\n    script: |\n"
                             "      SELECT :missing;\n";
  const auto result = run({scenario.string()});
  fs::remove(scenario);
  EXPECT_EQ(result.exit_code, 2) << result.err;
  EXPECT_NE(result.err.find("lookup"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("missing"), std::string::npos) << result.err;
  EXPECT_FALSE(fs::exists(m_out));
}

TEST_F(RunCommand, UnreachableDsnExitsThreeWithoutLeakingThePassword) {
  const auto result = run({k_scenarios + "tiny.yaml", "--dsn",
                           "postgresql://bench:s3cr3t-pw@127.0.0.1:1/bench?connect_timeout=2"});
  EXPECT_EQ(result.exit_code, 3) << result.err;
  EXPECT_EQ(result.err.find("s3cr3t-pw"), std::string::npos) << result.err;
  EXPECT_EQ(result.out.find("s3cr3t-pw"), std::string::npos);
  EXPECT_FALSE(fs::exists(m_out / "results.json"));
}

}  // namespace

namespace {

TEST(RunSecrets, BadUrlsAreRejectedWithoutEchoingThePassword) {
  for (const std::string dsn :
       {"postgresql://bench:s3cr3t-pw@127.0.0.1:notaport/bench",
        "postgresql+asyncpg://bench:s3cr3t-pw@127.0.0.1/bench?pool_size=lots",
        "mysql://bench:s3cr3t-pw@127.0.0.1/bench"}) {
    const auto result = run_process(k_binary, {"run", k_scenarios + "tiny.yaml", "--dsn", dsn},
                                    {{"POOLBENCH_DSN", ""}}, k_source);
    EXPECT_EQ(result.exit_code, 2) << dsn << "\n" << result.err;
    EXPECT_EQ(result.err.find("s3cr3t-pw"), std::string::npos) << result.err;
    EXPECT_EQ(result.out.find("s3cr3t-pw"), std::string::npos) << result.out;
  }
}

}  // namespace

namespace {

/// Reads `fd` line by line until a measurement progress line reports requests completed
/// ("progress:   1.0 s   123.4 tps, ..."; warmup lines say "(warmup)"), or the end of the
/// stream. True when such a line was seen.
bool wait_for_measured_progress(int fd) {
  std::string line;
  char c = 0;
  while (::read(fd, &c, 1) == 1) {
    if (c != '\n') {
      line += c;
      continue;
    }
    if (line.starts_with("progress:") && line.find("(warmup)") == std::string::npos) {
      const auto s_end = line.find(" s ");
      if (s_end != std::string::npos && std::strtod(line.c_str() + s_end + 3, nullptr) > 0) {
        return true;
      }
    }
    line.clear();
  }
  return false;
}

TEST(RunInterrupt, SigintStopsTheRunWritesWhatWasMeasuredAndExits130) {
  const fs::path out = fs::temp_directory_path() / "poolbench-run-sigint";
  fs::remove_all(out);
  const std::string scenario = k_scenarios + "tiny.yaml";
  int err_pipe[2];
  ASSERT_EQ(::pipe2(err_pipe, O_CLOEXEC), 0);
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    const int null_fd = ::open("/dev/null", O_RDWR);
    dup2(null_fd, STDIN_FILENO);
    dup2(null_fd, STDOUT_FILENO);
    dup2(err_pipe[1], STDERR_FILENO);
    unsetenv("POOLBENCH_DSN");
    execl(k_binary.c_str(), k_binary.c_str(), "run", scenario.c_str(), "--set",
          "workload.duration=60s", "--set", "workload.warmup=0s", "--out", out.c_str(),
          static_cast<char*>(nullptr));
    _exit(127);
  }
  ::close(err_pipe[1]);
  // Interrupt once the measurement has completed requests (a progress line says so), however
  // long the server took to start.
  EXPECT_TRUE(wait_for_measured_progress(err_pipe[0])) << "no progress line before the end";
  kill(pid, SIGINT);
  // Drain stderr to its end (the run's last lines) so the run never blocks writing them.
  for (char c = 0; ::read(err_pipe[0], &c, 1) == 1;) {
  }
  ::close(err_pipe[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 130);
  std::ifstream in(out / "results.json");
  ASSERT_TRUE(in.good()) << "no results.json after SIGINT";
  const auto json = nlohmann::json::parse(in);
  EXPECT_EQ(json["cells"][0]["status"], "interrupted");
  EXPECT_GT(json["cells"][0]["summary"]["completed"].get<long>(), 0);
  EXPECT_LT(json["cells"][0]["summary"]["duration_s"].get<double>(), 60.0);
  fs::remove_all(out);
}

}  // namespace
