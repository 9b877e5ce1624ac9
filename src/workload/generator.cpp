#include "workload/generator.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <thread>
#include <variant>

#include "metrics/hdr_codec.hpp"
#include "pg/errors.hpp"
#include "pg/statement_connection.hpp"
#include "workload/client_state.hpp"
#include "workload/event_loop.hpp"
#include "workload/instance_split.hpp"
#include "workload/recorder.hpp"
#include "workload/script_runtime.hpp"

namespace poolbench::workload {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::duration_cast;
using std::chrono::microseconds;

/// SQLSTATE counted for a script's own run-time error (division by zero in `\set`, ...):
/// class P0 is PL/pgSQL's "raise exception", the closest standard meaning.
constexpr std::string_view k_sqlstate_script_error = "P0001";

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
};

class Worker;

/// The last one-second row of the window: completions after the end (requests intended
/// inside it that finish late) are counted there. No limit when the run counts transactions.
std::int64_t last_second(const Shared& shared) {
  if (shared.measure_end == Clock::time_point::max())
    return std::numeric_limits<std::int64_t>::max();
  const auto window =
      std::chrono::duration_cast<microseconds>(shared.measure_end - shared.measure_start);
  return std::max<std::int64_t>(0, (window.count() + 999'999) / 1'000'000 - 1);
}

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
  /// hold).
  Clock::time_point release_connection();
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

Client::Client(Worker& worker, std::int64_t id, std::size_t pool_index)
    : m_worker(worker),
      m_pool(worker.shared.options.pools[pool_index]),
      m_pool_index(pool_index),
      m_state(make_client_params(worker.shared.seeds, id, worker.shared.scenario.dataset.scale),
              worker.shared.slot_count) {}

bool Client::measured() const noexcept {
  return m_intended >= m_worker.shared.measure_start && m_intended < m_worker.shared.measure_end;
}

void Client::arm_timer(Clock::time_point at, Phase phase) {
  m_phase = phase;
  m_worker.loop.add_timer(at, this, ++m_token);
}

void Client::start_request(Clock::time_point intended, Clock::time_point now) {
  m_intended = intended;
  ++m_worker.in_flight;
  if (measured()) {
    m_worker.recorder.schedule_lag.record(duration_cast<microseconds>(now - intended).count());
  }
  // Pick the transaction by weight.
  const auto& weights = m_worker.shared.cumulative_weights;
  const double draw = m_state.rng().uniform_double() * weights.back();
  const auto it = std::upper_bound(weights.begin(), weights.end(), draw);
  m_transaction =
      &m_worker.shared.options.transactions[static_cast<std::size_t>(std::min<std::ptrdiff_t>(
          it - weights.begin(), static_cast<std::ptrdiff_t>(weights.size()) - 1))];
  m_tries = 0;
  const auto app_time = m_worker.shared.scenario.request.app_time;
  if (app_time.count() > 0) {
    arm_timer(now + app_time, Phase::app_time);
  } else {
    begin_script(now);
  }
}

void Client::begin_script(Clock::time_point now) {
  ++m_tries;
  m_pc = 0;
  m_pinned = false;
  m_rng_at_start = m_state.rng();
  if (m_worker.shared.scenario.request.checkout == CheckoutMode::per_request && !m_lease) {
    acquire(now);
  } else {
    step();
  }
}

void Client::acquire(Clock::time_point now) {
  m_phase = Phase::acquiring;
  m_acquire_started = now;
  EventLoop* loop = &m_worker.loop;
  pool::AsyncAcquire async = m_pool->acquire_async([loop, this] { loop->post(this); });
  if (async.result) {
    on_acquired(std::move(*async.result));
    return;
  }
  m_ticket = std::move(async.ticket);
  m_worker.loop.add_timer(m_ticket.deadline(), this, ++m_token);
}

void Client::on_acquired(pool::AcquireResult result) {
  const auto now = Clock::now();
  if (measured()) {
    const auto wait_us = duration_cast<microseconds>(now - m_acquire_started).count();
    m_worker.recorder.checkout_wait.record(wait_us);
    if (!m_worker.recorder.instances.empty()) {
      m_worker.recorder.instances[m_pool_index].checkout_wait.record(wait_us);
    }
  }
  if (!result.ok()) {
    if (result.status == pool::AcquireStatus::timeout) {
      finish(false, {}, true, result.error);
    } else {
      finish(false, result.sqlstate);
    }
    return;
  }
  m_lease = std::move(result.lease);
  m_acquired_at = now;
  if (m_pending_sql != nullptr) {
    const SqlCommand* command = m_pending_sql;
    m_pending_sql = nullptr;
    send(*command);
  } else {
    step();
  }
}

void Client::step() {
  const auto& commands = m_transaction->script.commands();
  while (m_pc < commands.size()) {
    const Command& command = commands[m_pc++];
    if (const auto* set = std::get_if<SetCommand>(&command)) {
      if (!execute_set(*set, m_state)) {
        finish(false, k_sqlstate_script_error);
        return;
      }
    } else if (const auto* sleep = std::get_if<SleepCommand>(&command)) {
      microseconds duration{0};
      if (!sleep_duration(*sleep, m_state, duration)) {
        finish(false, k_sqlstate_script_error);
        return;
      }
      arm_timer(Clock::now() + duration, Phase::sleeping);
      return;
    } else {
      const auto& sql = std::get<SqlCommand>(command);
      if (!m_lease) {
        m_pending_sql = &sql;
        acquire(Clock::now());
        return;
      }
      send(sql);
      return;
    }
  }
  finish(true);
}

void Client::send(const SqlCommand& command) {
  m_phase = Phase::querying;
  auto& connection = m_lease.as<pg::StatementConnection>();
  if (auto failure = connection.prepare(command.prepared_name, command.text)) {
    on_statement_done(pg::StatementOutcome{false, 0, std::move(failure)});
    return;
  }
  if (command.is_begin) m_pinned = true;
  if (command.is_commit) m_pinned = false;
  m_params.render(command, m_state);
  if (!connection.send_prepared_raw(command.prepared_name, m_params.count(), m_params.values())) {
    on_statement_done(connection.take_outcome());
    return;
  }
  m_watched_fd = connection.socket();
  m_worker.loop.watch_readable(m_watched_fd, connection.serial(), this);
}

void Client::on_readable() {
  if (m_phase != Phase::querying || !m_lease) return;
  auto& connection = m_lease.as<pg::StatementConnection>();
  if (connection.consume() == pg::Progress::busy) return;  // still watched
  m_worker.loop.unwatch(m_watched_fd);
  m_watched_fd = -1;
  on_statement_done(connection.take_outcome());
}

void Client::on_statement_done(pg::StatementOutcome outcome) {
  if (!outcome.ok) {
    const pg::PgFailure& failure = *outcome.failure;
    const int max_tries = m_worker.shared.scenario.request.max_tries;
    if (failure.kind == pg::ErrorKind::retryable && (max_tries == 0 || m_tries < max_tries) &&
        !m_worker.shared.stop_now) {
      // pgbench's retry: roll back, restore the random state, rerun the whole script.
      m_lease.connection().rollback();
      m_state.rng() = m_rng_at_start;
      ++m_worker.recorder.retries;
      if (m_worker.shared.scenario.request.checkout == CheckoutMode::per_statement) {
        release_connection();
      }
      begin_script(Clock::now());
      return;
    }
    finish(false, failure.sqlstate);
    return;
  }
  if (m_worker.shared.scenario.request.checkout == CheckoutMode::per_statement && !m_pinned) {
    release_connection();
  }
  step();
}

Clock::time_point Client::release_connection() {
  if (m_watched_fd >= 0) {
    m_worker.loop.unwatch(m_watched_fd);
    m_watched_fd = -1;
  }
  if (!m_lease) return Clock::now();
  m_lease.release();  // the hold ends when the check-in (and any reset) is done
  const auto now = Clock::now();
  if (measured()) {
    m_worker.recorder.hold.record(duration_cast<microseconds>(now - m_acquired_at).count());
  }
  return now;
}

void Client::finish(bool ok, std::string_view sqlstate, bool timeout, std::string_view message) {
  // One clock read for the hold's end, the completion and the next request's start.
  const auto now = release_connection();
  m_pending_sql = nullptr;
  if (measured()) {
    const std::string_view state = sqlstate.empty() ? pg::k_sqlstate_connection_failure : sqlstate;
    const auto latency = duration_cast<microseconds>(now - m_intended);
    if (ok) {
      m_worker.recorder.completed(now, latency);
    } else if (timeout) {
      m_worker.recorder.timed_out(now, message);
    } else {
      m_worker.recorder.failed(now, state);
    }
    if (!m_worker.recorder.instances.empty()) {
      InstanceStats& instance = m_worker.recorder.instances[m_pool_index];
      if (ok) {
        instance.counters.add_completed();
        instance.latency.record(latency.count());
      } else if (timeout) {
        instance.counters.add_timeout();
      } else {
        instance.counters.add_error(state);
      }
    }
  }
  m_phase = Phase::idle;
  ++m_token;
  --m_worker.in_flight;
  m_worker.request_done(*this, ++m_requests_done, now);
}

void Client::abandon() {
  if (m_phase == Phase::idle) return;
  if (m_ticket.pending()) m_pool->cancel(m_ticket);
  release_connection();
  m_pending_sql = nullptr;
  ++m_token;
  if (m_phase == Phase::thinking) {
    --m_worker.thinking;
  } else {
    --m_worker.in_flight;
    if (measured()) ++m_worker.recorder.unfinished;
  }
  m_phase = Phase::idle;
}

void Client::use_pool(std::size_t index) {
  m_pool_index = index;
  m_pool = m_worker.shared.options.pools[index];
}

void Client::think_until(Clock::time_point ready) {
  m_intended = ready;
  ++m_worker.thinking;
  arm_timer(ready, Phase::thinking);
}

void Client::on_timer(std::uint64_t token) {
  if (token != m_token) return;  // stale
  switch (m_phase) {
    case Phase::thinking:
      m_phase = Phase::idle;
      --m_worker.thinking;
      start_request(m_intended, Clock::now());  // intended start: when it became ready
      break;
    case Phase::app_time:
      begin_script(Clock::now());
      break;
    case Phase::sleeping:
      step();
      break;
    case Phase::acquiring:
      on_posted();  // the deadline: poll for the result (a timeout, or a late grant)
      break;
    default:
      break;
  }
}

void Client::on_posted() {
  if (m_phase == Phase::querying) {
    on_readable();  // a socket that could not be watched: read what is there
    return;
  }
  if (m_phase != Phase::acquiring || !m_ticket.pending()) return;
  if (auto result = m_pool->poll(m_ticket)) on_acquired(std::move(*result));
}

// ------------------------------------------------------------------------------ Worker

void Worker::request_done(Client& client, std::int64_t requests_done, Clock::time_point now) {
  const Scenario& scenario = shared.scenario;
  if (scenario.workload.mode == LoadMode::open) {
    m_free.push_back(&client);
    return;
  }
  if (shared.stop_now) return;
  if (scenario.workload.transactions && requests_done >= *scenario.workload.transactions) return;
  const auto next = now + scenario.workload.think_time;
  if (next >= shared.measure_end) return;  // pgbench -T: no new transaction after the end
  // With no think time the client asks for a connection again at once, before any waiter
  // woken by its check-in runs (what a thread or coroutine that keeps running does; this
  // is what lets `fairness: sqlalchemy` starve waiters). A chain of requests that all fail
  // at once (server down) is cut by a timer now and then, so the stack stays flat.
  if (scenario.workload.think_time.count() > 0 || depth > 16) {
    client.think_until(next);
    return;
  }
  ++depth;
  client.start_request(next, now);
  --depth;
}

/// Open loop: this worker's share of the arrivals, Poisson or evenly spaced, scheduled
/// from the intended times (coordinated-omission free: a late arrival keeps its time).
class Worker::Arrivals final : public Task {
 public:
  Arrivals(Worker& worker, double rate_per_s)
      : m_worker(worker),
        m_mean_gap_s(1.0 / rate_per_s),
        m_rng(worker.shared.seeds.client_seed(1'000'000 + worker.index)),
        m_next(worker.shared.start) {
    schedule_next();
  }
  bool finished() const noexcept { return m_finished; }
  void on_timer(std::uint64_t) override {
    const auto now = Clock::now();
    while (!m_finished && m_next <= now && !m_worker.shared.stop_now) {
      m_worker.arrive(m_next, now);
      advance();
    }
    if (!m_finished) m_worker.loop.add_timer(m_next, this, 0);
  }
  void on_readable() override {}
  void on_posted() override {}

 private:
  void advance() {
    double gap_s = m_mean_gap_s;
    if (m_worker.shared.scenario.workload.arrival == ArrivalProcess::poisson) {
      gap_s = -std::log(1.0 - m_rng.uniform_double()) * m_mean_gap_s;  // u in [0,1): finite
    }
    m_next += duration_cast<Clock::duration>(std::chrono::duration<double>(gap_s));
    if (m_next >= m_worker.shared.measure_end) m_finished = true;
  }
  void schedule_next() {
    advance();
    if (!m_finished) m_worker.loop.add_timer(m_next, this, 0);
  }

  Worker& m_worker;
  double m_mean_gap_s;
  RandomState m_rng;
  Clock::time_point m_next;
  bool m_finished = false;
};

void Worker::arrive(Clock::time_point intended, Clock::time_point now) {
  const bool measured = intended >= shared.measure_start && intended < shared.measure_end;
  if (m_free.empty()) {
    if (static_cast<int>(m_clients.size()) >= m_max_in_flight) {
      if (measured) recorder.dropped();
      return;
    }
    const std::int64_t id = m_next_request_id;
    m_next_request_id += shared.options.threads;
    m_clients.push_back(std::make_unique<Client>(*this, id, 0));
    m_free.push_back(m_clients.back().get());
  }
  Client* client = m_free.back();
  m_free.pop_back();
  client->use_pool(m_picker.next());
  client->start_request(intended, now);
}

void Worker::run() {
  const Scenario& scenario = shared.scenario;
  std::unique_ptr<Arrivals> arrivals;
  if (scenario.workload.mode == LoadMode::open) {
    const int threads = shared.options.threads;
    m_max_in_flight = (scenario.workload.max_in_flight + threads - 1) / threads;
    m_next_request_id = index;
    arrivals = std::make_unique<Arrivals>(*this, scenario.workload.rate_per_s / threads);
  } else {
    for (const std::int64_t id : m_client_ids) {
      m_clients.push_back(
          std::make_unique<Client>(*this, id, shared.client_pool[static_cast<std::size_t>(id)]));
    }
    for (auto& client : m_clients) client->start_request(shared.start, Clock::now());
  }
  for (;;) {
    const auto now = Clock::now();
    if (shared.stop_now || now >= shared.drain_deadline) {
      for (auto& client : m_clients) client->abandon();
      break;
    }
    const bool arriving = arrivals && !arrivals->finished();
    if (in_flight == 0 && thinking == 0 && !arriving) break;
    loop.run_once(std::min(now + std::chrono::milliseconds(50), shared.drain_deadline));
  }
  recorder.finish();
}

/// Splits the closed-loop client ids over the workers (client c on worker c % threads).
std::vector<std::vector<std::int64_t>> split_clients(int clients, int threads) {
  std::vector<std::vector<std::int64_t>> ids(static_cast<std::size_t>(threads));
  for (int c = 0; c < clients; ++c) ids[static_cast<std::size_t>(c % threads)].push_back(c);
  return ids;
}

/// Time-weighted pool gauges, summed over instances, sampled by the calling thread.
struct GaugeIntegrals {
  double checked_out = 0;
  double checked_in = 0;
  double overflow = 0;
  double waiting = 0;
  double seconds = 0;
};

}  // namespace

GeneratorResult run_load(const Scenario& scenario, GeneratorOptions options) {
  options.threads = std::max(1, options.threads);
  if (scenario.workload.mode == LoadMode::closed) {
    options.threads = std::min(options.threads, scenario.workload.clients);
  }
  Shared shared{scenario, options, {}, {}, 0, SeedSequence(options.random_seed), {}, {}, {}, {}};
  if (options.pool_shares.empty()) options.pool_shares.assign(options.pools.size(), 1.0);
  shared.client_pool = assign_clients(scenario.workload.clients, options.pool_shares);
  double total_weight = 0;
  for (const auto& transaction : options.transactions) {
    total_weight += transaction.weight;
    shared.cumulative_weights.push_back(total_weight);
    shared.slot_count = std::max(shared.slot_count, transaction.script.slot_count());
  }
  const bool by_count = scenario.workload.transactions.has_value();
  shared.start = Clock::now();
  shared.measure_start = by_count ? shared.start : shared.start + scenario.workload.warmup;
  shared.measure_end =
      by_count ? Clock::time_point::max() : shared.measure_start + scenario.workload.duration;
  // Requests still running this long after the end are abandoned (counted as unfinished).
  const auto drain = scenario.pool.settings.pool_timeout + std::chrono::seconds(30);
  shared.drain_deadline = by_count ? Clock::time_point::max() : shared.measure_end + drain;

  std::vector<std::unique_ptr<Worker>> workers;
  const auto ids = split_clients(scenario.workload.clients, options.threads);
  for (int i = 0; i < options.threads; ++i) {
    workers.push_back(std::make_unique<Worker>(shared, i, ids[static_cast<std::size_t>(i)]));
  }
  std::atomic<int> running{options.threads};
  std::vector<std::thread> threads;
  for (auto& worker : workers) {
    threads.emplace_back([&running, w = worker.get()] {
      w->run();
      running.fetch_sub(1);
    });
  }

  // Sample the pools every few milliseconds; close a time-series row every second.
  const auto system_start =
      std::chrono::system_clock::now() +
      duration_cast<std::chrono::system_clock::duration>(shared.measure_start - shared.start);
  GeneratorResult result;
  GaugeIntegrals second;
  GaugeIntegrals total;
  std::vector<double> instance_checked_out(options.pools.size(), 0.0);  // integrals
  if (options.pools.size() > 1) result.instances.resize(options.pools.size());
  std::vector<TimeseriesRow> gauge_rows;
  auto last_sample = Clock::now();
  bool measuring = false;
  std::int64_t next_second = 1;
  std::int64_t last_completed = 0;
  auto next_progress = shared.start + std::chrono::seconds(1);
  while (running.load() > 0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    const auto now = Clock::now();
    if (options.interrupted && options.interrupted()) {
      result.interrupted = true;
      shared.stop_now = true;
    }
    pool::PoolStatus sum;
    std::uint64_t invalid = 0;
    std::vector<int> checked_out_now;
    for (const pool::QueuePool* pool : options.pools) {
      const pool::PoolStatus status = pool->status();
      checked_out_now.push_back(status.checked_out);
      sum.checked_out += status.checked_out;
      sum.checked_in += status.checked_in;
      sum.overflow += status.overflow;
      sum.waiting += status.waiting;
      invalid += status.invalid;
    }
    if (!measuring && now >= shared.measure_start) {
      measuring = true;
      last_sample = shared.measure_start;
      if (options.on_measure_start) options.on_measure_start();
    }
    if (measuring && last_sample < shared.measure_end) {
      // The sample that crosses the end integrates up to the end and closes the last row.
      const auto at = std::min(now, shared.measure_end);
      const double dt = std::chrono::duration<double>(at - last_sample).count();
      for (GaugeIntegrals* g : {&second, &total}) {
        g->checked_out += sum.checked_out * dt;
        g->checked_in += sum.checked_in * dt;
        g->overflow += sum.overflow * dt;
        g->waiting += sum.waiting * dt;
        g->seconds += dt;
      }
      result.max_checked_out = std::max(result.max_checked_out, sum.checked_out);
      for (std::size_t p = 0; p < result.instances.size(); ++p) {
        instance_checked_out[p] += checked_out_now[p] * dt;
        result.instances[p].max_checked_out =
            std::max(result.instances[p].max_checked_out, checked_out_now[p]);
      }
      last_sample = at;
      if (at >= shared.measure_start + std::chrono::seconds(next_second) ||
          at >= shared.measure_end) {
        TimeseriesRow row;
        const double s = std::max(second.seconds, 1e-9);
        row.checked_out = second.checked_out / s;
        row.checked_in = second.checked_in / s;
        row.overflow = second.overflow / s;
        row.waiting = second.waiting / s;
        row.invalid = invalid;
        if (options.sample_server) row.server = options.sample_server();
        gauge_rows.push_back(std::move(row));
        second = GaugeIntegrals{};
        ++next_second;
      }
    }
    if (now >= next_progress && options.on_progress) {
      ProgressSample progress;
      progress.elapsed_s = std::chrono::duration<double>(now - shared.start).count();
      progress.warming_up = now < shared.measure_start;
      std::int64_t completed = 0;
      for (const auto& worker : workers) {
        completed += worker->recorder.live_completed.load(std::memory_order_relaxed);
        progress.timeouts += worker->recorder.live_timeouts.load(std::memory_order_relaxed);
        progress.errors += worker->recorder.live_errors.load(std::memory_order_relaxed);
        progress.p99_ms = std::max(
            progress.p99_ms, worker->recorder.last_second_p99_ms.load(std::memory_order_relaxed));
      }
      progress.throughput_rps = static_cast<double>(completed - last_completed);
      last_completed = completed;
      progress.checked_out = sum.checked_out;
      progress.overflow = sum.overflow;
      progress.waiting = sum.waiting;
      options.on_progress(progress);
      next_progress += std::chrono::seconds(1);
    }
  }
  for (auto& thread : threads) thread.join();
  const auto ended = Clock::now();

  // Merge the workers.
  std::size_t seconds_count = gauge_rows.size();
  for (auto& worker : workers) {
    Recorder& r = worker->recorder;
    result.latency.merge(r.latency);
    result.checkout_wait.merge(r.checkout_wait);
    result.hold.merge(r.hold);
    result.schedule_lag.merge(r.schedule_lag);
    result.counters.merge(r.counters);
    if (result.timeout_message.empty()) result.timeout_message = r.timeout_message;
    result.retries += r.retries;
    result.unfinished += r.unfinished;
    seconds_count = std::max(seconds_count, r.seconds().size());
    for (std::size_t p = 0; p < r.instances.size() && p < result.instances.size(); ++p) {
      result.instances[p].stats.merge(r.instances[p]);
    }
  }
  for (std::size_t p = 0; p < result.instances.size(); ++p) {
    result.instances[p].mean_checked_out =
        total.seconds > 0 ? instance_checked_out[p] / total.seconds : 0;
  }
  const auto window_end = std::min(ended, shared.measure_end);
  result.measured_s =
      std::max(0.0, std::chrono::duration<double>(window_end - shared.measure_start).count());
  result.mean_checked_out = total.seconds > 0 ? total.checked_out / total.seconds : 0;
  for (std::size_t i = 0; i < seconds_count; ++i) {
    TimeseriesRow row = i < gauge_rows.size() ? gauge_rows[i] : TimeseriesRow{};
    row.t_s = static_cast<double>(i);
    row.unix_s =
        std::chrono::duration<double>((system_start + std::chrono::seconds(i)).time_since_epoch())
            .count();
    metrics::HdrHistogram merged;
    for (auto& worker : workers) {
      const auto& rows = worker->recorder.seconds();
      if (i >= rows.size()) continue;
      row.completed += rows[i].completed;
      row.timeouts += rows[i].timeouts;
      row.errors += rows[i].errors;
      if (!rows[i].latency_hist.empty())
        merged.merge(metrics::decode_hdr_v2_base64(rows[i].latency_hist));
    }
    if (merged.total_count() > 0) {
      row.p50_ms = static_cast<double>(merged.value_at_percentile_us(50)) / 1000.0;
      row.p99_ms = static_cast<double>(merged.value_at_percentile_us(99)) / 1000.0;
    }
    row.latency_hist = metrics::encode_hdr_v2_base64(merged);
    result.timeseries.push_back(std::move(row));
  }
  return result;
}

}  // namespace poolbench::workload
