#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <queue>
#include <vector>

#include "util/fd.hpp"

struct epoll_event;  // <sys/epoll.h>

namespace poolbench::workload {

/// Something an EventLoop drives: a virtual client or an open-loop request.
class Task {
 public:
  virtual ~Task() = default;
  /// A timer set with EventLoop::add_timer fired; `token` is what was passed there (tasks
  /// use it to ignore timers they no longer want).
  virtual void on_timer(std::uint64_t token) = 0;
  /// The descriptor watched with EventLoop::watch_readable is readable, or may be (a
  /// spurious call is possible: consume what is there, or nothing). Watching goes on until
  /// EventLoop::unwatch.
  virtual void on_readable() = 0;
  /// EventLoop::post was called for this task (from any thread).
  virtual void on_posted() = 0;
};

/// One worker thread's loop: epoll for sockets, a timer heap, and a thread-safe post queue
/// woken through an eventfd (how the pool's check-in in another thread reaches a waiting
/// client here). Every method but post() must be called from the loop's own thread.
///
/// Descriptors stay registered with epoll (level-triggered EPOLLIN) from their first watch
/// on, and watch/unwatch only change which task an fd's readiness goes to: no epoll_ctl per
/// statement. A readiness nobody here waits for (the connection is idle in the pool, or is
/// being used by another worker's loop) removes the registration, so an idle readable
/// socket (a backend that was terminated) cannot keep the loop spinning. A closed
/// descriptor loses its registration in the kernel; the connection serial given with each
/// watch tells a new connection that reuses the number from the one registered.
class EventLoop {
 public:
  using Clock = std::chrono::steady_clock;

  EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;
  ~EventLoop();

  void add_timer(Clock::time_point at, Task* task, std::uint64_t token);
  /// Watches `fd`, the descriptor of the connection with `serial`
  /// (pg::StatementConnection::serial()), for readability: the task's on_readable() runs
  /// whenever it is readable, until unwatch(fd). One task per fd at a time. When the fd
  /// cannot be watched (a dead socket), the task is posted instead, to find out by reading.
  void watch_readable(int fd, std::uint64_t serial, Task* task);
  /// Stops delivering `fd`'s readiness (before the fd's connection goes back to the pool).
  /// The registration stays for the next watch of the same connection.
  void unwatch(int fd) noexcept;
  /// What a connection being opened waits for (pg::ConnectWait without `done`).
  enum class IoWait { readable, writable };
  /// Watches `fd`, the socket of a connection being opened (pg::ConnectAttempt), for `wait`:
  /// the task's on_readable() runs when it is ready, of either kind. Call again when the
  /// attempt asks for the other kind or moved to another socket (end_connecting() the old
  /// one first), and end_connecting() before the attempt ends. When the fd cannot be
  /// watched, the task is posted instead, to find out by advancing the attempt.
  void watch_connecting(int fd, IoWait wait, Task* task);
  /// Stops watching a connecting socket and removes its registration (the socket becomes
  /// a connection, watched per statement with its serial, or is closed).
  void end_connecting(int fd) noexcept;
  /// The connection on `fd` leaves this loop (it goes back to a pool other threads take
  /// from): removes the loop's registration now, while the caller still owns the
  /// descriptor, so that no turn of this loop touches the number after another thread has
  /// closed it (or reused it). Not registered: nothing.
  void release(int fd) noexcept;
  /// epoll_ctl calls made so far (registrations and removals), for tests and benchmarks.
  std::uint64_t epoll_ctl_calls() const noexcept { return m_epoll_ctl_calls; }
  /// Thread-safe: runs task->on_posted() on the loop's thread soon.
  void post(Task* task);

  /// Runs one round: waits for the next socket, post or timer (at most until `until`),
  /// then dispatches everything that is ready (timers due by `until` and by now; a later
  /// one that is already due fires on the next round). Returns the number of callbacks run.
  int run_once(Clock::time_point until) { return run_once(until, Clock::now()); }
  /// The same, with `now` the time the caller read just before (a turn then reads the
  /// clock only when a timer is pending).
  int run_once(Clock::time_point until, Clock::time_point now);

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

  /// What one descriptor number is registered for. serial 0: not registered here.
  struct Watch {
    std::uint64_t serial = 0;
    Task* task = nullptr;  ///< who wants its readiness now; null: nobody
  };

  void forget(int fd) noexcept;
  /// Runs the tasks posted so far; returns how many.
  int dispatch_posted();

  util::Fd m_epoll;
  util::Fd m_event_fd;
  std::priority_queue<Timer, std::vector<Timer>, std::greater<>> m_timers;
  std::uint64_t m_sequence = 0;
  std::mutex m_post_mutex;
  std::vector<Task*> m_posted;  // guarded by m_post_mutex
  /// !m_posted.empty(), written under m_post_mutex; read without it by the loop to skip
  /// the lock on turns nothing was posted.
  std::atomic<bool> m_post_pending{false};
  std::vector<Task*> m_dispatching;  // loop thread only
  std::vector<Watch> m_watches;      // loop thread only; indexed by fd
  /// epoll_wait's output, allocated once: filling (or zeroing) it is not per loop turn.
  std::unique_ptr<epoll_event[]> m_events;
  std::uint64_t m_epoll_ctl_calls = 0;
};

}  // namespace poolbench::workload
