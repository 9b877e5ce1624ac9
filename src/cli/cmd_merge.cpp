// poolbench merge SHARD.json... --out DIR: the shards of a distributed run (run|matrix
// --shard I/N) combined exactly into one results.json, with its analysis and report.

#include <iostream>

#include <fmt/format.h>
#include <fmt/ostream.h>
#include <nlohmann/json.hpp>

#include "analysis/analyze.hpp"
#include "cli/command.hpp"
#include "cli/inputs.hpp"
#include "cli/options.hpp"
#include "matrix/merge.hpp"
#include "results/file.hpp"
#include "util/error.hpp"

namespace po = boost::program_options;

namespace poolbench::cli {
namespace {

constexpr const char* k_merge_usage = "poolbench merge SHARD.json|DIR... --out DIR";

constexpr const char* k_merge_help_tail = R"(
Combines the results.json of every shard of one distributed run (poolbench run|matrix
--shard I/N --start-at T) into one <out>/results.json, as if one process had generated
the whole load, then adds the analysis and writes the report beside it (index.html,
summary.md, cells.csv, charts/), as run and matrix do. The merge is exact: HdrHistograms
are merged bucket by bucket and every percentile is recomputed from them; counters are
summed and throughput and timeout_rate recomputed from the sums; time series rows are
matched by wall-clock second on the shards' shared schedule (per-second histograms merged,
counters and pool gauges summed: shards are separate pools). Server statistics are one
server read by every shard: server_stats' server-wide counters take the largest reading,
pg_stat_statements the reading with the most calls, wait events and poolbench's CPU are
summed; plans are the first shard's (a fingerprint another shard saw differ is noted).

Refused (exit 2, nothing written): files that are not shards' results, shards of different
scenarios, poolbench versions, shard counts or start times, a shard index given twice or
missing, a cell one shard lacks.

Examples:
  poolbench merge shard-0/results.json shard-1/results.json shard-2/results.json --out merged
  poolbench merge /results/shard-* --out /results/merged

Exit codes: 0 merged; 2 bad input (nothing written); 3 an I/O failure.
)";

int merge_command(const std::vector<std::string>& args, Io io) {
  po::options_description options("Options");
  options.add_options()("help,h", "show this help")(
      "out", po::value<std::string>(), "output directory for the merged results.json and report");
  options.add_options()("shards", po::value<std::vector<std::string>>(), "shard results");
  po::positional_options_description positional;
  positional.add("shards", -1);
  const auto values = parse_options("merge", options, positional, args);
  if (values.count("help")) {
    print_command_help(io.out, k_merge_usage, options, k_merge_help_tail);
    return 0;
  }
  if (!values.count("shards")) {
    throw InputError(
        "poolbench merge: the shards' results.json files are required\nRun 'poolbench merge "
        "--help'.");
  }
  if (!values.count("out")) {
    throw InputError("poolbench merge: --out DIR is required\nRun 'poolbench merge --help'.");
  }
  std::vector<matrix::ShardResults> shards;
  for (const auto& input : values["shards"].as<std::vector<std::string>>()) {
    std::filesystem::path file;
    nlohmann::json results = results::load_results(input, &file);
    shards.push_back({file.string(), std::move(results)});
  }
  nlohmann::json merged = matrix::merge_shards(shards);
  try {
    merged["analysis"] = analysis::analyze(merged);
  } catch (const Error& e) {  // derived data: the merged measurements are what matters
    fmt::print(io.err, "warning: no analysis: {}\n", e.what());
  }
  const std::filesystem::path path =
      std::filesystem::path(values["out"].as<std::string>()) / "results.json";
  results::write_results(path, merged);
  std::int64_t requests = 0;
  for (const auto& cell : merged["cells"])
    requests += cell["summary"]["requests"].get<std::int64_t>();
  fmt::print(io.out, "merged {} shards, {} cells, {} requests\nresults: {}\n", shards.size(),
             merged["cells"].size(), requests, path.string());
  write_report_next_to(merged, path, io.out, io.err);
  return 0;
}

}  // namespace

Command merge_command_entry() {
  return Command{"merge", k_merge_usage,
                 "merge the results.json of the shards of a distributed run (--shard I/N)",
                 merge_command};
}

}  // namespace poolbench::cli
