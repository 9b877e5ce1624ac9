// poolbench capture: a workload captured from a real server (docs/capture.md): its logs cut
// into requests (--log: trace.jsonl.gz + a replay scenario), or pg_stat_statements sampled
// over a window (--dsn: a scenario of weighted transactions at the observed rate).

#include <ostream>

#include <fmt/format.h>
#include <fmt/ostream.h>

#include "capture/log_capture.hpp"
#include "capture/stat_capture.hpp"
#include "cli/command.hpp"
#include "cli/options.hpp"
#include "util/duration.hpp"
#include "util/error.hpp"

namespace po = boost::program_options;

namespace poolbench::cli {
namespace {

constexpr const char* k_capture_usage =
    "poolbench capture (--log FILE... | --dsn URL [--window 60s] [--top N]) --out DIR";

constexpr const char* k_capture_help_tail = R"(
Two forms, both writing DIR/scenario.yaml:

--log FILE...  PostgreSQL server logs (csvlog, or stderr logs) cut into requests, one per
  pool checkout: from the first statement after the connection was idle to a ROLLBACK,
  ABORT or DISCARD ALL (the pool's reset on check-in), or to an idle gap longer than
  --request-gap outside a transaction block. Writes DIR/trace.jsonl.gz (the requests with
  arrival times, statements, parameters, in-request gaps) and a scenario that replays it
  (workload.mode: replay: each request through the pool at its arrival time / speed). Prints
  the sessions, requests, requests/s, statement mix, hold-time percentiles and what it
  skipped.
  The server must have logged with (postgresql.conf):
      log_min_duration_statement = 0    # or: log_statement = 'all' + log_duration = on
      log_connections = on              # user and database of each session
      log_destination = 'csvlog'        # or 'stderr' with the prefix below
      logging_collector = on
      log_line_prefix = '%m [%p] %c '   # stderr: '%m [%p]' (or %t) first; %c recommended
  csvlog must have PostgreSQL 15's 26 columns (14 writes the same).

--dsn URL  two snapshots of pg_stat_statements, --window apart: each statement's calls/s,
  mean and stddev time and rows; a scenario with one transaction per statement (the --top N
  by total time), weighted by calls, open loop at the observed total rate, with \set lines
  drawing each $n parameter from its column's pg_stats. A parameter it could not resolve
  is marked FILL-IN and the scenario refuses to run (exit 2, naming the line) until it is
  filled in. Needs (postgresql.conf, then a restart and CREATE EXTENSION in the database):
      shared_preload_libraries = 'pg_stat_statements'
  and a role that may read every statement (a superuser, or GRANT pg_read_all_stats).

Passwords: statements carrying one (CREATE/ALTER ROLE ... PASSWORD, user mappings) are
never written. --redact replaces every literal parameter value and every literal in the
SQL text: with --dsn by a value drawn from the column's statistics, else by a placeholder
of the same type (0, 'redacted', 2000-01-01, ...); a comment in the SQL text becomes
/* redacted */ or -- redacted (its text may hold a value).

Examples:
  poolbench capture --log /var/log/postgresql/postgresql-15-main.csv --out captured
  poolbench capture --log pg.log pg.log.1 --database shop --user app --redact --out captured
  poolbench capture --dsn postgresql://monitor@db/shop --window 5m --top 20 --out captured

Exit codes: 0 captured; 2 bad input (a log this reader does not know, naming file:line;
nothing found; a bad flag); 3 server state (no pg_stat_statements, a role without
pg_read_all_stats, an unreachable server).
)";

capture::LogCaptureOptions log_options(const po::variables_map& values) {
  capture::LogCaptureOptions options;
  for (const auto& file : values["log"].as<std::vector<std::string>>())
    options.files.emplace_back(file);
  options.out = values["out"].as<std::string>();
  if (values.count("request-gap")) {
    const auto gap = util::parse_duration(values["request-gap"].as<std::string>());
    if (!gap || gap->count() <= 0) {
      throw InputError(
          fmt::format("poolbench capture: --request-gap '{}': expected a duration > 0 "
                      "such as 10ms",
                      values["request-gap"].as<std::string>()));
    }
    options.request_gap = *gap;
  }
  if (values.count("database")) options.database = values["database"].as<std::string>();
  if (values.count("user")) options.user = values["user"].as<std::string>();
  options.redact = values.count("redact") != 0;
  return options;
}

capture::StatCaptureOptions stat_options(const po::variables_map& values) {
  capture::StatCaptureOptions options;
  options.dsn = values["dsn"].as<std::string>();
  options.out = values["out"].as<std::string>();
  if (values.count("window")) {
    const auto window = util::parse_duration(values["window"].as<std::string>());
    if (!window || window->count() <= 0) {
      throw InputError(
          fmt::format("poolbench capture: --window '{}': expected a duration > 0 "
                      "such as 60s",
                      values["window"].as<std::string>()));
    }
    options.window = *window;
  }
  if (values.count("top")) {
    const int top = values["top"].as<int>();
    if (top < 1) throw InputError("poolbench capture: --top: expected a whole number >= 1");
    options.top = static_cast<std::size_t>(top);
  }
  options.redact = values.count("redact") != 0;
  return options;
}

int capture_command(const std::vector<std::string>& args, Io io) {
  po::options_description options("Options");
  options.add_options()("help,h", "show this help")(
      "log", po::value<std::vector<std::string>>()->multitoken(),
      "server log files (csvlog or stderr)")(
      "dsn", po::value<std::string>(),
      "server whose pg_stat_statements to sample (or, with --log "
      "--redact, whose statistics to draw values from)")("out", po::value<std::string>(),
                                                         "output directory")(
      "window", po::value<std::string>(), "--dsn: time between the two snapshots (default 60s)")(
      "top", po::value<int>(), "--dsn: only the N statements of most total time")(
      "request-gap", po::value<std::string>(),
      "--log: an idle gap that ends a request outside a transaction block (default 5ms)")(
      "database", po::value<std::string>(), "--log: only sessions of this database")(
      "user", po::value<std::string>(), "--log: only sessions of this user")(
      "redact", "replace every literal value (see below)");
  const auto values = parse_options("capture", options, {}, args);
  if (values.count("help")) {
    print_command_help(io.out, k_capture_usage, options, k_capture_help_tail);
    return 0;
  }
  if (!values.count("out")) {
    throw InputError("poolbench capture: --out DIR is required\nRun 'poolbench capture --help'.");
  }
  if (values.count("log")) {
    capture::LogCaptureOptions log = log_options(values);
    if (log.redact && values.count("dsn")) {
      log.values = capture::column_value_source(values["dsn"].as<std::string>());
    }
    capture::capture_from_logs(log, io.out);
    return 0;
  }
  if (values.count("dsn")) {
    capture::capture_from_stat_statements(stat_options(values), io.out);
    return 0;
  }
  throw InputError(
      "poolbench capture: --log FILE... or --dsn URL is required\nRun 'poolbench capture "
      "--help'.");
}

}  // namespace

Command capture_command_entry() {
  return Command{"capture", k_capture_usage,
                 "capture a workload from server logs or pg_stat_statements into a scenario",
                 capture_command};
}

}  // namespace poolbench::cli
