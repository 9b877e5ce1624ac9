// cells[].plans' pure parts: a plan's shape (no costs), its fingerprint, and which
// statements EXPLAIN can take.

#include "matrix/plans.hpp"

#include <string>
#include <utility>

#include <gtest/gtest.h>

namespace poolbench::matrix {
namespace {

using nlohmann::json;

/// The "Plan" of EXPLAIN (FORMAT JSON) for a join as PostgreSQL 15 prints it (trimmed).
json nested_loop(double cost) {
  return json::parse(R"json({
    "Node Type": "Aggregate", "Strategy": "Plain", "Partial Mode": "Simple",
    "Total Cost": )json" +
                     std::to_string(cost) +
                     R"json(,
    "Plans": [{
      "Node Type": "Nested Loop", "Parent Relationship": "Outer", "Join Type": "Inner",
      "Total Cost": 10.5,
      "Plans": [
        {"Node Type": "Function Scan", "Function Name": "generate_series", "Alias": "g"},
        {"Node Type": "Index Scan", "Scan Direction": "Forward",
         "Index Name": "pgbench_accounts_pkey", "Relation Name": "pgbench_accounts",
         "Alias": "a", "Index Cond": "(aid = ((g.g * 7919) % 200000) + 1)"}
      ]}]})json");
}

TEST(PlanShape, NamesNodesJoinsIndexesAndRelationsInOrderWithoutCosts) {
  EXPECT_EQ(plan_shape(nested_loop(12.5)),
            "Aggregate Plain(Nested Loop Inner(Function Scan, Index Scan using "
            "pgbench_accounts_pkey on pgbench_accounts))");
  EXPECT_EQ(plan_shape(json::parse(R"({"Node Type": "ModifyTable", "Operation": "Update",
      "Relation Name": "pgbench_tellers", "Plans": [{"Node Type": "Seq Scan",
      "Relation Name": "pgbench_tellers"}]})")),
            "ModifyTable Update on pgbench_tellers(Seq Scan on pgbench_tellers)");
}

TEST(PlanShape, ParallelAndPartialNodesAreNamedAsExplainPrintsThem) {
  // EXPLAIN (FORMAT JSON) of a parallel count(*): "Parallel Aware" and "Partial Mode" are
  // what set it apart from the serial plan, whose nodes have the same types.
  const json parallel = json::parse(R"({"Node Type": "Aggregate", "Strategy": "Plain",
      "Partial Mode": "Finalize", "Parallel Aware": false, "Plans": [
        {"Node Type": "Gather", "Parallel Aware": false, "Plans": [
          {"Node Type": "Aggregate", "Strategy": "Plain", "Partial Mode": "Partial",
           "Parallel Aware": false, "Plans": [
            {"Node Type": "Seq Scan", "Parallel Aware": true,
             "Relation Name": "pgbench_accounts"}]}]}]})");
  EXPECT_EQ(plan_shape(parallel),
            "Finalize Aggregate Plain(Gather(Partial Aggregate Plain(Parallel Seq Scan on "
            "pgbench_accounts)))");
  json serial_scan = parallel;
  serial_scan["Plans"][0]["Plans"][0]["Plans"][0]["Parallel Aware"] = false;
  EXPECT_NE(plan_fingerprint(plan_shape(parallel)), plan_fingerprint(plan_shape(serial_scan)));
  EXPECT_EQ(plan_shape(json::parse(R"({"Node Type": "Aggregate", "Strategy": "Plain",
      "Partial Mode": "Simple", "Parallel Aware": false})")),
            "Aggregate Plain");
}

TEST(PlanShape, TheFingerprintIgnoresCostsAndChangesWithTheShape) {
  const std::string cheap = plan_fingerprint(plan_shape(nested_loop(12.5)));
  EXPECT_EQ(cheap.size(), 16u);
  EXPECT_EQ(cheap, plan_fingerprint(plan_shape(nested_loop(4000.0))));
  json hash_join = nested_loop(12.5);
  hash_join["Plans"][0]["Node Type"] = "Hash Join";
  EXPECT_NE(cheap, plan_fingerprint(plan_shape(hash_join)));
  json other_index = nested_loop(12.5);
  other_index["Plans"][0]["Plans"][1]["Index Name"] = "accounts_by_bid";
  EXPECT_NE(cheap, plan_fingerprint(plan_shape(other_index)));
  // Children in the other order (join order) are another plan.
  json swapped = nested_loop(12.5);
  std::swap(swapped["Plans"][0]["Plans"][0], swapped["Plans"][0]["Plans"][1]);
  EXPECT_NE(cheap, plan_fingerprint(plan_shape(swapped)));
  EXPECT_EQ(plan_fingerprint(""), "cbf29ce484222325");  // FNV-1a 64's offset basis
}

TEST(PlanShape, OnlyStatementsExplainCanTakeAreExplained) {
  for (const char* sql :
       {"SELECT 1", "  select abalance FROM a", "-- note\nUPDATE a SET x = 1",
        "/* why */ insert into h", "DELETE FROM h", "WITH x AS (SELECT 1) SELECT * FROM x",
        "VALUES (1)", "TABLE a", "MERGE INTO a USING b ON true WHEN MATCHED THEN DO NOTHING"}) {
    EXPECT_TRUE(explainable(sql)) << sql;
  }
  for (const char* sql : {"BEGIN", "END", "COMMIT", "SET work_mem = '8MB'", "VACUUM a",
                          "COPY a FROM STDIN", "", "-- only a comment", "SELECTx"}) {
    EXPECT_FALSE(explainable(sql)) << sql;
  }
}

}  // namespace
}  // namespace poolbench::matrix
