#pragma once

#include <chrono>
#include <string>
#include <string_view>

namespace poolbench::pool {

/// Who gets a connection that is checked in while clients wait (docs/pool.md).
enum class Fairness {
  /// What SQLAlchemy's QueuePool does: the connection goes back to the idle queue and the
  /// oldest waiter is woken, but any acquire that runs before that waiter does takes it; the
  /// waiter that then finds nothing waits again at the back with what is left of its timeout.
  sqlalchemy,
  /// Strict hand-off to the oldest waiter; nobody barges.
  fifo,
};

std::string_view to_string(Fairness fairness) noexcept;
/// Parses "sqlalchemy" or "fifo"; returns false for anything else.
bool parse_fairness(std::string_view text, Fairness& out) noexcept;

/// QueuePool settings with SQLAlchemy 2.0's defaults.
struct PoolSettings {
  /// Connections kept in the pool, created lazily. 0 = no limit (and then no overflow).
  int pool_size = 5;
  /// Connections beyond pool_size while all are checked out; -1 = unlimited.
  int max_overflow = 10;
  /// How long an acquire waits once pool_size + max_overflow are checked out.
  std::chrono::microseconds pool_timeout = std::chrono::seconds(30);
  /// A connection older than this (from creation) is replaced at checkout; negative = never.
  std::chrono::microseconds pool_recycle = std::chrono::microseconds(-1);
  /// Test each connection at checkout; a dead one is replaced once, transparently.
  bool pool_pre_ping = false;
  /// Hand out the most recently returned idle connection instead of the oldest.
  bool use_lifo = false;
  Fairness fairness = Fairness::sqlalchemy;

  /// True when the number of open connections is bounded (pool_size > 0, max_overflow >= 0).
  bool bounded() const noexcept { return pool_size > 0 && max_overflow >= 0; }
  /// The most connections that may be open at once; meaningful only when bounded().
  int capacity() const noexcept { return pool_size + max_overflow; }

  /// Empty when the settings are valid, else what is wrong (e.g. "pool_size must be >= 0").
  std::string validation_error() const;
};

/// SQLAlchemy's timeout message, exactly:
/// "QueuePool limit of size <n> overflow <m> reached, connection timed out, timeout <t>"
/// with t in seconds and two decimals. `overflow` is SQLAlchemy's signed overflow() at the
/// time of the timeout (open connections - pool_size, which is max_overflow at the limit).
std::string timeout_message(int pool_size, int overflow, std::chrono::microseconds timeout);

}  // namespace poolbench::pool
