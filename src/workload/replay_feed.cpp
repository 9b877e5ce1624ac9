#include "workload/replay_feed.hpp"

#include <algorithm>
#include <cmath>
#include <utility>

namespace poolbench::workload::detail {

/// How often a reader blocked on a full queue checks whether the run stopped.
constexpr auto k_full_queue_poll = std::chrono::milliseconds(50);

// ------------------------------------------------------------------------------ ReplayQueue

bool ReplayQueue::push(ReplayItem&& item, const std::atomic<bool>& stop) {
  std::unique_lock lock(m_mutex);
  while (m_items.size() >= k_replay_read_ahead) {
    if (stop.load()) return false;
    m_space.wait_for(lock, k_full_queue_poll);
  }
  m_items.push_back(std::move(item));
  wake_locked();
  return true;
}

void ReplayQueue::close() {
  std::lock_guard lock(m_mutex);
  m_closed = true;
  wake_locked();
}

ReplayQueue::Pop ReplayQueue::try_pop(ReplayItem& out, EventLoop& loop, Task& task) {
  std::lock_guard lock(m_mutex);
  if (m_items.empty()) {
    if (m_closed) return Pop::closed;
    m_waiting_loop = &loop;
    m_waiting_task = &task;
    return Pop::empty;
  }
  out = std::move(m_items.front());
  m_items.pop_front();
  m_space.notify_one();
  return Pop::item;
}

void ReplayQueue::wake_locked() {
  if (m_waiting_loop == nullptr) return;
  m_waiting_loop->post(m_waiting_task);
  m_waiting_loop = nullptr;
  m_waiting_task = nullptr;
}

// ------------------------------------------------------------------------------ ReplayFeed

ReplayFeed::ReplayFeed(const scenario::Scenario& scenario, int workers)
    : m_scenario(scenario),
      m_path(scenario::replay_trace_path(scenario)),
      m_first(std::make_unique<scenario::TraceReader>(m_path)),
      m_texts(m_first->texts()) {
  // One pass lasts from the first arrival to one mean gap after the last, so the next
  // pass's first request does not land on the last one.
  const auto& header = m_first->header();
  const double span_us = std::round(header.span_s * 1e6);
  const double gap_us = header.requests > 1 ? span_us / static_cast<double>(header.requests - 1)
                                            : 1e6;  // a single request: once a second
  m_period = std::chrono::microseconds(static_cast<std::int64_t>(span_us + std::max(gap_us, 1.0)));
  for (int i = 0; i < workers; ++i) m_queues.push_back(std::make_unique<ReplayQueue>());
}

ReplayFeed::~ReplayFeed() {
  m_stop = true;
  if (m_thread.joinable()) m_thread.join();
}

void ReplayFeed::start(Clock::time_point start, Clock::time_point end) {
  m_thread = std::thread([this, start, end] {
    try {
      read(start, end);
    } catch (...) {
      m_error = std::current_exception();
    }
    for (auto& queue : m_queues) queue->close();
  });
}

void ReplayFeed::stop() {
  m_stop = true;
  if (m_thread.joinable()) m_thread.join();
  if (m_error) std::rethrow_exception(std::exchange(m_error, nullptr));
}

void ReplayFeed::read(Clock::time_point start, Clock::time_point end) {
  std::int64_t sent = 0;
  std::unique_ptr<scenario::TraceReader> reader = std::move(m_first);
  const double speed = m_scenario.replay.speed;
  for (std::int64_t pass = 0;; ++pass) {
    const auto offset = std::chrono::duration<double, std::micro>(
        static_cast<double>(pass) * static_cast<double>(m_period.count()) / speed);
    const std::int64_t before = sent;
    if (!read_pass(*reader, start + std::chrono::duration_cast<Clock::duration>(offset), end,
                   sent)) {
      return;
    }
    // A pass that gave this shard nothing would give it nothing again.
    if (!m_scenario.replay.loop || sent == before) return;
    reader = std::make_unique<scenario::TraceReader>(m_path);
  }
}

bool ReplayFeed::read_pass(scenario::TraceReader& reader, Clock::time_point base,
                           Clock::time_point end, std::int64_t& sent) {
  const auto& replay = m_scenario.replay;
  const auto workers = static_cast<std::int64_t>(m_queues.size());
  ReplayItem item;
  while (reader.next(item.request)) {
    if (item.request.index % replay.shard_count != replay.shard_index) continue;
    const std::chrono::duration<double, std::micro> at(static_cast<double>(item.request.at_us) /
                                                       replay.speed);
    item.intended = base + std::chrono::duration_cast<Clock::duration>(at);
    if (item.intended >= end) return false;
    ReplayQueue& queue = *m_queues[static_cast<std::size_t>(sent % workers)];
    if (!queue.push(std::move(item), m_stop)) return false;
    ++sent;
    item = ReplayItem{};
  }
  return !m_stop.load();
}

}  // namespace poolbench::workload::detail
