#include "analysis/seed_claims.hpp"

#include <algorithm>
#include <cctype>
#include <iterator>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "analysis/budget_claims.hpp"
#include "analysis/cell_view.hpp"
#include "analysis/mix.hpp"
#include "analysis/server_claims.hpp"
#include "analysis/validity.hpp"
#include "cluster/budget.hpp"
#include "cluster/settings.hpp"

namespace poolbench::analysis {
namespace {

using nlohmann::json;

/// A summary number at a dotted path ("checkout_wait_ms.p99"), 0 when absent.
double summary_number(const json& cell, std::string_view path) {
  static const json k_none = json::object();
  const json& summary = cell.contains("summary") ? cell["summary"] : k_none;
  return detail::number(detail::at_path(summary, path)).value_or(0);
}

/// What the claims read of a cell: the analysis' own view of it plus a few summary numbers.
struct Measured {
  std::string id;
  int pool_size = 0;
  int max_overflow = 0;
  double concurrency = 0;
  double overflow_used = 0;
  double timeouts = 0;
  double wait_p50_ms = 0;
  double wait_p99_ms = 0;
  double wait_max_ms = 0;
  double pool_timeout_ms = 0;
};

Measured measure(const json& results, const json& cell, std::size_t index) {
  const detail::CellView view = detail::read_cell(results, cell, static_cast<int>(index));
  Measured m;
  m.id = view.id;
  m.pool_size = view.pool_size;
  m.max_overflow = view.max_overflow;
  m.pool_timeout_ms = 1000.0 * view.pool_timeout_s;
  m.concurrency = detail::concurrency_of(view);
  m.timeouts = static_cast<double>(view.timeouts);
  m.overflow_used = summary_number(cell, "pool.max_overflow_used");
  m.wait_p50_ms = summary_number(cell, "checkout_wait_ms.p50");
  m.wait_p99_ms = summary_number(cell, "checkout_wait_ms.p99");
  m.wait_max_ms = summary_number(cell, "checkout_wait_ms.max");
  return m;
}

json verdict(const Measured& m, bool holds, std::string evidence) {
  return {{"id", m.id},
          {"concurrent_requests", m.concurrency},
          {"verdict", holds ? "holds" : "differs"},
          {"evidence", std::move(evidence)}};
}

/// Seed 001's behaviour table rows for a pool_size 20 + max_overflow 10 pool.
constexpr int k_behaviour_pool_size = 20;
constexpr int k_behaviour_max_overflow = 10;
constexpr const char* k_behaviour_rows[3][2] = {
    {"Low traffic (< 20 concurrent)", "Uses base pool only; minimal overhead, instant connections"},
    {"Medium traffic (20-30 concurrent)",
     "Uses overflow connections; slight latency for new connections"},
    {"High traffic (> 30 concurrent)", "Blocks until timeout; requests wait up to 30s, then fail"}};
/// "Get session from pool < 1ms".
constexpr double k_session_checkout_ms = 1.0;

/// "Blocks": a p99 checkout wait above this is waiting, not a pool handing out a connection.
constexpr double k_blocked_wait_ms = 1.0;

/// The behaviour table row for a 20 + 10 pool at this concurrency.
std::pair<int, json> behaviour_row(const Measured& m) {
  if (m.concurrency < k_behaviour_pool_size) {
    const bool holds = m.overflow_used == 0 && m.timeouts == 0;
    return {0, verdict(m, holds,
                       fmt::format("{} overflow connections used, checkout wait p50 {:.2f} ms",
                                   m.overflow_used, m.wait_p50_ms))};
  }
  if (m.concurrency <= k_behaviour_pool_size + k_behaviour_max_overflow) {
    const bool holds = m.overflow_used > 0 && m.timeouts == 0;
    return {1, verdict(m, holds,
                       fmt::format("{} overflow connections used, {} timeouts, checkout wait p99 "
                                   "{:.2f} ms",
                                   m.overflow_used, m.timeouts, m.wait_p99_ms))};
  }
  // "Blocks until timeout ... then fail": requests wait; they fail only when the queue does
  // not drain within pool_timeout.
  const bool blocked = m.wait_p99_ms > k_blocked_wait_ms;
  const bool failed = m.timeouts > 0;
  return {2, verdict(m, blocked && failed,
                     fmt::format("requests waited (checkout wait p99 {:.1f} ms, max {:.1f} ms of "
                                 "a {:.0f} ms pool_timeout); {} timed out{}",
                                 m.wait_p99_ms, m.wait_max_ms, m.pool_timeout_ms, m.timeouts,
                                 blocked && !failed ? ": the queue drained before pool_timeout, "
                                                      "so it blocks but does not fail"
                                                    : ""))};
}

/// Seed 001's "Typical Latencies" rows (production column), by what a transaction does.
struct LatencyRow {
  const char* row;
  const char* claim;
  double upper_ms;
};
constexpr LatencyRow k_latency_rows[] = {
    {"Health check (SELECT 1)", "1-3ms (production)", 3},
    {"Simple SELECT by ID", "1-3ms (production)", 3},
    {"INSERT single row", "2-5ms (production)", 5},
    {"UPDATE single row", "2-5ms (production)", 5},
    {"Transaction commit", "3-10ms (production)", 10},
};

std::string lower_trimmed(std::string text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return {};
  text = text.substr(first, text.find_last_not_of(" \t\r\n") - first + 1);
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

/// "SELECT ... WHERE key = value": an equality lookup, no range, sort, grouping or join (a
/// report query that sorts thousands of rows is not a "Simple SELECT by ID").
bool is_lookup_by_key(const std::string& select) {
  const auto where = select.find(" where ");
  if (where == std::string::npos || select.find('=', where) == std::string::npos) return false;
  for (const char* clause :
       {" order by ", " group by ", " between ", " join ", " offset ", " union ", " having "}) {
    if (select.find(clause) != std::string::npos) return false;
  }
  return true;
}

/// Which latency row a script is an instance of, or -1: one statement of a kind, or one
/// explicit transaction that writes. Scripts that sleep are not (their latency is not the
/// statement's).
int latency_row_of(const std::string& script) {
  std::vector<std::string> statements;
  std::string sql;
  std::size_t start = 0;
  while (start < script.size()) {
    const auto end = script.find('\n', start);
    const std::string line =
        script.substr(start, end == std::string::npos ? std::string::npos : end - start);
    start = end == std::string::npos ? script.size() : end + 1;
    const std::string trimmed = lower_trimmed(line);
    if (trimmed.starts_with("\\sleep")) return -1;
    if (trimmed.starts_with("\\")) continue;  // \set and other meta-commands
    sql += line + "\n";
  }
  std::size_t from = 0;
  while (from < sql.size()) {
    const auto semi = sql.find(';', from);
    const std::string statement = lower_trimmed(
        sql.substr(from, semi == std::string::npos ? std::string::npos : semi - from));
    if (!statement.empty()) statements.push_back(statement);
    from = semi == std::string::npos ? sql.size() : semi + 1;
  }
  if (statements.size() == 1) {
    const std::string& only = statements.front();
    if (only == "select 1") return 0;
    if (only.starts_with("select") && is_lookup_by_key(only)) return 1;
    if (only.starts_with("insert")) return 2;
    if (only.starts_with("update")) return 3;
    return -1;
  }
  const bool explicit_tx =
      !statements.empty() &&
      (statements.front() == "begin" || statements.front().starts_with("start transaction")) &&
      (statements.back() == "end" || statements.back() == "commit");
  bool writes = false;
  for (const auto& statement : statements) {
    writes = writes || statement.starts_with("insert") || statement.starts_with("update") ||
             statement.starts_with("delete");
  }
  return explicit_tx && writes ? 4 : -1;
}

/// The only transaction a cell runs (by the effective weights: its workload.mix, else the
/// transactions' own), or nullopt.
std::optional<json> only_transaction(const json& results, const json& cell) {
  auto weighted = detail::weighted_transactions(results, cell);
  if (weighted.size() != 1) return std::nullopt;
  return std::move(weighted.front().first);
}

/// A profile comparison of seed 000's tables: cells that differ only in server.profile, the
/// `better` profile's metric against the `worse` one's, per group of the other parameters.
enum class Better { lower, higher };
enum class MemoryRules { omit, state };  ///< state: the seeds' memory rules for `better` here
struct ProfileClaim {
  const char* seed;
  const char* table;
  const char* row;
  const char* claim;
  const char* better;  ///< profile name
  const char* worse;
  const char* metric;  ///< summary path: "latency_ms/p50" or "throughput_rps"
  Better direction;    ///< which way `metric` is better
  MemoryRules rules = MemoryRules::omit;
};
constexpr ProfileClaim k_profile_claims[] = {
    {"000", "Query Planner", "random_page_cost 1.1 (SSD) vs 4.0 (HDD)",
     "on SSD storage the SSD costs plan at least as fast as the HDD costs", "ssd", "hdd",
     "latency_ms/p50", Better::lower},
    {"000", "WAL and Checkpoints", "write-heavy WAL settings vs read-heavy ones",
     "under write load the write-heavy WAL settings carry at least as much throughput",
     "wal-write-heavy", "wal-read-heavy", "throughput_rps", Better::higher},
    {"000", "Memory Settings (adjust based on available RAM)",
     "For 8GB RAM system: shared_buffers 2GB, effective_cache_size 6GB, work_mem 8MB",
     "memory settings sized to RAM carry at least as much throughput as PostgreSQL's defaults",
     "mem-8gb", "default", "throughput_rps", Better::higher, MemoryRules::state},
    {"000", "Memory Settings (adjust based on available RAM)",
     "For 16GB RAM system: shared_buffers 4GB, effective_cache_size 12GB, work_mem 16MB",
     "memory settings sized to RAM carry at least as much throughput as PostgreSQL's defaults",
     "mem-16gb", "default", "throughput_rps", Better::higher, MemoryRules::state},
};

/// "2GB" as SHOW prints a memory setting, in bytes; nullopt for anything else.
std::optional<double> shown_bytes(const json& value) {
  if (!value.is_string()) return std::nullopt;
  const std::string text = value.get<std::string>();
  std::size_t digits = 0;
  while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits]))) ++digits;
  const auto unit = cluster::bytes_per_unit(std::string_view(text).substr(digits));
  if (digits == 0 || !unit) return std::nullopt;
  return std::stod(text.substr(0, digits)) * *unit;
}

/// The seeds' memory rules for the settings a cell's server had, against the host's RAM:
/// ". The seeds' rules for mem-8gb's settings on this host: shared_buffers = 2GB is 9% ...;
/// ...". Empty when unknown.
std::string memory_rules_note(const json& results, const json& cell) {
  const auto ram = detail::number(results.value(json::json_pointer("/host/memory_bytes"), json()));
  const json memory = cell.value(json::json_pointer("/server/memory"), json::object());
  const auto shared_buffers = shown_bytes(memory.value("shared_buffers", json()));
  const auto cache = shown_bytes(memory.value("effective_cache_size", json()));
  const auto work_mem = shown_bytes(memory.value("work_mem", json()));
  const auto max_connections =
      detail::number(cell.value(json::json_pointer("/server/max_connections"), json()));
  if (!ram || *ram <= 0 || !shared_buffers || !cache || !work_mem || !max_connections) return {};
  const cluster::MemorySettings settings{.shared_buffers_bytes = *shared_buffers,
                                         .effective_cache_size_bytes = *cache,
                                         .work_mem_bytes = *work_mem,
                                         .max_connections = static_cast<int>(*max_connections)};
  std::vector<std::string> lines;
  for (const auto& finding : cluster::evaluate_memory_rules(settings, *ram)) {
    lines.push_back(finding.message + (finding.warning ? " (off the rule)" : ""));
  }
  return fmt::format(". The seeds' rules for {}'s settings on this host: {}",
                     cell.value(json::json_pointer("/params/profile"), std::string("?")),
                     fmt::join(lines, "; "));
}

/// One profile's values of a claim's metric over the cells of one group.
struct Side {
  std::vector<double> values;
  std::vector<std::string> ids;
  std::string note;  ///< memory rules: the rules for the first cell's settings
};

/// The cells that differ only in server.profile, by the other params: (better, worse).
std::map<std::string, std::pair<Side, Side>> profile_sides(const ProfileClaim& claim,
                                                           const json& results, const json& cells) {
  std::map<std::string, std::pair<Side, Side>> groups;
  const json::json_pointer pointer("/summary/" + std::string(claim.metric));
  for (const auto& cell : cells) {
    if (!is_measured(cell)) continue;  // ok, and not invalid (validity.hpp)
    const json params = cell.value("params", json::object());
    const std::string profile = params.value("profile", "");
    if (profile != claim.better && profile != claim.worse) continue;
    if (!cell.contains(pointer) || !cell[pointer].is_number()) continue;
    auto& pair = groups[detail::without_profile(params)];
    Side& side = profile == claim.better ? pair.first : pair.second;
    side.values.push_back(cell[pointer].get<double>());
    side.ids.push_back(cell.value("id", ""));
    if (claim.rules == MemoryRules::state && side.note.empty() && profile == claim.better) {
      side.note = memory_rules_note(results, cell);
    }
  }
  return groups;
}

/// Repetitions give ranges: a verdict only when the two ranges do not overlap.
json compare_sides(const ProfileClaim& claim, const Side& better, const Side& worse) {
  const auto [b_lo, b_hi] = std::minmax_element(better.values.begin(), better.values.end());
  const auto [w_lo, w_hi] = std::minmax_element(worse.values.begin(), worse.values.end());
  // One value a side is one sample of noise: a verdict needs repetitions on both sides.
  const bool repeated = better.values.size() >= 2 && worse.values.size() >= 2;
  const bool higher = claim.direction == Better::higher;
  std::string verdict = "inconclusive";
  if (repeated && (higher ? *b_lo >= *w_hi : *b_hi <= *w_lo)) verdict = "holds";
  if (repeated && (higher ? *b_hi < *w_lo : *b_lo > *w_hi)) verdict = "differs";
  json compared = json::array();
  for (const auto* side : {&better, &worse}) {
    for (const auto& id : side->ids) compared.push_back(id);
  }
  return {{"id", better.ids.front()},
          {"verdict", verdict},
          {"evidence",
           fmt::format("{}: {} {:.2f}-{:.2f} over {} cell(s), {} {:.2f}-{:.2f} over {} "
                       "(a verdict needs 2+ repetitions a side and ranges that do not overlap){}",
                       claim.metric, claim.better, *b_lo, *b_hi, better.values.size(), claim.worse,
                       *w_lo, *w_hi, worse.values.size(), better.note)},
          {"compared_cells", std::move(compared)}};
}

json profile_claim_json(const ProfileClaim& claim, const json& results, const json& cells) {
  json out = json::array();
  for (const auto& [key, pair] : profile_sides(claim, results, cells)) {
    if (pair.first.values.empty() || pair.second.values.empty()) continue;
    out.push_back(compare_sides(claim, pair.first, pair.second));
  }
  return out;
}

/// The cells each of seed 001's rows speaks to, collected in one pass over the cells.
struct ClaimCells {
  json behaviour[std::size(k_behaviour_rows)] = {json::array(), json::array(), json::array()};
  json latency[std::size(k_latency_rows)];
  json session = json::array();
  ClaimCells() {
    for (auto& cells_of_row : latency) cells_of_row = json::array();
  }
};

/// The behaviour table speaks of one 20 + 10 pool: a fleet's cells (per-instance pools) are
/// not it.
bool is_behaviour_pool(const Measured& m, const json& cell) {
  const bool one_pool =
      !cell.contains(json::json_pointer("/summary/instances")) &&
      cell.value(json::json_pointer("/params/pool.instances"), std::string("1")) == "1";
  return m.pool_size == k_behaviour_pool_size && m.max_overflow == k_behaviour_max_overflow &&
         one_pool;
}

/// The latency row a cell that runs one kind of operation alone speaks to.
void collect_latency(ClaimCells& out, const json& results, const json& cell, const Measured& m) {
  const std::string app_time =
      results.value(json::json_pointer("/scenario/request/app_time"), std::string("0s"));
  const bool no_app_time = app_time == "0s" || app_time == "0us" || app_time == "0ms";
  const auto transaction = only_transaction(results, cell);
  if (!transaction || !no_app_time) return;
  const int row = latency_row_of(transaction->value("script", ""));
  if (row < 0 || !cell.contains(json::json_pointer("/summary/latency_ms"))) return;
  const double p50 = summary_number(cell, "latency_ms.p50");
  const double p99 = summary_number(cell, "latency_ms.p99");
  out.latency[row].push_back(
      verdict(m, p50 <= k_latency_rows[row].upper_ms,
              fmt::format("{}: request latency p50 {:.2f} ms, p99 {:.2f} ms (client side, "
                          "checkout included)",
                          transaction->value("name", "?"), p50, p99)));
}

ClaimCells collect_claim_cells(const json& results, const json& cells) {
  ClaimCells out;
  for (std::size_t i = 0; i < cells.size(); ++i) {
    const json& cell = cells[i];
    if (!is_measured(cell)) continue;  // ok, and not invalid (validity.hpp)
    const Measured m = measure(results, cell, i);
    if (is_behaviour_pool(m, cell)) {
      auto [row, item] = behaviour_row(m);
      out.behaviour[row].push_back(std::move(item));
    }
    collect_latency(out, results, cell, m);
    // "Get session from pool < 1ms" speaks of a pool that has a connection to give.
    if (m.timeouts == 0 && m.concurrency <= m.pool_size) {
      out.session.push_back(verdict(
          m, m.wait_p50_ms < k_session_checkout_ms,
          fmt::format("checkout wait p50 {:.3f} ms, p99 {:.2f} ms", m.wait_p50_ms, m.wait_p99_ms)));
    }
  }
  return out;
}

}  // namespace

json seed_claims(const json& results) {
  const json& cells = detail::cells_of(results);
  ClaimCells collected = collect_claim_cells(results, cells);
  json out = json::array();
  for (std::size_t row = 0; row < std::size(k_behaviour_rows); ++row) {
    if (collected.behaviour[row].empty()) continue;
    out.push_back(detail::claim_row(
        "001", "Connection Pool Performance (pool_size 20, max_overflow 10)",
        k_behaviour_rows[row][0], k_behaviour_rows[row][1], std::move(collected.behaviour[row])));
  }
  for (std::size_t row = 0; row < std::size(k_latency_rows); ++row) {
    if (collected.latency[row].empty()) continue;
    out.push_back(detail::claim_row("001", "Typical Latencies", k_latency_rows[row].row,
                                    k_latency_rows[row].claim, std::move(collected.latency[row])));
  }
  for (const auto& claim : k_profile_claims) {
    json compared = profile_claim_json(claim, results, cells);
    if (compared.empty()) continue;
    out.push_back(
        detail::claim_row(claim.seed, claim.table, claim.row, claim.claim, std::move(compared)));
  }
  for (auto& row : budget_claims(results)) out.push_back(std::move(row));
  for (auto& row : server_claims(results)) out.push_back(std::move(row));
  if (!collected.session.empty()) {
    out.push_back(detail::claim_row("001", "Typical Latencies", "Get session from pool",
                                    "< 1ms (development and production)",
                                    std::move(collected.session)));
  }
  return out;
}

}  // namespace poolbench::analysis
