#pragma once

// What the kernel says of a server on this machine (Linux /proc): the CPU time of the
// postmaster and its children, their resident memory, and the block device holding the data
// directory (/proc/diskstats). Every reading names why it failed, so results.json can say
// why a key is null. `root` is the /proc to read: a test points it elsewhere.

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>

#include <sys/types.h>

namespace poolbench::cluster {

/// A value, or why there is none.
template <class T>
struct Reading {
  std::optional<T> value;
  std::string reason;  ///< empty when `value` is set
};

/// Counters of one block device since boot (/proc/diskstats), cumulative.
struct DiskCounters {
  std::string device;  ///< its name in /proc/diskstats ("sda1", "nvme0n1p2")
  std::uint64_t reads = 0;
  std::uint64_t writes = 0;
  std::uint64_t read_bytes = 0;
  std::uint64_t write_bytes = 0;
  std::uint64_t busy_ms = 0;  ///< time with I/O in flight
};

/// Reads processes and devices from a /proc. Stateless; thread-compatible.
class ProcFs {
 public:
  explicit ProcFs(std::filesystem::path root = "/proc") : m_root(std::move(root)) {}

  /// CPU seconds (user + system) of `pid`, the children it waited for, and every living
  /// child of it (with the children they waited for): a postmaster's whole server, backends
  /// that exited included (the postmaster reaps them). Cumulative since each started.
  Reading<double> tree_cpu_s(pid_t pid) const;

  /// How many living children `pid` has.
  std::size_t children_count(pid_t pid) const;

  /// CPU seconds (user + system) of this process (`root`/self).
  Reading<double> self_cpu_s() const;

  /// Resident memory of `pid` and its living children, bytes: each one's private
  /// (anonymous) memory plus the largest shared part (file and shared memory) of one of
  /// them, so shared_buffers is counted once.
  Reading<std::uint64_t> tree_rss_bytes(pid_t pid) const;

  /// The parent of `pid`.
  Reading<pid_t> parent_of(pid_t pid) const;

  /// The command name of `pid` ("postgres").
  Reading<std::string> command_of(pid_t pid) const;

  /// The working directory of `pid` (a postmaster's is its data directory).
  Reading<std::filesystem::path> cwd_of(pid_t pid) const;

  /// The counters of the block device that holds `path`.
  Reading<DiskCounters> disk_of(const std::filesystem::path& path) const;

 private:
  std::filesystem::path m_root;
};

/// The kernel's clock tick (USER_HZ), the resolution of the CPU times of /proc, seconds.
double clock_tick_s();

/// The parts of a /proc/<pid>/stat line poolbench reads (proc(5)); nullopt when it is not
/// one (the command name may hold spaces and parentheses: the fields follow the last ')').
struct ProcStat {
  pid_t ppid = 0;
  std::uint64_t utime = 0, stime = 0, cutime = 0, cstime = 0;  ///< clock ticks
};
std::optional<ProcStat> parse_proc_stat(const std::string& line);

/// The /proc/diskstats line of device `major`:`minor`, or nullopt.
std::optional<DiskCounters> find_diskstats(const std::string& diskstats, unsigned major,
                                           unsigned minor);

}  // namespace poolbench::cluster
