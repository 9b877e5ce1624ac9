#include "support/pool_fakes.hpp"

namespace poolbench::testing {

FakeConnection::FakeConnection(std::shared_ptr<FakeConnectionState> state,
                               std::atomic<int>& live_counter)
    : m_state(std::move(state)), m_live(live_counter) {
  ++m_live;
}

FakeConnection::~FakeConnection() {
  m_state->closed = true;
  --m_live;
}

bool FakeConnection::ping() noexcept {
  ++m_state->pings;
  return m_state->alive;
}

bool FakeConnection::rollback() noexcept {
  ++m_state->rollbacks;
  if (m_state->rollback_fails || !m_state->alive) {
    m_state->broken = true;
    return false;
  }
  m_state->in_transaction = false;
  return true;
}

void FakeFactory::set_failure_probability(double probability, std::uint64_t seed) {
  std::lock_guard lock(m_mutex);
  m_failure_probability = probability;
  m_random_state = seed;
}

void FakeFactory::close_gate() {
  std::lock_guard lock(m_mutex);
  m_gate_closed = true;
}

void FakeFactory::open_gate(bool fail) {
  {
    std::lock_guard lock(m_mutex);
    m_gate_closed = false;
    m_gate_fails = fail;
  }
  m_gate_cv.notify_all();
}

pool::ConnectResult FakeFactory::connect() noexcept {
  std::unique_lock lock(m_mutex);
  bool fail = false;
  if (m_gate_closed) {
    ++m_at_gate;
    m_gate_cv.wait(lock, [this] { return !m_gate_closed; });
    --m_at_gate;
    fail = m_gate_fails;
  }
  if (m_fail_next > 0) {
    --m_fail_next;
    fail = true;
  }
  if (m_failure_probability > 0) {
    // splitmix64: a seeded, reproducible draw.
    std::uint64_t z = (m_random_state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    if (static_cast<double>(z >> 11) * 0x1.0p-53 < m_failure_probability) fail = true;
  }
  pool::ConnectResult result;
  if (fail) {
    ++m_failed;
    result.error = "could not connect to server: Connection refused (fake)";
    result.sqlstate = "08001";
    return result;
  }
  auto state = std::make_shared<FakeConnectionState>();
  state->id = static_cast<int>(m_states.size()) + 1;
  m_states.push_back(state);
  ++m_created;
  result.connection = std::make_unique<FakeConnection>(std::move(state), m_live);
  return result;
}

std::shared_ptr<FakeConnectionState> FakeFactory::state_of(int id) const {
  std::lock_guard lock(m_mutex);
  return m_states.at(static_cast<std::size_t>(id - 1));
}

void FakeClock::wait_until(std::unique_lock<std::mutex>& lock, std::condition_variable& cv,
                           time_point deadline) const {
  const time_point seen = now();
  if (seen >= deadline) return;
  m_last_wait_at.store(seen.time_since_epoch().count());
  cv.wait_for(lock, std::chrono::milliseconds(1));
}

}  // namespace poolbench::testing
