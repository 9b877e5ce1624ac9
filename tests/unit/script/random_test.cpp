// Distributions against their definitions (pgbench's formulas), with fixed seeds. Every
// tolerance comes from the sample size: a frequency is within k_sigmas binomial standard
// deviations of n*p, a mean within k_sigmas * sd / sqrt(n). With fixed seeds the tests are
// deterministic (false-failure probability 0 per run); the bound only says how far a correct
// implementation can plausibly be: with a fresh seed, each 5-sigma check (normal
// approximation, two-sided) would fail with probability 5.7e-7.

#include "script/random.hpp"

#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <vector>

#include <gtest/gtest.h>

namespace poolbench::script {
namespace {

constexpr double k_sigmas = 5.0;

/// Draws n values in [lo, hi] and checks each value's frequency against `probability`
/// (k: 0-based offset from lo) and the sample mean against the distribution's mean.
void expect_distribution(const std::function<std::int64_t(RandomState&)>& draw, std::int64_t lo,
                         std::int64_t hi, const std::function<double(std::int64_t)>& probability,
                         int n, std::uint64_t seed) {
  RandomState rng(seed);
  const auto width = static_cast<std::size_t>(hi - lo + 1);
  std::vector<int> counts(width, 0);
  double sum = 0.0;
  for (int i = 0; i < n; ++i) {
    const std::int64_t v = draw(rng);
    ASSERT_GE(v, lo);
    ASSERT_LE(v, hi);
    ++counts[static_cast<std::size_t>(v - lo)];
    sum += static_cast<double>(v);
  }
  double mean = 0.0;
  double second = 0.0;
  double total_p = 0.0;
  for (std::size_t k = 0; k < width; ++k) {
    const double p = probability(static_cast<std::int64_t>(k));
    total_p += p;
    const double value = static_cast<double>(lo) + static_cast<double>(k);
    mean += p * value;
    second += p * value * value;
    const double expected = n * p;
    const double sd = std::sqrt(n * p * (1.0 - p));
    EXPECT_NEAR(counts[k], expected, k_sigmas * sd + 1.0) << "value " << value;
  }
  ASSERT_NEAR(total_p, 1.0, 1e-9) << "the test's probabilities must sum to 1";
  const double sd = std::sqrt(second - mean * mean);
  EXPECT_NEAR(sum / n, mean, k_sigmas * sd / std::sqrt(n));
}

double normal_cdf(double x) {
  return 0.5 * std::erfc(-x / std::sqrt(2.0));
}

TEST(RandomTest, UniformCoversTheRangeInclusively) {
  constexpr std::int64_t lo = -3;
  constexpr std::int64_t hi = 8;
  expect_distribution([](RandomState& r) { return random_uniform(r, lo, hi); }, lo, hi,
                      [](std::int64_t) { return 1.0 / 12.0; }, 120000, 1);
}

TEST(RandomTest, UniformHandlesTheExtremesOfInt64) {
  RandomState rng(5);
  constexpr std::int64_t max = std::numeric_limits<std::int64_t>::max();
  for (int i = 0; i < 1000; ++i) {
    EXPECT_EQ(random_uniform(rng, max, max), max);
    const auto v = random_uniform(rng, max - 1, max);
    EXPECT_TRUE(v == max - 1 || v == max);
  }
  const auto big = random_uniform(rng, -4611686018427387904, 4611686018427387903);
  EXPECT_GE(big, -4611686018427387904);
}

TEST(RandomTest, UniformDoubleIsInTheHalfOpenUnitInterval) {
  RandomState rng(9);
  double sum = 0.0;
  constexpr int n = 100000;
  for (int i = 0; i < n; ++i) {
    const double u = rng.uniform_double();
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
    sum += u;
  }
  EXPECT_NEAR(sum / n, 0.5, k_sigmas * std::sqrt(1.0 / 12.0) / std::sqrt(n));
}

TEST(RandomTest, NormalHasMeanZeroAndUnitVariance) {
  RandomState rng(11);
  constexpr int n = 200000;
  double sum = 0.0;
  double squares = 0.0;
  for (int i = 0; i < n; ++i) {
    const double z = rng.normal();
    sum += z;
    squares += z * z;
  }
  EXPECT_NEAR(sum / n, 0.0, k_sigmas / std::sqrt(n));
  // Var(z^2) = 2 for a standard normal.
  EXPECT_NEAR(squares / n, 1.0, k_sigmas * std::sqrt(2.0) / std::sqrt(n));
}

TEST(RandomTest, ExponentialMatchesPgbenchsTruncatedExponential) {
  // P(lo + k) = P(k/w <= r < (k+1)/w) with P(r <= t) = (1 - e^-pt) / (1 - e^-p).
  constexpr std::int64_t lo = 1;
  constexpr std::int64_t hi = 10;
  constexpr double p = 2.0;
  const double w = hi - lo + 1;
  expect_distribution([](RandomState& r) { return random_exponential(r, lo, hi, p); }, lo, hi,
                      [&](std::int64_t k) {
                        return (std::exp(-p * k / w) - std::exp(-p * (k + 1) / w)) /
                               (1.0 - std::exp(-p));
                      },
                      100000, 2);
}

TEST(RandomTest, GaussianMatchesPgbenchsTruncatedNormal) {
  // z ~ N(0,1) restricted to [-p, p), r = (z + p) / 2p: P(lo + k) = [Phi(-p + 2p(k+1)/w) -
  // Phi(-p + 2pk/w)] / [Phi(p) - Phi(-p)].
  constexpr std::int64_t lo = 0;
  constexpr std::int64_t hi = 9;
  for (const double p : {2.0, 5.0}) {
    const double w = hi - lo + 1;
    expect_distribution(
        [p](RandomState& r) { return random_gaussian(r, lo, hi, p); }, lo, hi,
        [&](std::int64_t k) {
          return (normal_cdf(-p + 2 * p * (k + 1) / w) - normal_cdf(-p + 2 * p * k / w)) /
                 (normal_cdf(p) - normal_cdf(-p));
        },
        100000, 3);
  }
}

TEST(RandomTest, ZipfianFrequenciesFollowAPowerLaw) {
  // P(lo - 1 + k) = k^-s / H(n, s), k = 1..n.
  constexpr std::int64_t lo = 5;
  constexpr std::int64_t hi = 24;
  for (const double s : {1.001, 1.5, 2.5}) {
    double h = 0.0;
    for (int k = 1; k <= hi - lo + 1; ++k) h += std::pow(k, -s);
    expect_distribution(
        [s](RandomState& r) { return random_zipfian(r, lo, hi, s); }, lo, hi,
        [&](std::int64_t k) { return std::pow(static_cast<double>(k + 1), -s) / h; },
        // s near 1 rejects most candidates (~300 per draw): fewer draws.
        s < 1.01 ? 20000 : 100000, 4);
  }
}

TEST(RandomTest, ZipfianOfASingleValueRangeIsThatValue) {
  RandomState rng(1);
  EXPECT_EQ(random_zipfian(rng, 7, 7, 1.5), 7);
}

TEST(RandomTest, TheSameSeedGivesTheSameSequence) {
  RandomState a(123);
  RandomState b(123);
  RandomState c(124);
  int differences = 0;
  for (int i = 0; i < 100; ++i) {
    const auto va = a.next_u64();
    EXPECT_EQ(va, b.next_u64());
    differences += va != c.next_u64();
  }
  EXPECT_GT(differences, 95);
}

TEST(RandomTest, ClientSeedsDifferAndAreStable) {
  const SeedSequence seeds(42);
  EXPECT_EQ(seeds.client_seed(0), SeedSequence(42).client_seed(0));
  EXPECT_NE(seeds.client_seed(0), seeds.client_seed(1));
  EXPECT_NE(seeds.client_seed(1), SeedSequence(43).client_seed(1));
  EXPECT_EQ(seeds.default_seed(), SeedSequence(42).default_seed());
  EXPECT_NE(seeds.default_seed(), SeedSequence(43).default_seed());
}

}  // namespace
}  // namespace poolbench::script
