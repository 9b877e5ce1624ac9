// Coordinated omission, shown rather than claimed, against the embedded PostgreSQL: the server
// stalls for S seconds mid-run (the `stall` fault: pgbench_accounts locked ACCESS EXCLUSIVE).
// An open loop keeps its schedule through it: the requests that arrived during the stall
// report latencies up to ~S, and about rate x S / 2 of them above S / 2. A closed loop does
// not: its clients wait inside their one request each, so the stall shows as missing
// completions and at most `clients` long latencies (its latency is not corrected).

#include <cmath>
#include <iostream>
#include <regex>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "cli/run_fixture.hpp"
#include "metrics/hdr_codec.hpp"

namespace {

using nlohmann::json;

constexpr double k_stall_s = 2.0;   ///< S
constexpr double k_rate = 200.0;    ///< open-loop arrivals per second (Poisson)
constexpr int k_clients = 4;        ///< closed loop
constexpr double k_stall_at_s = 2;  ///< from the measurement start

/// The scenario: a point read per request on a 4 + 0 pool whose timeout outlasts the stall,
/// the stall at 2 s for 2 s of a 6 s measurement.
std::string scenario_text(const std::string& workload) {
  return R"(name: stalled
dataset: { scale: 1 }
workload: )" +
         workload + R"(
transactions:
  - name: read
    script: |
      \set aid random(1, 100000 * :scale)
      SELECT abalance FROM pgbench_accounts WHERE aid = :aid;
pool: { pool_size: 4, max_overflow: 0, pool_timeout: 10s }
faults:
  - { at: 2s, kind: stall, duration: 2s }
)";
}

/// Completed requests whose latency exceeded `ms` (from the cell's HdrHistogram V2).
std::int64_t count_above_ms(const json& cell, double ms) {
  const auto histogram =
      poolbench::metrics::decode_hdr_v2_base64(cell["histograms"]["latency"].get<std::string>());
  std::int64_t above = 0;
  histogram.for_each_recorded([&](const auto& bucket) {
    if (static_cast<double>(bucket.lowest_us) > ms * 1000) above += bucket.count;
  });
  return above;
}

/// How long the stall's lock was held, from the fault's detail ("... for 1.98 s ...").
double locked_s(const json& fault) {
  const std::string detail = fault["detail"].get<std::string>();
  std::smatch match;
  if (!std::regex_search(detail, match, std::regex("for ([0-9.]+) s"))) return NAN;
  return std::stod(match[1].str());
}

class CoordinatedOmission : public poolbench::testing::RunFixture {
 protected:
  json run_stalled(const std::string& workload) {
    const auto result = run({write("stalled.yaml", scenario_text(workload)), "--quiet"});
    EXPECT_EQ(result.exit_code, 0) << result.err;
    const json results = this->results();
    const json& cell = results["cells"][0];
    EXPECT_EQ(cell["faults"].size(), 1u);
    EXPECT_FALSE(cell["faults"][0].contains("error")) << cell["faults"][0].dump();
    return cell;
  }
};

TEST_F(CoordinatedOmission, AnOpenLoopReportsTheStallInTheLatenciesOfTheRequestsThatArrivedInIt) {
  const json cell = run_stalled(
      "{ mode: open, rate: 200, arrival: poisson, max_in_flight: 5000, duration: 6s, "
      "warmup: 1s }");
  const json& s = cell["summary"];
  EXPECT_EQ(s["dropped"].get<long>(), 0);
  EXPECT_EQ(s["completed"].get<long>(), s["requests"].get<long>());  // every arrival served
  const double held_s = locked_s(cell["faults"][0]);
  ASSERT_FALSE(std::isnan(held_s)) << cell["faults"][0].dump();
  // The first arrival after the lock waits all of it: the latency reaches ~S.
  EXPECT_GE(s["latency_ms"]["max"].get<double>(), 0.9 * k_stall_s * 1000) << s.dump();
  // Arrivals in the first (held - S/2) seconds of the lock wait more than S/2: a Poisson
  // count with mean rate x (held - S/2), about rate x S / 2. The window can be longer by the
  // time the lock took to be granted and the queue of ~rate x S requests took to drain
  // afterwards (allowed: 0.25 s). 4 standard deviations each side: P(false failure) < 1e-4.
  const double low = k_rate * (held_s - k_stall_s / 2);
  const double high = k_rate * (held_s - k_stall_s / 2 + 0.25);
  const auto above = static_cast<double>(count_above_ms(cell, k_stall_s / 2 * 1000));
  std::cout << "[ measured ] open loop: lock held " << held_s << " s, " << above
            << " latencies above S/2 (rate x S/2 = " << k_rate * k_stall_s / 2
            << "), schedule lag p99 " << s["schedule_lag_ms"]["p99"] << " ms, max "
            << s["schedule_lag_ms"]["max"] << " ms\n";
  EXPECT_GE(above, low - 4 * std::sqrt(low));
  EXPECT_LE(above, high + 4 * std::sqrt(high));
  // The generator kept its schedule through the stall: arrivals started when they were due,
  // not when the stalled requests returned (that lag would be ~S).
  EXPECT_LT(s["schedule_lag_ms"]["max"].get<double>(), k_stall_s * 1000 / 4);
  EXPECT_LT(s["schedule_lag_ms"]["p99"].get<double>(), k_stall_s * 1000 / 20);
}

TEST_F(CoordinatedOmission, AClosedLoopShowsTheStallAsMissingCompletionsNotAsLatency) {
  const json cell =
      run_stalled("{ mode: closed, clients: 4, think_time: 20ms, duration: 6s, warmup: 1s }");
  const json& s = cell["summary"];
  const json& fault = cell["faults"][0];
  // The whole seconds inside the lock complete nothing: each client is stuck in its one
  // request; seconds before it complete about clients / (think + service) each.
  long inside = 0;
  int seconds_inside = 0;
  long before = 0;
  for (const auto& row : cell["timeseries"]) {
    const double t = row["t_s"].get<double>();
    if (t >= fault["at_s"].get<double>() + 0.1 && t + 1 <= fault["end_s"].get<double>()) {
      inside += row["throughput_rps"].get<long>();
      ++seconds_inside;
    }
    if (t + 1 <= k_stall_at_s) before += row["throughput_rps"].get<long>();
  }
  ASSERT_GE(seconds_inside, 1) << fault.dump();
  EXPECT_EQ(inside, 0) << cell["timeseries"].dump();
  EXPECT_GT(before, 0);
  // Only the requests the clients were in when the lock came wait ~S: at most one per
  // client, however many requests an open loop would have sent meanwhile.
  const auto above = count_above_ms(cell, k_stall_s / 2 * 1000);
  std::cout << "[ measured ] closed loop: " << above << " latencies above S/2, " << before
            << " completions in the 2 s before the stall, " << inside << " inside it\n";
  EXPECT_GE(above, 1);
  EXPECT_LE(above, k_clients);
  EXPECT_GE(s["latency_ms"]["max"].get<double>(), 0.9 * k_stall_s * 1000);
}

}  // namespace
