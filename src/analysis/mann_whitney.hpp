#pragma once

// The Mann-Whitney U (Wilcoxon rank-sum) test behind `poolbench compare`: does the current
// run's sample of a metric (one value per repetition) come from the same distribution as
// the baseline's? Two-sided; no assumption about the shape of the distribution, so a p99
// latency (skewed, with outliers) is judged as fairly as a throughput.
//
// Conventions follow scipy.stats.mannwhitneyu: U of the first sample counts the pairs
// (x_i, y_j) with x_i > y_j, ties counting one half (U_x + U_y = n·m); the two-sided p-value
// doubles the smaller tail, capped at 1.

#include <span>

namespace poolbench::analysis {

enum class MwuMethod {
  exact,       ///< the permutation distribution of the rank sum (conditional on ties)
  asymptotic,  ///< normal approximation with tie and continuity corrections
};

struct MannWhitneyResult {
  double u_x = 0;      ///< U of the first sample
  double p_value = 1;  ///< two-sided
  MwuMethod method = MwuMethod::exact;
  bool ties = false;  ///< some values occur more than once in the pooled sample
};

/// Pooled samples up to this size get the exact distribution (a subset-sum table of
/// n × N(N+1) entries: about 0.1 ms at 20, a few ms at 60); larger ones the normal one.
inline constexpr int k_mwu_exact_max_pooled = 60;

/// Two-sided test of x against y. Both must be non-empty. Exact (no ties: scipy's
/// method="exact"; ties: the exact permutation distribution of the midrank sum) when
/// n + m <= k_mwu_exact_max_pooled, else asymptotic. All values equal: p = 1.
MannWhitneyResult mann_whitney_u(std::span<const double> x, std::span<const double> y);

/// The exact two-sided p-value: every way of choosing which n of the pooled N values are
/// x is equally likely under the null hypothesis; midranks for ties.
double mann_whitney_exact_p(std::span<const double> x, std::span<const double> y);

/// scipy's method="asymptotic" with use_continuity=True: z = (max(U_x, U_y) - n·m/2 - 1/2)
/// / σ, σ² = n·m/12 · ((N+1) - Σ(t³-t)/(N(N-1))) over tie groups of size t; p = 2·(1-Φ(z)).
double mann_whitney_asymptotic_p(std::span<const double> x, std::span<const double> y);

/// The smallest two-sided p-value samples of n and m untied values can give: 2 / C(n+m, n)
/// (both samples entirely apart). Above alpha, the test can never find a difference.
double mann_whitney_min_p(int n, int m);

/// The smallest r such that r against r repetitions can reach `alpha` (4 for 0.05).
int mann_whitney_min_repetitions(double alpha);

/// Repetitions per side for the test to detect a shift of `shift` (in the metric's units)
/// under noise of standard deviation `sd` with the given power at two-sided `alpha`: the
/// normal-theory size 2·((z_{1-α/2} + z_power)·sd/shift)², divided by the test's
/// asymptotic relative efficiency against the t-test for normal data (3/π), never fewer
/// than mann_whitney_min_repetitions(alpha). Capped at 1000 (shift ~ 0).
int repetitions_to_detect(double shift, double sd, double alpha, double power = 0.8);

/// The standard normal quantile Φ⁻¹(q), 0 < q < 1.
double normal_quantile(double q);

}  // namespace poolbench::analysis
