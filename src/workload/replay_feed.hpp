#pragma once

// Replay's reader (workload.mode: replay; docs/capture.md, "Replay"): one thread streams the
// trace and hands each request, with its intended start on the run's clock, to the worker
// whose turn it is, through one bounded queue per worker. Not part of the public API (the
// generator's internals use it).

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <exception>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "scenario/scenario.hpp"
#include "scenario/trace_reader.hpp"
#include "workload/event_loop.hpp"

namespace poolbench::workload::detail {

/// Requests read ahead per worker: what bounds the feed's memory (with the longest
/// request's size), whatever the trace's length.
inline constexpr std::size_t k_replay_read_ahead = 512;

/// A request ready to start at `intended` (the run's steady clock).
struct ReplayItem {
  std::chrono::steady_clock::time_point intended;
  scenario::TraceRequest request;
};

/// One worker's queue: the reader pushes (blocking while full), the worker's loop pops
/// without blocking. Thread-safe.
class ReplayQueue {
 public:
  enum class Pop { item, empty, closed };

  /// Reader: appends `item`, waiting while the queue is full; false when `stop` was set
  /// meanwhile (the item is then dropped). Wakes the worker's loop if it waits.
  bool push(ReplayItem&& item, const std::atomic<bool>& stop);
  /// Reader: no more items; wakes the worker's loop if it waits.
  void close();
  /// Worker: the next item into `out`; `empty` registers `task` to be posted on `loop`
  /// when an item (or the close) comes.
  Pop try_pop(ReplayItem& out, EventLoop& loop, Task& task);

 private:
  /// Posts the waiting task, if any. Called with m_mutex held; the post itself is
  /// thread-safe and does not call back.
  void wake_locked();

  std::mutex m_mutex;
  std::condition_variable m_space;
  std::deque<ReplayItem> m_items;
  bool m_closed = false;
  EventLoop* m_waiting_loop = nullptr;  ///< set while the worker waits for an item
  Task* m_waiting_task = nullptr;
};

/// The reader thread and the workers' queues of one run.
class ReplayFeed {
 public:
  using Clock = std::chrono::steady_clock;

  /// Opens the trace (throws InputError for a bad header) and makes `workers` queues.
  /// Requests whose intended start (start + offset / speed) is at or after `end` are not
  /// sent; with replay.loop the trace starts over until then.
  ReplayFeed(const scenario::Scenario& scenario, int workers);
  ReplayFeed(const ReplayFeed&) = delete;
  ReplayFeed& operator=(const ReplayFeed&) = delete;
  ~ReplayFeed();

  /// The header's statement dictionary (what the requests' `q` index).
  const std::vector<scenario::TraceText>& texts() const noexcept { return m_texts; }
  ReplayQueue& queue(int worker) { return *m_queues[static_cast<std::size_t>(worker)]; }

  /// Starts the reader thread.
  void start(Clock::time_point start, Clock::time_point end);
  /// Stops the reader (if still reading) and joins it. Rethrows what the reader threw (a
  /// trace changed since it was checked).
  void stop();

 private:
  void read(Clock::time_point start, Clock::time_point end);
  /// One pass over the trace from its first request; false when the run's end was reached
  /// or the feed was stopped. `sent` counts this shard's requests handed out.
  bool read_pass(scenario::TraceReader& reader, Clock::time_point base, Clock::time_point end,
                 std::int64_t& sent);

  const scenario::Scenario& m_scenario;
  std::filesystem::path m_path;
  std::unique_ptr<scenario::TraceReader> m_first;  ///< the first pass's reader (header read)
  std::vector<scenario::TraceText> m_texts;
  std::chrono::microseconds m_period{0};  ///< replay.loop: one pass at speed 1
  std::vector<std::unique_ptr<ReplayQueue>> m_queues;
  std::atomic<bool> m_stop{false};
  std::thread m_thread;
  std::exception_ptr m_error;
};

}  // namespace poolbench::workload::detail
