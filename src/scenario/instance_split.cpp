#include "scenario/instance_split.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace poolbench::scenario {
namespace {

constexpr double k_golden = 0.6180339887498949;

std::vector<double> normalised(const std::vector<double>& shares) {
  std::vector<double> out = shares.empty() ? std::vector<double>{1.0} : shares;
  const double total = std::accumulate(out.begin(), out.end(), 0.0);
  for (double& share : out) share /= total;
  return out;
}

}  // namespace

std::vector<std::size_t> assign_clients(int clients, const std::vector<double>& shares) {
  const auto weights = normalised(shares);
  const std::size_t n = weights.size();
  // Largest remainder: floors first, then one more to the largest fractional parts.
  std::vector<int> counts(n);
  std::vector<std::pair<double, std::size_t>> remainders;
  int given = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const double exact = weights[i] * clients;
    counts[i] = static_cast<int>(std::floor(exact));
    given += counts[i];
    remainders.emplace_back(exact - counts[i], i);
  }
  std::stable_sort(remainders.begin(), remainders.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });
  for (std::size_t k = 0; given < clients; ++k, ++given) ++counts[remainders[k % n].second];
  // Interleave: repeatedly take one client from each instance that still has some, so
  // client c (on worker c % threads) does not cluster instances on one worker.
  std::vector<std::size_t> out;
  out.reserve(static_cast<std::size_t>(clients));
  while (static_cast<int>(out.size()) < clients) {
    for (std::size_t i = 0; i < n; ++i) {
      if (counts[i] > 0) {
        out.push_back(i);
        --counts[i];
      }
    }
  }
  return out;
}

InstancePicker::InstancePicker(const std::vector<double>& shares, double offset)
    : m_position(offset - std::floor(offset)) {
  double sum = 0;
  for (const double share : normalised(shares)) m_cumulative.push_back(sum += share);
  m_cumulative.back() = 1.0;
}

std::size_t InstancePicker::next() noexcept {
  m_position += k_golden;
  if (m_position >= 1.0) m_position -= 1.0;
  const auto it = std::upper_bound(m_cumulative.begin(), m_cumulative.end(), m_position);
  return std::min<std::size_t>(static_cast<std::size_t>(it - m_cumulative.begin()),
                               m_cumulative.size() - 1);
}

}  // namespace poolbench::scenario
