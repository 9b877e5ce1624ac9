// The matrix's per-cell console line: its verdict column says what was judged.

#include <sstream>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "cli/matrix_console.hpp"
#include "matrix/expand.hpp"
#include "matrix/orchestrator.hpp"

namespace poolbench::cli {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

const nlohmann::json k_stored = {{"status", "ok"},
                                 {"summary",
                                  {{"throughput_rps", 15.2},
                                   {"latency_ms", {{"p99", 450.8}}},
                                   {"checkout_wait_ms", {{"p99", 303.6}}},
                                   {"timeout_rate", 0.28},
                                   {"dropped", 0},
                                   {"errors", 0}}}};

std::string line_of(const matrix::Cell& cell, std::vector<std::string> misses = {}) {
  std::ostringstream out;
  print_cell_line({.cell = cell, .result = k_stored, .slo_misses = std::move(misses)}, out);
  return out.str();
}

TEST(MatrixConsoleLine, ACellOfAScenarioWithoutAnSloSaysNothingWasJudged) {
  matrix::Cell cell;  // 28% timeouts, and no slo: limits: not "slo ok"
  EXPECT_THAT(line_of(cell), HasSubstr("no slo"));
  EXPECT_THAT(line_of(cell), Not(HasSubstr("slo ok")));
}

TEST(MatrixConsoleLine, ACellThatMetItsSloSaysSoAndAMissSaysMiss) {
  matrix::Cell cell;
  cell.scenario.slo.timeout_rate = 0.5;
  EXPECT_THAT(line_of(cell), HasSubstr("slo ok"));
  EXPECT_THAT(line_of(cell, {"slo.timeout_rate: limit 0.1, measured 0.28"}), HasSubstr("SLO MISS"));
}

}  // namespace
}  // namespace poolbench::cli
