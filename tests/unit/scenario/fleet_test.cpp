// pool.instances as a list: a heterogeneous fleet, its validation, and how load is split.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "scenario/instance_split.hpp"
#include "scenario/scenario.hpp"
#include "util/error.hpp"

namespace poolbench::scenario {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

const std::string k_head = R"(name: fleet
transactions:
  - name: read
    script: SELECT 1;
)";

Scenario load(const std::string& pool, const std::vector<std::string>& sets = {}) {
  return parse_scenario(k_head + pool, "fleet.yaml", sets);
}

std::string fleet_error_of(const std::string& pool) {
  try {
    load(pool);
  } catch (const InputError& e) {
    return e.what();
  }
  return "no error";
}

TEST(Fleet, EachInstanceHasItsOwnPoolOverTheScenariosAndANormalisedShare) {
  const Scenario s = load(R"(pool:
  pool_size: 20
  max_overflow: 10
  instances:
    - { name: identity, share: 2, pool: { pool_size: 50 } }
    - { name: orders }
    - { name: billing, pool: { max_overflow: 0, pool_timeout: 5s } }
)");
  EXPECT_EQ(s.pool.instances, 3);
  const auto instances = resolve_instances(s);
  ASSERT_EQ(instances.size(), 3u);
  EXPECT_EQ(instances[0].name, "identity");
  EXPECT_DOUBLE_EQ(instances[0].share, 0.5);
  EXPECT_EQ(instances[0].settings.pool_size, 50);
  EXPECT_EQ(instances[0].settings.max_overflow, 10);
  EXPECT_DOUBLE_EQ(instances[1].share, 0.25);
  EXPECT_EQ(instances[1].settings.pool_size, 20);
  EXPECT_EQ(instances[2].settings.max_overflow, 0);
  EXPECT_EQ(instances[2].settings.pool_timeout, std::chrono::seconds(5));
  // --set on the scenario's pool moves the instances that do not set the key themselves.
  const auto moved = resolve_instances(load(R"(pool:
  instances: [{ name: a, pool: { pool_size: 7 } }, { name: b }]
)",
                                            {"pool.pool_size=3"}));
  EXPECT_EQ(moved[0].settings.pool_size, 7);
  EXPECT_EQ(moved[1].settings.pool_size, 3);
}

TEST(Fleet, ACountGivesIdenticalInstancesAndReplacesAList) {
  const auto three = resolve_instances(load("pool: { pool_size: 4, instances: 3 }\n"));
  ASSERT_EQ(three.size(), 3u);
  EXPECT_EQ(three[2].name, "app-3");
  EXPECT_DOUBLE_EQ(three[2].share, 1.0 / 3.0);
  const Scenario counted =
      load("pool:\n  instances: [{ name: a }, { name: b }]\n", {"pool.instances=4"});
  EXPECT_TRUE(counted.pool.fleet.empty());
  EXPECT_EQ(resolve_instances(counted).size(), 4u);
}

TEST(Fleet, BadInstancesNameTheItemAndKey) {
  EXPECT_THAT(fleet_error_of("pool:\n  instances: [{ name: a, pool: { pool_sise: 3 } }]\n"),
              HasSubstr("pool.pool_sise"));
  EXPECT_THAT(fleet_error_of("pool:\n  instances: [{ name: a, share: 0 }]\n"),
              HasSubstr("pool.instances[0].share"));
  EXPECT_THAT(fleet_error_of("pool:\n  instances: [{ name: a }, { name: a }]\n"),
              HasSubstr("duplicate instance name"));
  EXPECT_THAT(fleet_error_of("pool:\n  instances: [{ name: a, colour: red }]\n"),
              HasSubstr("expected name, share or pool"));
  EXPECT_THAT(fleet_error_of("pool:\n  instances: [3]\n"), HasSubstr("pool.instances[0]"));
  EXPECT_THAT(fleet_error_of("pool:\n  instances: []\n"), HasSubstr("at least one instance"));
  EXPECT_THAT(fleet_error_of("pool:\n  instances: [{ name: a, pool: { pool_size: -2 } }]\n"),
              HasSubstr("fleet.yaml:6"));
}

TEST(InstanceSplit, ClientsFollowTheSharesExactlyAndInterleave) {
  EXPECT_THAT(assign_clients(8, {3, 1}), ElementsAre(0, 1, 0, 1, 0, 0, 0, 0));
  const auto counts = [](const std::vector<std::size_t>& assigned, std::size_t n) {
    std::vector<int> out(n);
    for (const auto i : assigned) ++out[i];
    return out;
  };
  EXPECT_THAT(counts(assign_clients(10, {1, 1, 1}), 3), ElementsAre(4, 3, 3));
  EXPECT_THAT(counts(assign_clients(5, {}), 1), ElementsAre(5));
}

TEST(InstanceSplit, ThePickerKeepsEveryPrefixNearItsShare) {
  InstancePicker picker({0.7, 0.2, 0.1}, 0.3);
  std::vector<int> counts(3);
  for (int n = 1; n <= 1000; ++n) {
    ++counts[picker.next()];
    EXPECT_NEAR(counts[2], 0.1 * n, 3.0) << n;
  }
  EXPECT_NEAR(counts[0], 700, 3);
  EXPECT_NEAR(counts[1], 200, 3);
}

}  // namespace
}  // namespace poolbench::scenario
