#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

// How the load is split over app instances (pools) with different shares: closed-loop
// clients by largest remainder, open-loop requests by a low-discrepancy sequence, so every
// instance gets its share exactly (clients) or within one request of it (arrivals).

namespace poolbench::scenario {

/// Instance index of each of `clients` clients: instance i gets round(share_i x clients) of
/// them (largest remainder, so the counts add up), interleaved so that client ids spread
/// over worker threads evenly. Empty `shares`: all equal (1 instance when there is none).
std::vector<std::size_t> assign_clients(int clients, const std::vector<double>& shares);

/// Picks instances for a stream of requests in proportion to `shares`: the n-th pick uses
/// the golden-ratio sequence frac(offset + n x 0.618...), whose counts stay within a few of
/// n x share for every prefix. Not thread-safe: one per worker.
class InstancePicker {
 public:
  InstancePicker(const std::vector<double>& shares, double offset);
  std::size_t next() noexcept;

 private:
  std::vector<double> m_cumulative;  ///< normalised, last = 1
  double m_position;
};

}  // namespace poolbench::scenario
