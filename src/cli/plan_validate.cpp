#include "cli/plan_validate.hpp"

#include <ostream>

#include <fmt/format.h>
#include <fmt/ostream.h>

#include "analysis/analyze.hpp"
#include "cluster/scenarios_dir.hpp"
#include "cluster/signals.hpp"
#include "matrix/cell_runner.hpp"
#include "matrix/servers.hpp"
#include "pg/dsn.hpp"
#include "pg/environment.hpp"
#include "results/document.hpp"
#include "scenario/scenario.hpp"
#include "util/duration.hpp"

namespace poolbench::cli {
namespace {

/// A measured value the analysis may withhold (null: an invalid cell) as "-".
std::string number_or_dash(const nlohmann::json& value, int decimals) {
  return value.is_number() ? fmt::format("{:.{}f}", value.get<double>(), decimals) : "-";
}

std::string micros(double seconds) {
  return fmt::format("{}us", static_cast<long long>(seconds * 1e6 + 0.5));
}

}  // namespace

std::string validation_scenario_yaml(const analysis::Plan& plan, const ValidateOptions& options) {
  const auto& in = plan.inputs;
  const double query_s = in.query_time_s;
  const double app_s = std::max(0.0, plan.request_time_s - plan.hold_s);
  std::string script;
  for (int q = 0; q < in.queries_per_request; ++q) {
    // The query's time, spent holding the connection (a server round trip, then the rest).
    script += "      SELECT 1;\n      \\sleep " + micros(query_s) + "\n";
  }
  return fmt::format(
      "name: plan_validation\n"
      "description: the load poolbench plan sized, run with its recommendation\n"
      "dataset: {{ setup: 'SELECT 1' }}\n"
      "workload: {{ mode: open, rate: {}, arrival: poisson, duration: {}, warmup: {}, "
      "max_in_flight: 100000 }}\n"
      "request: {{ app_time: {}, checkout: per_request }}\n"
      "transactions:\n"
      "  - name: request\n"
      "    script: |\n{}"
      "pool: {{ pool_size: {}, max_overflow: {}, pool_timeout: {}, instances: {} }}\n",
      in.rps, util::format_duration(options.duration), util::format_duration(options.warmup),
      micros(app_s), script, plan.recommended.pool_size, plan.recommended.max_overflow,
      micros(plan.pool_timeout_s), in.instances);
}

nlohmann::json validate_plan(const analysis::Plan& plan, const ValidateOptions& options) {
  const std::string yaml = validation_scenario_yaml(plan, options);
  scenario::Scenario scenario = scenario::parse_scenario(yaml, "plan --validate");
  const pg::EnvLookup env = pg::process_environment();
  const auto dsn = pg::dsn_from_flag_or_env(options.dsn, env);
  const cluster::Profile profile = cluster::load_profile("default", cluster::profiles_dir());
  cluster::InterruptGuard interrupt_guard;
  matrix::Servers servers({.dsn = dsn,
                           .env = env,
                           .auth = scenario.server.auth,
                           .ssl = scenario.server.ssl,
                           .note = options.note});
  servers.verify_all({profile});
  const matrix::ServerTarget& server = servers.use(profile);
  matrix::prepare_dataset(scenario, server, matrix::Reinit::refuse);
  if (options.note) {
    options.note(fmt::format("Validating: {} req/s for {} through {} x ({} + {})...",
                             plan.inputs.rps, util::format_duration(options.duration),
                             plan.inputs.instances, plan.recommended.pool_size,
                             plan.recommended.max_overflow));
  }
  matrix::CellOptions cell_options;
  cell_options.threads = 2;
  cell_options.seed = 1;
  cell_options.run_id = "plan-validate";
  cell_options.interrupted = [&] { return interrupt_guard.interrupted(); };
  const matrix::CellOutcome outcome = matrix::run_cell(scenario, server, cell_options);
  // The analysis reads the same results layout every run writes.
  const nlohmann::json analysis = analysis::analyze(
      results::analysis_document(scenario, nlohmann::json::array({outcome.cell})));
  const auto& s = outcome.cell["summary"];
  // An invalid cell (the generator fell behind) gets no models, so no measured waits either:
  // null, printed as "-", never a made-up 0.
  const nlohmann::json& cell_analysis = analysis["cells"][0];
  const nlohmann::json erlang = cell_analysis.value("erlang_c", nlohmann::json::object());
  const auto& e = plan.recommended_erlang;
  const int instances = plan.inputs.instances;
  return {
      {"scenario", yaml},
      {"server", server.masked},
      {"interrupted", outcome.interrupted},
      {"predicted",
       {{"connections_in_use", plan.connections_needed * instances},
        {"p_wait", e.p_wait},
        {"mean_wait_ms", 1000.0 * e.mean_wait_s},
        {"timeout_rate", e.p_wait_longer_than(plan.pool_timeout_s)},
        {"throughput_rps", plan.inputs.rps},
        {"slo_p99_ms", plan.inputs.slo_p99_s ? nlohmann::json(1000.0 * *plan.inputs.slo_p99_s)
                                             : nlohmann::json()}}},
      {"measured",
       {{"connections_in_use", s["pool"]["mean_checked_out"]},
        {"p_wait", erlang.value("measured_p_wait", nlohmann::json())},
        // The wait for a slot (queue_wait), as Erlang C's; not the pre-ping after it.
        {"mean_wait_ms", erlang.value("measured_mean_wait_ms", nlohmann::json())},
        {"timeout_rate", s["timeout_rate"]},
        {"throughput_rps", s["throughput_rps"]},
        {"p99_latency_ms", s["latency_ms"]["p99"]},
        {"errors", s["errors"]},
        {"dropped", s["dropped"]},
        {"requests", s["requests"]}}},
      {"invalid",
       outcome.cell.contains("invalid") ? outcome.cell["invalid"]["reason"] : nlohmann::json()},
  };
}

void print_validation(const nlohmann::json& v, std::ostream& out) {
  const auto& p = v["predicted"];
  const auto& m = v["measured"];
  fmt::print(out, "\nvalidation: an open-loop run of the recommendation on {}{}\n",
             v["server"].get<std::string>(),
             v["interrupted"].get<bool>() ? " (interrupted: partial)" : "");
  fmt::print(out, "  {:<28} {:>12} {:>12}\n", "", "predicted", "measured");
  fmt::print(out, "  {:<28} {:>12.2f} {:>12.2f}   (seeds' formula / mean checked out)\n",
             "connections in use", p["connections_in_use"].get<double>(),
             m["connections_in_use"].get<double>());
  fmt::print(out, "  {:<28} {:>12.4f} {:>12}   (Erlang C; measured: slot waits > 1 ms)\n",
             "P(wait)", p["p_wait"].get<double>(), number_or_dash(m["p_wait"], 4));
  fmt::print(out, "  {:<28} {:>12.3f} {:>12}\n", "mean wait for a slot ms",
             p["mean_wait_ms"].get<double>(), number_or_dash(m["mean_wait_ms"], 3));
  fmt::print(out, "  {:<28} {:>12.4f} {:>12.4f}\n", "timeout rate", p["timeout_rate"].get<double>(),
             m["timeout_rate"].get<double>());
  fmt::print(out, "  {:<28} {:>12.1f} {:>12.1f}\n", "throughput req/s",
             p["throughput_rps"].get<double>(), m["throughput_rps"].get<double>());
  if (!p["slo_p99_ms"].is_null()) {
    // Dropped arrivals are requests never served: their latency is not in the p99.
    const bool met = m["p99_latency_ms"].get<double>() <= p["slo_p99_ms"].get<double>() &&
                     m["dropped"].get<long long>() == 0;
    fmt::print(out, "  {:<28} {:>12} {:>12.1f}   ({})\n", "p99 latency ms",
               fmt::format("<= {:.0f}", p["slo_p99_ms"].get<double>()),
               m["p99_latency_ms"].get<double>(), met ? "SLO met" : "SLO missed");
  } else {
    fmt::print(out, "  {:<28} {:>12} {:>12.1f}\n", "p99 latency ms", "-",
               m["p99_latency_ms"].get<double>());
  }
  fmt::print(out,
             "  ({} requests, {} errors, {} dropped. The run holds each connection a constant "
             "query time;\n   Erlang C assumes exponential holds, so measured waits come out "
             "somewhat lower.)\n",
             m["requests"].get<long long>(), m["errors"].get<long long>(),
             m["dropped"].get<long long>());
  if (v["invalid"].is_string()) {
    fmt::print(out, "  INVALID: {} (the measured column is the load generator's limit)\n",
               v["invalid"].get<std::string>());
  }
}

}  // namespace poolbench::cli
