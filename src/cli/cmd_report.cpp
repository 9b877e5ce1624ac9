// poolbench report RESULTS.json|DIR: (re)builds index.html, summary.md, cells.csv and charts/
// from a results file alone (nothing runs, no server needed).

#include <iostream>

#include <fmt/format.h>
#include <fmt/ostream.h>
#include <nlohmann/json.hpp>

#include "analysis/analyze.hpp"
#include "cli/command.hpp"
#include "cli/options.hpp"
#include "report/report.hpp"
#include "results/file.hpp"
#include "util/error.hpp"

namespace po = boost::program_options;

namespace poolbench::cli {
namespace {

constexpr const char* k_report_usage = "poolbench report RESULTS.json|DIR [--out DIR] [--cell ID]";

constexpr const char* k_report_help_tail = R"(
Builds the report of a finished run or matrix from its results.json alone:
  index.html   one self-contained page (opens from disk, nothing fetched): the verdicts
               table, findings, charts, then every cell's details
  summary.md   a short summary for a pull request
  cells.csv    one row per cell: parameters and key numbers
  charts/      each chart as .svg and .png, with its gnuplot script and data files
Charts (gnuplot): timeouts and p99 checkout wait vs pool_size, heat maps over
pool_size x max_overflow, throughput vs connections, latency percentile curves per
profile, and the per-second time series of one cell (--cell; default the worst).
Charts that do not apply (e.g. no max_overflow axis) are listed with the reason.

Verdicts come from the results' analysis block when present, else from the scenario's
slo: (met or missed per cell).

Examples:
  poolbench report reports/quickstart
  poolbench report reports/quickstart/results.json --out /tmp/qs-report
  poolbench report reports/erlang/results.json --cell 3

Exit codes: 0 written; 2 bad input (missing file, not JSON, not a poolbench results file,
unknown --cell): nothing written; 3 an I/O or gnuplot failure (no partial report).
)";

struct ReportFlags {
  std::string input;
  std::optional<std::string> out;
  std::string cell;
};

std::optional<ReportFlags> parse_report_flags(const std::vector<std::string>& args, Io io) {
  po::options_description options("Options");
  options.add_options()("help,h", "show this help")(
      "out", po::value<std::string>(), "output directory (default: the results file's directory)")(
      "cell", po::value<std::string>(),
      "the time-series chart's cell: an id or an index (default: the worst cell)");
  options.add_options()("results", po::value<std::string>(), "results.json or its directory");
  po::positional_options_description positional;
  positional.add("results", 1);
  const auto values = parse_options("report", options, positional, args);
  if (values.count("help")) {
    print_command_help(io.out, k_report_usage, options, k_report_help_tail);
    return std::nullopt;
  }
  if (!values.count("results")) {
    throw InputError(
        "poolbench report: a results.json (or its directory) is required\nRun 'poolbench "
        "report --help'.");
  }
  ReportFlags flags;
  flags.input = values["results"].as<std::string>();
  if (values.count("out")) flags.out = values["out"].as<std::string>();
  if (values.count("cell")) flags.cell = values["cell"].as<std::string>();
  return flags;
}

int report_command(const std::vector<std::string>& args, Io io) {
  const std::optional<ReportFlags> parsed = parse_report_flags(args, io);
  if (!parsed) return 0;
  std::filesystem::path file;
  nlohmann::json results = results::load_results(parsed->input, &file);
  report::ReportOptions options;
  options.source = file.string();
  options.timeseries_cell = parsed->cell;
  // The analysis is derived data: recompute it with this version's models.
  results.erase("analysis");
  options.analyze = [source = file.string()](const nlohmann::json& r) {
    return analysis::analyze(r, source);
  };
  const std::filesystem::path out =
      parsed->out ? std::filesystem::path(*parsed->out) : file.parent_path();
  const auto summary = report::write_report(results, out.empty() ? "." : out, options);
  fmt::print(io.out, "report: {} ({} charts", summary.files.front().string(),
             summary.charts_drawn.size());
  if (!summary.charts_skipped.empty()) {
    fmt::print(io.out, ", {} not applicable", summary.charts_skipped.size());
  }
  fmt::print(io.out, ")\n");
  for (std::size_t i = 1; i < summary.files.size(); ++i) {
    fmt::print(io.out, "        {}\n", summary.files[i].string());
  }
  for (const auto& line : summary.charts_skipped) fmt::print(io.out, "  skipped {}\n", line);
  return 0;
}

}  // namespace

Command report_command_entry() {
  return Command{"report", k_report_usage,
                 "rebuild index.html, summary.md, cells.csv and charts from a results.json",
                 report_command};
}

}  // namespace poolbench::cli
