#include "workload/event_loop.hpp"

#include <array>
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

}  // namespace

EventLoop::EventLoop() {
  m_epoll = epoll_create1(EPOLL_CLOEXEC);
  m_event_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (m_epoll < 0 || m_event_fd < 0) {
    throw RuntimeFailure(fmt::format("cannot create an event loop: {}", std::strerror(errno)));
  }
  epoll_event event{};
  event.events = EPOLLIN;
  event.data.u64 = k_event_fd_tag;
  if (epoll_ctl(m_epoll, EPOLL_CTL_ADD, m_event_fd, &event) != 0) {
    throw RuntimeFailure(fmt::format("cannot watch the event fd: {}", std::strerror(errno)));
  }
}

EventLoop::~EventLoop() {
  if (m_event_fd >= 0) ::close(m_event_fd);
  if (m_epoll >= 0) ::close(m_epoll);
}

void EventLoop::add_timer(Clock::time_point at, Task* task, std::uint64_t token) {
  m_timers.push(Timer{at, m_sequence++, task, token});
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
    if (epoll_ctl(m_epoll, EPOLL_CTL_ADD, fd, &event) != 0) {
      // EEXIST: the same open socket is registered under another serial (cannot happen
      // unless a descriptor is shared); re-point it. Anything else: a dead socket.
      ++m_epoll_ctl_calls;
      if (errno != EEXIST || epoll_ctl(m_epoll, EPOLL_CTL_MOD, fd, &event) != 0) {
        watch = Watch{};
        post(task);
        return;
      }
    }
    watch.serial = serial;
  }
  watch.task = task;
}

void EventLoop::unwatch(int fd) noexcept {
  if (fd >= 0 && static_cast<std::size_t>(fd) < m_watches.size()) {
    m_watches[static_cast<std::size_t>(fd)].task = nullptr;
  }
}

void EventLoop::forget(int fd) noexcept {
  ++m_epoll_ctl_calls;
  epoll_ctl(m_epoll, EPOLL_CTL_DEL, fd, nullptr);
  m_watches[static_cast<std::size_t>(fd)] = Watch{};
}

void EventLoop::post(Task* task) {
  {
    std::lock_guard lock(m_post_mutex);
    m_posted.push_back(task);
  }
  const std::uint64_t one = 1;
  [[maybe_unused]] const ssize_t written = ::write(m_event_fd, &one, sizeof one);
}

int EventLoop::run_once(Clock::time_point until) {
  Clock::time_point wake_at = until;
  if (!m_timers.empty() && m_timers.top().at < wake_at) wake_at = m_timers.top().at;
  const auto now = Clock::now();
  int timeout_ms = 0;
  if (wake_at > now) {
    // Round up so a timer is never woken for early and spun on.
    const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(wake_at - now);
    timeout_ms = static_cast<int>((micros.count() + 999) / 1000);
  }
  std::array<epoll_event, 256> events{};
  const int ready = epoll_wait(m_epoll, events.data(), static_cast<int>(events.size()), timeout_ms);
  int dispatched = 0;
  for (int i = 0; i < ready; ++i) {
    if (events[static_cast<std::size_t>(i)].data.u64 == k_event_fd_tag) {
      std::uint64_t count = 0;
      [[maybe_unused]] const ssize_t got = ::read(m_event_fd, &count, sizeof count);
      continue;
    }
    const auto fd = static_cast<int>(events[static_cast<std::size_t>(i)].data.u64);
    if (static_cast<std::size_t>(fd) >= m_watches.size()) continue;
    Task* task = m_watches[static_cast<std::size_t>(fd)].task;
    if (task == nullptr) {
      forget(fd);  // nobody here waits for it: stop hearing about it
      continue;
    }
    task->on_readable();
    ++dispatched;
  }
  {
    std::lock_guard lock(m_post_mutex);
    m_dispatching.swap(m_posted);
  }
  for (Task* task : m_dispatching) {
    task->on_posted();
    ++dispatched;
  }
  m_dispatching.clear();
  const auto fired_before = Clock::now();
  while (!m_timers.empty() && m_timers.top().at <= fired_before) {
    const Timer timer = m_timers.top();
    m_timers.pop();
    timer.task->on_timer(timer.token);
    ++dispatched;
  }
  return dispatched;
}

}  // namespace poolbench::workload
