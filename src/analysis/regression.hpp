#pragma once

// Regression statistics for `poolbench compare`: which metrics are compared, their
// thresholds, and the verdict on one metric of one cell from the baseline's and the
// current run's samples (one value per repetition). Pure functions; compare.hpp matches
// the cells of two results files and calls these.
//
// A change is a regression only when it is both significant (Mann-Whitney U, two-sided, at
// alpha) and beyond the metric's threshold in the bad direction; an improvement likewise in
// the good direction; anything else is unchanged. When the samples are too small for the
// test ever to reach alpha (one repetition, or 2 against 2 at 0.05), verdicts come from the
// thresholds alone, and the result says so.

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace poolbench::analysis {

/// A change worth reporting: `relative` (a fraction of the baseline: 0.10 = 10%) and/or
/// `absolute` (in the metric's unit). When both are set a change must exceed both (a
/// relative threshold with an absolute floor, for values that can be tiny, like a checkout
/// wait of 3 µs). At least one is set.
struct Threshold {
  std::optional<double> relative;
  std::optional<double> absolute;

  /// Whether `change` (current - baseline, either sign) exceeds this threshold. A relative
  /// threshold against a baseline of 0 is exceeded by any non-zero change.
  bool exceeded_by(double baseline, double change) const;
  /// "10%", "+0.01", "20% and +0.5".
  std::string to_string() const;
};

enum class Better { smaller, bigger };

/// One compared metric: a summary key path (schemas/results.schema.json) or a value derived from
/// them.
struct MetricDef {
  std::string key;   ///< "latency_ms.p99", "timeout_rate", "error_rate" (errors / requests),
                     ///< "drop_rate" (dropped / requests)
  std::string unit;  ///< "ms", "req/s", "fraction"
  Better better = Better::smaller;
  Threshold default_threshold;
  /// A server-side metric (from server_stats: results of runs with server.stats): compared
  /// only for cells whose every repetition has it in both documents, else left out with a
  /// note. The others are required.
  bool server_side = false;
};

/// The metrics `compare` judges, in display order: throughput_rps; latency_ms and
/// checkout_wait_ms p50, p99, p999; timeout_rate; drop_rate; error_rate; then the server-side
/// cache_hit_ratio, wal_bytes_per_transaction, blks_read_per_transaction (summary.
/// blks_read_per_request) and server_cpu_ms_per_request.
const std::vector<MetricDef>& compared_metrics();
/// The metric named `key`, or nullptr.
const MetricDef* find_metric(std::string_view key);

/// Parses one `--threshold` value: `KEY=10%` (relative), `KEY=+0.01` (absolute, in the
/// metric's unit), or both as `KEY=20%,+0.5`. KEY is one of compared_metrics() (`errors`
/// is accepted for error_rate, `dropped` for drop_rate). Throws InputError naming the flag, the key
/// (with a "did you mean") and the expected form.
std::pair<std::string, Threshold> parse_threshold(std::string_view text);

enum class Verdict { improved, unchanged, regressed };
std::string_view to_string(Verdict verdict);

/// How a verdict was reached.
enum class Basis {
  test,             ///< Mann-Whitney U at alpha, and the threshold
  thresholds_only,  ///< the samples are too small for the test to reach alpha
};

struct MetricComparison {
  std::string metric;
  std::string unit;
  Better better = Better::smaller;
  std::vector<double> baseline;  ///< one value per repetition
  std::vector<double> current;
  double baseline_value = 0;              ///< median of `baseline`
  double current_value = 0;               ///< median of `current`
  double change = 0;                      ///< current_value - baseline_value
  std::optional<double> relative_change;  ///< change / |baseline_value|; none when that is 0
  Threshold threshold;
  bool beyond_threshold = false;  ///< |change| exceeds the threshold (either direction)
  Basis basis = Basis::test;
  std::optional<double> p_value;  ///< two-sided MWU; none when basis is thresholds_only
  bool significant = false;       ///< p_value < alpha
  Verdict verdict = Verdict::unchanged;
  /// Repetitions per side the test needs: to reach alpha at all (thresholds_only), or to
  /// detect a change of the threshold's size at the measured noise with 80% power; 0 when
  /// the samples already suffice.
  int repetitions_needed = 0;
  /// Plain words on how far to trust the verdict ("too noisy: ..."); empty when nothing to say.
  std::string note;
};

/// Judges one metric. `baseline` and `current` are non-empty; `alpha` in (0, 1).
MetricComparison compare_metric(const MetricDef& metric, const Threshold& threshold,
                                std::span<const double> baseline, std::span<const double> current,
                                double alpha);

/// Median (mean of the middle two for an even count); `values` non-empty.
double median(std::span<const double> values);

}  // namespace poolbench::analysis
