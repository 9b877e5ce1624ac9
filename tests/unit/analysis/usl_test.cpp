#include "analysis/usl.hpp"

#include <cmath>
#include <random>

#include <gtest/gtest.h>

namespace poolbench::analysis {
namespace {

// SPEC SDM91 (R usl `data/specsdm91.rda`); R's nls fit: σ = 0.0277285, κ = 0.0001044,
// λ = 89.995, N* ≈ 96.5, X* ≈ 1884, limit 3246 (docs/references.md §4).
TEST(UslFit, ReproducesTheSpecSdm91FitOfTheRPackage) {
  const std::vector<UslPoint> points = {{1, 64.9},     {18, 995.9},   {36, 1652.4}, {72, 1853.2},
                                        {108, 1828.9}, {144, 1775.0}, {216, 1702.2}};
  const UslFit fit = fit_usl(points);
  ASSERT_EQ(fit.status, "ok");
  EXPECT_NEAR(fit.params.sigma, 0.0277285, 5e-7);
  EXPECT_NEAR(fit.params.kappa, 0.0001044, 5e-8);
  EXPECT_NEAR(fit.params.lambda, 89.995, 5e-4);
  ASSERT_TRUE(fit.peak_concurrency && fit.peak_throughput && fit.throughput_limit);
  EXPECT_NEAR(*fit.peak_concurrency, 96.5, 0.05);
  EXPECT_NEAR(*fit.peak_throughput, 1884, 0.5);
  EXPECT_NEAR(*fit.throughput_limit, 3246, 0.5);
  EXPECT_NEAR(fit.r_squared, 0.9896, 1e-4);
  EXPECT_EQ(fit.points, 7);
  EXPECT_EQ(fit.distinct_concurrency, 7);
}

TEST(UslFit, RecoversKnownParametersFromExactSyntheticData) {
  const UslParams truth{0.05, 0.002, 120.0};
  std::vector<UslPoint> points;
  for (double n : {1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 48.0}) {
    points.push_back({n, usl_throughput(truth, n)});
  }
  const UslFit fit = fit_usl(points);
  ASSERT_EQ(fit.status, "ok");
  EXPECT_NEAR(fit.params.sigma, truth.sigma, 1e-7);
  EXPECT_NEAR(fit.params.kappa, truth.kappa, 1e-9);
  EXPECT_NEAR(fit.params.lambda, truth.lambda, 1e-5);
  EXPECT_NEAR(fit.r_squared, 1.0, 1e-12);
}

TEST(UslFit, RecoversKnownParametersFromNoisyFractionalConcurrency) {
  const UslParams truth{0.1, 0.0005, 50.0};
  std::mt19937_64 rng(7);
  std::normal_distribution<double> noise(0.0, 0.01);
  std::vector<UslPoint> points;
  for (double n = 1.5; n < 80; n *= 1.3) {
    points.push_back({n, usl_throughput(truth, n) * (1 + noise(rng))});
  }
  const UslFit fit = fit_usl(points);
  ASSERT_EQ(fit.status, "ok");
  EXPECT_NEAR(fit.params.sigma, truth.sigma, 0.01);
  EXPECT_NEAR(fit.params.kappa, truth.kappa, 2e-4);
  EXPECT_NEAR(fit.params.lambda, truth.lambda, 2.0);
}

TEST(UslFit, LinearScalingPinsSigmaAndKappaAtTheirLowerBound) {
  std::vector<UslPoint> points;
  for (double n : {1.0, 2.0, 3.0, 5.0, 8.0}) points.push_back({n, 40.0 * n});
  const UslFit fit = fit_usl(points);
  ASSERT_EQ(fit.status, "ok");
  EXPECT_GE(fit.params.sigma, 0.0);
  EXPECT_GE(fit.params.kappa, 0.0);
  EXPECT_NEAR(fit.params.sigma, 0.0, 1e-9);
  EXPECT_NEAR(fit.params.kappa, 0.0, 1e-9);
  EXPECT_NEAR(fit.params.lambda, 40.0, 1e-6);
  EXPECT_FALSE(fit.peak_concurrency.has_value());
  EXPECT_FALSE(fit.throughput_limit.has_value());
}

TEST(UslFit, FewerThanThreeDistinctConcurrenciesIsNotEnoughPoints) {
  EXPECT_EQ(fit_usl({}).status, "not_enough_points");
  const UslFit fit = fit_usl({{2, 10}, {2, 11}, {4, 19}, {4, 18}, {0, 0}});
  EXPECT_EQ(fit.status, "not_enough_points");
  EXPECT_EQ(fit.points, 4);  // N = 0 is ignored
  EXPECT_EQ(fit.distinct_concurrency, 2);
}

}  // namespace
}  // namespace poolbench::analysis
