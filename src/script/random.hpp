#pragma once

#include <bit>
#include <cstdint>

namespace poolbench::script {

/// Seedable pseudo-random generator: xoroshiro128** 1.0 (Blackman and Vigna), seeded
/// through splitmix64, the generator pgbench uses (src/common/pg_prng.c). Given the same
/// seed it produces the same sequence as pg_prng, so `permute()` agrees with pgbench.
///
/// Not thread-safe: one state per client (the generator's per-client random state).
/// Not cryptographically secure.
class RandomState {
 public:
  explicit RandomState(std::uint64_t seed = 0) noexcept { reseed(seed); }

  void reseed(std::uint64_t seed) noexcept;

  /// Uniform over [0, 2^64).
  std::uint64_t next_u64() noexcept {
    const std::uint64_t s0 = m_s0;
    const std::uint64_t sx = m_s1 ^ s0;
    const std::uint64_t value = rotl(s0 * 5, 7) * 9;
    m_s0 = rotl(s0, 24) ^ sx ^ (sx << 16);
    m_s1 = rotl(sx, 37);
    return value;
  }

  /// Uniform over [lo, hi] (inclusive), unbiased (bitmask rejection); lo when hi <= lo.
  /// Inline: one per `random()` of a script, on every request.
  std::uint64_t uniform_u64(std::uint64_t lo, std::uint64_t hi) noexcept {
    if (hi <= lo) return lo;
    const std::uint64_t range = hi - lo;
    // Keep the top bits: a draw is below 2 * (range + 1), so on average < 2 iterations.
    const int shift = std::countl_zero(range);
    std::uint64_t value = 0;
    do {
      value = next_u64() >> shift;
    } while (value > range);
    return lo + value;
  }

  /// Uniform over [0.0, 1.0) with 52 random mantissa bits (the top 52 bits of a draw,
  /// scaled by 2^-52: exact, the same as ldexp(bits, -52)).
  double uniform_double() noexcept {
    constexpr int k_mantissa_bits = 52;
    constexpr double k_two_to_minus_52 = 0x1p-52;
    return static_cast<double>(next_u64() >> (64 - k_mantissa_bits)) * k_two_to_minus_52;
  }

  /// Standard normal N(0, 1) by the Box-Muller transform (one output per two draws).
  double normal() noexcept;

 private:
  static constexpr std::uint64_t rotl(std::uint64_t x, int bits) noexcept {
    return (x << bits) | (x >> (64 - bits));
  }

  std::uint64_t m_s0 = 0;
  std::uint64_t m_s1 = 0;
};

/// Per-run seeds, derived deterministically from the run's `random_seed` so that a run is
/// reproducible and each client's sequence does not depend on which thread runs it.
class SeedSequence {
 public:
  explicit SeedSequence(std::uint64_t random_seed) noexcept : m_random_seed(random_seed) {}

  /// The run's `random_seed` (the value of the script variable `:random_seed`).
  std::uint64_t random_seed() const noexcept { return m_random_seed; }
  /// The value of `:default_seed` (hash and permute seed), the same for every client.
  std::int64_t default_seed() const noexcept;
  /// Seed of client `client_id`'s random state.
  std::uint64_t client_seed(std::int64_t client_id) const noexcept;

 private:
  std::uint64_t m_random_seed;
};

// Distributions, exactly as pgbench defines them. Preconditions (checked by the expression
// evaluator before calling, with pgbench's error messages): lo <= hi and hi - lo + 1 does
// not overflow int64.

/// pgbench `random(lo, hi)` (getrand): uniform over [lo, hi] inclusive.
inline std::int64_t random_uniform(RandomState& rng, std::int64_t lo, std::int64_t hi) noexcept {
  const auto span = static_cast<std::uint64_t>(hi) - static_cast<std::uint64_t>(lo);
  return static_cast<std::int64_t>(static_cast<std::uint64_t>(lo) + rng.uniform_u64(0, span));
}

/// pgbench `random_exponential(lo, hi, parameter)` (getExponentialRand), parameter > 0:
/// cut = e^-p, u in (0, 1], r = -ln(cut + (1 - cut) u) / p, value lo + floor((hi-lo+1) r).
std::int64_t random_exponential(RandomState& rng, std::int64_t lo, std::int64_t hi,
                                double parameter) noexcept;

/// Smallest `random_gaussian` parameter pgbench accepts.
inline constexpr double k_min_gaussian_parameter = 2.0;
/// pgbench `random_gaussian(lo, hi, parameter)` (getGaussianRand), parameter >= 2: draws
/// z ~ N(0,1) until -p <= z < p, r = (z + p) / 2p, value lo + floor((hi-lo+1) r).
std::int64_t random_gaussian(RandomState& rng, std::int64_t lo, std::int64_t hi,
                             double parameter) noexcept;

/// Range of the `random_zipfian` parameter pgbench accepts.
inline constexpr double k_min_zipfian_parameter = 1.001;
inline constexpr double k_max_zipfian_parameter = 1000.0;
/// pgbench `random_zipfian(lo, hi, s)` (computeIterativeZipfian, Devroye's rejection
/// method), s in [1.001, 1000]: P(lo - 1 + k) proportional to k^-s for k in 1..n.
std::int64_t random_zipfian(RandomState& rng, std::int64_t lo, std::int64_t hi, double s) noexcept;

/// pgbench `hash_fnv1a(value, seed)`: FNV-1a over the 8 bytes of value, offset basis
/// xor seed.
std::int64_t hash_fnv1a(std::int64_t value, std::uint64_t seed) noexcept;

/// pgbench `hash_murmur2(value, seed)` (also `hash`): MurmurHash64A of the 8-byte value.
std::int64_t hash_murmur2(std::int64_t value, std::uint64_t seed) noexcept;

/// pgbench `permute(value, size, seed)`: a pseudorandom permutation of [0, size) applied to
/// value mod size; size must be > 0 (checked by the caller). Same result as pgbench's.
std::int64_t permute(std::int64_t value, std::int64_t size, std::int64_t seed) noexcept;

}  // namespace poolbench::script
