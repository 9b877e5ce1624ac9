#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace poolbench::util {

/// Parses a duration as scenario files and flags write them: a number followed by one of
/// `us`, `ms`, `s`, `m`, `h`, or a bare number meaning seconds (as the seeds' config.yaml:
/// `pool_timeout: 30`). Fractions are allowed (`1.5s`); a leading `-` is allowed (callers
/// decide whether a negative value means anything, e.g. pool_recycle -1 = never).
/// Rounded to the nearest microsecond. nullopt when `text` is not such a duration.
std::optional<std::chrono::microseconds> parse_duration(std::string_view text);

/// The shortest exact spelling in the largest unit that divides it: 30s, 250ms, 1500us, 2m.
std::string format_duration(std::chrono::microseconds value);

/// Seconds as a double, for JSON keys ending in _s.
inline double to_seconds(std::chrono::microseconds value) {
  return std::chrono::duration<double>(value).count();
}

}  // namespace poolbench::util
