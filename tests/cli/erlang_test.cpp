// Erlang C against a real run: Poisson arrivals and exponential holds through pools of c
// connections (an M/M/c queue) on the embedded PostgreSQL; the measured share of checkouts
// that waited agrees with Erlang C within a tolerance derived from the number of requests.

#include <cmath>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "analysis/queueing.hpp"
#include "cli/run_fixture.hpp"

namespace {

using poolbench::testing::k_binary;
using poolbench::testing::k_source;

class ErlangCheck : public poolbench::testing::RunFixture {};

TEST_F(ErlangCheck, MeasuredWaitingAgreesWithErlangCOnAnMMcPool) {
  const auto result =
      poolbench::testing::run_process(k_binary,
                                      {"matrix", k_source + "/tests/cli/scenarios/erlang.yaml",
                                       "--out", m_out.string(), "--settle", "0s", "--quiet"},
                                      {{"POOLBENCH_DSN", ""}}, k_source);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto json = results();
  ASSERT_EQ(json["cells"].size(), 2u);
  for (std::size_t i = 0; i < 2; ++i) {
    const auto& cell = json["cells"][i];
    const auto& erlang = json["analysis"]["cells"][i]["erlang_c"];
    ASSERT_EQ(erlang["status"], "ok") << erlang.dump();
    const int c = cell["params"]["pool_size"].get<int>();
    const double n = cell["summary"]["completed"].get<double>();
    // Erlang C from what this run offered: the measured arrival rate (the Poisson count
    // differs from the nominal 150/s) and the measured mean hold.
    const double rate = erlang["measured_arrival_rate_rps"].get<double>();
    const double hold_s = cell["summary"]["hold_ms"]["mean"].get<double>() / 1000.0;
    const auto model = poolbench::analysis::erlang_c(c, rate, hold_s);
    ASSERT_TRUE(model.stable);
    // The measurement counts checkouts that waited longer than the analysis threshold
    // (1 ms, so that the pool's own microseconds are not "waiting"): compare like with like.
    const double threshold_s =
        json["analysis"]["measured_p_wait_threshold_ms"].get<double>() / 1000.0;
    const double predicted = model.p_wait_longer_than(threshold_s);
    const double measured = erlang["measured_p_wait"].get<double>();
    // Tolerance from the counts: a binomial standard error over n checkouts, inflated for
    // the correlation of successive customers' waits (an AR(1) with coefficient the
    // occupancy rho = A / c: variance x (1 + rho) / (1 - rho)), k_sigmas of those. A normal
    // deviation beyond 4.2 sigma (two-sided) has probability 2.7e-5: over the two cells,
    // P(false failure) < 1e-4 per run.
    constexpr double k_sigmas = 4.2;
    const double rho = model.occupancy;
    const double sigma = std::sqrt(predicted * (1 - predicted) / n * (1 + rho) / (1 - rho));
    EXPECT_NEAR(measured, predicted, k_sigmas * sigma)
        << "c=" << c << " A=" << model.offered_load << " n=" << n;
    // Long enough for the tolerance to mean something: tighter than the gap to c +/- 1.
    const double next =
        poolbench::analysis::erlang_c(c + 1, rate, hold_s).p_wait_longer_than(threshold_s);
    EXPECT_LT(k_sigmas * sigma, predicted - next) << "c=" << c;
  }
}

}  // namespace
