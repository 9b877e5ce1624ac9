#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <queue>
#include <vector>

namespace poolbench::workload {

/// Something an EventLoop drives: a virtual client or an open-loop request.
class Task {
 public:
  virtual ~Task() = default;
  /// A timer set with EventLoop::add_timer fired; `token` is what was passed there (tasks
  /// use it to ignore timers they no longer want).
  virtual void on_timer(std::uint64_t token) = 0;
  /// The socket watched with EventLoop::watch_readable is readable (watching has stopped).
  virtual void on_readable() = 0;
  /// EventLoop::post was called for this task (from any thread).
  virtual void on_posted() = 0;
};

/// One worker thread's loop: epoll for sockets, a timer heap, and a thread-safe post queue
/// woken through an eventfd (how the pool's check-in in another thread reaches a waiting
/// client here). Every method but post() must be called from the loop's own thread.
class EventLoop {
 public:
  using Clock = std::chrono::steady_clock;

  EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;
  ~EventLoop();

  void add_timer(Clock::time_point at, Task* task, std::uint64_t token);
  /// Watches `fd` for readability once: the task's on_readable() runs when it is readable,
  /// and the fd is no longer watched afterwards. One watch per fd at a time.
  void watch_readable(int fd, Task* task);
  /// Stops watching `fd` (before the fd's connection goes back to the pool).
  void unwatch(int fd) noexcept;
  /// Thread-safe: runs task->on_posted() on the loop's thread soon.
  void post(Task* task);

  /// Runs one round: waits for the next socket, post or timer (at most until `until`),
  /// then dispatches everything that is ready. Returns the number of callbacks run.
  int run_once(Clock::time_point until);

  std::size_t pending_timers() const noexcept { return m_timers.size(); }

 private:
  struct Timer {
    Clock::time_point at;
    std::uint64_t sequence;  // FIFO among equal times
    Task* task;
    std::uint64_t token;
    bool operator>(const Timer& other) const noexcept {
      return at != other.at ? at > other.at : sequence > other.sequence;
    }
  };

  int m_epoll = -1;
  int m_event_fd = -1;
  std::priority_queue<Timer, std::vector<Timer>, std::greater<>> m_timers;
  std::uint64_t m_sequence = 0;
  std::mutex m_post_mutex;
  std::vector<Task*> m_posted;       // guarded by m_post_mutex
  std::vector<Task*> m_dispatching;  // loop thread only
};

}  // namespace poolbench::workload
