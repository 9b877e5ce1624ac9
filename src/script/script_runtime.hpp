#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "script/client_state.hpp"
#include "script/script.hpp"

namespace poolbench::script {

// Run-time steps of a script, for the load generator. None of these throws (except
// std::bad_alloc) and none allocates on success once buffers have grown; errors return
// false with the message in state.error().

/// Evaluates a `\set` and stores the value in its slot. False on a run-time error
/// (division by zero, overflow, empty random range, ...).
bool execute_set(const SetCommand& command, ClientState& state);

/// Evaluates the condition of an `\if`/`\elif` into `taken` with pgbench's truth (NULL,
/// false, 0 and 0.0 are false). False on a run-time error.
bool evaluate_condition(const IfCommand& command, ClientState& state, bool& taken);

/// The text of a compound statement for the simple protocol: each variable's text put in
/// its place (pgbench -M simple: no quoting; NULL as "NULL"), into `out` (reused). False
/// (message in state.error()) when a variable is not set.
bool render_simple(const SqlCommand& command, ClientState& state, std::string& out);

/// The duration of a `\sleep` (negative amounts sleep 0). False when its variable is not a
/// number (an integer; a double is truncated, as pgbench's atoi of its text would).
bool sleep_duration(const SleepCommand& command, ClientState& state,
                    std::chrono::microseconds& out);

/// The text-format parameter values of one SqlCommand for PQsendQueryPrepared: integers in
/// decimal, doubles as printf("%.15g") (pgbench's form), booleans `true`/`false`, and NULL
/// as a real SQL NULL (a null pointer; pgbench sends the text "NULL"); a variable set by
/// `\gset`/`\aset` as the text it came as. Keep one per client and reuse it: render()
/// reuses its buffers.
class ParamValues {
 public:
  /// False (message in state.error()) when a parameter's variable is not set.
  bool render(const SqlCommand& command, ClientState& state);

  /// paramValues for libpq, valid until the next render(); nullptr when there are none.
  const char* const* values() const noexcept {
    return m_pointers.empty() ? nullptr : m_pointers.data();
  }
  int count() const noexcept { return static_cast<int>(m_pointers.size()); }
  /// Parameter i (0-based) as text; is_null(i) for NULL.
  bool is_null(std::size_t i) const noexcept { return m_pointers[i] == nullptr; }
  std::string_view value(std::size_t i) const noexcept {
    return m_pointers[i] == nullptr ? std::string_view() : std::string_view(m_pointers[i]);
  }

 private:
  std::vector<char> m_buffer;           ///< one fixed-size field per parameter, NUL-terminated text
  std::vector<const char*> m_pointers;  ///< into m_buffer; nullptr for NULL
};

/// Text form of a value as pgbench prints it (NULL as "NULL"), e.g. for display.
std::string value_to_text(const Value& value);

}  // namespace poolbench::script
