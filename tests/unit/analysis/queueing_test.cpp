#include "analysis/queueing.hpp"

#include <cmath>

#include <gtest/gtest.h>

#include "analysis/finite_source.hpp"

namespace poolbench::analysis {
namespace {

// docs/references.md §4 (1): 100 calls per 30 min, 3 min handling: A = 10 erlangs, c = 14 agents
// (R package ErlangC 0.1.0 README; pyworkforce 0.1.0), reproduced to full precision.
TEST(ErlangC, ReproducesThePublishedFourteenAgentExample) {
  const double lambda = 100.0 / 1800.0;  // per second
  const ErlangC q = erlang_c(14, lambda, 180.0);
  EXPECT_NEAR(q.offered_load, 10.0, 1e-12);
  EXPECT_TRUE(q.stable);
  EXPECT_NEAR(q.p_wait, 0.1741319335950498, 1e-13);
  EXPECT_NEAR(q.mean_wait_s, 7.83593701177724, 1e-11);
  EXPECT_NEAR(1 - q.p_wait_longer_than(20), 0.8883500191794669, 1e-13);
  EXPECT_NEAR(q.occupancy, 0.7142857, 1e-7);
}

// (2) pyworkforce test_over_occupancy_erlangc: A = 10, c = 15.
TEST(ErlangC, ReproducesPyworkforceFifteenAgentValues) {
  const ErlangC q = erlang_c(15, 10.0 / 3.0, 3.0);  // minutes as the unit: λ·h = 10
  EXPECT_NEAR(q.p_wait, 0.102, 5e-4);
  EXPECT_NEAR(1 - q.p_wait_longer_than(0.33), 0.941, 5e-4);
  EXPECT_NEAR(q.occupancy, 0.667, 5e-4);
}

// (3) A = 48, c = 55 (Westbay tutorial inputs), docs/references.md's own computation.
TEST(ErlangC, MatchesTheFortyEightErlangComputation) {
  const ErlangC q = erlang_c(55, 48.0 / 240.0, 240.0);  // 4-minute handling time
  EXPECT_NEAR(q.p_wait, 0.23870, 5e-6);
  EXPECT_NEAR(q.mean_wait_s, 8.184, 5e-4);
  EXPECT_NEAR(1 - q.p_wait_longer_than(15), 0.84588, 5e-6);
}

TEST(ErlangB, RecurrenceIsStableForLargeLoadsAndMatchesSmallCases) {
  EXPECT_DOUBLE_EQ(erlang_b(0, 3.0), 1.0);
  EXPECT_DOUBLE_EQ(erlang_b(1, 1.0), 0.5);    // A / (1 + A)
  EXPECT_NEAR(erlang_b(2, 1.0), 0.2, 1e-15);  // (A²/2) / (1 + A + A²/2)
  const double b = erlang_b(5000, 4900.0);    // factorials would overflow here
  EXPECT_TRUE(std::isfinite(b));
  EXPECT_GT(b, 0.0);
  EXPECT_LT(b, 0.05);
}

TEST(ErlangC, AnOverloadedPoolIsUnstableWithALossFloor) {
  const ErlangC q = erlang_c(2, 200.0, 0.022);  // A = 4.4 > 2
  EXPECT_FALSE(q.stable);
  EXPECT_EQ(q.p_wait, 1.0);
  EXPECT_TRUE(std::isinf(q.mean_wait_s));
  EXPECT_EQ(q.p_wait_longer_than(0.2), 1.0);
  EXPECT_NEAR(q.overload_loss_floor(), 1 - 2 / 4.4, 1e-12);
  EXPECT_EQ(erlang_c(5, 200.0, 0.022).overload_loss_floor(), 0.0);
}

TEST(ErlangC, SmallestServersMeetsTheTargetAndOneFewerDoesNot) {
  WaitTarget target;
  target.max_p_wait = 0.2;
  const auto c = erlang_c_smallest_servers(100.0 / 1800.0, 180.0, target);
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(*c, 14);  // 0.174 at 14; 13 waits more often
  EXPECT_GT(erlang_c(13, 100.0 / 1800.0, 180.0).p_wait, 0.2);

  WaitTarget by_mean;
  by_mean.max_mean_wait_s = 7.9;
  EXPECT_EQ(erlang_c_smallest_servers(100.0 / 1800.0, 180.0, by_mean), 14);

  WaitTarget by_timeout;
  by_timeout.max_p_wait_longer = 1 - 0.8883500191794669 + 1e-12;
  by_timeout.wait_limit_s = 20;
  EXPECT_EQ(erlang_c_smallest_servers(100.0 / 1800.0, 180.0, by_timeout), 14);

  EXPECT_EQ(erlang_c_smallest_servers(200.0, 0.022, WaitTarget{}), 5);  // floor(4.4) + 1
  WaitTarget impossible;
  impossible.max_p_wait = 0;
  EXPECT_FALSE(erlang_c_smallest_servers(200.0, 0.022, impossible, 50).has_value());
}

// Wait quantiles from P(wait > t) = P(wait)·exp(-(c - A)·t / h): the published example's
// P(wait) = 0.1741319335950498 with c - A = 4, h = 180 s gives p90 = 45·ln(1.741319...) s.
TEST(ErlangC, WaitQuantilesInvertTheWaitingTimeDistribution) {
  const ErlangC q = erlang_c(14, 100.0 / 1800.0, 180.0);
  EXPECT_NEAR(q.wait_quantile_s(0.90), 45.0 * std::log(1.741319335950498), 1e-9);
  EXPECT_NEAR(q.wait_quantile_s(0.99), 45.0 * std::log(17.41319335950498), 1e-9);
  EXPECT_NEAR(q.p_wait_longer_than(q.wait_quantile_s(0.99)), 0.01, 1e-12);
  // P(wait) 0.174 < 0.2: the 80th percentile checkout does not wait at all.
  EXPECT_EQ(q.wait_quantile_s(0.80), 0.0);
  EXPECT_TRUE(std::isinf(erlang_c(2, 200.0, 0.022).wait_quantile_s(0.99)));
}

// M/M/1//2, Z = h = 1 s, by hand: p(k) ∝ 1, 2, 2 -> (0.2, 0.4, 0.4); X = 0.8/s; Lq = 0.4,
// Wq = Lq / X = 0.5 s; an arrival finds the other client busy half the time (weights
// (N - k)·p(k) = 0.4, 0.4), then waits Exp(1): P(wait > t) = 0.5·e^-t.
TEST(FiniteSource, MatchesTheTwoClientOneConnectionCaseByHand) {
  const FiniteSource m = finite_source(2, 1, 1.0, 1.0);
  EXPECT_NEAR(m.throughput_per_s, 0.8, 1e-12);
  EXPECT_NEAR(m.mean_waiting, 0.4, 1e-12);
  EXPECT_NEAR(m.mean_wait_s, 0.5, 1e-12);
  EXPECT_NEAR(m.p_wait, 0.5, 1e-12);
  EXPECT_NEAR(m.utilization, 0.8, 1e-12);
  EXPECT_NEAR(m.p_wait_longer_than(1.0), 0.5 * std::exp(-1.0), 1e-12);
  EXPECT_NEAR(m.wait_quantile_s(0.99), std::log(50.0), 1e-7);
}

// M/M/2//3, Z = 2 s, h = 1 s, by hand: p(k) ∝ 1, 3/2, 3/4, 3/16 = (16, 24, 12, 3) / 55;
// X = (24 + 2·12 + 2·3) / 55 = 54/55 per second; Lq = 3/55, Wq = 1/18 s; arrivals see
// k = 0, 1, 2 with weights 48, 48, 12 (/108), so P(wait) = 1/9 and P(wait > t) =
// (1/9)·e^(-2t): p90 = ln(10/9) / 2, p99 = ln(100/9) / 2.
TEST(FiniteSource, MatchesTheThreeClientTwoConnectionCaseByHand) {
  const FiniteSource m = finite_source(3, 2, 2.0, 1.0);
  EXPECT_NEAR(m.throughput_per_s, 54.0 / 55.0, 1e-12);
  EXPECT_NEAR(m.mean_waiting, 3.0 / 55.0, 1e-12);
  EXPECT_NEAR(m.mean_wait_s, 1.0 / 18.0, 1e-12);
  EXPECT_NEAR(m.p_wait, 1.0 / 9.0, 1e-12);
  EXPECT_NEAR(m.mean_in_use, 54.0 / 55.0, 1e-12);
  EXPECT_NEAR(m.wait_quantile_s(0.90), std::log(10.0 / 9.0) / 2, 1e-8);
  EXPECT_NEAR(m.wait_quantile_s(0.99), std::log(100.0 / 9.0) / 2, 1e-8);
}

// No think time: every client is always at the pool. 40 clients on 30 connections of 50 ms:
// every checkout waits, for 10 of 30 connections' check-ins: 10 x 50 ms / 30 (the behaviour
// scenario's 16.7 ms), and the pool completes 30 / 50 ms = 600 per second.
TEST(FiniteSource, WithoutThinkTimeEveryExtraClientWaits) {
  const FiniteSource m = finite_source(40, 30, 0.0, 0.05);
  EXPECT_NEAR(m.p_wait, 1.0, 1e-12);
  EXPECT_NEAR(m.mean_wait_s, 10 * 0.05 / 30, 1e-12);
  EXPECT_NEAR(m.throughput_per_s, 600.0, 1e-9);
  EXPECT_NEAR(m.utilization, 1.0, 1e-12);
  const FiniteSource fits = finite_source(15, 30, 0.0, 0.05);
  EXPECT_EQ(fits.p_wait, 0.0);
  EXPECT_EQ(fits.mean_wait_s, 0.0);
  EXPECT_NEAR(fits.throughput_per_s, 300.0, 1e-9);
}

TEST(FiniteSource, NobodyWaitsWhenEveryClientHasAConnection) {
  const FiniteSource m = finite_source(5, 5, 0.1, 0.02);
  EXPECT_EQ(m.p_wait, 0.0);
  EXPECT_EQ(m.mean_wait_s, 0.0);
  EXPECT_EQ(m.wait_quantile_s(0.99), 0.0);
  EXPECT_NEAR(m.throughput_per_s, 5 / 0.12, 1e-9);  // each client cycles every Z + h
}

// Many clients each asking rarely are a Poisson stream: N = 20 000 clients with N / Z = 150
// per second converge to Erlang C's M/M/5 (A = 3), within the 1 - k/N thinning of the rate.
TEST(FiniteSource, ManyRareClientsConvergeToErlangC) {
  const FiniteSource m = finite_source(20000, 5, 20000 / 150.0, 0.02);
  const ErlangC q = erlang_c(5, 150.0, 0.02);
  EXPECT_NEAR(m.p_wait, q.p_wait, 1e-3 * q.p_wait);
  EXPECT_NEAR(m.mean_wait_s, q.mean_wait_s, 2e-3 * q.mean_wait_s);
  EXPECT_NEAR(m.p_wait_longer_than(0.01), q.p_wait_longer_than(0.01), 2e-3);
  EXPECT_NEAR(m.wait_quantile_s(0.99), q.wait_quantile_s(0.99), 2e-3 * q.wait_quantile_s(0.99));
}

// The mean of the wait distribution an arrival sees equals Little's Lq / X.
TEST(FiniteSource, TheArrivalsWaitDistributionHasLittlesMean) {
  const FiniteSource m = finite_source(12, 4, 0.06, 0.02);
  double mean = 0;
  for (int k = m.servers; k < m.clients; ++k) {
    mean += m.arrival_sees[k] * (k - m.servers + 1) * m.hold_s / m.servers;
  }
  EXPECT_NEAR(mean, m.mean_wait_s, 1e-12);
  // The integral of P(wait > t) is the mean too (trapezoids over 0..2 s).
  double integral = 0;
  const double dt = 1e-5;
  for (double t = 0; t < 2.0; t += dt) {
    integral += (m.p_wait_longer_than(t) + m.p_wait_longer_than(t + dt)) / 2 * dt;
  }
  EXPECT_NEAR(integral, m.mean_wait_s, 1e-6);
}

TEST(LittleCheck, PredictsConnectionsInUseFromThroughputAndHold) {
  const LittleCheck check = little_check(200.0, 0.022, 4.0);
  EXPECT_NEAR(check.predicted_in_use, 4.4, 1e-12);
  ASSERT_TRUE(check.relative_error.has_value());
  EXPECT_NEAR(*check.relative_error, 0.1, 1e-12);
  EXPECT_FALSE(little_check(0, 0.02, 0).relative_error.has_value());
}

}  // namespace
}  // namespace poolbench::analysis
