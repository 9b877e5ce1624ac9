// The load generator: worker threads, open-loop arrivals, and run_load() (the sampling of
// the pools and the merge of what the workers measured). The client state machine is in
// generator_client.cpp.

#include "workload/generator.hpp"

#include <algorithm>
#include <cmath>
#include <optional>
#include <thread>

#include "metrics/hdr_codec.hpp"
#include "workload/generator_internal.hpp"

namespace poolbench::workload {
namespace detail {

/// Requests a closed-loop client may finish and restart inside one another before a timer
/// cuts the chain (a run of requests failing at once would otherwise deepen the stack).
constexpr int k_max_synchronous_restarts = 16;
/// Seed stream of worker i's arrivals: client_seed(k_arrival_seed_offset + i), far from the
/// clients' own streams.
constexpr std::int64_t k_arrival_seed_offset = 1'000'000;
/// How often the calling thread samples the pools (time-weighted gauges).
constexpr auto k_sample_interval = std::chrono::milliseconds(5);
/// How long a worker's loop waits at most before it checks the run's end again.
constexpr auto k_loop_turn_limit = std::chrono::milliseconds(50);
/// Requests still running this long after the end (beyond pool_timeout) are abandoned
/// (counted as unfinished).
constexpr auto k_drain_grace = std::chrono::seconds(30);

// ------------------------------------------------------------------------------ Worker

void Worker::request_done(Client& client, std::int64_t requests_done, Clock::time_point now) {
  const scenario::Scenario& scenario = shared.scenario;
  if (scenario.workload.mode != scenario::LoadMode::closed) {
    m_free.push_back(&client);
    return;
  }
  const auto next = now + scenario.workload.think_time;
  const bool more = !shared.stop_now && !(scenario.workload.transactions &&
                                          requests_done >= *scenario.workload.transactions);
  // pgbench -T: no new transaction after the end.
  if (!more || next >= shared.measure_end) {
    client.release_kept();
    return;
  }
  // With no think time the client asks for a connection again at once, before any waiter
  // woken by its check-in runs (what a thread or coroutine that keeps running does; this
  // is what lets `fairness: sqlalchemy` starve waiters). A chain of requests that all fail
  // at once (server down) is cut by a timer now and then, so the stack stays flat.
  if (scenario.workload.think_time.count() > 0 || depth > k_max_synchronous_restarts) {
    client.release_kept();
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
        m_rng(worker.shared.seeds.client_seed(k_arrival_seed_offset + worker.index)),
        m_next(worker.shared.start) {
    schedule_next();
  }
  bool finished() const noexcept { return m_finished; }
  void on_timer(std::uint64_t) override {
    // The clock is read again for every arrival: one that starts after a batch of others
    // (each may run a whole script inline) records its own lag, not the batch's first.
    for (auto now = Clock::now(); !m_finished && m_next <= now && !m_worker.shared.stop_now;
         now = Clock::now()) {
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
    if (m_worker.shared.scenario.workload.arrival == scenario::ArrivalProcess::poisson) {
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
  script::RandomState m_rng;
  Clock::time_point m_next;
  bool m_finished = false;
};

/// Replay: this worker's share of the trace's requests, from its ReplayFeed queue, each
/// started at its intended time (coordinated-omission free, as Arrivals). Never blocks:
/// when the queue is empty the feed posts this task once a request (or the end) comes.
class Worker::ReplayArrivals final : public Task {
 public:
  ReplayArrivals(Worker& worker, ReplayQueue& queue) : m_worker(worker), m_queue(queue) {
    m_worker.loop.add_timer(Clock::now(), this, 0);
  }
  bool finished() const noexcept { return m_finished; }
  void on_timer(std::uint64_t) override { pump(); }
  void on_readable() override {}
  void on_posted() override { pump(); }

 private:
  void pump() {
    while (!m_finished) {
      const auto now = Clock::now();  // per request, as Arrivals::on_timer
      if (!m_has_next) {
        const auto pop = m_queue.try_pop(m_next, m_worker.loop, *this);
        if (pop == ReplayQueue::Pop::empty) return;  // posted when one comes
        m_finished = pop == ReplayQueue::Pop::closed;
        m_has_next = !m_finished;
        continue;
      }
      if (m_worker.shared.stop_now) {
        m_finished = true;
      } else if (m_next.intended > now) {
        m_worker.loop.add_timer(m_next.intended, this, 0);
        return;
      } else {
        m_has_next = false;
        m_worker.arrive_replay(m_next, now);
      }
    }
  }

  Worker& m_worker;
  ReplayQueue& m_queue;
  ReplayItem m_next;
  bool m_has_next = false;
  bool m_finished = false;
};

Client* Worker::free_client(Clock::time_point intended) {
  if (m_free.empty()) {
    if (static_cast<int>(m_clients.size()) >= m_max_in_flight) {
      if (intended >= shared.measure_start && intended < shared.measure_end) recorder.dropped();
      return nullptr;
    }
    const std::int64_t id = m_next_request_id;
    m_next_request_id += shared.options.threads;
    m_clients.push_back(std::make_unique<Client>(*this, id, 0));
    m_free.push_back(m_clients.back().get());
  }
  Client* client = m_free.back();
  m_free.pop_back();
  client->use_pool(m_picker.next());
  return client;
}

void Worker::arrive(Clock::time_point intended, Clock::time_point now) {
  if (Client* client = free_client(intended)) client->start_request(intended, now);
}

void Worker::arrive_replay(ReplayItem& item, Clock::time_point now) {
  if (Client* client = free_client(item.intended)) client->start_replay(item, now);
}

void Worker::run() {
  const scenario::Scenario& scenario = shared.scenario;
  std::unique_ptr<Arrivals> arrivals;
  std::unique_ptr<ReplayArrivals> replay;
  if (scenario.workload.mode != scenario::LoadMode::closed) {
    const int threads = shared.options.threads;
    m_max_in_flight = (scenario.workload.max_in_flight + threads - 1) / threads;
    m_next_request_id = index;
    if (shared.replay != nullptr) {
      replay = std::make_unique<ReplayArrivals>(*this, shared.replay->queue(index));
    } else {
      arrivals = std::make_unique<Arrivals>(*this, scenario.workload.rate_per_s / threads);
    }
  } else {
    recorder.clients.resize(m_client_ids.size());  // never resized again: clients point in
    for (std::size_t i = 0; i < m_client_ids.size(); ++i) {
      const std::int64_t id = m_client_ids[i];
      const std::size_t pool = shared.client_pool[static_cast<std::size_t>(id)];
      m_clients.push_back(std::make_unique<Client>(*this, id, pool));
      recorder.clients[i].id = id;
      recorder.clients[i].instance = static_cast<std::uint32_t>(pool);
      m_clients.back()->record_into(&recorder.clients[i]);
    }
    for (auto& client : m_clients) client->start_request(shared.start, Clock::now());
  }
  for (;;) {
    const auto now = Clock::now();
    recorder.observe_cpu(now, shared.measure_end);
    if (shared.stop_now || now >= shared.drain_deadline) {
      for (auto& client : m_clients) client->abandon();
      break;
    }
    const bool arriving = (arrivals && !arrivals->finished()) || (replay && !replay->finished());
    if (in_flight == 0 && thinking == 0 && !arriving) break;
    loop.run_once(std::min(now + k_loop_turn_limit, shared.drain_deadline), now);
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

  void add(const pool::PoolStatus& sum, double dt) noexcept {
    checked_out += sum.checked_out * dt;
    checked_in += sum.checked_in * dt;
    overflow += sum.overflow * dt;
    waiting += sum.waiting * dt;
    seconds += dt;
  }
};

/// The shared state of a run: weights, client placement, connectors and the timeline.
void prepare_shared(Shared& shared, const scenario::Scenario& scenario, GeneratorOptions& options) {
  if (options.pool_shares.empty()) options.pool_shares.assign(options.pools.size(), 1.0);
  shared.client_pool = scenario::assign_clients(scenario.workload.clients, options.pool_shares);
  double total_weight = 0;
  for (const auto& transaction : options.transactions) {
    total_weight += transaction.weight;
    shared.cumulative_weights.push_back(total_weight);
    shared.slot_count = std::max(shared.slot_count, transaction.script.slot_count());
  }
  if (shared.replay != nullptr) {
    const auto& texts = shared.replay->texts();
    for (std::size_t q = 0; q < texts.size(); ++q) {
      shared.replay_commands.push_back(
          script::literal_sql_command(texts[q].sql, "pbreplay_" + std::to_string(q)));
      shared.replay_simple.push_back(texts[q].simple);
    }
  }
  for (pool::QueuePool* pool : options.pools) {
    shared.connectors.push_back(dynamic_cast<pg::AsyncConnectionFactory*>(&pool->factory()));
  }
  shared.back_to_back = scenario.workload.mode == scenario::LoadMode::closed &&
                        scenario.workload.think_time.count() == 0 &&
                        scenario.request.app_time.count() == 0 &&
                        scenario.request.checkout == scenario::CheckoutMode::per_request;
}

/// Starts the run's clock: its start, measurement window and drain deadline from now, and
/// each worker's recorder on that window. Called once the workers exist (their histograms
/// and loops take milliseconds to make), right before their threads start, so no client's
/// first intended start waits for the generator's own setup.
void start_clock(Shared& shared, const scenario::Scenario& scenario,
                 const std::vector<std::unique_ptr<Worker>>& workers) {
  const bool by_count = scenario.workload.transactions.has_value();
  shared.start = Clock::now();
  shared.measure_start = by_count ? shared.start : shared.start + scenario.workload.warmup;
  shared.measure_end =
      by_count ? Clock::time_point::max() : shared.measure_start + scenario.workload.duration;
  const auto drain = scenario.pool.settings.pool_timeout + k_drain_grace;
  shared.drain_deadline = by_count ? Clock::time_point::max() : shared.measure_end + drain;
  for (const auto& worker : workers) {
    worker->recorder.set_window(shared.measure_start, last_second(shared));
  }
}

/// What the calling thread measures while the workers run: the pools' time-weighted
/// gauges (one row a second) and the progress callback.
class PoolSampler {
 public:
  PoolSampler(Shared& shared, const GeneratorOptions& options,
              const std::vector<std::unique_ptr<Worker>>& workers, GeneratorResult& result)
      : m_shared(shared),
        m_options(options),
        m_workers(workers),
        m_result(result),
        m_instance_checked_out(options.pools.size(), 0.0),
        m_last_sample(Clock::now()),
        m_next_progress(shared.start + std::chrono::seconds(1)) {
    if (options.pools.size() > 1) result.instances.resize(options.pools.size());
    result.pool_peaks.resize(options.pools.size());
  }

  /// One sample at `now`.
  void sample(Clock::time_point now) {
    if (m_options.interrupted && m_options.interrupted()) {
      m_result.interrupted = true;
      m_shared.stop_now = true;
    }
    read_pools();
    if (!m_measuring && now >= m_shared.measure_start) {
      m_measuring = true;
      m_last_sample = m_shared.measure_start;
      if (m_options.on_measure_start) m_options.on_measure_start(m_shared.measure_start);
    }
    if (m_measuring && m_last_sample < m_shared.measure_end) integrate(now);
    if (now >= m_next_progress && m_options.on_progress) report_progress(now);
  }

  /// The gauge rows (one per measured second) and the whole window's integrals.
  std::vector<TimeseriesRow>& rows() noexcept { return m_rows; }
  const GaugeIntegrals& total() const noexcept { return m_total; }
  const std::vector<double>& instance_checked_out() const noexcept {
    return m_instance_checked_out;
  }

 private:
  void read_pools() {
    m_sum = pool::PoolStatus{};
    m_invalid = 0;
    m_checked_out_now.clear();
    m_overflow_now.clear();
    for (const pool::QueuePool* pool : m_options.pools) {
      const pool::PoolStatus status = pool->status();
      m_checked_out_now.push_back(status.checked_out);
      m_overflow_now.push_back(status.overflow);
      m_sum.checked_out += status.checked_out;
      m_sum.checked_in += status.checked_in;
      m_sum.overflow += status.overflow;
      m_sum.waiting += status.waiting;
      m_invalid += status.invalid;
    }
  }

  void integrate(Clock::time_point now) {
    // The sample that crosses the end integrates up to the end and closes the last row.
    const auto at = std::min(now, m_shared.measure_end);
    const double dt = std::chrono::duration<double>(at - m_last_sample).count();
    m_second.add(m_sum, dt);
    m_total.add(m_sum, dt);
    m_result.max_checked_out = std::max(m_result.max_checked_out, m_sum.checked_out);
    for (std::size_t p = 0; p < m_result.pool_peaks.size(); ++p) {
      auto& peak = m_result.pool_peaks[p];
      peak.checked_out = std::max(peak.checked_out, m_checked_out_now[p]);
      peak.overflow = std::max(peak.overflow, m_overflow_now[p]);
    }
    for (std::size_t p = 0; p < m_result.instances.size(); ++p) {
      m_instance_checked_out[p] += m_checked_out_now[p] * dt;
      m_result.instances[p].max_checked_out =
          std::max(m_result.instances[p].max_checked_out, m_checked_out_now[p]);
    }
    m_last_sample = at;
    if (at >= m_shared.measure_start + std::chrono::seconds(m_next_second) ||
        at >= m_shared.measure_end) {
      close_row();
    }
  }

  void close_row() {
    TimeseriesRow row;
    const double s = std::max(m_second.seconds, 1e-9);
    row.checked_out = m_second.checked_out / s;
    row.checked_in = m_second.checked_in / s;
    row.overflow = m_second.overflow / s;
    row.waiting = m_second.waiting / s;
    row.invalid = m_invalid;
    if (m_options.sample_server) row.server = m_options.sample_server();
    m_rows.push_back(std::move(row));
    m_second = GaugeIntegrals{};
    ++m_next_second;
  }

  void report_progress(Clock::time_point now) {
    ProgressSample progress;
    progress.elapsed_s = std::chrono::duration<double>(now - m_shared.start).count();
    progress.warming_up = now < m_shared.measure_start;
    std::int64_t completed = 0;
    for (const auto& worker : m_workers) {
      const Recorder& recorder = worker->recorder;
      completed += recorder.live_completed.load(std::memory_order_relaxed);
      progress.timeouts += recorder.live_timeouts.load(std::memory_order_relaxed);
      progress.errors += recorder.live_errors.load(std::memory_order_relaxed);
      progress.p99_ms =
          std::max(progress.p99_ms, recorder.last_second_p99_ms.load(std::memory_order_relaxed));
    }
    progress.throughput_rps = static_cast<double>(completed - m_last_completed);
    m_last_completed = completed;
    progress.checked_out = m_sum.checked_out;
    progress.overflow = m_sum.overflow;
    progress.waiting = m_sum.waiting;
    m_options.on_progress(progress);
    m_next_progress += std::chrono::seconds(1);
  }

  Shared& m_shared;
  const GeneratorOptions& m_options;
  const std::vector<std::unique_ptr<Worker>>& m_workers;
  GeneratorResult& m_result;
  GaugeIntegrals m_second;
  GaugeIntegrals m_total;
  std::vector<double> m_instance_checked_out;  // integrals
  std::vector<TimeseriesRow> m_rows;
  pool::PoolStatus m_sum;  // the last sample, summed over the pools
  std::uint64_t m_invalid = 0;
  std::vector<int> m_checked_out_now;
  std::vector<int> m_overflow_now;
  Clock::time_point m_last_sample;
  bool m_measuring = false;
  std::int64_t m_next_second = 1;
  std::int64_t m_last_completed = 0;
  Clock::time_point m_next_progress;
};

/// Adds every worker's recorder into `result` and returns how many seconds the time series
/// spans (the longest of the gauge rows and the workers' rows).
std::size_t merge_recorders(const std::vector<std::unique_ptr<Worker>>& workers,
                            std::size_t gauge_seconds, GeneratorResult& result) {
  std::size_t seconds_count = gauge_seconds;
  for (const auto& worker : workers) {
    const Recorder& r = worker->recorder;
    result.latency.merge(r.latency);
    result.checkout_wait.merge(r.checkout_wait);
    result.queue_wait.merge(r.queue_wait);
    result.hold.merge(r.hold);
    result.schedule_lag.merge(r.schedule_lag);
    result.counters.merge(r.counters);
    if (result.timeout_message.empty()) result.timeout_message = r.timeout_message;
    result.retries += r.retries;
    result.unfinished += r.unfinished;
    result.worker_cpu_s.push_back(r.cpu_measured_s());
    result.worker_cpu_busy.push_back(r.cpu_busy());
    seconds_count = std::max(seconds_count, r.seconds().size());
    for (std::size_t p = 0; p < r.instances.size() && p < result.instances.size(); ++p) {
      result.instances[p].stats.merge(r.instances[p]);
    }
    result.clients.insert(result.clients.end(), r.clients.begin(), r.clients.end());
  }
  std::sort(result.clients.begin(), result.clients.end(),
            [](const auto& a, const auto& b) { return a.id < b.id; });
  return seconds_count;
}

/// Second `i` of the time series: the gauges sampled then and every worker's row.
TimeseriesRow merged_row(const std::vector<std::unique_ptr<Worker>>& workers,
                         const std::vector<TimeseriesRow>& gauge_rows, std::size_t i,
                         std::chrono::system_clock::time_point system_start) {
  TimeseriesRow row = i < gauge_rows.size() ? gauge_rows[i] : TimeseriesRow{};
  row.t_s = static_cast<double>(i);
  row.unix_s =
      std::chrono::duration<double>((system_start + std::chrono::seconds(i)).time_since_epoch())
          .count();
  metrics::HdrHistogram merged;
  for (const auto& worker : workers) {
    const auto& rows = worker->recorder.seconds();
    if (i >= rows.size()) continue;
    row.completed += rows[i].completed;
    row.timeouts += rows[i].timeouts;
    row.errors += rows[i].errors;
    for (const auto& [sqlstate, count] : rows[i].errors_by_sqlstate) {
      row.errors_by_sqlstate[sqlstate] += count;
    }
    if (!rows[i].latency_hist.empty())
      merged.merge(metrics::decode_hdr_v2_base64(rows[i].latency_hist));
  }
  if (merged.total_count() > 0) {
    row.p50_ms = static_cast<double>(merged.value_at_percentile_us(50)) / 1000.0;
    row.p99_ms = static_cast<double>(merged.value_at_percentile_us(99)) / 1000.0;
  }
  row.latency_hist = metrics::encode_hdr_v2_base64(merged);
  return row;
}

}  // namespace detail

GeneratorResult run_load(const scenario::Scenario& scenario, GeneratorOptions options) {
  // Here, not at file scope: a unity build compiles the sources after this one in its scope.
  using namespace detail;
  options.threads = std::max(1, options.threads);
  if (scenario.workload.mode == scenario::LoadMode::closed) {
    options.threads = std::min(options.threads, scenario.workload.clients);
  }
  // Without a warmup the measurement window opens with the run. Its start hook (the server's
  // first statistics reading: a few queries) runs before the run's clock starts, so no
  // request runs before it and no request's intended start waits for it.
  const bool measures_from_start =
      scenario.workload.transactions.has_value() || scenario.workload.warmup.count() == 0;
  if (measures_from_start && options.on_measure_start) {
    options.on_measure_start(Clock::now());
    options.on_measure_start = nullptr;
  }
  Shared shared(scenario, options);
  std::optional<ReplayFeed> replay;  // outlives the workers, whose loops it posts to
  if (scenario.workload.mode == scenario::LoadMode::replay) {
    shared.replay = &replay.emplace(scenario, options.threads);
  }
  prepare_shared(shared, scenario, options);
  std::vector<std::unique_ptr<Worker>> workers;
  const auto ids = split_clients(scenario.workload.clients, options.threads);
  for (int i = 0; i < options.threads; ++i) {
    workers.push_back(std::make_unique<Worker>(shared, i, ids[static_cast<std::size_t>(i)]));
  }
  start_clock(shared, scenario, workers);
  if (replay) replay->start(shared.start, shared.measure_end);
  GeneratorResult result;
  PoolSampler sampler(shared, options, workers, result);
  std::atomic<int> running{options.threads};
  std::vector<std::thread> threads;
  for (auto& worker : workers) {
    threads.emplace_back([&running, w = worker.get()] {
      w->run();
      running.fetch_sub(1);
    });
  }

  const auto system_start =
      std::chrono::system_clock::now() +
      duration_cast<std::chrono::system_clock::duration>(shared.measure_start - shared.start);
  while (running.load() > 0) {
    std::this_thread::sleep_for(k_sample_interval);
    sampler.sample(Clock::now());
  }
  for (auto& thread : threads) thread.join();
  const auto ended = Clock::now();
  if (replay) replay->stop();  // rethrows what the reader threw (a trace changed meanwhile)

  const std::size_t seconds_count = merge_recorders(workers, sampler.rows().size(), result);
  const GaugeIntegrals& total = sampler.total();
  for (std::size_t p = 0; p < result.instances.size(); ++p) {
    result.instances[p].mean_checked_out =
        total.seconds > 0 ? sampler.instance_checked_out()[p] / total.seconds : 0;
  }
  const auto window_end = std::min(ended, shared.measure_end);
  result.measured_s =
      std::max(0.0, std::chrono::duration<double>(window_end - shared.measure_start).count());
  result.mean_checked_out = total.seconds > 0 ? total.checked_out / total.seconds : 0;
  for (std::size_t i = 0; i < seconds_count; ++i) {
    result.timeseries.push_back(merged_row(workers, sampler.rows(), i, system_start));
  }
  return result;
}

}  // namespace poolbench::workload
