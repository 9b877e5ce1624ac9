#include "pg/pool_overrides.hpp"

#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <limits>
#include <string>

#include <fmt/format.h>

#include "util/duration.hpp"
#include "util/error.hpp"
#include "util/strings.hpp"

namespace poolbench::pg {
namespace {

std::optional<long long> parse_integer(std::string_view text) {
  text = util::trim(text);
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  long long value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc() || end != text.data() + text.size()) {
    return std::nullopt;
  }
  return value;
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
  return util::parse_duration(text);
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
  for (char c : util::trim(text))
    lower.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  if (lower == "true" || lower == "yes" || lower == "on" || lower == "1") return true;
  if (lower == "false" || lower == "no" || lower == "off" || lower == "0") return false;
  throw InputError(fmt::format("{}: {} is not valid; expected true or false", place, quoted(text)));
}

}  // namespace poolbench::pg
