#pragma once

// The closed-loop queueing model of a connection pool: the finite-source queue M/M/c//N (the
// machine-repairman model). N clients each spend a mean `think` time away from the pool (think
// time plus application time outside it), then check out one of c = pool_size + max_overflow
// connections, waiting first-come first-served when all are busy, and hold it for a mean
// `hold` time (exponential). With k clients at the pool, clients arrive at rate (N - k) / Z
// and leave at rate min(k, c) / h, so p(k) ∝ C(N, k)·(h/Z)^k for k <= c and
// N! / ((N - k)!·c!·c^(k - c))·(h/Z)^k beyond. The stationary distribution does not depend on
// the think-time distribution, so fixed think times are fine; the hold must be exponential.
//
// An arriving client sees the pool as it is with N - 1 clients (the arrival theorem): it waits
// when it finds k >= c others, for k - c + 1 check-ins at rate c / h (an Erlang wait).
// Infinite patience: waiters never time out, so P(wait > pool_timeout) estimates the timeout
// rate of a pool whose waiters rarely give up. Pure functions, thread-safe.

#include <vector>

namespace poolbench::analysis {

struct FiniteSource {
  int clients = 0;              ///< N >= 1
  int servers = 0;              ///< c >= 1
  double think_s = 0;           ///< Z >= 0: mean time a client spends away from the pool
  double hold_s = 0;            ///< h > 0: mean time a checkout holds a connection
  double throughput_per_s = 0;  ///< X = sum p(k)·min(k, c) / h: checkouts per second
  double utilization = 0;       ///< X·h / c: the mean share of the c connections in use
  double mean_in_use = 0;       ///< X·h: connections checked out on average (Little)
  double mean_waiting = 0;      ///< Lq = sum p(k)·(k - c) for k > c
  double p_wait = 0;            ///< the share of checkouts that wait at all
  double mean_wait_s = 0;       ///< Wq = Lq / X (Little)
  /// What an arriving client finds: arrival_sees[k] = P(k other clients at the pool), k in
  /// [0, N - 1]. Stored for the wait distribution.
  std::vector<double> arrival_sees;

  /// P(wait > t), t in seconds >= 0: sum over k >= c of arrival_sees[k]·P(Erlang(k - c + 1,
  /// c/h) > t).
  double p_wait_longer_than(double t_s) const;
  /// The q-quantile of the wait (q in (0, 1)), seconds: 0 when P(wait) <= 1 - q, else the t
  /// with P(wait > t) = 1 - q (bisection, to 1e-9 relative).
  double wait_quantile_s(double q) const;
};

/// M/M/c//N for `clients` clients, `servers` connections, mean think `think_s` (0: every
/// client asks again the moment it checks in) and mean hold `hold_s` (> 0). Exact in double
/// precision for any N (log-space weights); O(N) time and memory.
FiniteSource finite_source(int clients, int servers, double think_s, double hold_s);

}  // namespace poolbench::analysis
