#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <thread>

#include <signal.h>

// Stopping embedded clusters on SIGINT/SIGTERM, whatever the main thread is doing.

namespace poolbench::cluster {

/// Process-wide list of "stop this cluster" callbacks. A process-wide registry is the one
/// justified global here: signals are process-wide. Thread-safe; remove() waits for a
/// stop_all() in progress, so a callback never runs after its owner is gone.
class StopRegistry {
 public:
  static StopRegistry& instance();
  int add(std::function<void()> stop);
  void remove(int id);
  /// Calls every callback once (they must be noexcept and idempotent).
  void stop_all() noexcept;

 private:
  std::mutex m_mutex;
  std::map<int, std::function<void()>> m_stops;
  int m_next_id = 1;
};

/// While alive, SIGINT and SIGTERM no longer kill the process: a dedicated thread takes them
/// (sigwait), records the signal (interrupted()), and stops every registered cluster (fast
/// shutdown, data removed) at once. The main thread then sees its server gone or polls
/// interrupted(), unwinds normally and exits 130. A second signal exits immediately
/// (_exit(130)) after the clusters were stopped.
///
/// Create it in the main thread before starting other threads: the signal mask is per thread
/// and inherited by threads created later.
class InterruptGuard {
 public:
  InterruptGuard();
  InterruptGuard(const InterruptGuard&) = delete;
  InterruptGuard& operator=(const InterruptGuard&) = delete;
  ~InterruptGuard();

  bool interrupted() const noexcept { return m_signal.load() != 0; }
  int signal_number() const noexcept { return m_signal.load(); }

 private:
  void watch();

  sigset_t m_set{};
  sigset_t m_old_mask{};
  std::atomic<int> m_signal{0};
  std::atomic<bool> m_stop{false};
  std::thread m_thread;
};

}  // namespace poolbench::cluster
