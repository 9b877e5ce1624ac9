#include "analysis/regression.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "analysis/mann_whitney.hpp"
#include "util/error.hpp"
#include "util/strings.hpp"

namespace poolbench::analysis {
namespace {

Threshold relative(double fraction) {
  return Threshold{fraction, std::nullopt};
}
Threshold relative_with_floor(double fraction, double floor) {
  return Threshold{fraction, floor};
}
Threshold absolute(double amount) {
  return Threshold{std::nullopt, amount};
}

/// "0.05" or "5e-05": the shortest text that reads back as `value`.
std::string number_text(double value) {
  return fmt::format("{}", value);
}

double sample_variance(std::span<const double> values) {
  if (values.size() < 2) return 0;
  double mean = 0;
  for (const double v : values) mean += v;
  mean /= static_cast<double>(values.size());
  double sum = 0;
  for (const double v : values) sum += (v - mean) * (v - mean);
  return sum / static_cast<double>(values.size() - 1);
}

/// Pooled standard deviation of two samples (their common noise under the null).
double pooled_sd(std::span<const double> a, std::span<const double> b) {
  const double dof = static_cast<double>(a.size() + b.size()) - 2;
  if (dof <= 0) return 0;
  const double sum = sample_variance(a) * static_cast<double>(a.size() > 0 ? a.size() - 1 : 0) +
                     sample_variance(b) * static_cast<double>(b.size() > 0 ? b.size() - 1 : 0);
  return std::sqrt(sum / dof);
}

/// The smallest change the threshold calls a change, at `baseline`.
double threshold_size(const Threshold& threshold, double baseline) {
  double size = 0;
  if (threshold.relative) size = std::max(size, *threshold.relative * std::abs(baseline));
  if (threshold.absolute) size = std::max(size, *threshold.absolute);
  return size;
}

std::string p_text(double p) {
  return p < 0.001 ? std::string("< 0.001") : fmt::format("{:.3g}", p);
}

/// The threshold in a sentence: "10%", "+0.005", "20% and +0.1 ms".
std::string threshold_words(const MetricComparison& result) {
  std::string text = result.threshold.to_string();
  if (result.threshold.absolute && result.unit != "fraction") text += " " + result.unit;
  return text;
}

/// The note and repetitions_needed of a metric judged by the test.
void describe_power(MetricComparison& result, double alpha) {
  const std::size_t have = std::min(result.baseline.size(), result.current.size());
  const double sd = pooled_sd(result.baseline, result.current);
  const double shift = threshold_size(result.threshold, result.baseline_value);
  const int needed = repetitions_to_detect(shift, sd, alpha);
  // A relative threshold against a zero baseline has no size to plan for.
  const bool underpowered = shift > 0 && static_cast<std::size_t>(needed) > have;
  const std::string sizes =
      fmt::format("{}+{} repetitions", result.baseline.size(), result.current.size());
  if (result.beyond_threshold && !result.significant) {
    result.note = fmt::format("beyond the {} threshold but not significant (p = {})",
                              threshold_words(result), p_text(*result.p_value));
    if (underpowered) {
      result.repetitions_needed = needed;
      result.note +=
          fmt::format(": too noisy for {}; about {} per side would tell a {} change from noise",
                      sizes, needed, threshold_words(result));
    }
    return;
  }
  if (result.verdict != Verdict::unchanged) return;
  if (result.significant) {
    result.note = fmt::format("significant (p = {}) but within the {} threshold",
                              p_text(*result.p_value), threshold_words(result));
    return;
  }
  if (underpowered) {
    result.repetitions_needed = needed;
    const std::string noise =
        result.baseline_value != 0
            ? fmt::format("sd {:.3g}% of the baseline", 100 * sd / std::abs(result.baseline_value))
            : fmt::format("sd {:.3g} {}", sd, result.unit);
    result.note = fmt::format(
        "noisy ({}): with {} a {} change would likely be missed; about {} per side would "
        "catch it",
        noise, sizes, threshold_words(result), needed);
  }
}

}  // namespace

bool Threshold::exceeded_by(double baseline, double change) const {
  const double size = std::abs(change);
  if (relative) {
    if (baseline == 0) {
      if (size == 0) return false;
    } else if (!(size > *relative * std::abs(baseline))) {
      return false;
    }
  }
  if (absolute && !(size > *absolute)) return false;
  return relative.has_value() || absolute.has_value();
}

std::string Threshold::to_string() const {
  std::string text;
  if (relative) text = number_text(*relative * 100) + "%";
  if (absolute) {
    if (!text.empty()) text += " and ";
    text += "+" + number_text(*absolute);
  }
  return text;
}

const std::vector<MetricDef>& compared_metrics() {
  // Defaults: wide enough that 5% run-to-run noise on every metric fails well under alpha
  // of whole comparisons (tests/unit/analysis/regression_test.cpp measures it); tails are
  // noisier than medians, so their thresholds are wider. Checkout waits
  // are often a few microseconds (an idle connection at hand), where +100% means nothing:
  // they also need +0.1 ms. Rates whose baseline is usually 0 take absolute thresholds.
  static const std::vector<MetricDef> k_metrics = {
      {"throughput_rps", "req/s", Better::bigger, relative(0.10)},
      {"latency_ms.p50", "ms", Better::smaller, relative(0.10)},
      {"latency_ms.p99", "ms", Better::smaller, relative(0.15)},
      {"latency_ms.p999", "ms", Better::smaller, relative(0.25)},
      {"checkout_wait_ms.p50", "ms", Better::smaller, relative_with_floor(0.20, 0.1)},
      {"checkout_wait_ms.p99", "ms", Better::smaller, relative_with_floor(0.25, 0.1)},
      {"checkout_wait_ms.p999", "ms", Better::smaller, relative_with_floor(0.30, 0.1)},
      {"timeout_rate", "fraction", Better::smaller, absolute(0.005)},
      {"drop_rate", "fraction", Better::smaller, absolute(0.001)},
      {"error_rate", "fraction", Better::smaller, absolute(0.001)},
      // Server-side: what the server did per request. A cache hit ratio moves in fractions
      // of a percent; blocks read are often 0 (all cached), so +1 block is also needed; CPU
      // comes from /proc in 10 ms ticks.
      {"cache_hit_ratio", "fraction", Better::bigger, absolute(0.01), true},
      {"wal_bytes_per_transaction", "bytes", Better::smaller, relative(0.20), true},
      {"blks_read_per_transaction", "blocks", Better::smaller, relative_with_floor(0.25, 1.0),
       true},
      {"server_cpu_ms_per_request", "ms", Better::smaller, relative(0.20), true},
  };
  return k_metrics;
}

const MetricDef* find_metric(std::string_view key) {
  for (const auto& metric : compared_metrics()) {
    if (metric.key == key) return &metric;
  }
  return nullptr;
}

std::pair<std::string, Threshold> parse_threshold(std::string_view text) {
  const auto eq = text.find('=');
  std::vector<std::string> keys;
  for (const auto& metric : compared_metrics()) keys.push_back(metric.key);
  const std::string expected =
      "expected KEY=PCT% (relative), KEY=+X (absolute, in the metric's unit) or KEY=PCT%,+X "
      "(both), e.g. latency_ms.p99=10% or timeout_rate=+0.01";
  if (eq == std::string_view::npos) {
    throw InputError(fmt::format("--threshold {}: {}", text, expected));
  }
  std::string key(util::trim(text.substr(0, eq)));
  if (key == "errors") key = "error_rate";
  if (key == "dropped") key = "drop_rate";
  if (find_metric(key) == nullptr) {
    const std::string guess = util::closest_match(key, keys);
    throw InputError(fmt::format(
        "--threshold {}: unknown metric '{}'{}; compare judges {}", text, key,
        guess.empty() ? "" : fmt::format(" (did you mean {}?)", guess), fmt::join(keys, ", ")));
  }
  Threshold threshold;
  std::string_view rest = text.substr(eq + 1);
  while (true) {
    const auto comma = rest.find(',');
    const std::string part(util::trim(rest.substr(0, comma)));
    double value = 0;
    std::size_t used = 0;
    bool ok = !part.empty();
    const bool percent = ok && part.back() == '%';
    const bool plus = ok && part.front() == '+';
    const std::string digits =
        percent ? part.substr(0, part.size() - 1) : (plus ? part.substr(1) : part);
    try {
      value = std::stod(digits, &used);
      ok = ok && used == digits.size() && std::isfinite(value) && value >= 0 && !digits.empty() &&
           digits.front() != '-' && digits.front() != '+';
    } catch (const std::exception&) {
      ok = false;
    }
    if (!ok || (percent == plus) || (percent && threshold.relative) ||
        (plus && threshold.absolute)) {
      throw InputError(
          fmt::format("--threshold {}: '{}' is not a threshold; {}", text, part, expected));
    }
    if (percent) {
      threshold.relative = value / 100;
    } else {
      threshold.absolute = value;
    }
    if (comma == std::string_view::npos) break;
    rest = rest.substr(comma + 1);
  }
  return {key, threshold};
}

std::string_view to_string(Verdict verdict) {
  switch (verdict) {
    case Verdict::improved:
      return "improved";
    case Verdict::regressed:
      return "regressed";
    case Verdict::unchanged:
      break;
  }
  return "unchanged";
}

double median(std::span<const double> values) {
  std::vector<double> sorted(values.begin(), values.end());
  std::ranges::sort(sorted);
  const std::size_t mid = sorted.size() / 2;
  return sorted.size() % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

MetricComparison compare_metric(const MetricDef& metric, const Threshold& threshold,
                                std::span<const double> baseline, std::span<const double> current,
                                double alpha) {
  MetricComparison result;
  result.metric = metric.key;
  result.unit = metric.unit;
  result.better = metric.better;
  result.baseline.assign(baseline.begin(), baseline.end());
  result.current.assign(current.begin(), current.end());
  result.threshold = threshold;
  result.baseline_value = median(baseline);
  result.current_value = median(current);
  result.change = result.current_value - result.baseline_value;
  if (result.baseline_value != 0) {
    result.relative_change = result.change / std::abs(result.baseline_value);
  }
  result.beyond_threshold = threshold.exceeded_by(result.baseline_value, result.change);
  const bool worse = metric.better == Better::smaller ? result.change > 0 : result.change < 0;
  const Verdict changed = worse ? Verdict::regressed : Verdict::improved;

  const auto n = static_cast<int>(baseline.size());
  const auto m = static_cast<int>(current.size());
  if (mann_whitney_min_p(n, m) > alpha) {
    result.basis = Basis::thresholds_only;
    result.verdict = result.beyond_threshold ? changed : Verdict::unchanged;
    result.repetitions_needed = mann_whitney_min_repetitions(alpha);
    result.note = fmt::format(
        "{}+{} repetitions: the test cannot reach alpha {} (needs >= {} per side); verdict "
        "from the threshold alone",
        n, m, alpha, result.repetitions_needed);
    return result;
  }
  result.basis = Basis::test;
  result.p_value = mann_whitney_u(baseline, current).p_value;
  result.significant = *result.p_value < alpha;
  result.verdict = result.significant && result.beyond_threshold ? changed : Verdict::unchanged;
  describe_power(result, alpha);
  return result;
}

}  // namespace poolbench::analysis
