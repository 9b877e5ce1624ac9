#pragma once

// Universal Scalability Law (Gunther 2007, "Guerrilla Capacity Planning"):
//   X(N) = λ·N / (1 + σ·(N - 1) + κ·N·(N - 1))
// σ: contention (serialisation), κ: coherency (crosstalk), λ: throughput of one unit of
// concurrency. Peak at N* = sqrt((1 - σ) / κ); with κ = 0 throughput approaches λ/σ.
//
// Fitted by nonlinear least squares (Levenberg–Marquardt with Marquardt's diagonal scaling,
// σ and κ projected onto [0, 1], λ > 0), started as R's `usl` package starts: λ = max(X/N),
// σ = 0.01, κ = 1e-4. Pure functions, thread-safe.

#include <optional>
#include <string>
#include <vector>

namespace poolbench::analysis {

/// One measurement: concurrency N (> 0; may be fractional, e.g. a time-weighted mean of
/// connections in use) and throughput X (requests per second).
struct UslPoint {
  double concurrency = 0;
  double throughput = 0;
};

struct UslParams {
  double sigma = 0;   ///< contention, in [0, 1]
  double kappa = 0;   ///< coherency, in [0, 1]
  double lambda = 0;  ///< X(1), requests per second per unit of concurrency
};

/// X(N) for the given parameters.
double usl_throughput(const UslParams& params, double concurrency);

struct UslFit {
  /// "ok", or "not_enough_points" (fewer than 3 distinct N, or fewer points than
  /// parameters), or "no_convergence" (the optimiser hit its iteration limit; the
  /// parameters are the best found).
  std::string status;
  UslParams params;
  double r_squared = 0;  ///< 1 - SSE/SST; 1 when SST = 0 and SSE = 0
  double sse = 0;        ///< sum of squared residuals
  int points = 0;        ///< points used
  int distinct_concurrency = 0;
  int iterations = 0;
  /// sqrt((1 - σ) / κ): the concurrency of peak throughput; none when κ = 0.
  std::optional<double> peak_concurrency;
  /// X(N*); none when κ = 0.
  std::optional<double> peak_throughput;
  /// λ/σ, the ceiling as N grows when κ = 0; none when σ = 0.
  std::optional<double> throughput_limit;
};

/// Fits the USL. Points with N <= 0 or a non-finite value are ignored. Two N closer than
/// 1e-6 relative count as one distinct value. Needs >= 3 distinct N.
UslFit fit_usl(const std::vector<UslPoint>& points);

}  // namespace poolbench::analysis
