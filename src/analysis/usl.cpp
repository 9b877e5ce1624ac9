#include "analysis/usl.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <limits>

namespace poolbench::analysis {
namespace {

constexpr int k_params = 3;  // λ, σ, κ (in that order in the vectors below)
constexpr int k_max_iterations = 1000;
using Vec = std::array<double, k_params>;
using Mat = std::array<Vec, k_params>;

UslParams to_params(const Vec& p) {
  return {p[1], p[2], p[0]};
}

Vec project(Vec p) {
  p[0] = std::max(p[0], std::numeric_limits<double>::min());
  p[1] = std::clamp(p[1], 0.0, 1.0);
  p[2] = std::clamp(p[2], 0.0, 1.0);
  return p;
}

double sse_of(const std::vector<UslPoint>& points, const Vec& p) {
  double sse = 0;
  for (const auto& point : points) {
    const double r = point.throughput - usl_throughput(to_params(p), point.concurrency);
    sse += r * r;
  }
  return sse;
}

/// Solves a·x = b for the `free` unknowns (the others are 0) by Gaussian elimination with
/// partial pivoting. Returns false when the system is singular.
bool solve(Mat a, Vec b, const std::array<bool, k_params>& free, Vec& x) {
  std::array<int, k_params> index{};
  int n = 0;
  for (int j = 0; j < k_params; ++j) {
    if (free[j]) index[n++] = j;
  }
  x = {0, 0, 0};
  Mat m{};
  Vec rhs{};
  for (int r = 0; r < n; ++r) {
    for (int c = 0; c < n; ++c) m[r][c] = a[index[r]][index[c]];
    rhs[r] = b[index[r]];
  }
  for (int col = 0; col < n; ++col) {
    int pivot = col;
    for (int r = col + 1; r < n; ++r) {
      if (std::abs(m[r][col]) > std::abs(m[pivot][col])) pivot = r;
    }
    if (!(std::abs(m[pivot][col]) > 1e-300)) return false;
    std::swap(m[pivot], m[col]);
    std::swap(rhs[pivot], rhs[col]);
    for (int r = col + 1; r < n; ++r) {
      const double f = m[r][col] / m[col][col];
      for (int c = col; c < n; ++c) m[r][c] -= f * m[col][c];
      rhs[r] -= f * rhs[col];
    }
  }
  Vec y{};
  for (int r = n - 1; r >= 0; --r) {
    double s = rhs[r];
    for (int c = r + 1; c < n; ++c) s -= m[r][c] * y[c];
    y[r] = s / m[r][r];
  }
  for (int r = 0; r < n; ++r) x[index[r]] = y[r];
  return true;
}

int count_distinct(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  int distinct = 0;
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i == 0 || values[i] - values[i - 1] > 1e-6 * std::max(std::abs(values[i]), 1.0)) {
      ++distinct;
    }
  }
  return distinct;
}

/// One Levenberg–Marquardt minimisation from `start`. The Jacobian's columns are scaled to
/// unit norm (Marquardt's scaling: λ ~ 1e2 and κ ~ 1e-4 differ by six orders), and a
/// parameter on a bound whose step points outwards is held there for that step.
UslFit minimise(const std::vector<UslPoint>& points, Vec p) {
  UslFit fit;
  fit.status = "no_convergence";
  double sse = sse_of(points, p);
  double mu = 1e-3;
  for (int iteration = 1; iteration <= k_max_iterations; ++iteration) {
    fit.iterations = iteration;
    Mat jtj{};
    Vec jtr{};
    Vec norm{};
    std::vector<Vec> jac(points.size());
    for (std::size_t i = 0; i < points.size(); ++i) {
      const double n = points[i].concurrency;
      const double d = 1 + p[1] * (n - 1) + p[2] * n * (n - 1);
      jac[i] = {n / d, -p[0] * n * (n - 1) / (d * d), -p[0] * n * n * (n - 1) / (d * d)};
      for (int j = 0; j < k_params; ++j) norm[j] += jac[i][j] * jac[i][j];
    }
    for (auto& v : norm) v = v > 0 ? std::sqrt(v) : 1;
    for (std::size_t i = 0; i < points.size(); ++i) {
      const double r = points[i].throughput - usl_throughput(to_params(p), points[i].concurrency);
      for (int j = 0; j < k_params; ++j) {
        const double jj = jac[i][j] / norm[j];
        jtr[j] += jj * r;
        for (int k = 0; k < k_params; ++k) jtj[j][k] += jj * jac[i][k] / norm[k];
      }
    }
    bool improved = false;
    while (mu < 1e30) {
      Mat a = jtj;
      for (int j = 0; j < k_params; ++j) a[j][j] += mu * std::max(jtj[j][j], 1e-300);
      std::array<bool, k_params> free = {true, true, true};
      Vec step{};
      bool ok = solve(a, jtr, free, step);
      // Hold a parameter on its bound when the step would push it out, and solve again.
      bool changed = false;
      for (int j = 1; j < k_params && ok; ++j) {
        const double to = p[j] + step[j] / norm[j];
        if ((p[j] <= 0 && to < 0) || (p[j] >= 1 && to > 1)) {
          free[j] = false;
          changed = true;
        }
      }
      if (ok && changed) ok = solve(a, jtr, free, step);
      if (!ok) {
        mu *= 10;
        continue;
      }
      Vec trial = p;
      for (int j = 0; j < k_params; ++j) trial[j] += step[j] / norm[j];
      trial = project(trial);
      const double trial_sse = sse_of(points, trial);
      if (std::isfinite(trial_sse) && trial_sse <= sse) {
        const double decrease = sse - trial_sse;
        double relative_step = 0;
        for (int j = 0; j < k_params; ++j) {
          relative_step =
              std::max(relative_step, std::abs(trial[j] - p[j]) / std::max(std::abs(p[j]), 1e-12));
        }
        p = trial;
        sse = trial_sse;
        mu = std::max(mu / 10, 1e-12);
        improved = true;
        if (decrease <= 1e-15 * std::max(sse, 1e-300) || relative_step < 1e-12) {
          fit.status = "ok";
        }
        break;
      }
      mu *= 10;
    }
    if (!improved) fit.status = "ok";  // no step lowers the SSE: a (bounded) minimum
    if (fit.status == "ok") break;
  }
  fit.params = to_params(p);
  fit.sse = sse;
  return fit;
}

}  // namespace

double usl_throughput(const UslParams& params, double concurrency) {
  const double n = concurrency;
  return params.lambda * n / (1 + params.sigma * (n - 1) + params.kappa * n * (n - 1));
}

UslFit fit_usl(const std::vector<UslPoint>& input) {
  std::vector<UslPoint> points;
  std::vector<double> concurrency;
  for (const auto& point : input) {
    if (!(point.concurrency > 0) || !std::isfinite(point.concurrency) ||
        !std::isfinite(point.throughput)) {
      continue;
    }
    points.push_back(point);
    concurrency.push_back(point.concurrency);
  }
  UslFit fit;
  fit.points = static_cast<int>(points.size());
  fit.distinct_concurrency = count_distinct(concurrency);
  if (fit.distinct_concurrency < 3) {
    fit.status = "not_enough_points";
    return fit;
  }
  // R usl's start: λ = max(X/N), σ = 0.01, κ = 1e-4.
  double lambda = 0;
  for (const auto& point : points) lambda = std::max(lambda, point.throughput / point.concurrency);
  if (!(lambda > 0)) lambda = 1;
  const int distinct = fit.distinct_concurrency;
  fit = minimise(points, {lambda, 0.01, 1e-4});
  fit.points = static_cast<int>(points.size());
  fit.distinct_concurrency = distinct;

  double mean = 0;
  for (const auto& point : points) mean += point.throughput;
  mean /= static_cast<double>(points.size());
  double sst = 0;
  for (const auto& point : points) sst += (point.throughput - mean) * (point.throughput - mean);
  fit.r_squared = sst > 0 ? 1 - fit.sse / sst : (fit.sse == 0 ? 1 : 0);

  const auto& p = fit.params;
  if (p.kappa > 0) {
    fit.peak_concurrency = std::sqrt((1 - p.sigma) / p.kappa);
    fit.peak_throughput = usl_throughput(p, *fit.peak_concurrency);
  }
  if (p.sigma > 0) fit.throughput_limit = p.lambda / p.sigma;
  return fit;
}

}  // namespace poolbench::analysis
