#include "script/script_runtime.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <string_view>

#include <fmt/format.h>

#include "util/strings.hpp"

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

bool iequals_prefix(std::string_view text, std::string_view word) noexcept {
  if (text.size() > word.size()) return false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = (text[i] >= 'A' && text[i] <= 'Z') ? static_cast<char>(text[i] + 32) : text[i];
    if (c != word[i]) return false;
  }
  return true;
}

bool is_blank_char(char c) noexcept {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

}  // namespace

bool text_to_value(std::string_view text, Value& out) noexcept {
  if (text.empty()) return false;
  if (util::iequals(text, "null")) {
    out = Value::null();
  } else if (iequals_prefix(text, "true") || iequals_prefix(text, "yes") ||
             util::iequals(text, "on")) {
    out = Value::boolean(true);
  } else if (iequals_prefix(text, "false") || iequals_prefix(text, "no") ||
             util::iequals(text, "off") || util::iequals(text, "of")) {
    out = Value::boolean(false);
  } else {
    std::string_view t = text;
    while (!t.empty() && is_blank_char(t.front())) t.remove_prefix(1);
    while (!t.empty() && is_blank_char(t.back())) t.remove_suffix(1);
    std::string_view digits = t;
    if (!digits.empty() && (digits[0] == '+' || digits[0] == '-')) digits.remove_prefix(1);
    const bool is_int = !digits.empty() && std::all_of(digits.begin(), digits.end(),
                                                       [](char c) { return c >= '0' && c <= '9'; });
    if (is_int) {
      std::int64_t i = 0;
      const char* first = t.data() + (t[0] == '+' ? 1 : 0);
      const auto [ptr, ec] = std::from_chars(first, t.data() + t.size(), i);
      if (ec != std::errc() || ptr != t.data() + t.size()) return false;
      out = Value::integer(i);
    } else {
      // strtod's syntax (with inf and nan), as pgbench's strtodouble.
      const std::string copy(t);
      char* end = nullptr;
      errno = 0;
      const double d = std::strtod(copy.c_str(), &end);
      if (copy.empty() || end != copy.c_str() + copy.size() || errno == ERANGE) return false;
      out = Value::real(d);
    }
  }
  return true;
}

std::string ClientState::unreadable_message(std::uint32_t slot) const {
  const std::string name =
      slot < m_names.size() ? fmt::format("variable \":{}\"", m_names[slot]) : "a variable";
  if (m_kinds[slot] == SlotKind::malformed) {
    return fmt::format("malformed {} value: \"{}\" (not a number, boolean or NULL)", name,
                       m_texts[slot]);
  }
  return fmt::format(
      "{} is not set (a \\gset or \\aset before it set nothing, or its \\set "
      "is in a branch not taken)",
      name);
}

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

bool evaluate_condition(const IfCommand& command, ClientState& state, bool& taken) {
  Value value;
  if (!evaluate(command.condition, state, value)) {
    state.set_error(
        fmt::format("\\{} (line {}): {}", command.keyword, command.line, state.error()));
    return false;
  }
  switch (value.type()) {
    case ValueType::null:
      taken = false;
      break;
    case ValueType::boolean:
      taken = value.as_boolean();
      break;
    case ValueType::integer:
      taken = value.as_integer() != 0;
      break;
    case ValueType::real:
      taken = value.as_real() != 0.0;
      break;
  }
  return true;
}

bool render_simple(const SqlCommand& command, ClientState& state, std::string& out) {
  out.clear();
  std::size_t copied = 0;
  std::array<char, k_value_text_bytes> buffer;
  for (std::size_t i = 0; i < command.param_slots.size(); ++i) {
    const std::size_t offset = command.param_offsets[i];
    out.append(command.simple_text, copied, offset - copied);
    copied = offset;
    const std::uint32_t slot = command.param_slots[i];
    switch (state.kind(slot)) {
      case SlotKind::unset:
        state.set_error(
            fmt::format("SQL (line {}): {}", command.line, state.unreadable_message(slot)));
        return false;
      case SlotKind::value:
        out.append(buffer.data(), write_text(state.variable(slot), buffer.data()));
        break;
      case SlotKind::text:
      case SlotKind::malformed:
        out += state.text(slot);
        break;
    }
  }
  out.append(command.simple_text, copied);
  return true;
}

bool sleep_duration(const SleepCommand& command, ClientState& state,
                    std::chrono::microseconds& out) {
  std::int64_t amount = command.amount;
  if (command.slot) {
    if (!state.readable(*command.slot)) {
      state.set_error(fmt::format("\\sleep (line {}): {}", command.line,
                                  state.unreadable_message(*command.slot)));
      return false;
    }
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

bool ParamValues::render(const SqlCommand& command, ClientState& state) {
  // One fixed-size NUL-terminated field per parameter: no growth once sized, so the
  // pointers can be taken as the values are written.
  constexpr std::size_t k_field_bytes = k_value_text_bytes + 1;
  const std::size_t count = command.param_slots.size();
  m_buffer.resize(count * k_field_bytes);
  m_pointers.resize(count);
  for (std::size_t i = 0; i < count; ++i) {
    const std::uint32_t slot = command.param_slots[i];
    const SlotKind kind = state.kind(slot);
    if (kind == SlotKind::unset) {
      state.set_error(
          fmt::format("SQL (line {}): {}", command.line, state.unreadable_message(slot)));
      return false;
    }
    if (kind != SlotKind::value) {  // a result's text, sent as it came (pgbench's svalue)
      m_pointers[i] = state.text(slot).c_str();
      continue;
    }
    const Value& v = state.variable(slot);
    if (v.is_null()) {
      m_pointers[i] = nullptr;
      continue;
    }
    char* const first = m_buffer.data() + i * k_field_bytes;
    *write_text(v, first) = '\0';
    m_pointers[i] = first;
  }
  return true;
}

std::string value_to_text(const Value& value) {
  std::array<char, k_value_text_bytes> buffer;
  return std::string(buffer.data(), write_text(value, buffer.data()));
}

}  // namespace poolbench::script
