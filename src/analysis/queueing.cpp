#include "analysis/queueing.hpp"

#include <cmath>
#include <limits>

namespace poolbench::analysis {
namespace {

/// Erlang C from B(c, A); the recurrence's next step is cheap, so callers that scan c keep
/// B and call this for each c.
ErlangC erlang_c_from_b(int servers, double arrival_rate_per_s, double mean_hold_s,
                        double offered_load, double b) {
  ErlangC result;
  result.servers = servers;
  result.arrival_rate_per_s = arrival_rate_per_s;
  result.mean_hold_s = mean_hold_s;
  result.offered_load = offered_load;
  result.occupancy = offered_load / servers;
  result.erlang_b = b;
  result.stable = offered_load < servers;
  if (!result.stable) {
    result.p_wait = 1;
    result.mean_wait_s = std::numeric_limits<double>::infinity();
    return result;
  }
  const double c = servers;
  result.p_wait = c * b / (c - offered_load * (1 - b));
  result.mean_wait_s = result.p_wait * mean_hold_s / (c - offered_load);
  return result;
}

double next_b(int k, double offered_load, double previous) {
  return offered_load * previous / (k + offered_load * previous);
}

}  // namespace

double erlang_b(int servers, double offered_load) {
  double b = 1;
  for (int k = 1; k <= servers; ++k) b = next_b(k, offered_load, b);
  return b;
}

double ErlangC::p_wait_longer_than(double t_s) const {
  if (!stable) return 1;
  if (t_s <= 0) return p_wait;
  return p_wait * std::exp(-(servers - offered_load) * t_s / mean_hold_s);
}

double ErlangC::wait_quantile_s(double q) const {
  if (!stable) return std::numeric_limits<double>::infinity();
  const double tail = 1 - q;
  if (p_wait <= tail) return 0;
  return mean_hold_s / (servers - offered_load) * std::log(p_wait / tail);
}

double ErlangC::overload_loss_floor() const {
  if (stable || offered_load <= 0) return 0;
  return 1 - servers / offered_load;
}

ErlangC erlang_c(int servers, double arrival_rate_per_s, double mean_hold_s) {
  const double offered_load = arrival_rate_per_s * mean_hold_s;
  return erlang_c_from_b(servers, arrival_rate_per_s, mean_hold_s, offered_load,
                         erlang_b(servers, offered_load));
}

std::optional<int> erlang_c_smallest_servers(double arrival_rate_per_s, double mean_hold_s,
                                             const WaitTarget& target, int max_servers) {
  const double offered_load = arrival_rate_per_s * mean_hold_s;
  double b = 1;
  for (int c = 1; c <= max_servers; ++c) {
    b = next_b(c, offered_load, b);
    if (offered_load >= c) continue;
    const ErlangC q = erlang_c_from_b(c, arrival_rate_per_s, mean_hold_s, offered_load, b);
    if (target.max_p_wait && q.p_wait > *target.max_p_wait) continue;
    if (target.max_mean_wait_s && q.mean_wait_s > *target.max_mean_wait_s) continue;
    if (target.max_p_wait_longer &&
        q.p_wait_longer_than(target.wait_limit_s) > *target.max_p_wait_longer) {
      continue;
    }
    return c;
  }
  return std::nullopt;
}

LittleCheck little_check(double throughput_rps, double mean_hold_s, double measured_in_use) {
  LittleCheck check;
  check.throughput_rps = throughput_rps;
  check.mean_hold_s = mean_hold_s;
  check.predicted_in_use = throughput_rps * mean_hold_s;
  check.measured_in_use = measured_in_use;
  if (measured_in_use > 0) {
    check.relative_error = (check.predicted_in_use - measured_in_use) / measured_in_use;
  }
  return check;
}

}  // namespace poolbench::analysis
