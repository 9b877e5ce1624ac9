#include "analysis/plan.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "cluster/budget.hpp"
#include "util/error.hpp"

namespace poolbench::analysis {
namespace {

using nlohmann::json;

constexpr double k_pool_recycle_s = 1800;  // the seeds' config.yaml value
constexpr double k_slo_wait_quantile = 0.01;

void require(bool ok, const char* flag, const char* expected) {
  if (!ok) throw InputError(fmt::format("poolbench plan: {}: expected {}", flag, expected));
}

/// Seconds as the seeds write them: a bare integer when whole ("30"), else "0.5".
std::string seconds_text(double s) {
  if (s == std::floor(s) && s < 1e9) return fmt::format("{}", static_cast<long long>(s));
  return fmt::format("{:g}", s);
}

/// "50ms", "0.2s", "1.5s": for the text output.
std::string duration_text_s(double s) {
  if (s < 1) return fmt::format("{:g}ms", s * 1000);
  return fmt::format("{:g}s", s);
}

void add_erlang(Plan& plan) {
  const PlanInputs& in = plan.inputs;
  WaitTarget timeouts;
  timeouts.max_p_wait_longer = in.timeout_rate;
  timeouts.wait_limit_s = plan.pool_timeout_s;
  plan.erlang_servers_for_timeouts =
      erlang_c_smallest_servers(plan.instance_rps, plan.hold_s, timeouts);
  plan.erlang_servers = plan.erlang_servers_for_timeouts;
  if (in.slo_p99_s) {
    WaitTarget slo;
    const double headroom = *in.slo_p99_s - plan.request_time_s;
    if (headroom > 0) {
      slo.max_p_wait_longer = k_slo_wait_quantile;
      slo.wait_limit_s = headroom;
    } else {
      slo.max_p_wait = k_slo_wait_quantile;
    }
    plan.erlang_servers_for_slo = erlang_c_smallest_servers(plan.instance_rps, plan.hold_s, slo);
    if (!plan.erlang_servers_for_slo) {
      plan.erlang_servers.reset();
    } else if (plan.erlang_servers) {
      plan.erlang_servers = std::max(*plan.erlang_servers, *plan.erlang_servers_for_slo);
    }
  }
}

/// Bad flags: an InputError naming the flag.
void check_inputs(const PlanInputs& in) {
  require(in.rps > 0 && std::isfinite(in.rps), "--rps", "a number of requests per second > 0");
  require(in.query_time_s > 0, "--query-time", "a duration > 0 such as 50ms");
  require(in.queries_per_request >= 1, "--queries-per-request", "an integer >= 1");
  require(!in.request_time_s || *in.request_time_s > 0, "--request-time",
          "a duration > 0 such as 200ms");
  require(in.instances >= 1, "--instances", "an integer >= 1");
  require(in.max_connections >= 1, "--max-connections", "an integer >= 1");
  require(in.superuser_reserved_connections >= 0, "--superuser-reserved-connections",
          "an integer >= 0");
  require(in.reserved_connections >= 0, "--reserved-connections", "an integer >= 0");
  require(!in.slo_p99_s || *in.slo_p99_s > 0, "--slo-p99", "a duration > 0 such as 250ms");
  require(in.timeout_rate > 0 && in.timeout_rate < 1, "--timeout-rate",
          "a fraction between 0 and 1 (exclusive), such as 0.001");
  require(!in.pool_timeout_s || *in.pool_timeout_s > 0, "--pool-timeout",
          "a duration > 0 such as 30s");
}

/// The connection budget of the recommended pool over all instances.
void add_budget(Plan& plan) {
  const PlanInputs& in = plan.inputs;
  cluster::ConnectionBudget budget;
  budget.instances = in.instances;
  budget.pool_size = plan.recommended.pool_size;
  budget.max_overflow = plan.recommended.max_overflow;
  budget.max_connections = in.max_connections;
  budget.superuser_reserved_connections = in.superuser_reserved_connections;
  budget.reserved_connections = in.reserved_connections;
  const cluster::BudgetVerdict verdict = cluster::check_connection_budget(budget);
  plan.budget_needed = verdict.needed;
  plan.budget_available = verdict.available;
  plan.budget_fits = verdict.fits;
  plan.budget_message = verdict.message;
}

void add_warnings(Plan& plan) {
  const PlanInputs& in = plan.inputs;
  for (const auto& problem :
       seed_bounds_violations(plan.recommended.pool_size, plan.recommended.max_overflow,
                              plan.pool_timeout_s, k_pool_recycle_s)) {
    plan.warnings.push_back("outside the seeds' validation bounds: " + problem);
  }
  if (!plan.budget_fits) plan.warnings.push_back(plan.budget_message);
  if (plan.request_time_s < plan.hold_s) {
    plan.warnings.push_back(fmt::format(
        "--request-time {} is shorter than its queries ({} x {}); the formula then needs more "
        "connections than requests in flight",
        duration_text_s(plan.request_time_s), in.queries_per_request,
        duration_text_s(in.query_time_s)));
  }
  if (in.slo_p99_s && *in.slo_p99_s <= plan.request_time_s) {
    plan.warnings.push_back(fmt::format(
        "--slo-p99 {} leaves no room for waiting after a {} request: sized so that at most 1% "
        "of checkouts wait at all",
        duration_text_s(*in.slo_p99_s), duration_text_s(plan.request_time_s)));
  }
  if (!plan.erlang_servers) {
    plan.warnings.push_back("Erlang C: no pool of up to 100000 connections meets the targets");
  }
}

}  // namespace

Plan make_plan(const PlanInputs& in) {
  check_inputs(in);

  Plan plan;
  plan.inputs = in;
  plan.hold_s = in.queries_per_request * in.query_time_s;
  plan.request_time_s = in.request_time_s.value_or(plan.hold_s);
  plan.concurrency = in.rps * plan.request_time_s;
  plan.instance_rps = in.rps / in.instances;
  plan.instance_concurrency = plan.concurrency / in.instances;
  plan.connections_needed =
      seeds_connections_needed(plan.instance_concurrency, plan.hold_s, plan.request_time_s);
  plan.seeds_split = split_with_headroom(plan.connections_needed);
  plan.tier = std::string(traffic_tier(plan.instance_rps));
  plan.tier_row = seed_tier_row(plan.instance_rps);
  plan.pool_timeout_s = in.pool_timeout_s.value_or(plan.tier_row.pool_timeout_s);

  add_erlang(plan);
  plan.recommended = plan.seeds_split;
  plan.recommended_basis = "seeds_formula";
  if (plan.erlang_servers && *plan.erlang_servers > plan.seeds_split.total()) {
    plan.recommended = split_total(*plan.erlang_servers);
    plan.recommended_basis = "erlang_c";
  }
  plan.recommended_erlang = erlang_c(plan.recommended.total(), plan.instance_rps, plan.hold_s);
  plan.sum_rule_holds = seeds_sum_rule_holds(
      plan.recommended.pool_size, plan.recommended.max_overflow, plan.instance_concurrency);

  add_budget(plan);

  add_warnings(plan);

  plan.config_yaml = fmt::format(
      "database:\n  pool_size: {}\n  max_overflow: {}\n  pool_timeout: {}\n  pool_recycle: {}\n",
      plan.recommended.pool_size, plan.recommended.max_overflow, seconds_text(plan.pool_timeout_s),
      seconds_text(k_pool_recycle_s));
  plan.database_url_query =
      fmt::format("?pool_size={}&max_overflow={}&pool_timeout={}", plan.recommended.pool_size,
                  plan.recommended.max_overflow, seconds_text(plan.pool_timeout_s));
  return plan;
}

json plan_json(const Plan& plan) {
  const PlanInputs& in = plan.inputs;
  auto optional_int = [](const std::optional<int>& v) { return v ? json(*v) : json(); };
  auto optional_double = [](const std::optional<double>& v) { return v ? json(*v) : json(); };
  const ErlangC& q = plan.recommended_erlang;
  return {{"schema", "poolbench.plan/1"},
          {"inputs",
           {{"rps", in.rps},
            {"query_time_s", in.query_time_s},
            {"queries_per_request", in.queries_per_request},
            {"request_time_s", optional_double(in.request_time_s)},
            {"instances", in.instances},
            {"max_connections", in.max_connections},
            {"superuser_reserved_connections", in.superuser_reserved_connections},
            {"reserved_connections", in.reserved_connections},
            {"slo_p99_s", optional_double(in.slo_p99_s)},
            {"timeout_rate", in.timeout_rate},
            {"pool_timeout_s", optional_double(in.pool_timeout_s)}}},
          {"request_time_s", plan.request_time_s},
          {"hold_s", plan.hold_s},
          {"concurrency", plan.concurrency},
          {"instance_rps", plan.instance_rps},
          {"instance_concurrency", plan.instance_concurrency},
          {"seeds_formula",
           {{"concurrent_requests", plan.instance_concurrency},
            {"avg_query_time_s", plan.hold_s},
            {"request_duration_s", plan.request_time_s},
            {"connections_needed", plan.connections_needed},
            {"pool_size", plan.seeds_split.pool_size},
            {"max_overflow", plan.seeds_split.max_overflow}}},
          {"tier",
           {{"name", plan.tier},
            {"label", plan.tier_row.label},
            {"pool_size", plan.tier_row.pool_size},
            {"max_overflow", plan.tier_row.max_overflow},
            {"pool_timeout_s", plan.tier_row.pool_timeout_s},
            {"source", plan.tier_row.source}}},
          {"erlang_c",
           {{"offered_load", plan.instance_rps * plan.hold_s},
            {"pool_timeout_s", plan.pool_timeout_s},
            {"servers_for_timeouts", optional_int(plan.erlang_servers_for_timeouts)},
            {"servers_for_slo", optional_int(plan.erlang_servers_for_slo)},
            {"servers", optional_int(plan.erlang_servers)}}},
          {"recommended",
           {{"basis", plan.recommended_basis},
            {"pool_size", plan.recommended.pool_size},
            {"max_overflow", plan.recommended.max_overflow},
            {"total", plan.recommended.total()},
            {"pool_timeout_s", plan.pool_timeout_s},
            {"pool_recycle_s", k_pool_recycle_s},
            {"p_wait", q.p_wait},
            {"mean_wait_ms", q.stable ? json(q.mean_wait_s * 1000) : json()},
            {"predicted_timeout_rate",
             q.stable ? q.p_wait_longer_than(plan.pool_timeout_s) : q.overload_loss_floor()},
            {"occupancy", q.occupancy}}},
          {"sum_rule",
           {{"pool_total", plan.recommended.total()},
            {"concurrent_requests", plan.instance_concurrency},
            {"holds", plan.sum_rule_holds}}},
          {"budget",
           {{"instances", in.instances},
            {"needed", plan.budget_needed},
            {"available", plan.budget_available},
            {"fits", plan.budget_fits},
            {"message", plan.budget_message}}},
          {"config_yaml", plan.config_yaml},
          {"database_url_query", plan.database_url_query},
          {"warnings", plan.warnings}};
}

std::string plan_text(const Plan& plan) {
  const PlanInputs& in = plan.inputs;
  std::string out;
  auto line = [&out](const std::string& text) { out += text + "\n"; };
  const bool split = in.instances > 1;
  line(fmt::format("load: {:g} req/s x {} = {:g} concurrent requests{}", in.rps,
                   duration_text_s(plan.request_time_s), plan.concurrency,
                   in.request_time_s ? "" : " (request time = queries x query time)"));
  if (split) {
    line(fmt::format("per instance ({} instances, one pool each): {:g} req/s, {:g} concurrent",
                     in.instances, plan.instance_rps, plan.instance_concurrency));
  }
  line(fmt::format("connection held per request: {} x {} = {}", in.queries_per_request,
                   duration_text_s(in.query_time_s), duration_text_s(plan.hold_s)));
  line("");
  line(fmt::format(
      "seeds' formula: {:g} concurrent x {} / {} = {:g} connections{}\n"
      "  + 20% headroom: pool_size {} + max_overflow {}",
      plan.instance_concurrency, duration_text_s(plan.hold_s), duration_text_s(plan.request_time_s),
      plan.connections_needed, split ? " per instance" : "", plan.seeds_split.pool_size,
      plan.seeds_split.max_overflow));
  const auto& row = plan.tier_row;
  line(fmt::format("seed tier row: {} -> pool_size {}, max_overflow {}, pool_timeout {}", row.label,
                   row.pool_size, row.max_overflow, seconds_text(row.pool_timeout_s)));
  std::string erlang = fmt::format(
      "Erlang C (A = {:g} erlangs): {} connections keep P(wait > {}s) <= {:g}",
      plan.instance_rps * plan.hold_s,
      plan.erlang_servers_for_timeouts ? std::to_string(*plan.erlang_servers_for_timeouts)
                                       : std::string("no number of"),
      seconds_text(plan.pool_timeout_s), in.timeout_rate);
  if (in.slo_p99_s) {
    erlang += fmt::format(
        "; {} keep the p99 checkout wait within the p99 SLO {}",
        plan.erlang_servers_for_slo ? std::to_string(*plan.erlang_servers_for_slo) : "none",
        duration_text_s(*in.slo_p99_s));
  }
  line(erlang);
  line("");
  const ErlangC& q = plan.recommended_erlang;
  line(fmt::format(
      "recommended{}: pool_size {}, max_overflow {} (total {}), pool_timeout {}s ({})",
      split ? " per instance" : "", plan.recommended.pool_size, plan.recommended.max_overflow,
      plan.recommended.total(), seconds_text(plan.pool_timeout_s),
      plan.recommended_basis == "erlang_c" ? "raised to the Erlang C size" : "the seeds' formula"));
  if (q.stable) {
    line(
        fmt::format("  Erlang C: P(wait) {:.4f}, mean wait {:.3f} ms, P(timeout) {:.3g}, "
                    "occupancy {:.0f}%",
                    q.p_wait, q.mean_wait_s * 1000, q.p_wait_longer_than(plan.pool_timeout_s),
                    q.occupancy * 100));
  } else {
    line(fmt::format("  Erlang C: overloaded (A >= c): at least {:.1f}% of requests time out",
                     q.overload_loss_floor() * 100));
  }
  line(fmt::format(
      "sum rule: pool_size + max_overflow = {} {} {:g} concurrent requests{}",
      plan.recommended.total(), plan.sum_rule_holds ? ">=" : "<", plan.instance_concurrency,
      plan.sum_rule_holds
          ? ""
          : "\n  (not met: the formula and Erlang C assume a connection is held only while "
            "its queries run;\n   an app that holds one for the whole request needs "
            "the sum rule's size)"));
  line(fmt::format("max_connections budget: {}", plan.budget_message));
  for (const auto& warning : plan.warnings) {
    if (warning != plan.budget_message) line("warning: " + warning);
  }
  line("");
  line("config.yaml:");
  out += plan.config_yaml;
  line("");
  line("DATABASE_URL query string: " + plan.database_url_query);
  return out;
}

}  // namespace poolbench::analysis
