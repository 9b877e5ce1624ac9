#include "analysis/finite_source.hpp"

#include <algorithm>
#include <cmath>

namespace poolbench::analysis {
namespace {

/// Bisection steps of wait_quantile_s: each halves the bracket; 200 reach any double.
constexpr int k_bisection_steps = 200;
constexpr double k_quantile_relative_precision = 1e-9;

/// p(k) for k in [0, N], normalised: log-space weights, so N = 10 000 clients with a think
/// time near 0 (h/Z huge) neither overflows nor underflows. Z = 0 is the limit: every client
/// is always at the pool (p(N) = 1).
std::vector<double> stationary(int clients, int servers, double think_s, double hold_s) {
  std::vector<double> p(static_cast<std::size_t>(clients) + 1, 0.0);
  if (think_s <= 0) {
    p.back() = 1;
    return p;
  }
  const double log_ratio = std::log(hold_s / think_s);
  std::vector<double> log_w(p.size(), 0.0);
  for (int k = 1; k <= clients; ++k) {
    log_w[k] = log_w[k - 1] + std::log(static_cast<double>(clients - k + 1)) -
               std::log(static_cast<double>(std::min(k, servers))) + log_ratio;
  }
  const double top = *std::max_element(log_w.begin(), log_w.end());
  double sum = 0;
  for (std::size_t k = 0; k < p.size(); ++k) sum += p[k] = std::exp(log_w[k] - top);
  for (double& value : p) value /= sum;
  return p;
}

/// What an arriving client finds (the arrival theorem): weights (N - k)·p(k), k < N. With
/// Z = 0 an arrival is a client that just checked in: it finds the N - 1 others.
std::vector<double> seen_by_arrivals(const std::vector<double>& p, int clients, double think_s) {
  std::vector<double> seen(static_cast<std::size_t>(clients), 0.0);
  if (think_s <= 0) {
    seen.back() = 1;
    return seen;
  }
  double sum = 0;
  for (int k = 0; k < clients; ++k) sum += seen[k] = (clients - k) * p[k];
  for (double& value : seen) value /= sum;
  return seen;
}

}  // namespace

FiniteSource finite_source(int clients, int servers, double think_s, double hold_s) {
  FiniteSource model;
  model.clients = std::max(clients, 1);
  model.servers = std::max(servers, 1);
  model.think_s = std::max(think_s, 0.0);
  model.hold_s = hold_s;
  const std::vector<double> p = stationary(model.clients, model.servers, model.think_s, hold_s);
  double busy = 0;
  for (int k = 0; k <= model.clients; ++k) {
    busy += p[k] * std::min(k, model.servers);
    model.mean_waiting += p[k] * std::max(k - model.servers, 0);
  }
  model.mean_in_use = busy;
  model.throughput_per_s = busy / hold_s;
  model.utilization = busy / model.servers;
  model.mean_wait_s = model.throughput_per_s > 0 ? model.mean_waiting / model.throughput_per_s : 0;
  model.arrival_sees = seen_by_arrivals(p, model.clients, model.think_s);
  for (int k = model.servers; k < model.clients; ++k) model.p_wait += model.arrival_sees[k];
  return model;
}

double FiniteSource::p_wait_longer_than(double t_s) const {
  if (t_s <= 0) return p_wait;
  // An arrival that finds k >= c others waits for j + 1 = k - c + 1 check-ins at rate c/h:
  // P(Erlang(j + 1) > t) = P(Poisson(x) <= j), x = c·t/h, summed as j grows.
  const double x = servers * t_s / hold_s;
  double log_term = -x;  // log P(Poisson(x) = 0)
  double cdf = 0;
  double tail = 0;
  for (int k = servers; k < clients; ++k) {
    const int j = k - servers;
    if (j > 0) log_term += std::log(x) - std::log(static_cast<double>(j));
    cdf = std::min(1.0, cdf + std::exp(log_term));
    tail += arrival_sees[k] * cdf;
  }
  return tail;
}

double FiniteSource::wait_quantile_s(double q) const {
  const double tail = 1 - q;
  if (p_wait <= tail || mean_wait_s <= 0) return 0;
  // Markov: P(wait > E[W] / tail) <= tail, so the quantile lies in [0, E[W] / tail].
  double low = 0;
  double high = mean_wait_s / tail;
  for (int step = 0; step < k_bisection_steps; ++step) {
    const double mid = (low + high) / 2;
    (p_wait_longer_than(mid) > tail ? low : high) = mid;
    if (high - low <= k_quantile_relative_precision * high) break;
  }
  return (low + high) / 2;
}

}  // namespace poolbench::analysis
