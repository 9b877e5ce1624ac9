#include "matrix/shard.hpp"

#include <charconv>
#include <cmath>
#include <ctime>
#include <regex>

#include <fmt/format.h>

#include "util/error.hpp"

namespace poolbench::matrix {
namespace {

bool parse_int(std::string_view text, int& out) {
  if (text.empty()) return false;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), out);
  return error == std::errc() && end == text.data() + text.size();
}

[[noreturn]] void bad_start_at(std::string_view text) {
  throw InputError(fmt::format(
      "--start-at: expected RFC 3339 UTC (2026-01-31T12:00:00Z) or Unix seconds (1769860800), "
      "got '{}'",
      text));
}

/// Microseconds from a fraction's digits (".25" -> 250000); more than 6 digits are cut.
std::int64_t fraction_us(const std::string& digits) {
  std::string six = digits.substr(0, 6);
  six.append(6 - six.size(), '0');
  return std::stoll(six);
}

}  // namespace

scenario::ShardSpec parse_shard(std::string_view text) {
  const auto slash = text.find('/');
  scenario::ShardSpec spec;
  if (slash == std::string_view::npos || !parse_int(text.substr(0, slash), spec.index) ||
      !parse_int(text.substr(slash + 1), spec.count) || spec.count < 1 || spec.index < 0 ||
      spec.index >= spec.count) {
    throw InputError(fmt::format(
        "--shard: expected I/N, this process's 0-based index I of N shards (0 <= I < N), such "
        "as 0/3, 1/3, 2/3; got '{}'",
        text));
  }
  return spec;
}

WallClock::time_point parse_start_at(std::string_view text) {
  const std::string s(text);
  static const std::regex unix_form(R"(([0-9]{1,12})(?:\.([0-9]+))?)");
  static const std::regex rfc3339(
      R"(([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt ]([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]+))?(?:[Zz]|\+00:00|-00:00))");
  std::smatch m;
  std::int64_t seconds = 0;
  std::int64_t micros = 0;
  if (std::regex_match(s, m, unix_form)) {
    seconds = std::stoll(m[1].str());
    if (m[2].matched) micros = fraction_us(m[2].str());
  } else if (std::regex_match(s, m, rfc3339)) {
    std::tm tm{};
    tm.tm_year = std::stoi(m[1].str()) - 1900;
    tm.tm_mon = std::stoi(m[2].str()) - 1;
    tm.tm_mday = std::stoi(m[3].str());
    tm.tm_hour = std::stoi(m[4].str());
    tm.tm_min = std::stoi(m[5].str());
    tm.tm_sec = std::stoi(m[6].str());
    if (tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 ||
        tm.tm_sec > 60) {
      bad_start_at(text);
    }
    const int day = tm.tm_mday;
    seconds = timegm(&tm);
    if (tm.tm_mday != day) bad_start_at(text);  // 2026-02-30 normalised to March
    if (m[7].matched) micros = fraction_us(m[7].str());
  } else {
    bad_start_at(text);
  }
  return WallClock::time_point(std::chrono::duration_cast<WallClock::duration>(
      std::chrono::seconds(seconds) + std::chrono::microseconds(micros)));
}

std::string format_rfc3339(WallClock::time_point at) {
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(at.time_since_epoch());
  const auto seconds = std::chrono::floor<std::chrono::seconds>(us);
  const std::time_t t = seconds.count();
  std::tm tm{};
  gmtime_r(&t, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &tm);
  const auto fraction = (us - seconds).count();
  return fraction == 0 ? fmt::format("{}Z", text) : fmt::format("{}.{:06}Z", text, fraction);
}

double unix_seconds(WallClock::time_point at) {
  return std::chrono::duration<double>(at.time_since_epoch()).count();
}

std::chrono::microseconds slot_length(const scenario::Scenario& cell,
                                      std::chrono::microseconds settle) {
  if (cell.workload.transactions) {
    throw InputError(
        "--shard: workload.transactions makes a cell's length unknown in advance, so shards "
        "cannot share a schedule; use workload.duration");
  }
  return cell.workload.warmup + cell.workload.duration + settle +
         std::chrono::duration_cast<std::chrono::microseconds>(k_slot_margin);
}

nlohmann::json shard_json(const ShardPlan& plan) {
  return {{"index", plan.spec.index},
          {"count", plan.spec.count},
          {"start_at", format_rfc3339(plan.start_at)},
          {"start_at_unix_s", unix_seconds(plan.start_at)},
          {"slot_margin_s", static_cast<double>(k_slot_margin.count())},
          {"settle_s", std::chrono::duration<double>(plan.settle).count()}};
}

nlohmann::json cell_shard_json(const scenario::ShardLoad& load, WallClock::time_point slot_start,
                               double late_s) {
  nlohmann::json out = {{"instances", load.instances},
                        {"total_pools", load.total_pools},
                        {"slot_start_unix_s", unix_seconds(slot_start)},
                        {"measure_start_unix_s",
                         unix_seconds(slot_start + std::chrono::duration_cast<WallClock::duration>(
                                                       load.scenario.workload.warmup))},
                        {"late_s", late_s}};
  if (load.scenario.workload.mode == scenario::LoadMode::closed) {
    out["clients"] = load.clients;
  } else {
    out["rate_per_s"] = load.rate_per_s;
  }
  return out;
}

}  // namespace poolbench::matrix
