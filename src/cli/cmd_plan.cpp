// poolbench plan --rps N --query-time T ...: pool settings for a planned load from the
// sizing models (src/analysis/plan.hpp); nothing is run.

#include <fmt/format.h>
#include <fmt/ostream.h>
#include <nlohmann/json.hpp>

#include "analysis/plan.hpp"
#include "cli/command.hpp"
#include "cli/options.hpp"
#include "cli/plan_validate.hpp"
#include "util/duration.hpp"
#include "util/error.hpp"

namespace po = boost::program_options;

namespace poolbench::cli {
namespace {

constexpr const char* k_plan_usage =
    "poolbench plan --rps N --query-time T [--queries-per-request K] [--request-time T] "
    "[--instances N] [--max-connections N] [--superuser-reserved-connections N] "
    "[--reserved-connections N] [--slo-p99 T] [--timeout-rate X] "
    "[--pool-timeout T] [--validate [--dsn URL] [--validate-duration T]] [--json]";

constexpr const char* k_plan_help_tail = R"(
Sizes a pool for a planned load from the models alone (nothing is run):
  concurrency       = rps x request time (default request time: queries x query time)
  seeds' formula    connections = concurrency x (queries x query time) / request time,
                    + 20% headroom split 2:1 into pool_size + max_overflow (25 -> 20 + 10)
  Erlang C (M/M/c)  the smallest pool whose P(wait > pool_timeout) <= --timeout-rate and,
                    with --slo-p99, whose p99 checkout wait fits the SLO minus the request
  the recommendation is the seeds' size raised to the Erlang C size when that is larger;
  then the sum rule (pool_size + max_overflow >= concurrent requests), the seed tier row,
  the max_connections budget (instances x (pool_size + max_overflow)), a config.yaml block
  and the DATABASE_URL query string. --rps is the total over --instances app processes,
  each with its own pool. Durations take us, ms, s, m, h; a bare number is seconds.
--validate then runs the recommendation for real: an open-loop run at --rps (Poisson) whose
requests spend request time - hold without a connection and hold one for queries x query
time (SELECT 1 and a sleep each), on an embedded PostgreSQL (or --dsn), and prints the
predictions next to what was measured (about --validate-duration + 2 s warmup + startup).

Example (the seeds' example: 100 concurrent, 25 connections, pool_size 20 + max_overflow 10):
  poolbench plan --rps 500 --query-time 50ms --request-time 200ms

Example with a check: poolbench plan --rps 200 --query-time 20ms --request-time 100ms --validate
Exit codes: 0 ok; 2 bad input; 3 (--validate) no server could be started or reached.
)";

double duration_flag(const po::variables_map& values, const char* flag) {
  const std::string text = values[flag].as<std::string>();
  const auto parsed = util::parse_duration(text);
  if (!parsed || parsed->count() <= 0) {
    throw InputError(
        fmt::format("poolbench plan: --{}: expected a duration > 0 such as 50ms, "
                    "0.2s or 30 (seconds), got '{}'",
                    flag, text));
  }
  return util::to_seconds(*parsed);
}

int plan_command(const std::vector<std::string>& args, Io io) {
  po::options_description options("Options");
  options.add_options()("help,h", "show this help")(
      "rps", po::value<double>(), "requests per second at peak, over all instances (required)")(
      "query-time", po::value<std::string>(), "mean time of one query, e.g. 50ms (required)")(
      "queries-per-request", po::value<int>()->default_value(1), "queries per request")(
      "request-time", po::value<std::string>(),
      "whole request duration (default: queries x query time)")(
      "instances", po::value<int>()->default_value(1), "app instances, one pool each")(
      "max-connections", po::value<int>()->default_value(100), "the server's max_connections")(
      "superuser-reserved-connections", po::value<int>()->default_value(3),
      "the server's superuser_reserved_connections (kept from applications)")(
      "reserved-connections", po::value<int>()->default_value(0),
      "the server's reserved_connections (PostgreSQL 16+; kept from applications)")(
      "slo-p99", po::value<std::string>(), "p99 latency target of a request, e.g. 250ms")(
      "timeout-rate", po::value<double>()->default_value(0.001),
      "target fraction of checkouts that time out (Erlang C)")(
      "pool-timeout", po::value<std::string>(),
      "pool_timeout (default: the seed tier row's, 30 or 60 s)")(
      "validate", po::bool_switch(), "run the recommendation and show predicted vs measured")(
      "dsn", po::value<std::string>(), "--validate on this server (default: embedded)")(
      "validate-duration", po::value<std::string>()->default_value("10s"),
      "--validate: measured seconds")("json", po::bool_switch(), "print the plan as JSON");
  const auto values = parse_options("plan", options, {}, args);
  if (values.count("help")) {
    print_command_help(io.out, k_plan_usage, options, k_plan_help_tail);
    return 0;
  }
  if (!values.count("rps") || !values.count("query-time")) {
    throw InputError(
        "poolbench plan: --rps and --query-time are required\nRun 'poolbench plan --help'.");
  }
  analysis::PlanInputs inputs;
  inputs.rps = values["rps"].as<double>();
  inputs.query_time_s = duration_flag(values, "query-time");
  inputs.queries_per_request = values["queries-per-request"].as<int>();
  if (values.count("request-time")) inputs.request_time_s = duration_flag(values, "request-time");
  inputs.instances = values["instances"].as<int>();
  inputs.max_connections = values["max-connections"].as<int>();
  inputs.superuser_reserved_connections = values["superuser-reserved-connections"].as<int>();
  inputs.reserved_connections = values["reserved-connections"].as<int>();
  if (values.count("slo-p99")) inputs.slo_p99_s = duration_flag(values, "slo-p99");
  inputs.timeout_rate = values["timeout-rate"].as<double>();
  if (values.count("pool-timeout")) inputs.pool_timeout_s = duration_flag(values, "pool-timeout");

  const bool validating = values["validate"].as<bool>();
  if (!validating && (values.count("dsn") || !values["validate-duration"].defaulted())) {
    throw InputError("poolbench plan: --dsn and --validate-duration go with --validate");
  }
  // Every flag is checked before anything is printed.
  const auto validate_duration = std::chrono::microseconds(
      static_cast<long long>(duration_flag(values, "validate-duration") * 1e6));
  const analysis::Plan plan = analysis::make_plan(inputs);
  const bool json = values["json"].as<bool>();
  nlohmann::json out = json ? analysis::plan_json(plan) : nlohmann::json();
  if (!json) fmt::print(io.out, "{}", analysis::plan_text(plan));
  if (validating) {
    ValidateOptions validate;
    if (values.count("dsn")) validate.dsn = values["dsn"].as<std::string>();
    validate.duration = validate_duration;
    validate.note = [&](const std::string& line) { fmt::print(io.err, "{}\n", line); };
    const nlohmann::json validation = validate_plan(plan, validate);
    if (json) {
      out["validation"] = validation;
    } else {
      print_validation(validation, io.out);
    }
  }
  if (json) fmt::print(io.out, "{}\n", out.dump(2));
  return 0;
}

}  // namespace

Command plan_command_entry() {
  return Command{"plan", k_plan_usage,
                 "size a pool for a planned load (seeds' formula, Erlang C, tiers, budget)",
                 plan_command};
}

}  // namespace poolbench::cli
