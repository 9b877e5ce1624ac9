// The load generator: worker threads, open-loop arrivals, and run_load() (the sampling of
// the pools and the merge of what the workers measured). The client state machine is in
// generator_client.cpp.

#include "workload/generator.hpp"

#include <algorithm>
#include <cmath>
#include <thread>

#include "metrics/hdr_codec.hpp"
#include "workload/generator_internal.hpp"

namespace poolbench::workload {
namespace detail {

// ------------------------------------------------------------------------------ Worker

void Worker::request_done(Client& client, std::int64_t requests_done, Clock::time_point now) {
  const Scenario& scenario = shared.scenario;
  if (scenario.workload.mode == LoadMode::open) {
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
  if (scenario.workload.think_time.count() > 0 || depth > 16) {
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

}  // namespace detail

using namespace detail;

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
  shared.back_to_back = scenario.workload.mode == LoadMode::closed &&
                        scenario.workload.think_time.count() == 0 &&
                        scenario.request.app_time.count() == 0 &&
                        scenario.request.checkout == CheckoutMode::per_request;
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
    result.timeseries.push_back(std::move(row));
  }
  return result;
}

}  // namespace poolbench::workload
