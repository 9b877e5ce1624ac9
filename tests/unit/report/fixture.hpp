#pragma once

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "report/charts.hpp"

namespace poolbench::testing {

inline std::filesystem::path report_fixture(const std::string& name) {
  return std::filesystem::path(POOLBENCH_REPORT_FIXTURES) / name;
}

inline std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

/// The committed fixture: 8 cells of a real erlang_sample matrix.
inline nlohmann::json erlang_small() {
  return nlohmann::json::parse(read_file(report_fixture("erlang_small.json")));
}

/// The chart called `name` among `charts` (throws when there is none).
inline const report::Chart& chart_named(const std::vector<report::Chart>& charts,
                                        const std::string& name) {
  for (const auto& chart : charts) {
    if (chart.name == name) return chart;
  }
  throw std::runtime_error("no chart " + name);
}

}  // namespace poolbench::testing
