// poolbench compare BASELINE CURRENT: a CI regression gate over two results.json files of
// the same scenario (src/analysis/compare.hpp judges, src/report/compare_report.hpp renders).

#include <array>
#include <chrono>
#include <ctime>
#include <filesystem>

#include <fmt/format.h>
#include <fmt/ostream.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include "analysis/compare.hpp"
#include "analysis/mann_whitney.hpp"
#include "cli/command.hpp"
#include "cli/options.hpp"
#include "report/compare_report.hpp"
#include "results/file.hpp"
#include "util/atomic_file.hpp"
#include "util/error.hpp"

namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace poolbench::cli {
namespace {

constexpr const char* k_compare_usage =
    "poolbench compare BASELINE CURRENT [--threshold METRIC=PCT%|+X]... [--alpha A] "
    "[--junit FILE] [--benchmark-action PREFIX] [--markdown | --json]";

constexpr const char* k_compare_help_tail = R"(
Compares two results.json files (or directories holding one) of the same scenario, for a
CI regression gate. Cells are matched by their params; the repetitions of a cell form a
sample. For each cell and metric it prints the baseline and current medians, the change,
the Mann-Whitney U test's two-sided p-value and a verdict: improved, unchanged or
regressed. A change is a regression only when it is significant (p < alpha) AND beyond its
threshold, so noise does not fail a build. With too few repetitions for the test to reach
alpha (1 per side, or 2 vs 2 at 0.05: 4 per side are needed), verdicts come from the
thresholds alone and the output says so; a metric too noisy for its threshold is named with
the repetitions that would be needed.

Metrics and default thresholds (--threshold replaces one; PCT% is relative to the
baseline, +X absolute in the metric's unit, PCT%,+X both):
  throughput_rps 10%; latency_ms.p50 10%, .p99 15%, .p999 25%;
  checkout_wait_ms.p50 20%,+0.1, .p99 25%,+0.1, .p999 30%,+0.1 (ms);
  timeout_rate +0.005, error_rate (errors / requests) +0.001 and drop_rate (dropped
  open-loop arrivals / requests) +0.001 (fractions). Server-side, where both documents
  have server_stats (else left out, with a note): cache_hit_ratio +0.01 (fraction),
  wal_bytes_per_transaction 20% (bytes), blks_read_per_transaction 25%,+1 (blocks),
  server_cpu_ms_per_request 20% (ms). Cells marked invalid (the load generator fell
  behind) are left out of the samples.

Outputs: the table on stdout (--markdown: a pull-request comment instead; --json: the
full comparison as JSON); --junit FILE: one test case per cell and metric, regressions as
failures; --benchmark-action PREFIX: PREFIX-smaller.json (latencies, checkout waits,
rates and the server-side costs; customSmallerIsBetter) and PREFIX-bigger.json
(throughput, cache hit ratio; customBiggerIsBetter) for github-action-benchmark.

Examples:
  poolbench compare baseline/ reports/ci
  poolbench compare base.json cur.json --threshold latency_ms.p99=10% --threshold timeout_rate=+0.01
  poolbench compare base.json cur.json --junit compare.xml --benchmark-action bench/poolbench

Exit codes: 0 no regression; 1 a regression; 2 the files cannot be compared (missing,
truncated, not a results file, different scenarios, cells missing) or bad flags: one
message, nothing written; 3 an output file could not be written.
)";

struct CompareFlags {
  std::string baseline;
  std::string current;
  analysis::CompareOptions options;
  std::optional<std::string> junit;
  std::optional<std::string> benchmark_action;
  bool markdown = false;
  bool json = false;
};

double parse_alpha(const std::string& text) {
  std::size_t used = 0;
  double alpha = 0;
  try {
    alpha = std::stod(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != text.size() || !(alpha > 0 && alpha < 1)) {
    throw InputError(fmt::format(
        "--alpha {}: expected a significance level between 0 and 1 (exclusive), e.g. 0.05", text));
  }
  return alpha;
}

/// An output file must not be a directory (checked before anything is written).
void check_output_path(const fs::path& path, const char* flag) {
  if (fs::is_directory(path)) {
    throw InputError(
        fmt::format("--{} {}: is a directory; expected a file name", flag, path.string()));
  }
}

std::optional<CompareFlags> parse_compare_flags(const std::vector<std::string>& args, Io io) {
  po::options_description options("Options");
  options.add_options()("help,h", "show this help")(
      "threshold", po::value<std::vector<std::string>>()->composing(),
      "METRIC=PCT% (relative) or METRIC=+X (absolute); repeatable")(
      "alpha", po::value<std::string>(), "significance level of the test (default 0.05)")(
      "junit", po::value<std::string>(), "write JUnit XML here")(
      "benchmark-action", po::value<std::string>(),
      "write PREFIX-smaller.json and PREFIX-bigger.json (github-action-benchmark)")(
      "markdown", "print a Markdown pull-request comment instead of the table")(
      "json", "print the comparison as JSON instead of the table");
  options.add_options()("inputs", po::value<std::vector<std::string>>(), "BASELINE CURRENT");
  po::positional_options_description positional;
  positional.add("inputs", -1);
  const auto values = parse_options("compare", options, positional, args);
  if (values.count("help")) {
    print_command_help(io.out, k_compare_usage, options, k_compare_help_tail);
    return std::nullopt;
  }
  const auto inputs = values.count("inputs") ? values["inputs"].as<std::vector<std::string>>()
                                             : std::vector<std::string>{};
  if (inputs.size() != 2) {
    throw InputError(fmt::format(
        "poolbench compare: expected BASELINE and CURRENT (two results.json files or their "
        "directories), got {}\nRun 'poolbench compare --help'.",
        inputs.size()));
  }
  CompareFlags flags;
  flags.baseline = inputs[0];
  flags.current = inputs[1];
  if (values.count("alpha")) flags.options.alpha = parse_alpha(values["alpha"].as<std::string>());
  if (values.count("threshold")) {
    for (const auto& text : values["threshold"].as<std::vector<std::string>>()) {
      auto [key, threshold] = analysis::parse_threshold(text);
      flags.options.thresholds[key] = threshold;
    }
  }
  flags.markdown = values.count("markdown") > 0;
  flags.json = values.count("json") > 0;
  if (flags.markdown && flags.json) {
    throw InputError("poolbench compare: --markdown and --json both print to stdout; pick one");
  }
  if (values.count("junit")) {
    flags.junit = values["junit"].as<std::string>();
    check_output_path(*flags.junit, "junit");
  }
  if (values.count("benchmark-action")) {
    flags.benchmark_action = values["benchmark-action"].as<std::string>();
    for (const char* suffix : {"-smaller.json", "-bigger.json"}) {
      check_output_path(*flags.benchmark_action + suffix, "benchmark-action");
    }
  }
  return flags;
}

std::string utc_timestamp() {
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm utc{};
  ::gmtime_r(&now, &utc);
  std::array<char, 32> text{};
  std::strftime(text.data(), text.size(), "%Y-%m-%dT%H:%M:%S", &utc);
  return text.data();
}

std::string hostname() {
  std::array<char, 256> name{};
  if (::gethostname(name.data(), name.size() - 1) != 0) return "localhost";
  return name.data();
}

int compare_command(const std::vector<std::string>& args, Io io) {
  const std::optional<CompareFlags> flags = parse_compare_flags(args, io);
  if (!flags) return 0;
  fs::path baseline_file;
  fs::path current_file;
  const nlohmann::json baseline = results::load_results(flags->baseline, &baseline_file);
  const nlohmann::json current = results::load_results(flags->current, &current_file);
  const analysis::Comparison comparison = analysis::compare_results(
      baseline, baseline_file.string(), current, current_file.string(), flags->options);

  // Everything is rendered before the first file is written.
  std::vector<std::pair<fs::path, std::string>> files;
  if (flags->junit) {
    files.emplace_back(*flags->junit,
                       report::render_compare_junit(comparison, utc_timestamp(), hostname()));
  }
  if (flags->benchmark_action) {
    files.emplace_back(
        *flags->benchmark_action + "-smaller.json",
        report::benchmark_action_json(comparison, analysis::Better::smaller).dump(2) + "\n");
    files.emplace_back(
        *flags->benchmark_action + "-bigger.json",
        report::benchmark_action_json(comparison, analysis::Better::bigger).dump(2) + "\n");
  }
  std::string printed;
  if (flags->json) {
    printed = report::compare_json(comparison).dump(2) + "\n";
  } else if (flags->markdown) {
    printed = report::render_compare_markdown(comparison);
  } else {
    printed = report::render_compare_console(comparison);
  }
  for (const auto& [path, content] : files) util::write_file_atomically(path, content);
  io.out << printed;
  if (!flags->json && !flags->markdown) {
    for (const auto& [path, content] : files) fmt::print(io.out, "wrote {}\n", path.string());
  }
  return comparison.any_regression() ? static_cast<int>(ExitCode::check_failed) : 0;
}

}  // namespace

Command compare_command_entry() {
  return Command{"compare", k_compare_usage,
                 "compare two results.json for regressions (Mann-Whitney U, thresholds; CI gate)",
                 compare_command};
}

}  // namespace poolbench::cli
