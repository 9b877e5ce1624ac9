#include "analysis/mann_whitney.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <vector>

namespace poolbench::analysis {
namespace {

/// The pooled sample ranked: for each value its doubled midrank (an integer: first + last
/// 1-based position of its tie group), which sample it came from, and the tie groups' sizes.
struct Ranked {
  std::vector<long long> doubled_rank;  ///< pooled order: x values first, then y
  std::vector<int> tie_sizes;           ///< sizes of groups of equal values (> 1 only)
  long long doubled_rank_sum_x = 0;
};

Ranked rank(std::span<const double> x, std::span<const double> y) {
  const std::size_t total = x.size() + y.size();
  std::vector<std::pair<double, std::size_t>> pooled;
  pooled.reserve(total);
  for (std::size_t i = 0; i < x.size(); ++i) pooled.emplace_back(x[i], i);
  for (std::size_t j = 0; j < y.size(); ++j) pooled.emplace_back(y[j], x.size() + j);
  std::ranges::sort(pooled, {}, &std::pair<double, std::size_t>::first);
  Ranked ranked;
  ranked.doubled_rank.assign(total, 0);
  for (std::size_t first = 0; first < total;) {
    std::size_t last = first;
    while (last + 1 < total && pooled[last + 1].first == pooled[first].first) ++last;
    const auto doubled = static_cast<long long>(first + 1 + last + 1);
    for (std::size_t k = first; k <= last; ++k) ranked.doubled_rank[pooled[k].second] = doubled;
    if (last > first) ranked.tie_sizes.push_back(static_cast<int>(last - first + 1));
    first = last + 1;
  }
  for (std::size_t i = 0; i < x.size(); ++i) ranked.doubled_rank_sum_x += ranked.doubled_rank[i];
  return ranked;
}

double u_of_x(const Ranked& ranked, std::size_t n) {
  const double rank_sum = static_cast<double>(ranked.doubled_rank_sum_x) / 2.0;
  return rank_sum - static_cast<double>(n * (n + 1)) / 2.0;
}

/// Upper tail of the standard normal: 1 - Φ(z).
double normal_sf(double z) {
  return 0.5 * std::erfc(z / std::numbers::sqrt2);
}

double binomial(int n, int k) {
  double result = 1;
  for (int i = 1; i <= k; ++i) result = result * (n - k + i) / i;
  return result;
}

}  // namespace

double mann_whitney_exact_p(std::span<const double> x, std::span<const double> y) {
  const Ranked ranked = rank(x, y);
  const std::size_t n = x.size();
  long long max_sum = 0;
  for (const long long r : ranked.doubled_rank) max_sum += r;
  // ways[k][s]: subsets of k pooled values whose doubled ranks add up to s. Counts reach
  // C(60, 30) ~ 1.2e17: doubles keep them to 16 significant digits, plenty for a p-value.
  const auto width = static_cast<std::size_t>(max_sum + 1);
  std::vector<double> ways((n + 1) * width, 0.0);
  ways[0] = 1;
  std::size_t seen = 0;
  for (const long long r : ranked.doubled_rank) {
    ++seen;
    const auto shift = static_cast<std::size_t>(r);
    for (std::size_t k = std::min(n, seen); k >= 1; --k) {
      double* to = &ways[k * width];
      const double* from = &ways[(k - 1) * width];
      for (std::size_t s = width; s-- > shift;) to[s] += from[s - shift];
    }
  }
  const double* counts = &ways[n * width];
  double total = 0;
  double lower = 0;
  double upper = 0;
  const auto observed = static_cast<std::size_t>(ranked.doubled_rank_sum_x);
  for (std::size_t s = 0; s < width; ++s) {
    total += counts[s];
    if (s <= observed) lower += counts[s];
    if (s >= observed) upper += counts[s];
  }
  return std::min(1.0, 2.0 * std::min(lower, upper) / total);
}

double mann_whitney_asymptotic_p(std::span<const double> x, std::span<const double> y) {
  const Ranked ranked = rank(x, y);
  const auto n = static_cast<double>(x.size());
  const auto m = static_cast<double>(y.size());
  const double pooled = n + m;
  const double u_x = u_of_x(ranked, x.size());
  const double u = std::max(u_x, n * m - u_x);
  double tie_term = 0;
  for (const int t : ranked.tie_sizes) tie_term += std::pow(t, 3) - t;
  const double variance = n * m / 12.0 * ((pooled + 1) - tie_term / (pooled * (pooled - 1)));
  if (variance <= 0) return 1.0;  // every value equal
  const double z = (u - n * m / 2.0 - 0.5) / std::sqrt(variance);
  return std::min(1.0, 2.0 * normal_sf(z));
}

MannWhitneyResult mann_whitney_u(std::span<const double> x, std::span<const double> y) {
  const Ranked ranked = rank(x, y);
  MannWhitneyResult result;
  result.u_x = u_of_x(ranked, x.size());
  result.ties = !ranked.tie_sizes.empty();
  if (x.size() + y.size() <= static_cast<std::size_t>(k_mwu_exact_max_pooled)) {
    result.method = MwuMethod::exact;
    result.p_value = mann_whitney_exact_p(x, y);
  } else {
    result.method = MwuMethod::asymptotic;
    result.p_value = mann_whitney_asymptotic_p(x, y);
  }
  return result;
}

double mann_whitney_min_p(int n, int m) {
  if (n <= 0 || m <= 0) return 1.0;
  return std::min(1.0, 2.0 / binomial(n + m, n));
}

int mann_whitney_min_repetitions(double alpha) {
  int r = 1;
  while (mann_whitney_min_p(r, r) > alpha && r < 1000) ++r;
  return r;
}

double normal_quantile(double q) {
  // Bisection on the upper tail: Φ⁻¹ is only needed for a handful of alphas and powers.
  double low = -40;
  double high = 40;
  for (int i = 0; i < 200; ++i) {
    const double mid = (low + high) / 2;
    if (1.0 - normal_sf(mid) < q) {
      low = mid;
    } else {
      high = mid;
    }
  }
  return (low + high) / 2;
}

int repetitions_to_detect(double shift, double sd, double alpha, double power) {
  constexpr int k_cap = 1000;
  const int floor = mann_whitney_min_repetitions(alpha);
  shift = std::abs(shift);
  if (sd <= 0) return floor;
  if (shift <= 0) return k_cap;
  const double z = normal_quantile(1 - alpha / 2) + normal_quantile(power);
  const double t_test = 2 * std::pow(z * sd / shift, 2);
  const double needed = std::ceil(t_test / (3 / std::numbers::pi));
  if (!(needed < k_cap)) return k_cap;
  return std::max(floor, static_cast<int>(needed));
}

}  // namespace poolbench::analysis
