#include "cluster/budget.hpp"

#include <cmath>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <unistd.h>

namespace poolbench::cluster {

namespace {

/// The fleet form: "identity (50 + 10) + orders (20 + 10) + 2 other = 92 connections".
BudgetVerdict check_fleet_budget(const ConnectionBudget& budget, const std::string& reserved_text) {
  BudgetVerdict verdict;
  const int reserved = budget.superuser_reserved_connections + budget.reserved_connections;
  verdict.available = static_cast<long long>(budget.max_connections) - reserved;
  std::vector<std::string> parts;
  long long total = 0;
  bool unbounded = false;
  for (const auto& pool : budget.fleet) {
    unbounded = unbounded || pool.pool_size == 0 || pool.max_overflow < 0;
    total += static_cast<long long>(pool.pool_size) + std::max(0, pool.max_overflow);
    parts.push_back(fmt::format("{} ({} + {})", pool.name, pool.pool_size, pool.max_overflow));
  }
  if (budget.other_connections > 0) {
    parts.push_back(fmt::format("{} other", budget.other_connections));
  }
  verdict.needed = unbounded ? -1 : total + budget.other_connections;
  verdict.fits = !unbounded && verdict.needed <= verdict.available;
  const std::string demand =
      fmt::format("{} = {} connections", fmt::join(parts, " + "),
                  unbounded ? std::string("unbounded") : std::to_string(verdict.needed));
  if (verdict.fits) {
    verdict.message =
        fmt::format("{} fit: max_connections = {} leaves {} for applications ({}), {} spare.",
                    demand, budget.max_connections, verdict.available, reserved_text,
                    verdict.available - verdict.needed);
  } else {
    verdict.message = fmt::format(
        "{} exceed what max_connections = {} leaves for applications: {} ({}). Each "
        "application instance needs its own pool: shrink the pools by {} connections in "
        "total, or raise max_connections to at least {} (needs a restart).",
        demand, budget.max_connections, verdict.available, reserved_text,
        unbounded ? std::string("an unbounded")
                  : std::to_string(verdict.needed - verdict.available),
        unbounded ? std::string("(set finite pools first)")
                  : std::to_string(verdict.needed + reserved));
  }
  return verdict;
}

}  // namespace

BudgetVerdict check_connection_budget(const ConnectionBudget& budget) {
  BudgetVerdict verdict;
  const int reserved = budget.superuser_reserved_connections + budget.reserved_connections;
  verdict.available = static_cast<long long>(budget.max_connections) - reserved;
  const std::string reserved_text =
      budget.reserved_connections > 0
          ? fmt::format("superuser_reserved_connections = {} + reserved_connections = {}",
                        budget.superuser_reserved_connections, budget.reserved_connections)
          : fmt::format("superuser_reserved_connections = {}",
                        budget.superuser_reserved_connections);
  if (!budget.fleet.empty()) return check_fleet_budget(budget, reserved_text);
  if (budget.pool_size == 0 || budget.max_overflow < 0) {
    verdict.fits = false;
    verdict.needed = -1;
    verdict.message = fmt::format(
        "the pool has no upper bound ({}), so {} app instance(s) can open more than the {} "
        "connections max_connections = {} leaves for applications ({}). Set a finite "
        "pool_size and max_overflow: pool_size + max_overflow is each instance's maximum.",
        budget.pool_size == 0 ? "pool_size = 0 means no limit" : "max_overflow = -1 is unlimited",
        budget.instances, verdict.available, budget.max_connections, reserved_text);
    return verdict;
  }
  const long long per_instance = static_cast<long long>(budget.pool_size) + budget.max_overflow;
  verdict.needed = budget.instances * per_instance + budget.other_connections;
  verdict.fits = verdict.needed <= verdict.available;
  const std::string other =
      budget.other_connections > 0 ? fmt::format(" + {} other", budget.other_connections) : "";
  const std::string demand =
      fmt::format("{} app instance(s) x (pool_size {} + max_overflow {}){} = {} connections",
                  budget.instances, budget.pool_size, budget.max_overflow, other, verdict.needed);
  if (verdict.fits) {
    verdict.message =
        fmt::format("{} fit: max_connections = {} leaves {} for applications ({}), {} spare.",
                    demand, budget.max_connections, verdict.available, reserved_text,
                    verdict.available - verdict.needed);
    return verdict;
  }
  const long long per_instance_max =
      verdict.available > budget.other_connections
          ? (verdict.available - budget.other_connections) / std::max(1, budget.instances)
          : 0;
  verdict.message = fmt::format(
      "{} exceed what max_connections = {} leaves for applications: {} ({} reserved: {}). "
      "Each application instance needs its own pool, so pool_size + max_overflow per instance "
      "must be at most {} here; or raise max_connections to at least {} (ALTER SYSTEM SET "
      "max_connections = {}; needs a restart).",
      demand, budget.max_connections, verdict.available,
      budget.superuser_reserved_connections + budget.reserved_connections, reserved_text,
      per_instance_max,
      verdict.needed + budget.superuser_reserved_connections + budget.reserved_connections,
      verdict.needed + budget.superuser_reserved_connections + budget.reserved_connections);
  return verdict;
}

std::vector<MemoryFinding> evaluate_memory_rules(const MemorySettings& settings, double ram_bytes) {
  std::vector<MemoryFinding> findings;
  const std::string ram = format_bytes(ram_bytes);
  auto ratio_rule = [&](const char* name, double value, double target_fraction) {
    const double target = ram_bytes * target_fraction;
    const double percent = 100.0 * value / ram_bytes;
    const bool off = value < 0.5 * target || value > 1.6 * target;
    findings.push_back(
        {off, fmt::format("{} = {} is {:.0f}% of this host's RAM ({}); the seeds' rule is ~{:.0f}% "
                          "of RAM ({}){}",
                          name, format_bytes(value), percent, ram, 100 * target_fraction,
                          format_bytes(target), off ? "" : ": ok")});
  };
  ratio_rule("shared_buffers", settings.shared_buffers_bytes, 0.25);
  ratio_rule("effective_cache_size", settings.effective_cache_size_bytes, 0.75);
  const double worst = settings.work_mem_bytes * settings.max_connections;
  const double with_buffers = worst + settings.shared_buffers_bytes;
  const bool too_much = with_buffers > ram_bytes;
  findings.push_back(
      {too_much,
       fmt::format("work_mem x max_connections = {} x {} = {} worst case (one sort or hash per "
                   "connection), {} with shared_buffers, {} this host's RAM ({})",
                   format_bytes(settings.work_mem_bytes), settings.max_connections,
                   format_bytes(worst), format_bytes(with_buffers),
                   too_much ? "more than" : "within", ram)});
  return findings;
}

double host_ram_bytes() {
  const long pages = ::sysconf(_SC_PHYS_PAGES);
  const long page_size = ::sysconf(_SC_PAGE_SIZE);
  return static_cast<double>(pages) * static_cast<double>(page_size);
}

std::string format_bytes(double bytes) {
  static constexpr const char* k_units[] = {"B", "kB", "MB", "GB", "TB"};
  int unit = 0;
  while (std::fabs(bytes) >= 1024 && unit < 4) {
    bytes /= 1024;
    ++unit;
  }
  if (std::fabs(bytes - std::rint(bytes)) < 0.05) {
    return fmt::format("{:.0f}{}", bytes, k_units[unit]);
  }
  return fmt::format("{:.1f}{}", bytes, k_units[unit]);
}

}  // namespace poolbench::cluster
