#pragma once

// Queueing models of a connection pool: Little's law and Erlang C (M/M/c) for open loops
// (finite_source.hpp has the closed-loop model).
// A pool of c = pool_size + max_overflow connections is c servers; a checkout is a customer
// that holds a connection for a mean `hold` time; requests arrive at `arrival_rate_per_s`.
// The offered load is A = λ·h erlangs (mean connections busy if nobody ever waited).
//
// Erlang C assumes Poisson arrivals, exponential holds and infinite patience: a pool that
// times waiters out (pool_timeout) loses some of the queue, so P(wait > pool_timeout) is an
// upper estimate of the timeout rate of a stable pool. Pure functions, no state, thread-safe.

#include <optional>

namespace poolbench::analysis {

/// Erlang B blocking probability B(c, A) by the stable recurrence B0 = 1,
/// Bk = A·B(k-1) / (k + A·B(k-1)). `servers` >= 0, `offered_load` >= 0 (erlangs).
double erlang_b(int servers, double offered_load);

/// Erlang C (M/M/c) for one pool. Units: seconds and requests per second.
struct ErlangC {
  int servers = 0;                ///< c
  double arrival_rate_per_s = 0;  ///< λ
  double mean_hold_s = 0;         ///< h
  double offered_load = 0;        ///< A = λ·h, erlangs
  double occupancy = 0;           ///< A / c (>= 1 when unstable)
  bool stable = false;            ///< A < c; when false the queue grows without bound
  double erlang_b = 0;            ///< B(c, A)
  double p_wait = 1;              ///< P(wait > 0) = c·B / (c - A·(1 - B)); 1 when unstable
  double mean_wait_s = 0;         ///< Wq = P(wait)·h / (c - A); +inf when unstable

  /// P(wait > t) = P(wait)·exp(-(c - A)·t / h); 1 when unstable. t in seconds, >= 0.
  double p_wait_longer_than(double t_s) const;
  /// The q-quantile of the wait (q in (0, 1), e.g. 0.99), seconds: the t with
  /// P(wait > t) = 1 - q, i.e. h / (c - A) · ln(P(wait) / (1 - q)); 0 when P(wait) <= 1 - q
  /// (that share of checkouts does not wait at all); +inf when unstable.
  double wait_quantile_s(double q) const;
  /// When unstable, at least 1 - c/A of the arrivals cannot be served (the pool completes
  /// at most c/h per second); 0 when stable. The floor of the timeout rate of an overloaded
  /// pool whatever its pool_timeout.
  double overload_loss_floor() const;
};

/// Erlang C for `servers` connections, arrival rate λ (1/s) and mean hold h (s).
/// Requires servers >= 1, arrival_rate_per_s >= 0, mean_hold_s > 0.
ErlangC erlang_c(int servers, double arrival_rate_per_s, double mean_hold_s);

/// What a pool must achieve; each target that is set must hold.
struct WaitTarget {
  std::optional<double> max_p_wait;       ///< P(wait > 0) <= this
  std::optional<double> max_mean_wait_s;  ///< Wq <= this
  /// P(wait > wait_limit_s) <= max_p_wait_longer (e.g. the timeout rate at pool_timeout)
  std::optional<double> max_p_wait_longer;
  double wait_limit_s = 0;
};

/// The smallest c (>= 1) whose Erlang C meets every target that is set (c > A always, so a
/// target with nothing set gives floor(A) + 1). nullopt when no c <= max_servers does.
/// Metrics are monotone in c, so the scan stops at the first c that meets the targets.
std::optional<int> erlang_c_smallest_servers(double arrival_rate_per_s, double mean_hold_s,
                                             const WaitTarget& target, int max_servers = 100000);

/// Little's law L = λ·W applied to a pool: mean connections in use = checkout rate × mean
/// hold. poolbench uses completed requests per second as the rate (under per_request
/// checkout one checkout per completed request; timed-out requests never held a
/// connection), so under per_statement checkout the prediction counts one hold per request.
struct LittleCheck {
  double throughput_rps = 0;
  double mean_hold_s = 0;
  double predicted_in_use = 0;           ///< throughput_rps × mean_hold_s
  double measured_in_use = 0;            ///< the time-weighted mean of checked_out
  std::optional<double> relative_error;  ///< (predicted - measured) / measured; none if 0
};

LittleCheck little_check(double throughput_rps, double mean_hold_s, double measured_in_use);

}  // namespace poolbench::analysis
