#pragma once

// The generator's internals, shared by generator.cpp (workers, arrivals, run_load) and
// generator_client.cpp (the per-client state machine). Not part of the public API: include
// workload/generator.hpp instead.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "pg/statement_connection.hpp"
#include "pool/queue_pool.hpp"
#include "workload/client_state.hpp"
#include "workload/event_loop.hpp"
#include "workload/generator.hpp"
#include "workload/instance_split.hpp"
#include "workload/recorder.hpp"
#include "workload/script_runtime.hpp"

namespace poolbench::workload::detail {

using Clock = std::chrono::steady_clock;
using std::chrono::duration_cast;
using std::chrono::microseconds;

/// SQLSTATE counted for a script's own run-time error (division by zero in `\set`, ...):
/// class P0 is PL/pgSQL's "raise exception", the closest standard meaning.
inline constexpr std::string_view k_sqlstate_script_error = "P0001";

/// Read-only state every worker shares.
struct Shared {
  const Scenario& scenario;
  const GeneratorOptions& options;
  std::vector<double> cumulative_weights;  // for picking a transaction
  std::vector<std::size_t> client_pool;    // closed loop: client id -> pool index
  std::size_t slot_count = 0;
  SeedSequence seeds;
  Clock::time_point start;
  Clock::time_point measure_start;
  Clock::time_point measure_end;  // time_point::max() with `transactions`
  Clock::time_point drain_deadline;
  std::atomic<bool> stop_now{false};  // interrupt or drain deadline: abandon in-flight work
  /// Closed loop, per_request, no think or app time: a client asks for a connection again
  /// the moment it returns one, so it returns it with QueuePool::exchange_async.
  bool back_to_back = false;
};

class Worker;

/// The last one-second row of the window: completions after the end (requests intended
/// inside it that finish late) are counted there. No limit when the run counts transactions.
std::int64_t last_second(const Shared& shared);

/// One closed-loop client or one open-loop request slot: a state machine the worker's
/// event loop drives. Invariant: at most one of (ticket pending, timer armed for the
/// current token, socket watched) at a time.
class Client final : public Task {
 public:
  Client(Worker& worker, std::int64_t id, std::size_t pool_index);
  /// Open loop: the pool (app instance) the next request goes through. Only while idle.
  void use_pool(std::size_t index);

  /// Starts a request whose intended start is `intended` (`now` or earlier). The hot path
  /// passes the time it read last instead of reading the clock again.
  void start_request(Clock::time_point intended, Clock::time_point now);
  /// Closed loop: think (no connection held), then start a request at `ready`.
  void think_until(Clock::time_point ready);
  bool busy() const noexcept { return m_phase != Phase::idle; }
  /// Checks in the connection the last request kept for an exchange (Shared::back_to_back)
  /// when no request follows at once after all.
  void release_kept() noexcept;
  /// Abandons the request in flight (drain deadline or interrupt).
  void abandon();

  void on_timer(std::uint64_t token) override;
  void on_readable() override;
  void on_posted() override;

 private:
  enum class Phase { idle, thinking, app_time, acquiring, sleeping, querying };

  void begin_script(Clock::time_point now);
  void acquire(Clock::time_point now);
  void on_acquired(pool::AcquireResult result);
  void step();
  void send(const SqlCommand& command);
  void on_statement_done(pg::StatementOutcome outcome);
  /// Checks the connection in (if held) and returns the time it was back (the end of its
  /// hold). `keep`: the next request follows at once; the hold ends here, but the connection
  /// stays in hand until that request's checkout exchanges it (QueuePool::exchange_async).
  Clock::time_point release_connection(bool keep = false);
  void finish(bool ok, std::string_view sqlstate = {}, bool timeout = false,
              std::string_view message = {});
  void arm_timer(Clock::time_point at, Phase phase);
  bool measured() const noexcept;

  Worker& m_worker;
  pool::QueuePool* m_pool;
  std::size_t m_pool_index = 0;
  ClientState m_state;
  ParamValues m_params;
  Phase m_phase = Phase::idle;
  std::uint64_t m_token = 0;  // timers carrying another token are stale
  pool::Ticket m_ticket;
  pool::Lease m_lease;
  bool m_kept = false;  // m_lease's hold is over: it goes back with the next checkout
  int m_watched_fd = -1;
  std::int64_t m_requests_done = 0;

  // The request in flight.
  Clock::time_point m_intended;
  Clock::time_point m_acquire_started;
  Clock::time_point m_acquired_at;
  const CompiledTransaction* m_transaction = nullptr;
  std::size_t m_pc = 0;   // next command of the script
  bool m_pinned = false;  // per_statement: inside BEGIN..COMMIT, the connection stays
  int m_tries = 0;
  RandomState m_rng_at_start;                 // restored for a retry, as pgbench does
  const SqlCommand* m_pending_sql = nullptr;  // waiting for a connection to run it
};

class Worker {
 public:
  Worker(Shared& shared, int index, std::vector<std::int64_t> client_ids)
      : shared(shared),
        index(index),
        recorder(shared.measure_start, last_second(shared)),
        m_client_ids(std::move(client_ids)),
        m_picker(shared.options.pool_shares, static_cast<double>(index) / 7.0) {
    if (shared.options.pools.size() > 1) recorder.instances.resize(shared.options.pools.size());
  }

  void run();

  Shared& shared;
  const int index;
  EventLoop loop;
  Recorder recorder;
  int in_flight = 0;  // requests running now
  int thinking = 0;   // closed-loop clients waiting to start their next request
  int depth = 0;      // nesting of requests finished and restarted synchronously

  /// A client finished a request at `now`: closed-loop clients start the next one.
  void request_done(Client& client, std::int64_t requests_done, Clock::time_point now);
  /// Open loop: an arrival intended at `intended`, handled at `now`.
  void arrive(Clock::time_point intended, Clock::time_point now);

 private:
  class Arrivals;

  std::vector<std::int64_t> m_client_ids;
  std::vector<std::unique_ptr<Client>> m_clients;
  std::vector<Client*> m_free;  // open loop: idle request slots
  int m_max_in_flight = 0;      // open loop: this worker's share of max_in_flight
  std::int64_t m_next_request_id = 0;
  InstancePicker m_picker;  // open loop: the pool of each request
};

}  // namespace poolbench::workload::detail
