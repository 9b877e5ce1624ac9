#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "pg/dsn.hpp"
#include "scenario/scenario.hpp"

// Injects a scenario's faults during the measurement, each at its offset from the
// measurement start, on a thread of its own, and records what it did. The run never stops
// for a fault: what the pools see (errors, timeouts, invalidations) is measured by the
// generator as usual, and recovery is computed afterwards (recovery.hpp).

namespace poolbench::cluster {
class Cluster;
}
namespace poolbench::pool {
class QueuePool;
}

namespace poolbench::faults {

class DelayProxy;

/// The pools' counters that tell how they recovered, summed over the pools.
struct PoolSnapshot {
  std::uint64_t connects = 0;
  std::uint64_t invalidations = 0;
  std::uint64_t preping_failures = 0;
};

/// What the faults act on.
struct FaultTargets {
  std::string conninfo;          ///< connects as the run's user; holds the password: never print
  std::string application_name;  ///< the pools' backends (terminate_backends)
  cluster::Cluster* cluster = nullptr;  ///< the embedded server (restart); else none
  DelayProxy* proxy = nullptr;          ///< the pools connect through it (network_delay)
  std::vector<pool::QueuePool*> pools;  ///< for the counters
};

/// One injected fault, as it happened.
struct FaultRecord {
  scenario::Fault fault;
  double start_s = 0;  ///< since the measurement start, when the injection began
  double end_s = 0;    ///< when it was over (restart: the server accepts connections again)
  double start_unix_s = 0;
  std::string detail;   ///< "terminated 8 backends", "held 93 connections until 12.0 s", ...
  std::string error;    ///< the injection itself failed (e.g. no connection); empty when not
  PoolSnapshot before;  ///< pool counters when the fault began
  PoolSnapshot after;   ///< when the next fault began, or the run ended
};

/// True when `target` reaches its server over TCP (a host name or address, not a Unix
/// socket directory and not libpq's default socket).
bool is_tcp(const pg::ConnectionTarget& target);

/// Checks before anything runs that every fault can be injected on these targets: restart
/// needs the embedded server, network_delay a TCP server (not a Unix socket). Throws
/// InputError naming the fault.
void check_injectable(const std::vector<scenario::Fault>& faults, bool embedded, bool tcp_server);

class FaultInjector {
 public:
  using Clock = std::chrono::steady_clock;

  FaultInjector(std::vector<scenario::Fault> faults, FaultTargets targets);
  FaultInjector(const FaultInjector&) = delete;
  FaultInjector& operator=(const FaultInjector&) = delete;
  ~FaultInjector();

  /// Starts the thread; fault offsets count from `measure_start`.
  void start(Clock::time_point measure_start);
  /// Ends early (a lasting fault is lifted at once), joins, and returns the records of the
  /// faults that began, with their `after` counters. Call once.
  std::vector<FaultRecord> finish();

 private:
  void run() noexcept;
  /// Sleeps until `until`; false when finish() was called meanwhile.
  bool wait_until(Clock::time_point until);
  void inject(FaultRecord& record);
  PoolSnapshot snapshot() const;

  std::vector<scenario::Fault> m_faults;
  FaultTargets m_targets;
  Clock::time_point m_measure_start;
  std::vector<FaultRecord> m_records;  // written by the thread; read after join
  std::mutex m_mutex;
  std::condition_variable m_wake;
  bool m_stop = false;  // guarded by m_mutex
  std::thread m_thread;
};

}  // namespace poolbench::faults
