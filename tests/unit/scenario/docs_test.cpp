// docs/scenario.md against the loader: a key cannot be added, renamed or given another range
// without its documentation following.

#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "scenario/scenario.hpp"
#include "util/error.hpp"

namespace poolbench::scenario {
namespace {

/// One row of a key table: | `key` | type | unit | default | range | example |.
struct Row {
  std::string type;
  std::string unit;
  std::string default_value;
  std::string range;
  std::string example;
};

std::string trim(const std::string& text) {
  const auto first = text.find_first_not_of(' ');
  if (first == std::string::npos) return "";
  return text.substr(first, text.find_last_not_of(' ') - first + 1);
}

/// The text between the first pair of backticks, or empty.
std::string backticked(const std::string& cell) {
  const auto open = cell.find('`');
  const auto close = open == std::string::npos ? open : cell.find('`', open + 1);
  return close == std::string::npos ? "" : cell.substr(open + 1, close - open - 1);
}

/// The rows of docs/scenario.md's key tables by key; a key documented twice fails.
std::map<std::string, Row> documented_keys() {
  std::ifstream in(std::string(POOLBENCH_SOURCE_DIR) + "/docs/scenario.md");
  EXPECT_TRUE(in.good()) << "docs/scenario.md is missing";
  std::map<std::string, Row> rows;
  for (std::string line; std::getline(in, line);) {
    if (!line.starts_with("| `")) continue;
    std::vector<std::string> cells;
    std::istringstream split(line.substr(1));
    for (std::string cell; std::getline(split, cell, '|');) cells.push_back(trim(cell));
    EXPECT_EQ(cells.size(), 6u) << line;
    if (cells.size() != 6) continue;
    const std::string key = backticked(cells[0]);
    EXPECT_TRUE(rows.emplace(key, Row{cells[1], cells[2], cells[3], cells[4], cells[5]}).second)
        << key << " is documented twice";
  }
  return rows;
}

/// A small valid scenario with one mix, to apply a key to.
const char* const k_base = R"(name: docs
transactions:
  - name: read
    script: SELECT 1;
mixes:
  peak: { read: 1 }
)";

TEST(ScenarioDocs, EveryKeyTheLoaderAcceptsHasOneRowAndEveryRowNamesOne) {
  std::set<std::string> accepted;
  for (const auto& key : scenario_keys()) accepted.insert(key);
  for (const auto& key : structured_keys()) accepted.insert(key);
  std::set<std::string> documented;
  for (const auto& [key, row] : documented_keys()) documented.insert(key);
  for (const auto& key : accepted) EXPECT_TRUE(documented.count(key)) << key << " has no row";
  for (const auto& key : documented) EXPECT_TRUE(accepted.count(key)) << key << " is not a key";
  // Every block the loader knows is named on the page.
  std::ifstream in(std::string(POOLBENCH_SOURCE_DIR) + "/docs/scenario.md");
  const std::string page((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  for (const auto& block : scenario_blocks()) {
    EXPECT_NE(page.find("`" + block + "`"), std::string::npos) << block;
  }
}

TEST(ScenarioDocs, TheRangeOfEveryScalarKeyIsTheLoadersOwnWords) {
  const auto rows = documented_keys();
  for (const auto& key : scenario_keys()) {
    const auto it = rows.find(key);
    if (it == rows.end()) continue;  // reported by the test above
    EXPECT_EQ(it->second.range, expected_value(key)) << key;
  }
}

TEST(ScenarioDocs, SettingAScalarKeyToItsDocumentedDefaultChangesNothing) {
  const nlohmann::json base = to_json(parse_scenario(k_base, "docs.yaml"));
  const auto rows = documented_keys();
  int checked = 0;
  for (const auto& key : scenario_keys()) {
    const auto it = rows.find(key);
    if (it == rows.end()) continue;
    const std::string value = backticked(it->second.default_value);
    if (value.empty()) continue;  // (required), (empty), (none): no value to set
    const std::string assignment = key + "=" + value;
    try {
      EXPECT_EQ(to_json(parse_scenario(k_base, "docs.yaml", {assignment})), base) << assignment;
    } catch (const InputError& e) {
      ADD_FAILURE() << assignment << ": " << e.what();
    }
    ++checked;
  }
  EXPECT_GE(checked, 20);
}

TEST(ScenarioDocs, EveryScalarExampleIsAccepted) {
  const auto rows = documented_keys();
  for (const auto& key : scenario_keys()) {
    const auto it = rows.find(key);
    if (it == rows.end()) continue;
    const std::string value = backticked(it->second.example);
    EXPECT_FALSE(value.empty()) << key << " has no example";
    const std::string assignment = key + "=" + value;
    if (key.starts_with("replay.")) {
      // replay.* go only with workload.mode: replay and a trace that exists: the value
      // alone is checked, by the key's own setter.
      Scenario probe;
      EXPECT_NO_THROW(set_scenario_key(probe, key, value, {})) << assignment;
      continue;
    }
    EXPECT_NO_THROW(parse_scenario(k_base, "docs.yaml", {assignment})) << assignment;
  }
}

TEST(ScenarioDocs, TheExampleFileOnThePageLoads) {
  std::ifstream in(std::string(POOLBENCH_SOURCE_DIR) + "/docs/scenario.md");
  const std::string page((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto begin = page.find("```yaml\n");
  ASSERT_NE(begin, std::string::npos) << "no ```yaml example";
  const auto end = page.find("```", begin + 8);
  ASSERT_NE(end, std::string::npos);
  const std::string example = page.substr(begin + 8, end - begin - 8);
  try {
    const Scenario scenario = parse_scenario(example, "docs/scenario.md");
    EXPECT_EQ(scenario.name, "read_heavy");
    EXPECT_EQ(scenario.matrix.size(), 2u);
    EXPECT_EQ(scenario.faults.size(), 1u);
  } catch (const InputError& e) {
    FAIL() << e.what();
  }
}

}  // namespace
}  // namespace poolbench::scenario
