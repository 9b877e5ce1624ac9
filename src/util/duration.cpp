#include "util/duration.hpp"

#include <cctype>
#include <cmath>
#include <cstdlib>
#include <limits>

#include <fmt/format.h>

namespace poolbench::util {

std::optional<std::chrono::microseconds> parse_duration(std::string_view text) {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  std::size_t number_end = 0;
  while (number_end < text.size() &&
         (std::isdigit(static_cast<unsigned char>(text[number_end])) || text[number_end] == '.' ||
          (number_end == 0 && (text[0] == '-' || text[0] == '+')))) {
    ++number_end;
  }
  const std::string_view number = text.substr(0, number_end);
  std::string_view unit = text.substr(number_end);
  while (!unit.empty() && unit.front() == ' ') unit.remove_prefix(1);
  if (number.empty() || number == "-" || number == "+" || number == ".") return std::nullopt;
  // std::from_chars for double is in GCC 12's libstdc++ but not in every clang 14 setup.
  const std::string number_text(number);
  char* end = nullptr;
  const double value = std::strtod(number_text.c_str(), &end);
  if (end != number_text.c_str() + number_text.size() || !std::isfinite(value)) return std::nullopt;
  double microseconds_per_unit = 0;
  if (unit.empty() || unit == "s") {
    microseconds_per_unit = 1e6;
  } else if (unit == "us") {
    microseconds_per_unit = 1;
  } else if (unit == "ms") {
    microseconds_per_unit = 1e3;
  } else if (unit == "m" || unit == "min") {
    microseconds_per_unit = 60e6;
  } else if (unit == "h") {
    microseconds_per_unit = 3600e6;
  } else {
    return std::nullopt;
  }
  const double total = std::round(value * microseconds_per_unit);
  if (std::fabs(total) > static_cast<double>(std::numeric_limits<std::int64_t>::max() / 2)) {
    return std::nullopt;
  }
  return std::chrono::microseconds(static_cast<std::int64_t>(total));
}

std::string format_duration(std::chrono::microseconds value) {
  const std::int64_t us = value.count();
  if (us == 0) return "0s";
  struct Unit {
    std::int64_t size;
    const char* name;
  };
  static constexpr Unit k_units[] = {
      {3'600'000'000, "h"}, {60'000'000, "m"}, {1'000'000, "s"}, {1'000, "ms"}, {1, "us"}};
  for (const auto& unit : k_units) {
    if (us % unit.size == 0) return fmt::format("{}{}", us / unit.size, unit.name);
  }
  return fmt::format("{}us", us);
}

}  // namespace poolbench::util
