// Distributed load end to end: shards of `poolbench run|matrix --shard I/N` running at once
// against one `poolbench server`, merged by `poolbench merge`; and the bad input of
// --shard, --start-at and merge.

#include <chrono>
#include <cmath>
#include <fstream>
#include <set>

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/background_server.hpp"
#include "cli/run_binary.hpp"
#include "cli/run_fixture.hpp"
#include "metrics/hdr_codec.hpp"
#include "metrics/summary.hpp"

namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using poolbench::testing::k_binary;
using poolbench::testing::k_source;
using poolbench::testing::k_test_scenarios;
using poolbench::testing::run_process;
using ::testing::HasSubstr;

/// Unix seconds `lead` from now: every shard's --start-at.
std::string start_in(std::chrono::seconds lead) {
  const auto at = std::chrono::system_clock::now() + lead;
  return std::to_string(
      std::chrono::duration_cast<std::chrono::seconds>(at.time_since_epoch()).count());
}

class Shards : public poolbench::testing::RunFixture {
 protected:
  /// Runs `poolbench args...` for every shard at once (one process each, output in
  /// <dir>/shard-<i>.log) and waits for all; returns their exit codes.
  std::vector<int> run_concurrently(const std::vector<std::vector<std::string>>& shards) {
    std::vector<pid_t> pids;
    for (std::size_t i = 0; i < shards.size(); ++i) {
      std::vector<std::string> argv = {k_binary};
      argv.insert(argv.end(), shards[i].begin(), shards[i].end());
      std::vector<char*> raw;
      for (auto& arg : argv) raw.push_back(arg.data());
      raw.push_back(nullptr);
      const std::string log = (m_dir / ("shard-" + std::to_string(i) + ".log")).string();
      const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      const pid_t pid = ::fork();
      if (pid == 0) {  // only async-signal-safe calls until exec
        ::dup2(fd, STDOUT_FILENO);
        ::dup2(fd, STDERR_FILENO);
        if (::chdir(k_source.c_str()) != 0) _exit(126);
        ::execv(raw[0], raw.data());
        _exit(127);
      }
      ::close(fd);
      pids.push_back(pid);
    }
    std::vector<int> codes;
    for (const pid_t pid : pids) {
      int status = 0;
      ::waitpid(pid, &status, 0);
      codes.push_back(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
    }
    return codes;
  }

  std::string log(std::size_t shard) const {
    std::ifstream in(m_dir / ("shard-" + std::to_string(shard) + ".log"));
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  }

  json read(const fs::path& file) const {
    std::ifstream in(file);
    return json::parse(in);
  }

  fs::path shard_out(std::size_t i) const { return m_dir / ("shard-" + std::to_string(i)); }
};

poolbench::metrics::HdrHistogram decode(const json& text) {
  return poolbench::metrics::decode_hdr_v2_base64(text.get<std::string>());
}

TEST_F(Shards, ThreeOpenLoopShardsOnOneServerMergeIntoExactTotals) {
  poolbench::testing::BackgroundServer server(k_binary);
  const std::string start = start_in(std::chrono::seconds(8));
  std::vector<std::vector<std::string>> shards;
  for (int i = 0; i < 3; ++i) {
    shards.push_back({"run", k_test_scenarios + "open.yaml", "--shard", std::to_string(i) + "/3",
                      "--start-at", start, "--dsn", server.dsn(), "--threads", "1", "--quiet",
                      "--out", shard_out(static_cast<std::size_t>(i)).string()});
  }
  const auto codes = run_concurrently(shards);
  for (std::size_t i = 0; i < codes.size(); ++i) ASSERT_EQ(codes[i], 0) << log(i);

  const fs::path merged_dir = m_dir / "merged";
  const auto merge =
      run_process(k_binary,
                  {"merge", (shard_out(2) / "results.json").string(), shard_out(0).string(),
                   shard_out(1).string(), "--out", merged_dir.string()},
                  {}, k_source);
  ASSERT_EQ(merge.exit_code, 0) << merge.err;
  EXPECT_TRUE(fs::exists(merged_dir / "index.html")) << merge.out << merge.err;
  EXPECT_TRUE(fs::exists(merged_dir / "summary.md"));
  for (const auto& file : {merged_dir / "results.json", shard_out(0) / "results.json"}) {
    const auto schema = poolbench::testing::validate_results_schema(file);
    EXPECT_EQ(schema.exit_code, 0) << file << ": " << schema.err;
  }

  const json merged = read(merged_dir / "results.json");
  ASSERT_EQ(merged["cells"].size(), 1u);
  const json& cell = merged["cells"][0];
  const json& summary = cell["summary"];
  EXPECT_TRUE(merged.contains("analysis"));
  EXPECT_EQ(merged["shards"]["count"], 3);

  // Counts add up exactly; the raw histograms merged in the test give the same percentiles.
  std::int64_t requests = 0, completed = 0, timeouts = 0, errors = 0, dropped = 0;
  std::int64_t rows_completed = 0;
  double rate = 0;
  std::vector<double> first_row_unix_s;
  poolbench::metrics::HdrHistogram latency;
  for (std::size_t i = 0; i < 3; ++i) {
    const json shard = read(shard_out(i) / "results.json");
    EXPECT_EQ(shard["shard"]["index"], i);
    EXPECT_FALSE(shard.contains("analysis"));
    const json& s = shard["cells"][0]["summary"];
    requests += s["requests"].get<std::int64_t>();
    completed += s["completed"].get<std::int64_t>();
    timeouts += s["timeouts"].get<std::int64_t>();
    errors += s["errors"].get<std::int64_t>();
    dropped += s["dropped"].get<std::int64_t>();
    rate += shard["cells"][0]["shard"]["rate_per_s"].get<double>();
    latency.merge(decode(shard["cells"][0]["histograms"]["latency"]));
    for (const auto& row : shard["cells"][0]["timeseries"]) {
      rows_completed += row["throughput_rps"].get<std::int64_t>();
    }
    first_row_unix_s.push_back(shard["cells"][0]["timeseries"][0]["unix_s"].get<double>());
  }
  EXPECT_EQ(summary["requests"], requests);
  EXPECT_EQ(summary["completed"], completed);
  EXPECT_EQ(summary["timeouts"], timeouts);
  EXPECT_EQ(summary["errors"], errors);
  EXPECT_EQ(summary["dropped"], dropped);
  EXPECT_NEAR(rate, 400.0, 1e-9);
  EXPECT_TRUE(decode(cell["histograms"]["latency"]).has_same_counts(latency));
  json expected;
  poolbench::metrics::to_json(expected, poolbench::metrics::summarize_ms(latency));
  EXPECT_EQ(summary["latency_ms"], expected);
  std::int64_t merged_rows_completed = 0;
  for (const auto& row : cell["timeseries"]) {
    merged_rows_completed += row["throughput_rps"].get<std::int64_t>();
  }
  EXPECT_EQ(merged_rows_completed, rows_completed);
  // The shared schedule: the three measurements started together.
  const auto [low, high] = std::minmax_element(first_row_unix_s.begin(), first_row_unix_s.end());
  EXPECT_LT(*high - *low, 0.5);

  // Arrivals of three independent Poisson streams at 400/3 per second over the 3 s
  // measurement: Poisson(1200) in total, so within 5 standard deviations of 1200 (two-sided:
  // P(false failure) < 6e-7 per run).
  const double expected_arrivals = 400.0 * 3.0;
  EXPECT_NEAR(static_cast<double>(requests), expected_arrivals, 5 * std::sqrt(expected_arrivals));
}

TEST_F(Shards, MatrixShardsRunTheSameRandomOrderInSharedSlotsAndSplitClientsExactly) {
  poolbench::testing::BackgroundServer server(k_binary);
  const std::string start = start_in(std::chrono::seconds(6));
  std::vector<std::vector<std::string>> shards;
  for (int i = 0; i < 2; ++i) {
    shards.push_back({"matrix",
                      k_test_scenarios + "grid.yaml",
                      "--shard",
                      std::to_string(i) + "/2",
                      "--start-at",
                      start,
                      "--dsn",
                      server.dsn(),
                      "--profile",
                      "default",
                      "--set",
                      "pool.max_overflow=1",
                      "--order",
                      "random",
                      "--settle",
                      "0s",
                      "--threads",
                      "1",
                      "--quiet",
                      "--out",
                      shard_out(static_cast<std::size_t>(i)).string()});
  }
  const auto codes = run_concurrently(shards);
  for (std::size_t i = 0; i < codes.size(); ++i) ASSERT_EQ(codes[i], 0) << log(i);
  const json zero = read(shard_out(0) / "results.json");
  const json one = read(shard_out(1) / "results.json");
  EXPECT_EQ(zero["matrix"]["cell_ids"], one["matrix"]["cell_ids"]);
  ASSERT_EQ(zero["cells"].size(), 2u);
  for (std::size_t c = 0; c < 2; ++c) {
    EXPECT_EQ(zero["cells"][c]["id"], one["cells"][c]["id"]);
    EXPECT_EQ(zero["cells"][c]["shard"]["clients"].get<int>() +
                  one["cells"][c]["shard"]["clients"].get<int>(),
              3);
    EXPECT_EQ(zero["cells"][c]["shard"]["slot_start_unix_s"],
              one["cells"][c]["shard"]["slot_start_unix_s"]);
  }
  const auto merge = run_process(
      k_binary,
      {"merge", shard_out(0).string(), shard_out(1).string(), "--out", (m_dir / "m").string()}, {},
      k_source);
  ASSERT_EQ(merge.exit_code, 0) << merge.err;
  const json merged = read(m_dir / "m" / "results.json");
  ASSERT_EQ(merged["cells"].size(), 2u);
  for (std::size_t c = 0; c < 2; ++c) {
    EXPECT_EQ(merged["cells"][c]["summary"]["completed"].get<std::int64_t>(),
              zero["cells"][c]["summary"]["completed"].get<std::int64_t>() +
                  one["cells"][c]["summary"]["completed"].get<std::int64_t>());
  }
  EXPECT_TRUE(merged["matrix"]["complete"].get<bool>());
  // `poolbench report` reads the merged file like any other.
  const auto report = run_process(
      k_binary, {"report", (m_dir / "m").string(), "--out", (m_dir / "r").string()}, {}, k_source);
  EXPECT_EQ(report.exit_code, 0) << report.err;
}

TEST_F(Shards, BadShardAndStartAtInputIsExitTwoWithNothingWritten) {
  const std::string tiny = k_test_scenarios + "tiny.yaml";
  const std::string dsn = "postgresql://nobody@127.0.0.1:1/none";
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  const std::vector<Case> cases = {
      {{tiny, "--shard", "0/3", "--start-at", "1900000000"},
       "--shard: the shards of a distributed run share one server"},
      {{tiny, "--shard", "0/3", "--start-at", "1900000000", "--dsn", dsn, "--set",
        "workload.transactions=5"},
       "workload.transactions"},
      {{tiny, "--shard", "3/3", "--dsn", dsn, "--start-at", "1900000000"}, "--shard: expected I/N"},
      {{tiny, "--shard", "0/0", "--dsn", dsn, "--start-at", "1900000000"}, "--shard: expected I/N"},
      {{tiny, "--shard", "a/b", "--dsn", dsn, "--start-at", "1900000000"}, "--shard: expected I/N"},
      {{tiny, "--shard", "1/3", "--dsn", dsn}, "--start-at"},
      {{tiny, "--shard", "1/3", "--dsn", dsn, "--start-at", "tomorrow"},
       "--start-at: expected RFC 3339"},
      {{tiny, "--start-at", "1900000000", "--dsn", dsn}, "add --shard"},
      {{tiny, "--shard", "4/5", "--dsn", dsn, "--start-at", "1900000000"}, "gets no clients"},
  };
  for (const char* command : {"run", "matrix"}) {
    for (const auto& c : cases) {
      std::vector<std::string> args = {command};
      args.insert(args.end(), c.args.begin(), c.args.end());
      args.insert(args.end(), {"--out", m_out.string()});
      const auto result = run_process(k_binary, args, {{"POOLBENCH_DSN", ""}}, k_source);
      EXPECT_EQ(result.exit_code, 2) << command << " " << c.args[2] << ": " << result.err;
      EXPECT_THAT(result.err, HasSubstr(c.message)) << command;
      EXPECT_LE(std::count(result.err.begin(), result.err.end(), '\n'), 3) << result.err;
      EXPECT_FALSE(fs::exists(m_out)) << command;
    }
  }
  // POOLBENCH_DSN is a shared server too: the check passes and the run fails later (exit 3,
  // nothing listens there), not as bad input.
  const auto env_dsn = run_process(
      k_binary, {"run", tiny, "--shard", "0/2", "--start-at", "1", "--out", m_out.string()},
      {{"POOLBENCH_DSN", dsn}}, k_source);
  EXPECT_EQ(env_dsn.exit_code, 3) << env_dsn.err;
}

TEST_F(Shards, MergeRefusesFilesThatAreNotOneRunsShardsNamingTheFile) {
  const std::string out = (m_dir / "merged").string();
  auto merge = [&](std::vector<std::string> files) {
    files.insert(files.begin(), "merge");
    files.insert(files.end(), {"--out", out});
    return run_process(k_binary, files, {}, k_source);
  };
  auto shard_file = [&](const std::string& name, int index, int count, const std::string& start) {
    const json results = {{"schema", "poolbench.results/1"},
                          {"tool", {{"name", "poolbench"}, {"version", "x"}}},
                          {"scenario", {{"name", "s"}}},
                          {"shard", {{"index", index}, {"count", count}, {"start_at", start}}},
                          {"cells", json::array()}};
    return write(name, results.dump());
  };
  const std::string a = shard_file("a.json", 0, 2, "T");
  const std::string b = shard_file("b.json", 1, 2, "T");
  const std::string late = shard_file("late.json", 1, 2, "T2");
  const std::string three = shard_file("three.json", 1, 3, "T");
  const std::string plain =
      write("plain.json", json{{"schema", "poolbench.results/1"}, {"cells", json::array()}}.dump());
  const struct {
    std::vector<std::string> files;
    std::string message;
  } cases[] = {
      {{a, a}, "a.json: shard 0 of 2 again"},
      {{a}, "shard(s) 1 of 2 missing"},
      {{a, late}, "late.json: shard.start_at"},
      {{a, three}, "three.json: the shard count"},
      {{a, plain}, "plain.json: not a shard's results"},
      {{a, (m_dir / "missing.json").string()}, "missing.json"},
  };
  for (const auto& c : cases) {
    const auto result = merge(c.files);
    EXPECT_EQ(result.exit_code, 2) << c.message << ": " << result.err;
    EXPECT_THAT(result.err, HasSubstr(c.message));
    EXPECT_FALSE(fs::exists(out)) << c.message;
  }
  EXPECT_EQ(merge({a, b}).exit_code, 0);  // the same pair in order is fine (no cells)
  const auto no_out = run_process(k_binary, {"merge", a, b}, {}, k_source);
  EXPECT_EQ(no_out.exit_code, 2);
  EXPECT_THAT(no_out.err, HasSubstr("--out"));
}

}  // namespace
