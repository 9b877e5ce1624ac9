#include "matrix/result_store.hpp"

#include <filesystem>
#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "results/file.hpp"
#include "util/error.hpp"
#include "version.hpp"

namespace poolbench::matrix {
namespace {

using ::testing::HasSubstr;

constexpr const char* k_store_scenario = R"(name: s
transactions:
  - name: read
    script: SELECT 1;
)";

class ResultStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    m_dir = std::filesystem::temp_directory_path() /
            ("poolbench-store-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(m_dir);
  }
  void TearDown() override { std::filesystem::remove_all(m_dir); }

  nlohmann::json header(const std::string& hash) const {
    return {{"schema", "poolbench.results/1"},
            {"tool", {{"version", k_version}}},
            {"matrix", {{"scenario_hash", hash}}}};
  }
  static nlohmann::json cell(const std::string& id, int index, const std::string& status) {
    return {{"id", id}, {"index", index}, {"status", status}};
  }
  std::filesystem::path file() const { return m_dir / "results.json"; }

  std::filesystem::path m_dir;
};

TEST_F(ResultStoreTest, EveryPutRewritesTheFileWithTheCellsInIndexOrder) {
  ResultStore store(file(), header("h1"));
  store.put(cell("b", 1, "ok"));
  auto on_disk = results::read_results(file());
  ASSERT_TRUE(on_disk);
  EXPECT_EQ((*on_disk)["cells"].size(), 1u);
  store.put(cell("a", 0, "ok"));
  on_disk = results::read_results(file());
  ASSERT_EQ((*on_disk)["cells"].size(), 2u);
  EXPECT_EQ((*on_disk)["cells"][0]["id"], "a");
  EXPECT_TRUE(store.done("a"));
  EXPECT_FALSE(store.done("c"));
}

TEST_F(ResultStoreTest, ResumeKeepsFinishedCellsAndRerunsInterruptedOnesWithoutDuplicates) {
  nlohmann::json previous = header("h1");
  previous["cells"] = {cell("a", 0, "ok"), cell("b", 1, "interrupted")};
  ResultStore store(file(), header("h1"));
  store.resume_from(previous);
  EXPECT_TRUE(store.done("a"));
  EXPECT_FALSE(store.done("b"));
  EXPECT_EQ(store.done_count(), 1u);
  store.put(cell("b", 1, "ok"));
  store.put(cell("c", 2, "ok"));
  const auto on_disk = results::read_results(file());
  ASSERT_EQ((*on_disk)["cells"].size(), 3u);
  EXPECT_EQ((*on_disk)["cells"][1]["status"], "ok");
}

TEST_F(ResultStoreTest, ResumeRefusesAnotherScenarioOrVersionOrANonMatrixFile) {
  ResultStore store(file(), header("h2"));
  nlohmann::json previous = header("h1");
  previous["cells"] = nlohmann::json::array();
  try {
    store.resume_from(previous);
    FAIL();
  } catch (const InputError& e) {
    EXPECT_THAT(e.what(), HasSubstr("the resolved scenario changed"));
    EXPECT_THAT(e.what(), HasSubstr("hash h1 then, h2 now"));
  }
  previous = header("h2");
  previous["cells"] = nlohmann::json::array();
  previous["tool"]["version"] = "0.0.0-old";
  try {
    store.resume_from(previous);
    FAIL();
  } catch (const InputError& e) {
    EXPECT_THAT(e.what(), HasSubstr("written by poolbench 0.0.0-old"));
  }
  EXPECT_THROW(store.resume_from(nlohmann::json{{"cells", nlohmann::json::array()}}), InputError);
}

TEST_F(ResultStoreTest, AFileThatIsNotJsonIsBadInputNamingIt) {
  std::filesystem::create_directories(m_dir);
  std::ofstream(file()) << "{ truncated";
  try {
    results::read_results(file());
    FAIL();
  } catch (const InputError& e) {
    EXPECT_THAT(e.what(), HasSubstr(file().string()));
  }
  EXPECT_FALSE(results::read_results(m_dir / "absent.json"));
}

TEST(ScenarioHash, ChangesWithTheResolvedScenarioButNotWithItsPath) {
  const auto a = scenario::parse_scenario(k_store_scenario, "a.yaml");
  const auto b = scenario::parse_scenario(k_store_scenario, "elsewhere/a.yaml");
  const auto c = scenario::parse_scenario(k_store_scenario, "a.yaml", {"pool.pool_size=7"});
  EXPECT_EQ(scenario_hash(a), scenario_hash(b));
  EXPECT_NE(scenario_hash(a), scenario_hash(c));
  EXPECT_EQ(scenario_hash(a).size(), 16u);
}

}  // namespace
}  // namespace poolbench::matrix
