#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "script/random.hpp"
#include "script/value.hpp"

namespace poolbench::script {

/// Slots of the predefined variables: the same in every script, so one ClientState can run
/// every script of a scenario.
inline constexpr std::uint32_t k_slot_scale = 0;
inline constexpr std::uint32_t k_slot_client_id = 1;
inline constexpr std::uint32_t k_slot_default_seed = 2;
inline constexpr std::uint32_t k_slot_random_seed = 3;
inline constexpr std::array<std::string_view, 4> k_predefined_variables = {
    "scale", "client_id", "default_seed", "random_seed"};

/// What a client's predefined variables and random state start from.
struct ClientParams {
  std::int64_t client_id = 0;     ///< `:client_id`, 0-based as in pgbench
  std::int64_t scale = 1;         ///< `:scale`, the dataset's scale factor
  std::int64_t default_seed = 0;  ///< `:default_seed`, seed of hash() and permute()
  std::int64_t random_seed = 0;   ///< `:random_seed`, the run's seed
  std::uint64_t rng_seed = 0;     ///< seed of this client's RandomState
};

/// Parameters of client `client_id`, all derived from the run's seed.
inline ClientParams make_client_params(const SeedSequence& seeds, std::int64_t client_id,
                                       std::int64_t scale) {
  return ClientParams{.client_id = client_id,
                      .scale = scale,
                      .default_seed = seeds.default_seed(),
                      .random_seed = static_cast<std::int64_t>(seeds.random_seed()),
                      .rng_seed = seeds.client_seed(client_id)};
}

/// One client's run-time state: its variables (one value per slot, indexed by the slots a
/// Script resolved at load time) and its random state, plus the text of the last run-time
/// error. Not thread-safe: owned by the thread that runs the client.
class ClientState {
 public:
  /// `slot_count`: the largest Script::slot_count() of the scripts this client runs.
  ClientState(const ClientParams& params, std::size_t slot_count)
      : m_values(std::max(slot_count, k_predefined_variables.size())), m_rng(params.rng_seed) {
    m_values[k_slot_scale] = Value::integer(params.scale);
    m_values[k_slot_client_id] = Value::integer(params.client_id);
    m_values[k_slot_default_seed] = Value::integer(params.default_seed);
    m_values[k_slot_random_seed] = Value::integer(params.random_seed);
  }

  std::size_t slot_count() const noexcept { return m_values.size(); }
  /// Precondition: slot < slot_count() (guaranteed for slots of a Script whose
  /// slot_count() was given to the constructor).
  const Value& variable(std::uint32_t slot) const noexcept { return m_values[slot]; }
  void set_variable(std::uint32_t slot, Value value) noexcept { m_values[slot] = value; }
  std::span<const Value> variables() const noexcept { return m_values; }

  RandomState& rng() noexcept { return m_rng; }

  /// Text of the last run-time error (set when an evaluation returns false).
  const std::string& error() const noexcept { return m_error; }
  void set_error(std::string message) { m_error = std::move(message); }

 private:
  std::vector<Value> m_values;
  RandomState m_rng;
  std::string m_error;
};

}  // namespace poolbench::script
