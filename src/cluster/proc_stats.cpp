#include "cluster/proc_stats.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>
#include <system_error>
#include <vector>

#include <fmt/format.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

namespace poolbench::cluster {
namespace {

constexpr std::uint64_t k_sector_bytes = 512;  // /proc/diskstats counts 512-byte sectors
constexpr std::uint64_t k_kib = 1024;

std::optional<std::string> read_text(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

double ticks_to_s(std::uint64_t ticks) {
  return static_cast<double>(ticks) * clock_tick_s();
}

std::optional<ProcStat> stat_of(const std::filesystem::path& root, pid_t pid) {
  const auto text = read_text(root / std::to_string(pid) / "stat");
  return text ? parse_proc_stat(*text) : std::nullopt;
}

/// The processes under `root` whose parent is `pid`.
std::vector<pid_t> children_of(const std::filesystem::path& root, pid_t pid) {
  std::vector<pid_t> children;
  std::error_code ec;
  for (std::filesystem::directory_iterator it(root, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.empty() ||
        !std::all_of(name.begin(), name.end(), [](char c) { return c >= '0' && c <= '9'; }))
      continue;
    const pid_t child = static_cast<pid_t>(std::stol(name));
    if (const auto stat = stat_of(root, child); stat && stat->ppid == pid)
      children.push_back(child);
  }
  return children;
}

std::string unreadable(const std::filesystem::path& file) {
  return fmt::format("{} is not readable (no /proc, another PID namespace, or no permission)",
                     file.string());
}

/// A "Name:   123 kB" field of /proc/<pid>/status, in bytes (0 when absent).
std::uint64_t status_kb(const std::string& status, const std::string& name) {
  const auto at = status.find(name + ":");
  if (at == std::string::npos) return 0;
  std::istringstream in(status.substr(at + name.size() + 1));
  std::uint64_t kb = 0;
  in >> kb;
  return kb * k_kib;
}

}  // namespace

double clock_tick_s() {
  static const long k_ticks_per_s = sysconf(_SC_CLK_TCK);
  return 1.0 / static_cast<double>(k_ticks_per_s > 0 ? k_ticks_per_s : 100);
}

std::size_t ProcFs::children_count(pid_t pid) const {
  return children_of(m_root, pid).size();
}

std::optional<ProcStat> parse_proc_stat(const std::string& line) {
  const auto close = line.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream in(line.substr(close + 1));
  // Fields 3.. of proc(5): state ppid pgrp session tty_nr tpgid flags minflt cminflt majflt
  // cmajflt utime stime cutime cstime.
  std::string state;
  ProcStat stat;
  std::int64_t skip = 0;
  in >> state >> stat.ppid;
  for (int i = 0; i < 9; ++i) in >> skip;
  in >> stat.utime >> stat.stime >> stat.cutime >> stat.cstime;
  if (!in) return std::nullopt;
  return stat;
}

std::optional<DiskCounters> find_diskstats(const std::string& diskstats, unsigned major,
                                           unsigned minor) {
  std::istringstream lines(diskstats);
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream in(line);
    unsigned ma = 0, mi = 0;
    DiskCounters d;
    std::uint64_t reads_merged = 0, sectors_read = 0, ms_reading = 0, writes_merged = 0,
                  sectors_written = 0, ms_writing = 0, in_flight = 0;
    in >> ma >> mi >> d.device >> d.reads >> reads_merged >> sectors_read >> ms_reading >>
        d.writes >> writes_merged >> sectors_written >> ms_writing >> in_flight >> d.busy_ms;
    if (!in || ma != major || mi != minor) continue;
    d.read_bytes = sectors_read * k_sector_bytes;
    d.write_bytes = sectors_written * k_sector_bytes;
    return d;
  }
  return std::nullopt;
}

Reading<double> ProcFs::tree_cpu_s(pid_t pid) const {
  const auto own = stat_of(m_root, pid);
  if (!own) return {std::nullopt, unreadable(m_root / std::to_string(pid) / "stat")};
  std::uint64_t ticks = own->utime + own->stime + own->cutime + own->cstime;
  for (const pid_t child : children_of(m_root, pid)) {
    // A child that exits between the listing and this read is counted by its parent's
    // cutime once reaped: missing it here only delays it.
    if (const auto stat = stat_of(m_root, child))
      ticks += stat->utime + stat->stime + stat->cutime + stat->cstime;
  }
  return {ticks_to_s(ticks), {}};
}

Reading<double> ProcFs::self_cpu_s() const {
  const auto text = read_text(m_root / "self" / "stat");
  const auto stat = text ? parse_proc_stat(*text) : std::nullopt;
  if (!stat) return {std::nullopt, unreadable(m_root / "self" / "stat")};
  return {ticks_to_s(stat->utime + stat->stime), {}};
}

Reading<std::uint64_t> ProcFs::tree_rss_bytes(pid_t pid) const {
  std::vector<pid_t> pids = children_of(m_root, pid);
  pids.push_back(pid);
  std::uint64_t private_bytes = 0;
  std::uint64_t largest_shared = 0;
  bool any = false;
  for (const pid_t p : pids) {
    const auto status = read_text(m_root / std::to_string(p) / "status");
    if (!status) continue;
    any = true;
    private_bytes += status_kb(*status, "RssAnon");
    largest_shared =
        std::max(largest_shared, status_kb(*status, "RssFile") + status_kb(*status, "RssShmem"));
  }
  if (!any) return {std::nullopt, unreadable(m_root / std::to_string(pid) / "status")};
  return {private_bytes + largest_shared, {}};
}

Reading<pid_t> ProcFs::parent_of(pid_t pid) const {
  const auto stat = stat_of(m_root, pid);
  if (!stat) return {std::nullopt, unreadable(m_root / std::to_string(pid) / "stat")};
  return {stat->ppid, {}};
}

Reading<std::string> ProcFs::command_of(pid_t pid) const {
  auto text = read_text(m_root / std::to_string(pid) / "comm");
  if (!text) return {std::nullopt, unreadable(m_root / std::to_string(pid) / "comm")};
  while (!text->empty() && text->back() == '\n') text->pop_back();
  return {*text, {}};
}

Reading<std::filesystem::path> ProcFs::cwd_of(pid_t pid) const {
  std::error_code ec;
  const auto link = m_root / std::to_string(pid) / "cwd";
  auto target = std::filesystem::read_symlink(link, ec);
  if (ec) return {std::nullopt, unreadable(link)};
  return {std::move(target), {}};
}

Reading<DiskCounters> ProcFs::disk_of(const std::filesystem::path& path) const {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0)
    return {std::nullopt, fmt::format("{} is not visible from poolbench", path.string())};
  const unsigned major = ::major(info.st_dev);
  const unsigned minor = ::minor(info.st_dev);
  if (major == 0) {
    return {std::nullopt, fmt::format("{} is on a filesystem without a block device (device "
                                      "0:{}: overlay, tmpfs or similar)",
                                      path.string(), minor)};
  }
  const auto diskstats = read_text(m_root / "diskstats");
  if (!diskstats) return {std::nullopt, unreadable(m_root / "diskstats")};
  auto disk = find_diskstats(*diskstats, major, minor);
  if (!disk) {
    return {std::nullopt, fmt::format("device {}:{} of {} is not in {}", major, minor,
                                      path.string(), (m_root / "diskstats").string())};
  }
  return {std::move(*disk), {}};
}

}  // namespace poolbench::cluster
