#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "metrics/hdr_histogram.hpp"
#include "metrics/summary.hpp"
#include "pool/queue_pool.hpp"
#include "scenario/scenario.hpp"
#include "script/script.hpp"
#include "workload/recorder.hpp"

namespace poolbench::workload {

/// A transaction of the scenario with its parsed script.
struct CompiledTransaction {
  std::string name;
  double weight = 1;
  script::Script script;
};

/// The server's connection states for this run's application_name (pg_stat_activity), and
/// what the whole server counted since the previous sample (nullopt when not collected:
/// server.stats false, or the view is missing).
struct ServerStates {
  int active = 0;
  int idle = 0;
  int idle_in_transaction = 0;
  std::optional<double> blks_read;    ///< pg_stat_database of the target database
  std::optional<double> wal_bytes;    ///< pg_stat_wal
  std::optional<double> checkpoints;  ///< pg_stat_bgwriter, timed + requested
};

/// One row of the per-second time series (docs/results.md, What is measured).
struct TimeseriesRow {
  double t_s = 0;     ///< seconds since the measurement start (start of this second)
  double unix_s = 0;  ///< wall-clock time of the same instant
  std::int64_t completed = 0;
  std::int64_t timeouts = 0;
  std::int64_t errors = 0;
  std::map<std::string, std::int64_t> errors_by_sqlstate;  ///< of `errors` (fault windows)
  double checked_out = 0;  ///< time-weighted means over the second, summed over instances
  double checked_in = 0;
  double overflow = 0;
  double waiting = 0;
  std::uint64_t invalid = 0;  ///< cumulative at the end of the second
  std::optional<double> p50_ms;
  std::optional<double> p99_ms;
  std::optional<ServerStates> server;
  std::string latency_hist;  ///< V2 base64 of this second's latencies
};

/// What the progress callback sees once a second (from the calling thread).
struct ProgressSample {
  double elapsed_s = 0;  ///< since the start, warmup included
  bool warming_up = false;
  double throughput_rps = 0;  ///< completions in the last second
  double p99_ms = 0;          ///< highest per-worker p99 of the last closed second
  int checked_out = 0;
  int overflow = 0;
  int waiting = 0;
  std::int64_t timeouts = 0;  ///< measured so far
  std::int64_t errors = 0;
};

struct GeneratorOptions {
  std::vector<CompiledTransaction> transactions;
  /// One pool per app instance; closed-loop client c uses pool c % size, open-loop request
  /// n uses pool n % size. Their factories must make
  /// pg::StatementConnection (libpq's, or the fake server's).
  std::vector<pool::QueuePool*> pools;
  /// Each pool's share of the clients (closed loop) or arrivals (open loop), same order as
  /// `pools`; empty: equal shares.
  std::vector<double> pool_shares;
  int threads = 1;
  std::uint64_t random_seed = 1;
  /// Polled every few milliseconds from the calling thread: true (e.g. after SIGINT) stops
  /// the run at once, keeping what was measured.
  std::function<bool()> interrupted;
  /// Called once a second from the calling thread (never from a worker).
  std::function<void(const ProgressSample&)> on_progress;
  /// Called once a second from the calling thread; nullopt when unavailable.
  std::function<std::optional<ServerStates>()> sample_server;
  /// Called once when the measurement starts (warmup over), with the window's start (the
  /// call comes a few milliseconds after it, from the sampling thread; before the clock
  /// starts when the window opens with the run): e.g. to start recording connects.
  std::function<void(std::chrono::steady_clock::time_point)> on_measure_start;
  /// When set, every completed request adds one (relaxed), warmup and drain included: the
  /// caller counts the requests between two readings of its own (the server's statistics),
  /// which need not coincide with the measurement window.
  std::atomic<std::int64_t>* completions = nullptr;
};

/// Everything one run measured, merged over the worker threads.
struct GeneratorResult {
  metrics::HdrHistogram latency;
  /// From the acquire's start to a usable connection: the queueing, then any connect and
  /// pre-ping the pool asked for (the application's view of a checkout).
  metrics::HdrHistogram checkout_wait;
  /// From the acquire's start to the pool's grant: the queueing alone, what the queueing
  /// models describe. Timed-out acquires count their whole wait in both.
  metrics::HdrHistogram queue_wait;
  metrics::HdrHistogram hold;
  metrics::HdrHistogram schedule_lag;
  metrics::Counters counters;
  std::string timeout_message;
  std::int64_t retries = 0;
  std::int64_t unfinished = 0;
  double measured_s = 0;        ///< the measurement window's length
  double mean_checked_out = 0;  ///< time-weighted over the measurement, all instances
  int max_checked_out = 0;      ///< highest sampled, summed over instances
  std::vector<TimeseriesRow> timeseries;
  /// Per worker thread: its CPU time (user + system) inside the measurement window, s.
  std::vector<double> worker_cpu_s;
  /// Per worker thread: the fraction of about the window it was on a CPU (0..1).
  std::vector<double> worker_cpu_busy;
  /// Per pool, in GeneratorOptions::pools order: the highest checked_out and overflow
  /// sampled (every 5 ms) inside the measurement window.
  struct PoolPeak {
    int checked_out = 0;
    int overflow = 0;
  };
  std::vector<PoolPeak> pool_peaks;
  /// Per pool (app instance), when there are several; empty with one pool.
  struct Instance {
    InstanceStats stats;
    double mean_checked_out = 0;
    int max_checked_out = 0;
  };
  std::vector<Instance> instances;
  /// Closed loop: every client's own outcomes, by client id; empty in an open loop.
  std::vector<metrics::ClientStats> clients;
  bool interrupted = false;
};

/// Drives the scenario's workload through the pools: `threads` worker threads, each an
/// event loop multiplexing its share of the clients (or arrivals) with non-blocking libpq
/// and the pool's asynchronous acquire. Returns when the workload is done (duration or
/// transactions), or at once on interrupt. The calling thread samples the pools every few
/// milliseconds for the time-weighted gauges. Never throws for request-level failures:
/// they are counted.
GeneratorResult run_load(const scenario::Scenario& scenario, GeneratorOptions options);

}  // namespace poolbench::workload
