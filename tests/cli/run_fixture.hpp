#pragma once

// A `poolbench run` test: the built binary, run from the source directory (so scenarios/
// resolves), with an --out directory of its own that is removed afterwards. Needs the
// POOLBENCH_BINARY and POOLBENCH_SOURCE_DIR definitions poolbench_add_cli_test() gives.

#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "cli/run_binary.hpp"

namespace poolbench::testing {

inline const std::string k_binary = POOLBENCH_BINARY;
inline const std::string k_source = POOLBENCH_SOURCE_DIR;
inline const std::string k_test_scenarios = k_source + "/tests/cli/scenarios/";

/// A test with a fresh directory of its own (`m_dir`, named after the suite and the test),
/// removed afterwards.
class TestDirFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* test = ::testing::UnitTest::GetInstance()->current_test_info();
    m_dir = std::filesystem::temp_directory_path() /
            (std::string("poolbench-") + test->test_suite_name() + "-" + test->name());
    std::filesystem::remove_all(m_dir);
    std::filesystem::create_directories(m_dir);
  }
  void TearDown() override { std::filesystem::remove_all(m_dir); }

  std::filesystem::path m_dir;  ///< the test's own directory
};

class RunFixture : public TestDirFixture {
 protected:
  void SetUp() override {
    TestDirFixture::SetUp();
    m_out = m_dir / "out";
  }

  /// `poolbench run args... --out <m_out>`, POOLBENCH_DSN unset unless `env` sets it.
  ProcessResult run(std::vector<std::string> args, std::map<std::string, std::string> env = {}) {
    args.insert(args.begin(), "run");
    args.push_back("--out");
    args.push_back(m_out.string());
    env.try_emplace("POOLBENCH_DSN", "");
    return run_process(k_binary, args, env, k_source);
  }

  /// Writes `text` to a file named `name` in the test's directory; returns its path.
  std::string write(const std::string& name, const std::string& text) const {
    const std::filesystem::path path = m_dir / name;
    std::ofstream(path) << text;
    return path.string();
  }

  nlohmann::json results() const {
    std::ifstream in(m_out / "results.json");
    return nlohmann::json::parse(in);
  }

  std::filesystem::path m_out;  ///< --out, inside m_dir (not created before the run)
};

/// The line of `text` that starts with `prefix` (e.g. "  pool_size "), or empty.
inline std::string line_starting_with(const std::string& text, const std::string& prefix) {
  std::size_t start = 0;
  while (start < text.size()) {
    const std::size_t end = text.find('\n', start);
    const std::string line = text.substr(start, end == std::string::npos ? end : end - start);
    if (line.rfind(prefix, 0) == 0) return line;
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return {};
}

}  // namespace poolbench::testing
