#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

// Pool settings given by the seeds' configuration forms (`?pool_size=` in a DSN, the
// seeds' config.yaml, DATABASE_POOL_* variables), each with where it came from, so the CLI
// can apply them in docs/cli.md's order and print the effective settings with their source.

namespace poolbench::pg {

/// One optional setting and the label of where it came from ("--dsn", "POOLBENCH_DSN",
/// "config.yaml: database.pool_size", "DATABASE_POOL_SIZE", ...). `source` is empty iff
/// `value` is empty.
template <typename T>
struct Override {
  std::optional<T> value;
  std::string source;

  void set(T new_value, std::string new_source) {
    value = std::move(new_value);
    source = std::move(new_source);
  }
  /// Takes `later`'s value when it has one (later wins).
  void merge(const Override& later) {
    if (later.value) *this = later;
  }
};

/// SQLAlchemy QueuePool settings (docs/references.md §1). Sentinels as SQLAlchemy has them:
/// pool_size 0 = no limit, max_overflow -1 = unlimited, pool_recycle negative = never.
/// Durations in microseconds, as pool::PoolSettings has them (`pool_timeout: 0.25` is 250 ms).
struct PoolOverrides {
  Override<int> pool_size;                           ///< >= 0
  Override<int> max_overflow;                        ///< >= -1
  Override<std::chrono::microseconds> pool_timeout;  ///< >= 0
  Override<std::chrono::microseconds> pool_recycle;  ///< k_recycle_never or >= 0
  Override<bool> pool_pre_ping;

  /// Every set field of `later` replaces ours (later wins).
  void merge(const PoolOverrides& later);
  bool empty() const noexcept;
};

inline constexpr std::chrono::microseconds k_recycle_never{-1};

// Parsers of one setting's text, shared by every form. Each throws InputError naming
// `place` (e.g. "--dsn: pool_size", "config.yaml:12: database.pool_timeout") and what is
// expected. Integers must be whole decimal numbers; durations are a number of seconds
// (fractions allowed) or a number with a unit suffix (us, ms, s, m, h).

int parse_pool_size(std::string_view text, std::string_view place);
int parse_max_overflow(std::string_view text, std::string_view place);
std::chrono::microseconds parse_pool_timeout(std::string_view text, std::string_view place);
/// -1 (any negative number) = never, returned as k_recycle_never.
std::chrono::microseconds parse_pool_recycle(std::string_view text, std::string_view place);
/// true/false, yes/no, on/off, 1/0 (case-insensitive; Python's `True` too).
bool parse_pool_pre_ping(std::string_view text, std::string_view place);

/// A duration: a bare number is seconds, else a number followed by us, ms, s, m or h.
/// Rounded to the nearest microsecond. nullopt when `text` is not a duration (callers wrap
/// that in their own message).
std::optional<std::chrono::microseconds> parse_duration(std::string_view text);

}  // namespace poolbench::pg
