// `poolbench compare` end to end (no database): results files built from the committed
// fixture tests/unit/report/fixtures/erlang_small.json (8 cells of a real matrix), repeated
// with seeded noise, some with a known shift. Exit codes 0/1/2, the files it writes (JUnit
// validated by check_junit.py with Debian's python3, github-action-benchmark JSON), and bad
// input: one short message naming the file and the reason, nothing written.

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "cli/run_fixture.hpp"

using poolbench::testing::ProcessResult;
using poolbench::testing::run_process;
namespace fs = std::filesystem;

namespace {

using poolbench::testing::k_binary;
using poolbench::testing::k_source;
const std::string k_fixture = k_source + "/tests/unit/report/fixtures/erlang_small.json";
const std::string k_checker = k_source + "/tests/cli/check_junit.py";
constexpr int k_metrics = 10;
constexpr int k_fixture_cells = 8;

nlohmann::json read_json(const fs::path& path) {
  std::ifstream in(path);
  return nlohmann::json::parse(in);
}

void write(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << text;
}

/// The fixture with every cell repeated `repetitions` times: latencies and checkout waits
/// scaled by `latency_factor`, every millisecond value and the throughput with 1% seeded
/// noise (far below every default threshold), rates untouched.
nlohmann::json repeated(int repetitions, double latency_factor, unsigned seed) {
  const nlohmann::json source = read_json(k_fixture);
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> noise(1.0, 0.01);
  nlohmann::json out = source;
  out["cells"] = nlohmann::json::array();
  out["scenario"]["matrix"]["repetitions"] = repetitions;
  for (const auto& cell : source["cells"]) {
    const std::string id = cell["id"].get<std::string>();
    for (int r = 0; r < repetitions; ++r) {
      nlohmann::json copy = cell;
      copy.erase("histograms");
      copy.erase("timeseries");
      copy["repetition"] = r;
      copy["id"] = id.substr(0, id.rfind('#')) + "#" + std::to_string(r);
      auto& summary = copy["summary"];
      for (const char* block : {"latency_ms", "checkout_wait_ms"}) {
        for (auto& [key, value] : summary[block].items()) {
          value = value.get<double>() * latency_factor * noise(rng);
        }
      }
      summary["throughput_rps"] = summary["throughput_rps"].get<double>() * noise(rng);
      out["cells"].push_back(copy);
    }
  }
  return out;
}

class CompareCommand : public poolbench::testing::TestDirFixture {
 protected:
  fs::path put(const std::string& name, const nlohmann::json& results) {
    const fs::path path = m_dir / name / "results.json";
    write(path, results.dump());
    return path;
  }

  ProcessResult compare(std::vector<std::string> args) {
    args.insert(args.begin(), "compare");
    return run_process(k_binary, args);
  }

  /// compare with --junit and --benchmark-action into m_dir/out; returns the result.
  ProcessResult compare_with_outputs(const fs::path& baseline, const fs::path& current,
                                     std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {baseline.string(),
                                     current.string(),
                                     "--junit",
                                     (m_dir / "out" / "compare.xml").string(),
                                     "--benchmark-action",
                                     (m_dir / "out" / "bench").string()};
    args.insert(args.end(), extra.begin(), extra.end());
    return compare(args);
  }

  bool wrote_nothing() const { return !fs::exists(m_dir / "out"); }

  /// Bad input: exit 2, one short message naming `file` and containing `reason`, no files.
  void expect_bad_input(const ProcessResult& result, const std::string& file,
                        const std::string& reason) {
    EXPECT_EQ(result.exit_code, 2) << result.out << result.err;
    EXPECT_NE(result.err.find(file), std::string::npos) << result.err;
    EXPECT_NE(result.err.find(reason), std::string::npos) << result.err;
    EXPECT_LE(std::count(result.err.begin(), result.err.end(), '\n'), 3) << result.err;
    EXPECT_TRUE(result.out.empty()) << result.out;
    EXPECT_TRUE(wrote_nothing());
  }
};

TEST_F(CompareCommand, NoiseAloneExitsZeroAndPrintsEveryCellAndMetric) {
  const auto baseline = put("base", repeated(5, 1.0, 1));
  const auto current = put("cur", repeated(5, 1.0, 2));
  const auto result = compare({baseline.string(), current.string()});
  ASSERT_EQ(result.exit_code, 0) << result.out << result.err;
  EXPECT_NE(result.out.find("poolbench compare: scenario 'erlang_sample'"), std::string::npos);
  EXPECT_NE(result.out.find("0 regressed"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("(8 cells x 10 metrics)"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("pool.pool_size=2,pool.max_overflow=0,server.profile=ssd  (5 vs 5 "
                            "repetitions)"),
            std::string::npos)
      << result.out;
}

TEST_F(CompareCommand, ARegressionExitsOneAndWritesValidJunitAndBenchmarkActionFiles) {
  const auto baseline = put("base", repeated(5, 1.0, 1));
  const auto current = put("cur", repeated(5, 1.5, 2));  // +50% on every latency and wait
  const auto result = compare_with_outputs(baseline, current);
  ASSERT_EQ(result.exit_code, 1) << result.out << result.err;
  EXPECT_NE(result.out.find("regressed"), std::string::npos);

  // Which metrics must regress: +50% is beyond every latency threshold; a checkout wait
  // only where its baseline is above the 0.1 ms floor's reach (+50% > 0.1 ms).
  const nlohmann::json json_result =
      nlohmann::json::parse(compare({baseline.string(), current.string(), "--json"}).out);
  int regressions = json_result["counts"]["regressed"].get<int>();
  int expected = 0;
  for (const auto& cell : json_result["cells"]) {
    for (const auto& metric : cell["metrics"]) {
      const std::string name = metric["metric"];
      const double base = metric["baseline"];
      if (name.starts_with("latency_ms.") ||
          (name.starts_with("checkout_wait_ms.") && base * 0.5 > 0.1)) {
        ++expected;
        EXPECT_EQ(metric["verdict"], "regressed") << cell["label"] << " " << name;
      }
    }
  }
  EXPECT_EQ(regressions, expected);
  EXPECT_GE(regressions, 3 * k_fixture_cells);

  const fs::path junit = m_dir / "out" / "compare.xml";
  const auto check = run_process(
      "/usr/bin/python3", {k_checker, junit.string(), std::to_string(k_fixture_cells * k_metrics),
                           std::to_string(regressions)});
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;

  const auto smaller = read_json(m_dir / "out" / "bench-smaller.json");
  const auto bigger = read_json(m_dir / "out" / "bench-bigger.json");
  ASSERT_TRUE(smaller.is_array());
  ASSERT_TRUE(bigger.is_array());
  EXPECT_EQ(smaller.size(), static_cast<std::size_t>(k_fixture_cells * (k_metrics - 1)));
  EXPECT_EQ(bigger.size(), static_cast<std::size_t>(k_fixture_cells));
  for (const auto* file : {&smaller, &bigger}) {
    for (const auto& entry : *file) {
      EXPECT_TRUE(entry["name"].is_string());
      EXPECT_TRUE(entry["unit"].is_string());
      EXPECT_TRUE(entry["value"].is_number());
    }
  }
  EXPECT_NE(bigger[0]["name"].get<std::string>().find("throughput_rps"), std::string::npos);
}

TEST_F(CompareCommand, AcceptsDirectoriesAndPrintsMarkdownOrJson) {
  const auto baseline = put("base", repeated(5, 1.0, 1));
  const auto current = put("cur", repeated(5, 1.0, 3));
  const auto markdown =
      compare({baseline.parent_path().string(), current.parent_path().string(), "--markdown"});
  ASSERT_EQ(markdown.exit_code, 0) << markdown.err;
  EXPECT_TRUE(
      markdown.out.starts_with("### poolbench compare: `erlang_sample` — "
                               ":white_check_mark: no regression"))
      << markdown.out;
  const auto json =
      compare({baseline.parent_path().string(), current.parent_path().string(), "--json"});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  const auto parsed = nlohmann::json::parse(json.out);
  EXPECT_EQ(parsed["outcome"], "ok");
  EXPECT_EQ(parsed["cells"].size(), static_cast<std::size_t>(k_fixture_cells));
  EXPECT_EQ(compare({baseline.string(), current.string(), "--json", "--markdown"}).exit_code, 2);
}

TEST_F(CompareCommand, OneRepetitionJudgesByThresholdsAloneAndSaysSo) {
  const auto baseline = put("base", repeated(1, 1.0, 1));
  const auto current = put("cur", repeated(1, 1.5, 2));
  const auto result = compare({baseline.string(), current.string()});
  EXPECT_EQ(result.exit_code, 1) << result.out << result.err;
  EXPECT_NE(result.out.find("verdicts come from the thresholds alone"), std::string::npos)
      << result.out;
  EXPECT_NE(result.out.find("1 vs 1 repetition)"), std::string::npos) << result.out;
}

TEST_F(CompareCommand, TooFewRepetitionsForTheTestSaySoWithTheNumberNeeded) {
  const auto baseline = put("base", repeated(2, 1.0, 1));
  const auto current = put("cur", repeated(2, 1.0, 2));
  const auto result = compare({baseline.string(), current.string()});
  EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
  EXPECT_NE(result.out.find("run >= 4 repetitions on each side"), std::string::npos) << result.out;
}

TEST_F(CompareCommand, ThresholdsFromTheCommandLineDecide) {
  const auto baseline = put("base", repeated(5, 1.0, 1));
  const auto current = put("cur", repeated(5, 1.5, 2));
  std::vector<std::string> args = {baseline.string(), current.string()};
  for (const char* key :
       {"latency_ms.p50", "latency_ms.p99", "latency_ms.p999", "checkout_wait_ms.p50",
        "checkout_wait_ms.p99", "checkout_wait_ms.p999"}) {
    args.push_back("--threshold");
    args.push_back(std::string(key) + "=60%");
  }
  const auto result = compare(args);
  EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
}

TEST_F(CompareCommand, FilesThatDoNotMatchExitTwoWithOneMessageAndWriteNothing) {
  const auto good = repeated(3, 1.0, 1);
  const auto baseline = put("base", good);

  auto other = good;
  other["scenario"]["name"] = "quickstart";
  expect_bad_input(compare_with_outputs(baseline, put("other", other)), "other/results.json",
                   "different scenarios");

  auto changed = good;
  changed["scenario"]["workload"]["rate"] = 400.0;
  expect_bad_input(compare_with_outputs(baseline, put("changed", changed)), "changed/results.json",
                   "workload.rate");

  auto fewer = good;
  fewer["cells"].erase(fewer["cells"].begin(), fewer["cells"].begin() + 3);
  expect_bad_input(compare_with_outputs(baseline, put("fewer", fewer)), "fewer/results.json",
                   "lacks 1 cell");

  auto schema = good;
  schema["schema"] = "poolbench.results/0";
  expect_bad_input(compare_with_outputs(baseline, put("schema", schema)), "schema/results.json",
                   "schema is");

  const std::string text = good.dump();
  write(m_dir / "truncated" / "results.json", text.substr(0, text.size() / 2));
  expect_bad_input(compare_with_outputs(baseline, m_dir / "truncated" / "results.json"),
                   "truncated/results.json", "not JSON");

  expect_bad_input(compare_with_outputs(m_dir / "missing", baseline), "missing",
                   "no such results file");
}

TEST_F(CompareCommand, BadFlagsExitTwoAndWriteNothing) {
  const auto baseline = put("base", repeated(3, 1.0, 1));
  const auto current = put("cur", repeated(3, 1.5, 2));
  expect_bad_input(compare_with_outputs(baseline, current, {"--threshold", "latency_ms.p99=10"}),
                   "--threshold latency_ms.p99=10", "KEY=PCT%");
  expect_bad_input(compare_with_outputs(baseline, current, {"--threshold", "latency.p99=10%"}),
                   "--threshold latency.p99=10%", "did you mean latency_ms.p99");
  expect_bad_input(compare_with_outputs(baseline, current, {"--alpha", "1.5"}), "--alpha 1.5",
                   "between 0 and 1");
  const auto one = compare({baseline.string()});
  EXPECT_EQ(one.exit_code, 2);
  EXPECT_NE(one.err.find("expected BASELINE and CURRENT"), std::string::npos) << one.err;
  const auto help = compare({"--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("--benchmark-action"), std::string::npos);
}

TEST_F(CompareCommand, TheCiScenarioPlansUnderAMinuteWithEnoughRepetitionsForTheTest) {
  // The estimate covers warmup + duration + settle; starting the embedded server and
  // creating the scale-1 dataset add ~10 s (a real run here took 44 s in all).
  const auto result =
      run_process(k_binary, {"matrix", k_source + "/scenarios/ci.yaml", "--dry-run", "--settle",
                             "200ms", "--out", (m_dir / "ci").string()});
  ASSERT_EQ(result.exit_code, 0) << result.out << result.err;
  const auto at = result.out.find("Estimated time: ");
  ASSERT_NE(at, std::string::npos) << result.out;
  const int seconds = std::stoi(result.out.substr(at + 16));
  EXPECT_LE(seconds, 50) << result.out;
  for (const char* rep : {"rep 0", "rep 4"}) {
    EXPECT_NE(result.out.find(rep), std::string::npos) << result.out;
  }
  EXPECT_EQ(result.out.find("rep 5"), std::string::npos) << result.out;
}

TEST_F(CompareCommand, TheCiExamplesAreValidYamlThatRunTheCiScenarioAndCompare) {
  for (const char* file : {"github-actions.yml", "gitlab-ci.yml"}) {
    const std::string path = k_source + "/examples/ci/" + file;
    const auto parsed = run_process(
        "/usr/bin/python3",
        {"-c", "import sys, yaml; yaml.safe_load(open(sys.argv[1])); print('ok')", path});
    EXPECT_EQ(parsed.exit_code, 0) << path << ": " << parsed.err;
    std::ifstream in(path);
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    for (const char* needed : {"poolbench matrix scenarios/ci.yaml", "poolbench compare",
                               "--junit compare.xml", "--benchmark-action"}) {
      EXPECT_NE(text.find(needed), std::string::npos) << path << " lacks " << needed;
    }
  }
}

}  // namespace
