// The Mann-Whitney U test against published values (scipy.stats.mannwhitneyu's documented
// example, R's wilcox.test), against a brute-force enumeration of every assignment of the
// pooled values (the definition of the exact test, with ties), and its power helpers.

#include "analysis/mann_whitney.hpp"

#include <cmath>
#include <vector>

#include <gtest/gtest.h>

namespace poolbench::analysis {
namespace {

// scipy.stats.mannwhitneyu docs, "Examples": ages at diagnosis of type II diabetes.
const std::vector<double> k_males = {19, 22, 16, 29, 24};
const std::vector<double> k_females = {20, 11, 17, 12};

TEST(MannWhitney, MatchesScipysDocumentedExactExample) {
  const auto result = mann_whitney_u(k_males, k_females);
  EXPECT_EQ(result.u_x, 17.0);
  EXPECT_EQ(result.method, MwuMethod::exact);
  EXPECT_FALSE(result.ties);
  EXPECT_NEAR(result.p_value, 0.1111111111111111, 1e-15);
}

TEST(MannWhitney, MatchesScipysDocumentedAsymptoticExample) {
  // method="asymptotic" (continuity correction on): 0.11134688653314041.
  EXPECT_NEAR(mann_whitney_asymptotic_p(k_males, k_females), 0.11134688653314041, 1e-12);
}

TEST(MannWhitney, MatchesRsWilcoxTestForSeparatedSamples) {
  // R: wilcox.test(c(1,2,3), c(4,5,6)) gives W = 0, p = 0.1 (exact: 2 / C(6,3));
  // with exact = FALSE, p-value = 0.08086 (normal approximation, continuity correction).
  const std::vector<double> x = {1, 2, 3};
  const std::vector<double> y = {4, 5, 6};
  const auto result = mann_whitney_u(x, y);
  EXPECT_EQ(result.u_x, 0.0);
  EXPECT_NEAR(result.p_value, 0.1, 1e-15);
  EXPECT_NEAR(mann_whitney_asymptotic_p(x, y), 0.08086, 5e-6);
}

TEST(MannWhitney, AsymptoticCorrectsTheVarianceForTies) {
  // U = 1; σ² = 3·3/12 · (7 - (3³-3)/(6·5)) = 4.65; z = (8 - 4.5 - 0.5)/√4.65.
  const std::vector<double> x = {1, 2, 2};
  const std::vector<double> y = {2, 3, 4};
  EXPECT_NEAR(mann_whitney_asymptotic_p(x, y), std::erfc(3 / std::sqrt(4.65) / std::sqrt(2.0)),
              1e-15);
  EXPECT_NEAR(mann_whitney_asymptotic_p(x, y), 0.1641597, 1e-6);
}

/// The exact two-sided p-value by its definition: every choice of which pooled values are
/// "x" is equally likely; U counts pairs x > y, ties one half (no ranks involved).
double brute_force_p(const std::vector<double>& x, const std::vector<double>& y) {
  std::vector<double> pooled = x;
  pooled.insert(pooled.end(), y.begin(), y.end());
  const auto pooled_size = static_cast<int>(pooled.size());
  const auto u_of = [&](unsigned mask) {
    double u = 0;
    for (int i = 0; i < pooled_size; ++i) {
      if (!(mask & (1u << i))) continue;
      for (int j = 0; j < pooled_size; ++j) {
        if (mask & (1u << j)) continue;
        u += pooled[i] > pooled[j] ? 1.0 : (pooled[i] == pooled[j] ? 0.5 : 0.0);
      }
    }
    return u;
  };
  const unsigned observed_mask = (1u << x.size()) - 1;
  const double observed = u_of(observed_mask);
  double total = 0;
  double lower = 0;
  double upper = 0;
  for (unsigned mask = 0; mask < (1u << pooled_size); ++mask) {
    if (__builtin_popcount(mask) != static_cast<int>(x.size())) continue;
    const double u = u_of(mask);
    total += 1;
    lower += u <= observed + 1e-9 ? 1 : 0;
    upper += u >= observed - 1e-9 ? 1 : 0;
  }
  return std::min(1.0, 2 * std::min(lower, upper) / total);
}

TEST(MannWhitney, ExactPValueEqualsTheEnumeratedPermutationDistributionWithAndWithoutTies) {
  const std::vector<std::pair<std::vector<double>, std::vector<double>>> cases = {
      {k_males, k_females},
      {{1, 2, 2, 3, 5}, {2, 3, 3, 4, 6, 6}},
      {{0, 0, 0, 0.01}, {0, 0.02, 0.02, 0.03, 0.05}},
      {{7.5, 7.5, 7.5}, {7.5, 7.5, 9}},
      {{10.1, 10.3, 9.8, 10.0, 10.2}, {10.4, 10.9, 10.6, 10.5, 11.0}},
  };
  for (const auto& [x, y] : cases) {
    EXPECT_NEAR(mann_whitney_exact_p(x, y), brute_force_p(x, y), 1e-12);
    EXPECT_NEAR(mann_whitney_exact_p(y, x), brute_force_p(x, y), 1e-12);
  }
}

TEST(MannWhitney, SwappingTheSamplesKeepsPAndComplementsU) {
  const auto forward = mann_whitney_u(k_males, k_females);
  const auto backward = mann_whitney_u(k_females, k_males);
  EXPECT_DOUBLE_EQ(forward.p_value, backward.p_value);
  EXPECT_DOUBLE_EQ(forward.u_x + backward.u_x, 20.0);
}

TEST(MannWhitney, IdenticalValuesEverywhereGiveNoEvidence) {
  const std::vector<double> zeros = {0, 0, 0, 0, 0};
  EXPECT_EQ(mann_whitney_u(zeros, zeros).p_value, 1.0);
  EXPECT_EQ(mann_whitney_asymptotic_p(zeros, zeros), 1.0);
}

TEST(MannWhitney, LargeSamplesUseTheNormalApproximationWhichAgreesWithTheExactTest) {
  std::vector<double> x;
  std::vector<double> y;
  for (int i = 0; i < 31; ++i) {
    x.push_back(i * 1.0);
    y.push_back(i * 1.0 + 6.5);
  }
  const auto result = mann_whitney_u(x, y);
  EXPECT_EQ(result.method, MwuMethod::asymptotic);
  x.pop_back();
  y.pop_back();  // 60 pooled: still exact
  EXPECT_EQ(mann_whitney_u(x, y).method, MwuMethod::exact);
  EXPECT_NEAR(mann_whitney_exact_p(x, y), mann_whitney_asymptotic_p(x, y), 0.005);
}

TEST(MannWhitney, TwoAgainstTwoCanNeverReachFivePercent) {
  EXPECT_NEAR(mann_whitney_min_p(2, 2), 1.0 / 3, 1e-15);
  EXPECT_NEAR(mann_whitney_min_p(3, 3), 0.1, 1e-15);
  EXPECT_NEAR(mann_whitney_min_p(4, 4), 2.0 / 70, 1e-15);
  EXPECT_NEAR(mann_whitney_min_p(5, 5), 2.0 / 252, 1e-15);
  EXPECT_EQ(mann_whitney_min_p(1, 1), 1.0);
  EXPECT_EQ(mann_whitney_min_repetitions(0.05), 4);
  EXPECT_EQ(mann_whitney_min_repetitions(0.01), 5);
  EXPECT_EQ(mann_whitney_min_repetitions(0.2), 3);
  // The bound is attained: fully separated samples.
  EXPECT_NEAR(
      mann_whitney_u(std::vector<double>{1, 2, 3, 4}, std::vector<double>{5, 6, 7, 8}).p_value,
      2.0 / 70, 1e-15);
}

TEST(MannWhitney, NormalQuantileInvertsThePublishedTableValues) {
  EXPECT_NEAR(normal_quantile(0.975), 1.959963984540054, 1e-9);
  EXPECT_NEAR(normal_quantile(0.8), 0.8416212335729143, 1e-9);
  EXPECT_NEAR(normal_quantile(0.5), 0.0, 1e-12);
}

TEST(MannWhitney, RepetitionsToDetectFollowTheNormalTheorySizeOverTheEfficiency) {
  // 2·(1.95996 + 0.84162)²·(sd/shift)² = 15.698 at sd = shift, / (3/π) = 16.44 -> 17.
  EXPECT_EQ(repetitions_to_detect(0.1, 0.1, 0.05), 17);
  // Half the noise: a quarter of the size (4.11 -> 5).
  EXPECT_EQ(repetitions_to_detect(0.1, 0.05, 0.05), 5);
  // Little noise: never fewer than the test needs to reach alpha at all.
  EXPECT_EQ(repetitions_to_detect(10, 0.01, 0.05), 4);
  EXPECT_EQ(repetitions_to_detect(0, 1, 0.05), 1000);
}

}  // namespace
}  // namespace poolbench::analysis
