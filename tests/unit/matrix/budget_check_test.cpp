#include "matrix/budget_check.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace poolbench::matrix {
namespace {

using ::testing::HasSubstr;

constexpr const char* k_fleet_scenario = R"(name: fleet
transactions:
  - name: read
    script: SELECT 1;
pool: { pool_size: 20, max_overflow: 10, instances: 4 }
matrix:
  pool.instances: [2, 4]
)";

cluster::Profile profile_with(std::vector<cluster::ProfileSetting> settings) {
  cluster::Profile profile;
  profile.name = "p";
  profile.settings = std::move(settings);
  return profile;
}

TEST(EmbeddedLimits, ComeFromTheProfileOrPostgresDefaults) {
  const auto defaults = embedded_limits(profile_with({}));
  EXPECT_EQ(defaults.max_connections, 100);
  EXPECT_EQ(defaults.superuser_reserved_connections, 3);
  const auto prod = embedded_limits(profile_with({{"max_connections", "200", "prod.conf", 6}}));
  EXPECT_EQ(prod.max_connections, 200);
}

TEST(CellBudgets, FlagCellsWhosePoolsExceedMaxConnectionsInTheSeedsTerms) {
  const auto base = scenario::parse_scenario(k_fleet_scenario, "fleet.yaml");
  const auto cells = expand_matrix(base, {});
  const auto budgets = check_cell_budgets(
      cells, [](const std::string&) { return embedded_limits(profile_with({})); });
  ASSERT_EQ(budgets.size(), 2u);
  // 2 x (20 + 10) + 2 = 62 <= 97 fits; 4 x 30 + 2 = 122 does not.
  EXPECT_TRUE(budgets[0].verdict.fits);
  EXPECT_FALSE(budgets[1].verdict.fits);
  EXPECT_EQ(budgets[1].verdict.needed, 122);
  EXPECT_EQ(budgets[1].verdict.available, 97);
  EXPECT_THAT(budgets[1].verdict.message, HasSubstr("max_connections = 100"));
}

}  // namespace
}  // namespace poolbench::matrix
