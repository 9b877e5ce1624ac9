#include "pg/pool_overrides.hpp"

#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <limits>
#include <string>

#include <fmt/format.h>

#include "util/error.hpp"

namespace poolbench::pg {
namespace {

std::string_view trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front())) != 0) {
    text.remove_prefix(1);
  }
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())) != 0) {
    text.remove_suffix(1);
  }
  return text;
}

std::optional<long long> parse_integer(std::string_view text) {
  text = trim(text);
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  long long value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc() || end != text.data() + text.size()) {
    return std::nullopt;
  }
  return value;
}

/// A plain decimal number (no exponent, no inf/nan): what a config file or URL would hold.
std::optional<double> parse_number(std::string_view text) {
  if (text.empty()) return std::nullopt;
  std::size_t i = text.front() == '-' || text.front() == '+' ? 1 : 0;
  bool digits = false;
  bool dot = false;
  for (; i < text.size(); ++i) {
    if (std::isdigit(static_cast<unsigned char>(text[i])) != 0) {
      digits = true;
    } else if (text[i] == '.' && !dot) {
      dot = true;
    } else {
      return std::nullopt;
    }
  }
  if (!digits) return std::nullopt;
  return std::stod(std::string(text));
}

std::string quoted(std::string_view text) {
  return fmt::format("\"{}\"", text);
}

int parse_bounded_int(std::string_view text, std::string_view place, long long minimum,
                      std::string_view expected) {
  const std::optional<long long> value = parse_integer(text);
  if (!value || *value < minimum || *value > std::numeric_limits<int>::max()) {
    throw InputError(
        fmt::format("{}: {} is not valid; expected {}", place, quoted(text), expected));
  }
  return static_cast<int>(*value);
}

}  // namespace

void PoolOverrides::merge(const PoolOverrides& later) {
  pool_size.merge(later.pool_size);
  max_overflow.merge(later.max_overflow);
  pool_timeout.merge(later.pool_timeout);
  pool_recycle.merge(later.pool_recycle);
  pool_pre_ping.merge(later.pool_pre_ping);
}

bool PoolOverrides::empty() const noexcept {
  return !pool_size.value && !max_overflow.value && !pool_timeout.value && !pool_recycle.value &&
         !pool_pre_ping.value;
}

std::optional<std::chrono::microseconds> parse_duration(std::string_view text) {
  text = trim(text);
  struct Unit {
    std::string_view suffix;
    double us;
  };
  // Longest suffixes first so "ms" is not read as "s".
  static constexpr std::array<Unit, 5> k_units{
      {{"us", 1.0}, {"ms", 1e3}, {"s", 1e6}, {"m", 6e7}, {"h", 3.6e9}}};
  double scale = 1e6;  // a bare number is seconds
  std::string_view number = text;
  for (const Unit& unit : k_units) {
    if (text.size() > unit.suffix.size() && text.ends_with(unit.suffix)) {
      number = trim(text.substr(0, text.size() - unit.suffix.size()));
      scale = unit.us;
      break;
    }
  }
  const std::optional<double> value = parse_number(number);
  if (!value) return std::nullopt;
  const double us = std::round(*value * scale);
  if (std::abs(us) > 1e17) return std::nullopt;
  return std::chrono::microseconds(static_cast<long long>(us));
}

int parse_pool_size(std::string_view text, std::string_view place) {
  return parse_bounded_int(text, place, 0, "a whole number >= 0 (0 = no limit)");
}

int parse_max_overflow(std::string_view text, std::string_view place) {
  return parse_bounded_int(text, place, -1, "a whole number >= -1 (-1 = unlimited)");
}

std::chrono::microseconds parse_pool_timeout(std::string_view text, std::string_view place) {
  const std::optional<std::chrono::microseconds> value = parse_duration(text);
  if (!value || value->count() < 0) {
    throw InputError(fmt::format(
        "{}: {} is not valid; expected a duration >= 0 (seconds, or with a unit: 500ms, 30s)",
        place, quoted(text)));
  }
  return *value;
}

std::chrono::microseconds parse_pool_recycle(std::string_view text, std::string_view place) {
  const std::optional<std::chrono::microseconds> value = parse_duration(text);
  if (!value) {
    throw InputError(fmt::format(
        "{}: {} is not valid; expected a duration in seconds (e.g. 1800) or -1 for never", place,
        quoted(text)));
  }
  return value->count() < 0 ? k_recycle_never : *value;
}

bool parse_pool_pre_ping(std::string_view text, std::string_view place) {
  std::string lower;
  for (char c : trim(text))
    lower.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  if (lower == "true" || lower == "yes" || lower == "on" || lower == "1") return true;
  if (lower == "false" || lower == "no" || lower == "off" || lower == "0") return false;
  throw InputError(fmt::format("{}: {} is not valid; expected true or false", place, quoted(text)));
}

}  // namespace poolbench::pg
