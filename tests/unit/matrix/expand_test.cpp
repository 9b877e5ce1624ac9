#include "matrix/expand.hpp"

#include <set>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "util/error.hpp"

namespace poolbench::matrix {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using Params = std::vector<std::pair<std::string, std::string>>;

constexpr const char* k_grid_scenario = R"(name: grid
workload: { clients: 4, duration: 2s, warmup: 1s }
transactions:
  - name: read
    script: SELECT 1;
pool: { pool_size: 5, max_overflow: 0 }
server: { profile: default }
matrix:
  pool.pool_size: [2, 4]
  server.profile: [ssd, hdd]
  pool.max_overflow: [0, 5]
  repetitions: 2
)";

scenario::Scenario load(const std::vector<std::string>& sets = {}) {
  return scenario::parse_scenario(k_grid_scenario, "grid.yaml", sets);
}

std::vector<std::string> ids(const std::vector<Cell>& cells) {
  std::vector<std::string> out;
  for (const auto& cell : cells) out.push_back(cell.id);
  return out;
}

TEST(MatrixExpansion, IsTheCartesianProductTimesRepetitionsGroupedByProfile) {
  const auto cells = expand_matrix(load(), {});
  ASSERT_EQ(cells.size(), 2u * 2u * 2u * 2u);
  const auto all = ids(cells);
  const std::set<std::string> unique(all.begin(), all.end());
  EXPECT_EQ(unique.size(), cells.size());
  // The first half runs on ssd, the second on hdd: one profile change.
  for (std::size_t i = 0; i < cells.size(); ++i) {
    EXPECT_EQ(cells[i].scenario.server.profile, i < 8 ? "ssd" : "hdd") << i;
    EXPECT_EQ(cells[i].index, static_cast<int>(i));
  }
  EXPECT_EQ(cells[0].id, "pool.pool_size=2,server.profile=ssd,pool.max_overflow=0#0");
  EXPECT_EQ(cells[1].id, "pool.pool_size=2,server.profile=ssd,pool.max_overflow=0#1");
  EXPECT_EQ(cells[2].id, "pool.pool_size=2,server.profile=ssd,pool.max_overflow=5#0");
}

TEST(MatrixExpansion, EachCellCarriesItsValuesInItsScenario) {
  for (const auto& cell : expand_matrix(load(), {})) {
    const auto& params = cell.params;
    ASSERT_EQ(params.size(), 3u);
    EXPECT_EQ(std::to_string(cell.scenario.pool.settings.pool_size), params[0].second);
    EXPECT_EQ(cell.scenario.server.profile, params[1].second);
    EXPECT_EQ(std::to_string(cell.scenario.pool.settings.max_overflow), params[2].second);
  }
}

TEST(MatrixExpansion, SetFixesAKeyAndRemovesItsAxis) {
  const auto cells = expand_matrix(load({"pool.max_overflow=3"}), {});
  ASSERT_EQ(cells.size(), 8u);
  for (const auto& cell : cells) {
    EXPECT_EQ(cell.scenario.pool.settings.max_overflow, 3);
    EXPECT_EQ(cell.params.size(), 2u);
  }
}

TEST(MatrixExpansion, MatrixFlagReplacesAnAxisOrAddsOne) {
  ExpandOptions options;
  options.axis_overrides = {"pool.pool_size=[1, 3, 9]", "workload.clients=8,16"};
  const auto cells = expand_matrix(load(), options);
  EXPECT_EQ(cells.size(), 3u * 2u * 2u * 2u * 2u);
  std::set<int> sizes;
  std::set<int> clients;
  for (const auto& cell : cells) {
    sizes.insert(cell.scenario.pool.settings.pool_size);
    clients.insert(cell.scenario.workload.clients);
  }
  EXPECT_THAT(sizes, ElementsAre(1, 3, 9));
  EXPECT_THAT(clients, ElementsAre(8, 16));
}

TEST(MatrixExpansion, AScenarioWithoutAxesGivesOneCellPerRepetition) {
  auto base = load();
  base.matrix.clear();
  base.repetitions = 3;
  const auto cells = expand_matrix(base, {});
  ASSERT_EQ(cells.size(), 3u);
  EXPECT_EQ(cells[2].id, "#2");
  EXPECT_EQ(describe_params(cells[0].params), "base point");
}

TEST(MatrixExpansion, RandomOrderIsReproducibleWithASeedAndKeepsProfilesTogether) {
  ExpandOptions options;
  options.order = CellOrder::random;
  options.seed = 42;
  const auto a = expand_matrix(load(), options);
  const auto b = expand_matrix(load(), options);
  EXPECT_EQ(ids(a), ids(b));
  options.seed = 43;
  const auto c = expand_matrix(load(), options);
  EXPECT_NE(ids(a), ids(c));
  const auto product = expand_matrix(load(), {});
  EXPECT_NE(ids(a), ids(product));
  const auto shuffled = ids(a);
  const auto ordered = ids(product);
  EXPECT_EQ(std::set<std::string>(shuffled.begin(), shuffled.end()),
            std::set<std::string>(ordered.begin(), ordered.end()));
  int changes = 0;
  for (std::size_t i = 1; i < a.size(); ++i) {
    changes += a[i].scenario.server.profile != a[i - 1].scenario.server.profile;
  }
  EXPECT_EQ(changes, 1);
}

TEST(MatrixExpansion, BadMatrixFlagsNameTheFlagAndKey) {
  ExpandOptions options;
  options.axis_overrides = {"pool.pool_sise=[1,2]"};
  try {
    expand_matrix(load(), options);
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_THAT(e.what(), HasSubstr("--matrix pool.pool_sise=[1,2]: unknown key 'pool.pool_sise'"));
    EXPECT_THAT(e.what(), HasSubstr("did you mean pool.pool_size?"));
  }
  options.axis_overrides = {"pool.pool_size=[1,x]"};
  try {
    expand_matrix(load(), options);
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_THAT(e.what(), HasSubstr("pool.pool_size"));
    EXPECT_THAT(e.what(), HasSubstr("--matrix"));
  }
  options.axis_overrides = {"pool.pool_size"};
  EXPECT_THROW(expand_matrix(load(), options), InputError);
  options.axis_overrides = {"pool.pool_size=[1,,2]"};
  EXPECT_THROW(expand_matrix(load(), options), InputError);
}

constexpr const char* k_paired = R"(name: rows
transactions:
  - name: read
    script: SELECT 1;
matrix:
  pool: [{pool_size: 30, max_overflow: 5, pool_recycle: 3600},
         {pool_size: 15, max_overflow: 15, pool_timeout: 60}]
  workload.rate: [10, 50]
)";

TEST(MatrixExpansion, ACompositeAxisPairsSettingsInsteadOfCrossingThem) {
  const auto base = scenario::parse_scenario(k_paired, "rows.yaml");
  ASSERT_EQ(base.matrix.size(), 2u);
  EXPECT_EQ(base.matrix[0].values[0], "{pool_size: 30, max_overflow: 5, pool_recycle: 3600}");
  const auto cells = expand_matrix(base, {});
  ASSERT_EQ(cells.size(), 4u);
  EXPECT_EQ(cells[0].id,
            "pool.pool_size=30,pool.max_overflow=5,pool.pool_recycle=3600,"
            "workload.rate=10#0");
  const auto& read_heavy = cells[0].scenario.pool.settings;
  EXPECT_EQ(read_heavy.pool_size, 30);
  EXPECT_EQ(read_heavy.max_overflow, 5);
  EXPECT_EQ(read_heavy.pool_recycle, std::chrono::seconds(3600));
  const auto& write_heavy = cells[2].scenario.pool.settings;
  EXPECT_EQ(write_heavy.pool_size, 15);
  EXPECT_EQ(write_heavy.max_overflow, 15);
  EXPECT_EQ(write_heavy.pool_timeout, std::chrono::seconds(60));
  EXPECT_EQ(describe_params(cells[3].params),
            "pool_size=15 max_overflow=15 pool_timeout=60 rate=50");
  // --set fixes a key inside a composite axis too.
  const auto fixed =
      expand_matrix(scenario::parse_scenario(k_paired, "rows.yaml", {"pool.max_overflow=0"}), {});
  for (const auto& cell : fixed) EXPECT_EQ(cell.scenario.pool.settings.max_overflow, 0);
}

TEST(MatrixExpansion, CompositeAxisErrorsNameTheItemAndKey) {
  const std::string head =
      "name: rows\ntransactions:\n  - name: read\n    script: SELECT 1;\nmatrix:\n";
  try {
    scenario::parse_scenario(head + "  pool: [{pool_size: 3}, {pool_sise: 4}]\n", "rows.yaml");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_THAT(e.what(), HasSubstr("rows.yaml:6"));
    EXPECT_THAT(e.what(), HasSubstr("pool.pool_sise"));
  }
  try {
    scenario::parse_scenario(head + "  pool: [{pool_size: 3}, 4]\n", "rows.yaml");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_THAT(e.what(), HasSubstr("matrix.pool[1]"));
  }
  try {
    scenario::parse_scenario(head + "  pool: [{pool_size: -3}]\n", "rows.yaml");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_THAT(e.what(), HasSubstr("pool.pool_size"));
  }
}

TEST(MatrixExpansion, OrderFlagAcceptsProductAndRandomOnly) {
  EXPECT_EQ(parse_cell_order("product"), CellOrder::product);
  EXPECT_EQ(parse_cell_order("random"), CellOrder::random);
  EXPECT_THROW(parse_cell_order("shuffle"), InputError);
}

TEST(MatrixExpansion, DescribeParamsUsesTheLastKeySegment) {
  EXPECT_EQ(describe_params(Params{{"pool.pool_size", "5"}, {"server.profile", "ssd"}}),
            "pool_size=5 profile=ssd");
}

}  // namespace
}  // namespace poolbench::matrix
