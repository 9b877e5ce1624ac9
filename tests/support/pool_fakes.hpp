#pragma once

// Fake connections, factory and clock for the pool's unit tests and benchmarks: no database.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "pool/clock.hpp"
#include "pool/connection.hpp"

namespace poolbench::testing {

/// What the test can see and steer of one fake connection, shared with the connection so
/// it outlives the connection's closing.
struct FakeConnectionState {
  int id = 0;
  std::atomic<bool> alive{true};  ///< ping() answers this; false = server dropped it
  std::atomic<bool> in_transaction{false};
  std::atomic<bool> broken{false};  ///< a connection-class error was seen
  std::atomic<bool> rollback_fails{false};
  std::atomic<int> pings{0};
  std::atomic<int> rollbacks{0};
  std::atomic<bool> closed{false};
};

class FakeConnection final : public pool::Connection {
 public:
  explicit FakeConnection(std::shared_ptr<FakeConnectionState> state,
                          std::atomic<int>& live_counter);
  ~FakeConnection() override;

  bool ping() noexcept override;
  bool in_transaction() const noexcept override { return m_state->in_transaction; }
  bool rollback() noexcept override;
  bool is_broken() const noexcept override { return m_state->broken; }

  FakeConnectionState& state() noexcept { return *m_state; }
  int id() const noexcept { return m_state->id; }

 private:
  std::shared_ptr<FakeConnectionState> m_state;
  std::atomic<int>& m_live;
};

/// Creates FakeConnections with ids 1, 2, 3, ... Thread-safe. Can fail connects (the next N,
/// or each with a probability), and can hold connects at a gate to test slow connects.
class FakeFactory final : public pool::ConnectionFactory {
 public:
  pool::ConnectResult connect() noexcept override;

  /// The next `count` connects fail with SQLSTATE 08001.
  void fail_next(int count) { m_fail_next += count; }
  /// Each connect fails with this probability (0..1), drawn from a seeded generator.
  void set_failure_probability(double probability, std::uint64_t seed);
  /// While closed, connect() blocks until open_gate(); `fail` decides how those end.
  void close_gate();
  void open_gate(bool fail = false);
  /// Number of connect() calls currently blocked at the gate.
  int waiting_at_gate() const { return m_at_gate; }

  std::shared_ptr<FakeConnectionState> state_of(int id) const;
  int created() const { return m_created; }
  int failed() const { return m_failed; }
  int live() const { return m_live; }  ///< created and not yet closed

 private:
  mutable std::mutex m_mutex;
  std::condition_variable m_gate_cv;
  bool m_gate_closed = false;
  bool m_gate_fails = false;
  std::atomic<int> m_at_gate{0};
  std::atomic<int> m_fail_next{0};
  double m_failure_probability = 0.0;
  std::uint64_t m_random_state = 0;
  std::atomic<int> m_created{0};
  std::atomic<int> m_failed{0};
  std::atomic<int> m_live{0};
  std::vector<std::shared_ptr<FakeConnectionState>> m_states;  // index = id - 1
};

/// A clock that moves only when told. Waits poll in 1 ms real-time steps, so a thread
/// blocked until a fake deadline notices advance() promptly.
class FakeClock final : public pool::Clock {
 public:
  time_point now() const noexcept override { return time_point(duration(m_ticks.load())); }
  void wait_until(std::unique_lock<std::mutex>& lock, std::condition_variable& cv,
                  time_point deadline) const override;
  void advance(std::chrono::nanoseconds by) { m_ticks += duration(by).count(); }
  /// The time a waiter last saw when it went (back) to waiting, its deadline not reached:
  /// equal to now() once a waiter has re-checked its deadline after an advance().
  time_point last_wait_at() const noexcept { return time_point(duration(m_last_wait_at.load())); }

 private:
  std::atomic<duration::rep> m_ticks{duration(std::chrono::hours(1)).count()};
  mutable std::atomic<duration::rep> m_last_wait_at{0};
};

}  // namespace poolbench::testing
