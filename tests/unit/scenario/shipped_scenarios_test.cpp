// Every shipped scenarios/*.yaml (and scenarios/*/scenario.yaml) loads, its scripts parse, its
// profiles exist, every cell of its matrix resolves and records the server's evidence: a broken
// shipped file fails the unit tests, not a user's run.

#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "matrix/expand.hpp"
#include "scenario/scenario.hpp"
#include "script/script.hpp"
#include "util/error.hpp"

namespace poolbench::scenario {
namespace {

namespace fs = std::filesystem;

const fs::path k_scenarios = fs::path(POOLBENCH_SOURCE_DIR) / "scenarios";

std::vector<fs::path> shipped_files() {
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(k_scenarios)) {
    if (entry.path().extension() == ".yaml") files.push_back(entry.path());
    // An example with files of its own (scenarios/replay_example/: a trace) in a directory.
    if (entry.is_directory() && fs::exists(entry.path() / "scenario.yaml"))
      files.push_back(entry.path() / "scenario.yaml");
  }
  std::sort(files.begin(), files.end());
  return files;
}

void expect_profiles_exist(const std::string& profile, const std::string& where) {
  std::stringstream parts(profile);
  for (std::string part; std::getline(parts, part, '+');) {
    if (part.find('/') != std::string::npos) continue;  // a path: the user's own file
    EXPECT_TRUE(fs::exists(k_scenarios / "profiles" / (part + ".conf")))
        << where << ": server.profile " << part << " is not in scenarios/profiles/";
  }
}

TEST(ShippedScenarios, ThereAreShippedScenarios) {
  EXPECT_GE(shipped_files().size(), 5u) << k_scenarios;
}

TEST(ShippedScenarios, EachStartsWithACommentSayingWhatItAnswers) {
  for (const auto& file : shipped_files()) {
    std::ifstream in(file);
    std::string first;
    std::getline(in, first);
    EXPECT_TRUE(first.starts_with("# ")) << file.filename() << " starts with: " << first;
  }
}

TEST(ShippedScenarios, EachLoadsAndItsScriptsParse) {
  for (const auto& file : shipped_files()) {
    SCOPED_TRACE(file.filename().string());
    try {
      const Scenario s = load_scenario(file.string());
      for (const auto& t : s.transactions) {
        script::parse_script(t.script, script::SourceLocation{s.file, t.name, t.script_at.line});
      }
      expect_profiles_exist(s.server.profile, file.filename().string());
    } catch (const InputError& e) {
      ADD_FAILURE() << e.what();
    }
  }
}

TEST(ShippedScenarios, EveryMatrixCellResolvesAndNamesExistingProfiles) {
  for (const auto& file : shipped_files()) {
    SCOPED_TRACE(file.filename().string());
    try {
      const Scenario base = load_scenario(file.string());
      for (const auto& cell : matrix::expand_matrix(base, {})) {  // validates each cell
        const Scenario& resolved = cell.scenario;
        expect_profiles_exist(resolved.server.profile, file.filename().string());
        EXPECT_TRUE(resolved.pool.settings.validation_error().empty()) << cell.id;
        // Every shipped cell carries the server's evidence: server_stats and plans are
        // recorded whenever server.stats is on (cell_runner), so none may turn it off.
        EXPECT_TRUE(resolved.server.stats) << cell.id << ": server.stats is off";
        if (resolved.workload.mode == LoadMode::replay) continue;  // the trace's requests
        double total_weight = 0;
        for (const auto& t : resolved.transactions) total_weight += t.weight;
        EXPECT_GT(total_weight, 0) << cell.id;
      }
    } catch (const InputError& e) {
      ADD_FAILURE() << e.what();
    }
  }
}

}  // namespace
}  // namespace poolbench::scenario
