#include "workload/event_loop.hpp"

#include <cerrno>
#include <cstring>

#include <fmt/format.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "util/error.hpp"

namespace poolbench::workload {
namespace {

constexpr std::uint64_t k_event_fd_tag = ~std::uint64_t{0};
/// Readiness events taken from epoll per loop turn (more wait for the next turn).
constexpr int k_events_per_turn = 256;
/// The serial of a connecting socket's watch (StatementConnection serials count up from 1).
constexpr std::uint64_t k_connecting_serial = ~std::uint64_t{0};

}  // namespace

// The descriptors are members of type util::Fd: when a step below throws, the ones already
// created are closed (a constructor that throws runs no destructor of its own).
EventLoop::EventLoop()
    : m_epoll(epoll_create1(EPOLL_CLOEXEC)),
      m_event_fd(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)),
      m_events(new epoll_event[k_events_per_turn]) {
  if (!m_epoll.valid() || !m_event_fd.valid()) {
    throw RuntimeFailure(fmt::format("cannot create an event loop: {}", std::strerror(errno)));
  }
  epoll_event event{};
  event.events = EPOLLIN;
  event.data.u64 = k_event_fd_tag;
  if (epoll_ctl(m_epoll.get(), EPOLL_CTL_ADD, m_event_fd.get(), &event) != 0) {
    throw RuntimeFailure(fmt::format("cannot watch the event fd: {}", std::strerror(errno)));
  }
}

EventLoop::~EventLoop() = default;

void EventLoop::add_timer(Clock::time_point at, Task* task, std::uint64_t token) {
  m_timers.push(Timer{.at = at, .sequence = m_sequence++, .task = task, .token = token});
}

void EventLoop::watch_readable(int fd, std::uint64_t serial, Task* task) {
  if (fd < 0) {
    post(task);
    return;
  }
  const auto index = static_cast<std::size_t>(fd);
  if (index >= m_watches.size()) m_watches.resize(index + 1);
  Watch& watch = m_watches[index];
  if (watch.serial != serial) {
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.u64 = static_cast<std::uint64_t>(fd);
    ++m_epoll_ctl_calls;
    if (epoll_ctl(m_epoll.get(), EPOLL_CTL_ADD, fd, &event) != 0) {
      // EEXIST: the same open socket is registered under another serial (cannot happen
      // unless a descriptor is shared); re-point it. Anything else: a dead socket.
      ++m_epoll_ctl_calls;
      if (errno != EEXIST || epoll_ctl(m_epoll.get(), EPOLL_CTL_MOD, fd, &event) != 0) {
        watch = Watch{};
        post(task);
        return;
      }
    }
    watch.serial = serial;
  }
  watch.task = task;
}

void EventLoop::watch_connecting(int fd, IoWait wait, Task* task) {
  if (fd < 0) {
    post(task);
    return;
  }
  const auto index = static_cast<std::size_t>(fd);
  if (index >= m_watches.size()) m_watches.resize(index + 1);
  Watch& watch = m_watches[index];
  epoll_event event{};
  event.events = wait == IoWait::readable ? EPOLLIN : EPOLLOUT;
  event.data.u64 = static_cast<std::uint64_t>(fd);
  // Registered as connecting already: change the events. Else (or when that registration
  // died with a closed socket whose number was reused) add it; a statement registration of
  // the same open socket cannot exist (the attempt owns it).
  bool ok = false;
  if (watch.serial == k_connecting_serial) {
    ++m_epoll_ctl_calls;
    ok = epoll_ctl(m_epoll.get(), EPOLL_CTL_MOD, fd, &event) == 0;
  }
  if (!ok) {
    ++m_epoll_ctl_calls;
    ok = epoll_ctl(m_epoll.get(), EPOLL_CTL_ADD, fd, &event) == 0;
    if (!ok && errno == EEXIST) {
      ++m_epoll_ctl_calls;
      ok = epoll_ctl(m_epoll.get(), EPOLL_CTL_MOD, fd, &event) == 0;
    }
  }
  if (!ok) {
    watch = Watch{};
    post(task);
    return;
  }
  watch.serial = k_connecting_serial;
  watch.task = task;
}

void EventLoop::end_connecting(int fd) noexcept {
  if (fd < 0 || static_cast<std::size_t>(fd) >= m_watches.size()) return;
  if (m_watches[static_cast<std::size_t>(fd)].serial != k_connecting_serial) return;
  forget(fd);
}

void EventLoop::unwatch(int fd) noexcept {
  if (fd >= 0 && static_cast<std::size_t>(fd) < m_watches.size()) {
    m_watches[static_cast<std::size_t>(fd)].task = nullptr;
  }
}

void EventLoop::release(int fd) noexcept {
  if (fd < 0 || static_cast<std::size_t>(fd) >= m_watches.size()) return;
  if (m_watches[static_cast<std::size_t>(fd)].serial == 0) return;
  forget(fd);
}

void EventLoop::forget(int fd) noexcept {
  ++m_epoll_ctl_calls;
  epoll_ctl(m_epoll.get(), EPOLL_CTL_DEL, fd, nullptr);
  m_watches[static_cast<std::size_t>(fd)] = Watch{};
}

void EventLoop::post(Task* task) {
  {
    std::lock_guard lock(m_post_mutex);
    m_posted.push_back(task);
    m_post_pending.store(true, std::memory_order_release);
  }
  const std::uint64_t one = 1;
  [[maybe_unused]] const ssize_t written = ::write(m_event_fd.get(), &one, sizeof one);
}

int EventLoop::run_once(Clock::time_point until, Clock::time_point now) {
  Clock::time_point wake_at = until;
  if (!m_timers.empty() && m_timers.top().at < wake_at) wake_at = m_timers.top().at;
  int timeout_ms = 0;
  if (wake_at > now) {
    // Round up so a timer is never woken for early and spun on.
    const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(wake_at - now);
    timeout_ms = static_cast<int>((micros.count() + 999) / 1000);
  }
  epoll_event* const events = m_events.get();
  const int ready = epoll_wait(m_epoll.get(), events, k_events_per_turn, timeout_ms);
  int dispatched = 0;
  bool woken = false;  // the eventfd was readable: a post() happened
  for (int i = 0; i < ready; ++i) {
    if (events[i].data.u64 == k_event_fd_tag) {
      std::uint64_t count = 0;
      [[maybe_unused]] const ssize_t got = ::read(m_event_fd.get(), &count, sizeof count);
      woken = true;
      continue;
    }
    const auto fd = static_cast<int>(events[i].data.u64);
    if (static_cast<std::size_t>(fd) >= m_watches.size()) continue;
    Task* task = m_watches[static_cast<std::size_t>(fd)].task;
    if (task == nullptr) {
      forget(fd);  // nobody here waits for it: stop hearing about it
      continue;
    }
    task->on_readable();
    ++dispatched;
  }
  // No lock on a turn nothing was posted (the flag also catches posts made by this turn's
  // callbacks). A post() whose flag is not seen yet wrote, or is about to write, the
  // eventfd, which is seen on this turn or wakes the next one.
  if (woken || m_post_pending.load(std::memory_order_acquire)) dispatched += dispatch_posted();
  // A timer due after `until` was not waited for: it fires on a later turn (whose wait is
  // then zero), so this turn reads the clock only for a timer it waited for.
  if (m_timers.empty() || m_timers.top().at > until) return dispatched;
  const auto fired_before = Clock::now();
  while (!m_timers.empty() && m_timers.top().at <= fired_before) {
    const Timer timer = m_timers.top();
    m_timers.pop();
    timer.task->on_timer(timer.token);
    ++dispatched;
  }
  return dispatched;
}

int EventLoop::dispatch_posted() {
  {
    std::lock_guard lock(m_post_mutex);
    m_dispatching.swap(m_posted);
    m_post_pending.store(false, std::memory_order_relaxed);
  }
  for (Task* task : m_dispatching) task->on_posted();
  const auto count = static_cast<int>(m_dispatching.size());
  m_dispatching.clear();
  return count;
}

}  // namespace poolbench::workload
