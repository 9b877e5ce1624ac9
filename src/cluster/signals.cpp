#include "cluster/signals.hpp"

#include <ctime>

#include <pthread.h>
#include <unistd.h>

namespace poolbench::cluster {

StopRegistry& StopRegistry::instance() {
  static StopRegistry registry;
  return registry;
}

int StopRegistry::add(std::function<void()> stop) {
  std::lock_guard lock(m_mutex);
  const int id = m_next_id++;
  m_stops.emplace(id, std::move(stop));
  return id;
}

void StopRegistry::remove(int id) {
  std::lock_guard lock(m_mutex);
  m_stops.erase(id);
}

void StopRegistry::stop_all() noexcept {
  std::lock_guard lock(m_mutex);
  for (auto& [id, stop] : m_stops) stop();
}

InterruptGuard::InterruptGuard() {
  sigemptyset(&m_set);
  sigaddset(&m_set, SIGINT);
  sigaddset(&m_set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &m_set, &m_old_mask);
  m_thread = std::thread([this] { watch(); });
}

InterruptGuard::~InterruptGuard() {
  m_stop.store(true);
  m_thread.join();
  pthread_sigmask(SIG_SETMASK, &m_old_mask, nullptr);
}

void InterruptGuard::watch() {
  const timespec poll_interval{0, 100'000'000};  // 100 ms: how fast the destructor returns
  while (!m_stop.load()) {
    const int signal_number = sigtimedwait(&m_set, nullptr, &poll_interval);
    if (signal_number <= 0) continue;
    const bool second = m_signal.exchange(signal_number) != 0;
    StopRegistry::instance().stop_all();
    if (second) _exit(130);
  }
}

}  // namespace poolbench::cluster
