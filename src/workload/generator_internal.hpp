#pragma once

// The generator's internals, shared by generator.cpp (workers, arrivals, run_load) and
// generator_client.cpp (the per-client state machine) and generator_connection.cpp (its
// connection work: acquire, connect, pre-ping, reset, release). Not part of the public API: include
// workload/generator.hpp instead.

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "pg/statement_connection.hpp"
#include "pool/queue_pool.hpp"
#include "scenario/instance_split.hpp"
#include "script/client_state.hpp"
#include "script/script_runtime.hpp"
#include "workload/event_loop.hpp"
#include "workload/generator.hpp"
#include "workload/recorder.hpp"
#include "workload/replay_feed.hpp"

namespace poolbench::workload::detail {

using Clock = std::chrono::steady_clock;
using std::chrono::duration_cast;
using std::chrono::microseconds;

/// SQLSTATE counted for a script's own run-time error (division by zero in `\set`, ...):
/// class P0 is PL/pgSQL's "raise exception", the closest standard meaning.
inline constexpr std::string_view k_sqlstate_script_error = "P0001";
/// SQLSTATEs counted for a `\gset` whose statement returned no row / several rows:
/// PL/pgSQL's no_data_found and too_many_rows, raised by SELECT INTO STRICT for the same.
inline constexpr std::string_view k_sqlstate_gset_no_row = "P0002";
inline constexpr std::string_view k_sqlstate_gset_rows = "P0003";

/// Read-only state every worker shares.
struct Shared {
  Shared(const scenario::Scenario& the_scenario, const GeneratorOptions& the_options)
      : scenario(the_scenario), options(the_options), seeds(the_options.random_seed) {}

  const scenario::Scenario& scenario;
  const GeneratorOptions& options;
  std::vector<double> cumulative_weights;  // for picking a transaction
  std::vector<std::size_t> client_pool;    // closed loop: client id -> pool index
  std::size_t slot_count = 0;
  script::SeedSequence seeds;
  Clock::time_point start;
  Clock::time_point measure_start;
  Clock::time_point measure_end;  // time_point::max() with `transactions`
  Clock::time_point drain_deadline;
  std::atomic<bool> stop_now{false};  // interrupt or drain deadline: abandon in-flight work
  /// Closed loop, per_request, no think or app time: a client asks for a connection again
  /// the moment it returns one, so it returns it with QueuePool::exchange_async.
  bool back_to_back = false;
  /// Per pool: its factory when it opens connections without blocking (the clients then
  /// do the pool's connection work on their loop), else null (the pool does it, blocking).
  std::vector<pg::AsyncConnectionFactory*> connectors;
  /// workload.mode: replay: the feed of the trace's requests (else null), and its statement
  /// dictionary as commands (index = a statement's `q`; prepared as "pbreplay_<q>").
  ReplayFeed* replay = nullptr;
  std::vector<script::SqlCommand> replay_commands;
  std::vector<bool> replay_simple;  ///< per `q`: captured through the simple protocol
};

class Worker;

/// The last one-second row of the window: completions after the end (requests intended
/// inside it that finish late) are counted there. No limit when the run counts transactions.
std::int64_t last_second(const Shared& shared);

/// How a request ended.
enum class RequestOutcome { completed, timed_out, failed };

/// How a client gives its connection back.
enum class Release {
  check_in,           ///< to the pool (which rolls back, closes or keeps it)
  keep_for_exchange,  ///< the hold ends, but the next request's checkout exchanges it
  reset_failed,       ///< closed: the client's own rollback failed
};

/// What follows a rollback the client runs itself (without blocking its loop).
enum class AfterReset {
  finish,  ///< the request ended inside a transaction: check in, then record the outcome
  retry,   ///< a retryable error inside a transaction: rerun the script
};

/// One closed-loop client or one open-loop request slot: a state machine the worker's
/// event loop drives. Invariant: at most one of (ticket pending, timer armed for the
/// current token, socket watched) at a time, except that a connect in progress has both
/// its socket watched and its connect_timeout timer armed.
///
/// Connection work never blocks the loop: with a factory that opens connections without
/// blocking (pg::AsyncConnectionFactory), the pool hands the client the connects and
/// pre-pings of its acquires (pool::ConnectionWork::caller), which it runs as it runs
/// statements, and the client rolls back an open transaction itself before check-in.
class Client final : public Task {
 public:
  Client(Worker& worker, std::int64_t id, std::size_t pool_index);
  /// Open loop: the pool (app instance) the next request goes through. Only while idle.
  void use_pool(std::size_t index);
  /// Closed loop: where this client's own measured outcomes go (kept by the recorder).
  void record_into(metrics::ClientStats* stats) noexcept { m_stats = stats; }

  /// Starts a request whose intended start is `intended` (`now` or earlier). The hot path
  /// passes the time it read last instead of reading the clock again.
  void start_request(Clock::time_point intended, Clock::time_point now);
  /// Replay: starts the trace's request in `item` (taken; its buffers are swapped in).
  void start_replay(ReplayItem& item, Clock::time_point now);
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
  enum class Phase {
    idle,
    thinking,
    app_time,
    acquiring,   ///< waiting for the pool (ticket)
    connecting,  ///< opening a connection for the pool (m_attempt)
    pinging,     ///< pre-pinging a connection for the pool (m_work)
    sleeping,
    querying,
    resetting,  ///< rolling the held connection back (m_after_reset says what follows)
  };

  // generator_client.cpp: the request.
  /// What every request does first: intended start, in-flight count, schedule lag.
  void open_request(Clock::time_point intended, Clock::time_point now);
  void begin_script(Clock::time_point now);
  void step();
  /// Replay's step(): the next statement of m_replay, after its gap (connection held).
  void step_replay();
  /// Replay: sends the statement m_pc - 1 of m_replay as prepared with its recorded
  /// parameters, or as a simple query when it was captured so and has none.
  void send_replay(const script::SqlCommand& command, pg::StatementConnection& connection);
  /// Replay: the statement just stepped to (m_pc - 1) goes as a simple query.
  bool replays_simple() const noexcept;
  void send(const script::SqlCommand& command);
  /// Whether `command` runs as a prepared statement (prepared first on each connection):
  /// workload.protocol prepared, not compound; in a replay, a statement with parameters.
  bool prepares(const script::SqlCommand& command) const noexcept;
  /// workload.protocol simple: `command`'s text with each value quoted for `connection`
  /// (NULL as NULL) into m_simple_sql. False (message in m_state.error()) when a variable
  /// is unset or a value cannot be quoted.
  bool render_quoted(const script::SqlCommand& command, pg::StatementConnection& connection);
  /// Renders a script's statement (parameters, or a compound's text) and sends it.
  void send_script_statement(const script::SqlCommand& command,
                             pg::StatementConnection& connection);
  /// `\gset`/`\aset`: the results of `command` into variables. False when the request
  /// failed (a `\gset` without exactly one row) and has been finished.
  bool store_results(const script::SqlCommand& command);
  /// The preparation of m_preparing answered: send it, or fail the request as its send would.
  void on_prepared(pg::StatementOutcome outcome);
  void on_statement_done(pg::StatementOutcome outcome);
  void retry();
  /// Ends the request: rolls back first when a transaction is open, then check-in and
  /// record. `message`: the timeout's text.
  void finish(RequestOutcome outcome, std::string_view sqlstate = {},
              std::string_view message = {});
  void complete_request(RequestOutcome outcome, std::string_view sqlstate, std::string_view message,
                        Release release);
  void arm_timer(Clock::time_point at, Phase phase);
  /// True when the request's intended start is inside the measurement window.
  bool measured() const noexcept { return m_measured; }
  void set_intended(Clock::time_point intended) noexcept;

  // generator_connection.cpp: acquire, connect, pre-ping, reset, release.
  void acquire(Clock::time_point now);
  void on_acquired(pool::AcquireResult result);
  /// The lease is in hand since `now`: the checkout's wait ends, the hold starts, the
  /// script goes on.
  void use_connection(Clock::time_point now);
  /// From the acquire's start to the pool's grant or refusal (the queueing alone).
  void record_queue_wait(Clock::time_point now);
  /// From the acquire's start to a usable connection (with its connect and pre-ping).
  void record_checkout_wait(Clock::time_point now);
  pg::AsyncConnectionFactory* connector() const noexcept;
  void start_connect();
  /// Watches the attempt's socket as it asks, or reports the connect once it is done.
  void wait_connect();
  void connect_timed_out();
  void connect_done(pool::ConnectResult result);
  void start_ping();
  void ping_done(pool::PingOutcome outcome);
  void start_reset(AfterReset after);
  void reset_done(const pg::StatementOutcome& outcome);
  /// The connection whose answer the client waits for (querying, pinging, resetting).
  pg::StatementConnection* busy_connection() noexcept;
  void watch(pg::StatementConnection& connection);
  /// Before the lease goes back to the pool: the loop drops its registration of the socket.
  void leave_loop() noexcept;
  /// Stops a connect or pre-ping in progress (abandon): the pool frees its slot.
  void drop_connection_work() noexcept;
  /// Gives the connection back (if held) and returns the time it was back (the end of its
  /// hold). Release::keep_for_exchange: the next request follows at once; the hold ends
  /// here, but the connection stays in hand until that request's checkout exchanges it.
  Clock::time_point release_connection(Release how = Release::check_in);

  /// The end of a request whose connection is being rolled back first (never a timeout:
  /// a timed-out request holds no connection). Small: every client carries one.
  struct PendingEnd {
    RequestOutcome outcome = RequestOutcome::completed;
    std::uint8_t sqlstate_size = 0;
    std::array<char, 5> sqlstate{};  ///< a SQLSTATE has 5 characters
    std::string_view sqlstate_view() const noexcept { return {sqlstate.data(), sqlstate_size}; }
  };

  Worker& m_worker;
  pool::QueuePool* m_pool;
  std::size_t m_pool_index = 0;
  script::ClientState m_state;
  script::ParamValues m_params;
  std::string m_simple_sql;   // a compound or simple-protocol statement's text
  pg::KeptResults m_results;  // the results of a statement followed by \gset or \aset
  std::string m_name_buffer;  // a variable's name while storing results
  Phase m_phase = Phase::idle;
  std::uint64_t m_token = 0;  // timers carrying another token are stale
  pool::Ticket m_ticket;
  pool::Lease m_lease;
  bool m_kept = false;  // m_lease's hold is over: it goes back with the next checkout
  int m_watched_fd = -1;
  std::int64_t m_requests_done = 0;
  metrics::ClientStats* m_stats = nullptr;  // closed loop: this client's outcomes

  // Connection work for the pool.
  pool::PendingCheckout m_work;                   // the connect or pre-ping asked for
  std::unique_ptr<pg::ConnectAttempt> m_attempt;  // Phase::connecting
  int m_connect_fd = -1;                          // the attempt's socket being watched
  AfterReset m_after_reset = AfterReset::finish;
  PendingEnd m_end;

  // The request in flight.
  Clock::time_point m_intended;
  bool m_measured = false;  // m_intended is inside the measurement window
  Clock::time_point m_acquire_started;
  Clock::time_point m_acquired_at;
  const CompiledTransaction* m_transaction = nullptr;
  std::size_t m_pc = 0;                             // next command of the script
  const script::SqlCommand* m_preparing = nullptr;  // being prepared (Phase::querying)
  // The statement last sent and the serial of its connection, where it is prepared.
  const script::SqlCommand* m_prepared_command = nullptr;
  std::uint64_t m_prepared_serial = 0;
  bool m_pinned = false;  // per_statement: inside BEGIN..COMMIT, the connection stays
  int m_tries = 0;
  script::RandomState m_rng_at_start;                 // restored for a retry, as pgbench does
  const script::SqlCommand* m_pending_sql = nullptr;  // waiting for a connection to run it

  // Replay: the request in flight, whether the gap before statement m_pc was waited, and
  // the parameters' pointers for libpq.
  scenario::TraceRequest m_replay;
  bool m_gap_waited = false;
  std::vector<const char*> m_replay_params;
};

class Worker {
 public:
  Worker(Shared& the_shared, int the_index, std::vector<std::int64_t> client_ids)
      : shared(the_shared),
        index(the_index),
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
  /// Replay: the trace's request in `item`, handled at `now`.
  void arrive_replay(ReplayItem& item, Clock::time_point now);

 private:
  class Arrivals;
  class ReplayArrivals;

  /// Open loop and replay: an idle request slot for an arrival intended at `intended`
  /// (made if under this worker's max_in_flight), or null: the arrival is dropped.
  Client* free_client(Clock::time_point intended);

  std::vector<std::int64_t> m_client_ids;
  std::vector<std::unique_ptr<Client>> m_clients;
  std::vector<Client*> m_free;  // open loop: idle request slots
  int m_max_in_flight = 0;      // open loop: this worker's share of max_in_flight
  std::int64_t m_next_request_id = 0;
  scenario::InstancePicker m_picker;  // open loop: the pool of each request
};

}  // namespace poolbench::workload::detail
