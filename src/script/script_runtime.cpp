#include "script/script_runtime.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <limits>
#include <string_view>

#include <fmt/format.h>

namespace poolbench::script {
namespace {

/// Room for the text of any non-NULL value: an int64 (at most 20 characters), a double as
/// %.15g (at most 22, "-1.23456789012345e-308") or a boolean.
constexpr std::size_t k_value_text_bytes = 31;

/// Writes the text of `value` at `first` (room for k_value_text_bytes) and returns its end.
char* write_text(const Value& value, char* first) noexcept {
  constexpr std::string_view k_null = "NULL";
  constexpr std::string_view k_true = "true";
  constexpr std::string_view k_false = "false";
  char* const last = first + k_value_text_bytes;
  switch (value.type()) {
    case ValueType::null:
      return std::copy(k_null.begin(), k_null.end(), first);
    case ValueType::boolean: {
      const std::string_view text = value.as_boolean() ? k_true : k_false;
      return std::copy(text.begin(), text.end(), first);
    }
    case ValueType::integer:
      return std::to_chars(first, last, value.as_integer()).ptr;
    case ValueType::real:
      // %.15g (DBL_DIG significant digits), as pgbench's getVariable.
      return std::to_chars(first, last, value.as_real(), std::chars_format::general, 15).ptr;
  }
  return first;
}

}  // namespace

bool execute_set(const SetCommand& command, ClientState& state) {
  Value value;
  if (!evaluate(command.expression, state, value)) {
    state.set_error(
        fmt::format("\\set {} (line {}): {}", command.variable, command.line, state.error()));
    return false;
  }
  state.set_variable(command.slot, value);
  return true;
}

bool sleep_duration(const SleepCommand& command, ClientState& state,
                    std::chrono::microseconds& out) {
  std::int64_t amount = command.amount;
  if (command.slot) {
    const Value& v = state.variable(*command.slot);
    if (v.type() == ValueType::integer) {
      amount = v.as_integer();
    } else if (v.type() == ValueType::real && std::isfinite(v.as_real()) &&
               std::fabs(v.as_real()) < 9.2e18) {
      amount = static_cast<std::int64_t>(v.as_real());  // truncates, as atoi("2.7") == 2
    } else {
      state.set_error(fmt::format("\\sleep (line {}): variable \":{}\" is {}, not an integer",
                                  command.line, command.variable, value_to_text(v)));
      return false;
    }
  }
  if (amount <= 0) {
    out = std::chrono::microseconds(0);
    return true;
  }
  if (amount > std::numeric_limits<std::int64_t>::max() / command.unit_us) {
    state.set_error(fmt::format("\\sleep (line {}): sleep time out of range", command.line));
    return false;
  }
  out = std::chrono::microseconds(amount * command.unit_us);
  return true;
}

void ParamValues::render(const SqlCommand& command, const ClientState& state) {
  // One fixed-size NUL-terminated field per parameter: no growth once sized, so the
  // pointers can be taken as the values are written.
  constexpr std::size_t k_field_bytes = k_value_text_bytes + 1;
  const std::size_t count = command.param_slots.size();
  m_buffer.resize(count * k_field_bytes);
  m_pointers.resize(count);
  for (std::size_t i = 0; i < count; ++i) {
    const Value& v = state.variable(command.param_slots[i]);
    if (v.is_null()) {
      m_pointers[i] = nullptr;
      continue;
    }
    char* const first = m_buffer.data() + i * k_field_bytes;
    *write_text(v, first) = '\0';
    m_pointers[i] = first;
  }
}

std::string value_to_text(const Value& value) {
  std::array<char, k_value_text_bytes> buffer;
  return std::string(buffer.data(), write_text(value, buffer.data()));
}

}  // namespace poolbench::script
