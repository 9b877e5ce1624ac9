#include "workload/script_runtime.hpp"

#include <array>
#include <charconv>
#include <cmath>
#include <limits>

#include <fmt/format.h>

namespace poolbench::workload {
namespace {

constexpr std::size_t k_null_offset = std::numeric_limits<std::size_t>::max();

/// Appends the text of a non-NULL value to `out`.
void append_text(const Value& value, std::string& out) {
  std::array<char, 32> buffer{};
  char* end = buffer.data();
  switch (value.type()) {
    case ValueType::null:
      out += "NULL";
      return;
    case ValueType::boolean:
      out += value.as_boolean() ? "true" : "false";
      return;
    case ValueType::integer:
      end = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value.as_integer()).ptr;
      break;
    case ValueType::real:
      // %.15g (DBL_DIG significant digits), as pgbench's getVariable.
      end = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value.as_real(),
                          std::chars_format::general, 15)
                .ptr;
      break;
  }
  out.append(buffer.data(), end);
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
  m_buffer.clear();
  m_offsets.clear();
  m_pointers.clear();
  for (const std::uint32_t slot : command.param_slots) {
    const Value& v = state.variable(slot);
    if (v.is_null()) {
      m_offsets.push_back(k_null_offset);
      continue;
    }
    m_offsets.push_back(m_buffer.size());
    append_text(v, m_buffer);
    m_buffer.push_back('\0');
  }
  // Pointers only once the buffer stopped growing.
  for (const std::size_t offset : m_offsets) {
    m_pointers.push_back(offset == k_null_offset ? nullptr : m_buffer.data() + offset);
  }
}

std::string value_to_text(const Value& value) {
  std::string text;
  append_text(value, text);
  return text;
}

}  // namespace poolbench::workload
