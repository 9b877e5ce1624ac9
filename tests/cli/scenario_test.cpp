// Scenario features end to end: `mixes:` and `workload.mix` through `poolbench run` against an
// embedded PostgreSQL (the weights reach the generator; a weight of 0 is never picked).

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "cli/run_fixture.hpp"

using poolbench::testing::run_process;
namespace fs = std::filesystem;

namespace {

using poolbench::testing::k_binary;
using poolbench::testing::k_source;

// `boom` fails every time it runs (division by zero, SQLSTATE 22012), so the error count
// says whether it was picked.
constexpr const char* k_mixes_yaml = R"(name: mixes
dataset: { setup: "SELECT 1;" }
workload: { mode: closed, clients: 2, duration: 1s, warmup: 0s }
transactions:
  - name: ok
    script: SELECT 1;
  - name: boom
    script: SELECT 1/0;
mixes:
  safe: { ok: 1, boom: 0 }
  unsafe: { ok: 1, boom: 1 }
pool: { pool_size: 2, max_overflow: 0, pool_timeout: 5s }
)";

class ScenarioMixesRun : public poolbench::testing::TestDirFixture {
 protected:
  void SetUp() override {
    TestDirFixture::SetUp();
    std::ofstream(m_dir / "mixes.yaml") << k_mixes_yaml;
  }

  poolbench::testing::ProcessResult run(const std::string& mix) {
    return run_process(k_binary,
                       {"run", (m_dir / "mixes.yaml").string(), "--set", "workload.mix=" + mix,
                        "--quiet", "--out", (m_dir / "out").string()},
                       {{"POOLBENCH_DSN", ""}}, k_source);
  }

  nlohmann::json results() {
    std::ifstream in(m_dir / "out" / "results.json");
    return nlohmann::json::parse(in);
  }
};

TEST_F(ScenarioMixesRun, ATransactionWeighingZeroInTheMixIsNeverPicked) {
  const auto result = run("safe");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto json = results();
  const auto& summary = json["cells"][0]["summary"];
  EXPECT_GT(summary["completed"].get<long>(), 100);
  EXPECT_EQ(summary["errors"].get<long>(), 0) << summary["errors_by_sqlstate"].dump();
  EXPECT_EQ(json["scenario"]["workload"]["mix"], "safe");
  EXPECT_EQ(json["scenario"]["transactions"][1]["weight"], 0);
  EXPECT_EQ(json["scenario"]["mixes"]["unsafe"]["boom"], 1);
}

TEST_F(ScenarioMixesRun, TheSameTransactionRunsWhenTheMixWeighsIt) {
  const auto result = run("unsafe");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto json = results();
  const auto& summary = json["cells"][0]["summary"];
  EXPECT_GT(summary["completed"].get<long>(), 0);
  EXPECT_GT(summary["errors_by_sqlstate"].value("22012", 0L), 0) << summary.dump();
}

TEST_F(ScenarioMixesRun, AnUnknownMixIsBadInputBeforeAnythingRuns) {
  const auto result = run("unsaf");
  EXPECT_EQ(result.exit_code, 2) << result.err;
  EXPECT_NE(result.err.find("workload.mix: unknown mix 'unsaf' (did you mean 'unsafe'?)"),
            std::string::npos)
      << result.err;
  EXPECT_FALSE(fs::exists(m_dir / "out"));
}

}  // namespace
