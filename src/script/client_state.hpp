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

/// How a variable slot holds its value.
enum class SlotKind : std::uint8_t {
  unset,      ///< never set: reading it is a run-time error (pgbench: undefined variable)
  value,      ///< set by `\set` (or predefined)
  text,       ///< set by `\gset`/`\aset`: its text, and the value that text reads as
  malformed,  ///< set by `\gset`/`\aset` to a text that is no number, boolean or NULL:
              ///< usable in SQL, an error in an expression (pgbench's "malformed variable")
};

/// Reads `text` as pgbench reads a variable's text in an expression (makeVariableValue):
/// "null" (any case) is NULL; a prefix of true/yes, or "on", is true; a prefix of false/no,
/// or "off"/"of", is false; an integer (surrounding blanks allowed) is an int; else a
/// double. False when it is none of these (or an out-of-range integer).
bool text_to_value(std::string_view text, Value& out) noexcept;

/// One client's run-time state: its variables (one value per slot, indexed by the slots a
/// Script resolved at load time) and its random state, plus the text of the last run-time
/// error. Not thread-safe: owned by the thread that runs the client.
class ClientState {
 public:
  /// `slot_count`: the largest Script::slot_count() of the scripts this client runs. The
  /// predefined variables are set; every other slot starts unset.
  ClientState(const ClientParams& params, std::size_t slot_count)
      : m_values(std::max(slot_count, k_predefined_variables.size())),
        m_kinds(m_values.size(), SlotKind::unset),
        m_rng(params.rng_seed) {
    set_variable(k_slot_scale, Value::integer(params.scale));
    set_variable(k_slot_client_id, Value::integer(params.client_id));
    set_variable(k_slot_default_seed, Value::integer(params.default_seed));
    set_variable(k_slot_random_seed, Value::integer(params.random_seed));
  }

  std::size_t slot_count() const noexcept { return m_values.size(); }
  /// The value of a slot (NULL while unset; see kind()). Precondition: slot <
  /// slot_count() (guaranteed for slots of a Script whose slot_count() was given to the
  /// constructor).
  const Value& variable(std::uint32_t slot) const noexcept { return m_values[slot]; }
  SlotKind kind(std::uint32_t slot) const noexcept { return m_kinds[slot]; }
  /// True when the slot may be read in an expression (set, and not a malformed text).
  bool readable(std::uint32_t slot) const noexcept {
    return m_kinds[slot] == SlotKind::value || m_kinds[slot] == SlotKind::text;
  }
  void set_variable(std::uint32_t slot, Value value) noexcept {
    m_values[slot] = value;
    m_kinds[slot] = SlotKind::value;
  }
  /// Stores a result's text (`\gset`, `\aset`): kept as text for SQL, read as
  /// text_to_value() in expressions.
  void set_text(std::uint32_t slot, std::string_view text) {
    if (m_texts.size() <= slot) m_texts.resize(m_values.size());
    m_texts[slot].assign(text);
    Value value;
    const bool ok = text_to_value(text, value);
    m_values[slot] = ok ? value : Value::null();
    m_kinds[slot] = ok ? SlotKind::text : SlotKind::malformed;
  }
  /// The text of a slot set by set_text(). Precondition: kind() is text or malformed.
  const std::string& text(std::uint32_t slot) const noexcept { return m_texts[slot]; }
  std::span<const Value> variables() const noexcept { return m_values; }

  /// The names of the running script's slots, for run-time messages (the caller keeps
  /// them alive while the script runs). Empty: messages say "a variable".
  void set_names(std::span<const std::string> names) noexcept { m_names = names; }
  /// Why `slot` cannot be read in an expression (precondition: !readable(slot)).
  std::string unreadable_message(std::uint32_t slot) const;

  RandomState& rng() noexcept { return m_rng; }

  /// Text of the last run-time error (set when an evaluation returns false).
  const std::string& error() const noexcept { return m_error; }
  void set_error(std::string message) { m_error = std::move(message); }

 private:
  std::vector<Value> m_values;
  std::vector<SlotKind> m_kinds;     ///< one per slot
  std::vector<std::string> m_texts;  ///< per slot, once a text was stored (grown on demand)
  std::span<const std::string> m_names;
  RandomState m_rng;
  std::string m_error;
};

}  // namespace poolbench::script
