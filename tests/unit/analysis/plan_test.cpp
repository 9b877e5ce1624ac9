#include "analysis/plan.hpp"

#include <gtest/gtest.h>

#include "util/error.hpp"

namespace poolbench::analysis {
namespace {

PlanInputs seeds_example() {
  PlanInputs in;
  in.rps = 500;
  in.query_time_s = 0.05;
  in.request_time_s = 0.2;
  return in;
}

TEST(Plan, ReproducesTheSeedsExample) {
  const Plan plan = make_plan(seeds_example());
  EXPECT_DOUBLE_EQ(plan.concurrency, 100);
  EXPECT_DOUBLE_EQ(plan.connections_needed, 25);
  EXPECT_EQ(plan.recommended.pool_size, 20);
  EXPECT_EQ(plan.recommended.max_overflow, 10);
  EXPECT_EQ(plan.recommended_basis, "seeds_formula");
  EXPECT_EQ(plan.tier, "very_high");
  EXPECT_EQ(plan.pool_timeout_s, 60);  // the very high tier row
  EXPECT_FALSE(plan.sum_rule_holds);   // 30 < 100 requests in flight
  EXPECT_TRUE(plan.budget_fits);
  EXPECT_EQ(plan.budget_needed, 30);
  EXPECT_EQ(plan.database_url_query, "?pool_size=20&max_overflow=10&pool_timeout=60");
  EXPECT_EQ(plan.config_yaml,
            "database:\n  pool_size: 20\n  max_overflow: 10\n  pool_timeout: 60\n"
            "  pool_recycle: 1800\n");
  EXPECT_TRUE(plan.warnings.empty());
  const nlohmann::json document = plan_json(plan);
  EXPECT_EQ(document["schema"], "poolbench.plan/1");
  EXPECT_EQ(document["recommended"]["total"], 30);
  EXPECT_NE(plan_text(plan).find("pool_size 20 + max_overflow 10"), std::string::npos);
}

TEST(Plan, DefaultRequestTimeIsTheQueriesAndInstancesSplitTheLoad) {
  PlanInputs in;
  in.rps = 400;
  in.query_time_s = 0.01;
  in.queries_per_request = 3;
  in.instances = 4;
  const Plan plan = make_plan(in);
  EXPECT_DOUBLE_EQ(plan.request_time_s, 0.03);
  EXPECT_DOUBLE_EQ(plan.instance_rps, 100);
  EXPECT_DOUBLE_EQ(plan.connections_needed, 3);  // 100/s × 30 ms
  EXPECT_EQ(plan.tier, "high");
  EXPECT_EQ(plan.pool_timeout_s, 30);
  EXPECT_EQ(plan.budget_needed, 4LL * plan.recommended.total());
}

TEST(Plan, ErlangCRaisesTheSeedsSizeForATightSlo) {
  PlanInputs in = seeds_example();
  in.slo_p99_s = 0.2;  // no headroom beyond the request: at most 1% may wait at all
  const Plan plan = make_plan(in);
  ASSERT_TRUE(plan.erlang_servers_for_slo.has_value());
  EXPECT_GT(*plan.erlang_servers_for_slo, 30);
  EXPECT_EQ(plan.recommended_basis, "erlang_c");
  EXPECT_EQ(plan.recommended.total(), *plan.erlang_servers);
  EXPECT_LE(plan.recommended_erlang.p_wait, 0.01);
  EXPECT_FALSE(plan.warnings.empty());  // the SLO leaves no room for waiting
}

TEST(Plan, WarnsOutsideTheSeedBoundsAndOverTheBudget) {
  PlanInputs in;
  in.rps = 5000;
  in.query_time_s = 0.03;
  const Plan plan = make_plan(in);
  EXPECT_FALSE(plan.budget_fits);
  ASSERT_GE(plan.warnings.size(), 2u);
  EXPECT_NE(plan.warnings[0].find("pool_size must be <= 100"), std::string::npos);
}

TEST(Plan, RejectsOutOfRangeInputsNamingTheFlag) {
  PlanInputs in = seeds_example();
  in.rps = 0;
  try {
    make_plan(in);
    FAIL() << "no throw";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("--rps"), std::string::npos);
  }
  in = seeds_example();
  in.timeout_rate = 1;
  EXPECT_THROW(make_plan(in), InputError);
  in = seeds_example();
  in.queries_per_request = 0;
  EXPECT_THROW(make_plan(in), InputError);
}

}  // namespace
}  // namespace poolbench::analysis
