#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>

namespace poolbench::pool {

/// The pool's source of time, so unit tests can run it on a fake clock.
/// Thread safety: both methods may be called from any thread at once.
class Clock {
 public:
  using time_point = std::chrono::steady_clock::time_point;
  using duration = std::chrono::steady_clock::duration;

  virtual ~Clock() = default;
  virtual time_point now() const noexcept = 0;

  /// Blocks on `cv` (the caller holds `lock`; it is released while waiting) until notified
  /// or until this clock reaches `deadline`. May return early (spuriously): callers re-check
  /// their condition and the time.
  virtual void wait_until(std::unique_lock<std::mutex>& lock, std::condition_variable& cv,
                          time_point deadline) const = 0;
};

/// std::chrono::steady_clock: monotonic, what every real run uses.
class SteadyClock final : public Clock {
 public:
  time_point now() const noexcept override { return std::chrono::steady_clock::now(); }
  void wait_until(std::unique_lock<std::mutex>& lock, std::condition_variable& cv,
                  time_point deadline) const override {
    cv.wait_until(lock, deadline);
  }

  /// A process-wide immutable instance (stateless, so sharing it is safe).
  static const SteadyClock& instance() noexcept {
    static const SteadyClock k_clock;
    return k_clock;
  }
};

}  // namespace poolbench::pool
