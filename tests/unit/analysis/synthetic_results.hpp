#pragma once

// Synthetic results.json documents for compare tests: a scenario, cells over a pool_size
// axis, each repeated, with summary values drawn around given means with multiplicative
// log-normal noise (what run-to-run variation of a latency or throughput looks like).

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace poolbench::testing {

struct SyntheticCell {
  int pool_size = 5;
  double throughput_rps = 1000;
  double latency_p50_ms = 2;  ///< p99 = 3x, p999 = 5x
  double wait_p50_ms = 0.5;   ///< p99 = 4x, p999 = 8x
  double timeout_rate = 0;
  double error_rate = 0;
  double drop_rate = 0;
};

/// `cv`: coefficient of variation of every metric across repetitions.
inline nlohmann::json synthetic_results(const std::string& scenario,
                                        const std::vector<SyntheticCell>& cells, int repetitions,
                                        double cv, std::mt19937_64& rng) {
  std::normal_distribution<double> noise(0, 1);
  const double sigma = std::sqrt(std::log(1 + cv * cv));
  const auto draw = [&](double mean) {
    return mean == 0 ? 0.0 : mean * std::exp(sigma * noise(rng) - sigma * sigma / 2);
  };
  nlohmann::json out = {
      {"schema", "poolbench.results/1"},
      {"scenario",
       {{"name", scenario},
        {"pool", {{"pool_size", 5}, {"max_overflow", 0}}},
        {"workload", {{"mode", "closed"}, {"clients", 8}}},
        {"matrix", {{"pool.pool_size", nlohmann::json::array()}, {"repetitions", repetitions}}}}},
      {"cells", nlohmann::json::array()}};
  for (const auto& cell : cells) {
    out["scenario"]["matrix"]["pool.pool_size"].push_back(std::to_string(cell.pool_size));
  }
  for (const auto& cell : cells) {
    for (int r = 0; r < repetitions; ++r) {
      const double requests = 10000;
      const double latency = draw(cell.latency_p50_ms);
      const double wait = draw(cell.wait_p50_ms);
      const double timeout_rate = draw(cell.timeout_rate);
      const double errors = std::round(draw(cell.error_rate) * requests);
      const double dropped = std::round(draw(cell.drop_rate) * requests);  // 0: no draw
      nlohmann::json summary = {
          {"requests", requests},
          {"errors", errors},
          {"dropped", dropped},
          {"throughput_rps", draw(cell.throughput_rps)},
          {"timeout_rate", timeout_rate},
          {"latency_ms",
           {{"p50", latency}, {"p99", 3 * draw(latency)}, {"p999", 5 * draw(latency)}}},
          {"checkout_wait_ms", {{"p50", wait}, {"p99", 4 * draw(wait)}, {"p999", 8 * draw(wait)}}}};
      const std::string axis = "pool.pool_size=" + std::to_string(cell.pool_size);
      out["cells"].push_back(
          {{"id", axis + "#" + std::to_string(r)},
           {"params",
            {{"pool.pool_size", std::to_string(cell.pool_size)}, {"pool_size", cell.pool_size}}},
           {"repetition", r},
           {"status", "ok"},
           {"summary", summary}});
    }
  }
  return out;
}

}  // namespace poolbench::testing
