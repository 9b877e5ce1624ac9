#include "script/random.hpp"

#include <bit>
#include <cmath>
#include <numbers>

namespace poolbench::script {
namespace {

/// splitmix64 step: fills xoroshiro's state from a 64-bit seed (as pg_prng_seed does).
std::uint64_t splitmix64(std::uint64_t& state) noexcept {
  std::uint64_t value = (state += 0x9E3779B97F4A7C15ULL);
  value = (value ^ (value >> 30)) * 0xBF58476D1CE4E5B9ULL;
  value = (value ^ (value >> 27)) * 0x94D049BB133111EBULL;
  return value ^ (value >> 31);
}

constexpr std::uint64_t k_fnv_prime = 0x100000001b3ULL;
constexpr std::uint64_t k_fnv_offset_basis = 0xcbf29ce484222325ULL;
constexpr std::uint64_t k_murmur_multiplier = 0xc6a4a7935bd1e995ULL;
constexpr int k_murmur_shift = 47;

/// lo + floor(width * r) for r in [0, 1): the projection pgbench applies to its
/// non-uniform distributions.
std::int64_t project(std::int64_t lo, std::int64_t hi, double r) noexcept {
  const auto width = static_cast<double>(hi - lo + 1);
  return lo + static_cast<std::int64_t>(width * r);
}

}  // namespace

void RandomState::reseed(std::uint64_t seed) noexcept {
  m_s0 = splitmix64(seed);
  m_s1 = splitmix64(seed);
  if (m_s0 == 0 && m_s1 == 0) {  // all-zero is a fixed point; pg_prng substitutes these
    m_s0 = 0x5851F42D4C957F2DULL;
    m_s1 = 0x14057B7EF767814FULL;
  }
}

double RandomState::normal() noexcept {
  // Both uniforms in (0, 1], so log() never sees 0.
  const double u1 = 1.0 - uniform_double();
  const double u2 = 1.0 - uniform_double();
  return std::sqrt(-2.0 * std::log(u1)) * std::sin(2.0 * std::numbers::pi * u2);
}

std::int64_t SeedSequence::default_seed() const noexcept {
  std::uint64_t state = m_random_seed;
  return static_cast<std::int64_t>(splitmix64(state));
}

std::uint64_t SeedSequence::client_seed(std::int64_t client_id) const noexcept {
  // Two mixing rounds of (seed, id) so neighbouring ids give unrelated streams.
  std::uint64_t state =
      m_random_seed ^ (static_cast<std::uint64_t>(client_id) + 1) * 0xD1B54A32D192ED03ULL;
  splitmix64(state);
  return splitmix64(state);
}

std::int64_t random_exponential(RandomState& rng, std::int64_t lo, std::int64_t hi,
                                double parameter) noexcept {
  const double cut = std::exp(-parameter);
  const double uniform = 1.0 - rng.uniform_double();  // (0, 1]
  // cut + (1 - cut) u is in (cut, 1], so r is in [0, 1).
  const double r = -std::log(cut + (1.0 - cut) * uniform) / parameter;
  return project(lo, hi, r);
}

std::int64_t random_gaussian(RandomState& rng, std::int64_t lo, std::int64_t hi,
                             double parameter) noexcept {
  double z = 0.0;
  do {
    z = rng.normal();
  } while (z < -parameter || z >= parameter);
  const double r = (z + parameter) / (parameter * 2.0);  // [0, 1)
  return project(lo, hi, r);
}

std::int64_t random_zipfian(RandomState& rng, std::int64_t lo, std::int64_t hi, double s) noexcept {
  const std::int64_t n = hi - lo + 1;
  if (n <= 1) return lo;
  // Devroye, Non-Uniform Random Variate Generation (1986), pp. 550-551.
  const double b = std::pow(2.0, s - 1.0);
  double x = 0.0;
  for (;;) {
    const double u = rng.uniform_double();
    const double v = rng.uniform_double();
    x = std::floor(std::pow(u, -1.0 / (s - 1.0)));
    const double t = std::pow(1.0 + 1.0 / x, s - 1.0);
    if (v * x * (t - 1.0) / (b - 1.0) <= t / b && x <= static_cast<double>(n)) break;
  }
  return lo - 1 + static_cast<std::int64_t>(x);
}

std::int64_t hash_fnv1a(std::int64_t value, std::uint64_t seed) noexcept {
  std::uint64_t result = k_fnv_offset_basis ^ seed;
  for (int i = 0; i < 8; ++i) {
    const std::uint64_t octet = static_cast<std::uint64_t>(value) & 0xffU;
    value >>= 8;  // arithmetic shift, as pgbench's int64
    result ^= octet;
    result *= k_fnv_prime;
  }
  return static_cast<std::int64_t>(result);
}

std::int64_t hash_murmur2(std::int64_t value, std::uint64_t seed) noexcept {
  std::uint64_t result = seed ^ (k_murmur_multiplier * 8);  // 8 = sizeof(int64)
  std::uint64_t k = static_cast<std::uint64_t>(value);
  k *= k_murmur_multiplier;
  k ^= k >> k_murmur_shift;
  k *= k_murmur_multiplier;
  result ^= k;
  result *= k_murmur_multiplier;
  result ^= result >> k_murmur_shift;
  result *= k_murmur_multiplier;
  result ^= result >> k_murmur_shift;
  return static_cast<std::int64_t>(result);
}

std::int64_t permute(std::int64_t value, std::int64_t size, std::int64_t seed) noexcept {
  if (size < 2) return 0;
  RandomState rng(static_cast<std::uint64_t>(seed));
  const auto usize = static_cast<std::uint64_t>(size);
  std::uint64_t v = static_cast<std::uint64_t>(value) % usize;
  // Work modulo the largest power of two <= size, on overlapping lower and upper halves,
  // then add a random offset modulo size; six rounds, as pgbench.
  const int mask_bits = 63 - std::countl_zero(usize);
  const std::uint64_t mask = (std::uint64_t{1} << mask_bits) - 1;
  for (int round = 0; round < 6; ++round) {
    std::uint64_t multiplier = (rng.next_u64() & mask) | 1;
    std::uint64_t xor_value = rng.next_u64() & mask;
    if (v <= mask) {
      v = ((v * multiplier) ^ xor_value) & mask;
      v = ((v << 1) & mask) | (v >> (mask_bits - 1));
    }
    multiplier = (rng.next_u64() & mask) | 1;
    xor_value = rng.next_u64() & mask;
    std::uint64_t t = usize - 1 - v;
    if (t <= mask) {
      t = ((t * multiplier) ^ xor_value) & mask;
      t = ((t << 1) & mask) | (t >> (mask_bits - 1));
      v = usize - 1 - t;
    }
    v = (v + rng.uniform_u64(0, usize - 1)) % usize;
  }
  return static_cast<std::int64_t>(v);
}

}  // namespace poolbench::script
